package dev.sealfs.core.commit;

import dev.sealfs.core.CoreStats;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.alloc.Allocator;
import dev.sealfs.core.device.Device;
import dev.sealfs.core.inode.Metadata;
import dev.sealfs.core.journal.Checkpoint;
import dev.sealfs.core.journal.Codec;
import dev.sealfs.core.journal.Group;
import dev.sealfs.core.journal.Journal;
import dev.sealfs.core.journal.Superblock;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When metadata changes become durable: the group commit, checkpoints, deferred frees, ordered
 * data and the background committer.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>Every metadata change is a redo record of the running group in {@link Metadata}. A commit
 * closes that group ({@link Metadata#drainGroup}), forces the device first if blocks were
 * allocated since the last force (ordered data: a group never names blocks whose data is not on
 * the device), appends the group to the {@link Journal} and, when asked for durability or when
 * frees are waiting, forces again. Blocks freed by a group go back to the {@link Allocator} only
 * once that group is durable ({@link #deferFree}). A checkpoint writes the whole state
 * copy-on-write into free blocks, forces, points the next {@link Superblock} copy at it, forces,
 * and empties the journal; it happens when the journal is half full, when a group would not fit,
 * at mount after a replay, and at unmount. If a checkpoint cannot be written the filesystem is
 * {@link #stuck}: every later change fails with ENOSPC.
 *
 * <p>Group numbers: {@link #runningGroup} is the number the running group will have; a block-map
 * change records it on the inode, and a seal makes sure that group is durable
 * ({@link #durableGroup}).
 *
 * <p>Locks (the order is in the package {@code dev.sealfs.core}): {@link #commitLock} serialises
 * commits and checkpoints and is taken only by threads that hold no other lock (fsync, seal
 * after its operation, the background committer, close). Under it, a commit takes the facade's
 * epoch lock exclusively just long enough to close the running group in memory (drain the
 * records, take the deferred frees and the "allocated since force" flags): that is a
 * consistent cut, as every operation holds the epoch lock shared from start to end. The journal
 * write and the device forces run after the epoch lock is released, so the data path never
 * waits for the device. A checkpoint likewise serialises the state under the epoch lock and
 * writes it outside. The deferred frees ({@link DeferredFrees}) have their own leaf lock; the
 * flags are atomic.
 */
public final class Durability {
  private static final Logger LOG = LoggerFactory.getLogger(Durability.class);

  /** How often the background committer commits the running group, ms. */
  public static final long COMMIT_INTERVAL_MS = 1000;
  /**
   * System property that turns the background committer off when set to {@code manual}: the
   * crash-replay tests then run its ticks themselves ({@link #tick}) so that the device log of a
   * seed is the same on every run. Never set by the daemon.
   */
  public static final String COMMITTER_PROPERTY = "sealfs.committer";

  /** The device. */
  private final Device device;
  /** The metadata state machine. */
  private final Metadata meta;
  /** Free data blocks. */
  private final Allocator alloc;
  /** The journal. */
  private final Journal journal;
  /** The facade's epoch lock: shared by every operation, exclusive for a group's cut. */
  private final ReadWriteLock epoch;
  /** Serialises commits and checkpoints (reentrant: a commit may checkpoint). */
  private final ReentrantLock commitLock = new ReentrantLock();
  /** Block size in bytes. */
  private final int bs;
  /** True when nothing may be written. */
  private final boolean readOnly;
  /** The current superblock. */
  private volatile Superblock sb;
  /** Blocks freed by groups not yet durable (a leaf lock of its own). */
  private final DeferredFrees frees;
  /** True once blocks were allocated since the last force. */
  private final AtomicBoolean allocatedSinceForce = new AtomicBoolean();
  /** True once anything was written to the device since the last force. */
  private final AtomicBoolean writtenSinceForce = new AtomicBoolean();
  /**
   * True while the last journal group appended may not be durable. No group is appended after an
   * unforced one, so a power cut can tear only the last group, which recovery discards
   * ({@link Journal}). Written under {@link #commitLock}.
   */
  private volatile boolean groupUnforced;
  /** Where commits are reported (metrics); {@link CoreStats#NONE} by default. */
  private volatile CoreStats stats = CoreStats.NONE;
  /** Groups appended to the journal so far; written under {@link #commitLock}. */
  private volatile long groupsAppended;
  /** Number of groups closed (committed or covered by checkpoints) so far. */
  private volatile long groupNumber;
  /** The last group number known durable. */
  private volatile long durableGroup;
  /** Set once closed. */
  private volatile boolean closed;
  /** Set if metadata could not be committed (device full of metadata); then writes fail. */
  private volatile FsException stuck;
  /** The background committer, or null when read-only. */
  private final Thread committer;

  /** Creates the durability unit of a just-loaded filesystem. */
  public Durability(Device device, Loader.Loaded l, boolean readOnly, ReadWriteLock epoch) {
    this.device = device;
    this.sb = l.sb();
    this.bs = sb.blockSize();
    this.meta = l.meta();
    this.alloc = l.alloc();
    this.frees = new DeferredFrees(alloc);
    this.readOnly = readOnly;
    this.epoch = epoch;
    this.journal = new Journal(device, sb.journalStart() * bs, sb.journalBlocks() * bs,
        Math.max(l.replay().nextSeq(), l.replay().maxSeq() + 1), l.replay().endPos());
    if (!readOnly && !"manual".equals(System.getProperty(COMMITTER_PROPERTY))) {
      this.committer = new Thread(this::commitLoop, "sealfs-commit");
      this.committer.setDaemon(true);
    } else {
      this.committer = null;
    }
  }

  /** Starts the background committer (writable filesystems). */
  public void start() {
    if (committer != null) {
      committer.start();
    }
  }

  /** Returns the superblock in force. */
  public Superblock superblock() {
    return sb;
  }

  /** Returns true if the filesystem is read-only. */
  public boolean readOnly() {
    return readOnly;
  }

  /** Fails with EROFS, EIO (closed) or ENOSPC (stuck) unless changes may be made. */
  public void checkWritable() {
    if (readOnly) {
      throw FsException.of(Errno.EROFS, "read-only");
    }
    if (closed) {
      throw FsException.of(Errno.EIO, "filesystem is closed");
    }
    FsException s = stuck;
    if (s != null) {
      throw new FsException(Errno.ENOSPC, "metadata cannot be committed: " + s.getMessage());
    }
  }

  /** Returns true once closed. */
  public boolean closed() {
    return closed;
  }

  // ------------------------------------------------------------------------------------------
  // Space accounting
  // ------------------------------------------------------------------------------------------

  /** Queues blocks freed by the running group; they become free once it is durable. */
  public void deferFree(long devBlock, long blockCount) {
    frees.add(devBlock, blockCount);
  }

  /** Returns the blocks waiting for their freeing group to become durable. */
  public long pendingFreeBlocks() {
    return frees.blockCount();
  }

  /** Returns a copy of the deferred frees (tests check that no block is owned twice). */
  public List<Allocator.Run> pendingFreeRuns() {
    return frees.runs();
  }

  /** Gives every deferred free back to the allocator (mount, with nothing else running). */
  public void releasePendingFrees() {
    frees.release(frees.take());
  }

  private long checkpointBlocks() {
    long n = 0;
    for (Allocator.Run r : sb.checkpointRuns()) {
      n += r.blockCount();
    }
    return n;
  }

  /** Blocks files may still get: free, minus the metadata reserve (which holds checkpoints). */
  public long availableBlocks() {
    return alloc.freeBlocks() + checkpointBlocks() - sb.reserveBlocks();
  }

  /** Reports every later journal commit to {@code hook}. */
  public void reportTo(CoreStats hook) {
    stats = hook;
  }

  /** Notes that newly allocated blocks got data: the next commit forces before it names them. */
  public void noteAllocated() {
    allocatedSinceForce.set(true);
  }

  /** Notes that data was written to the device: fsync must force. */
  public void noteWritten() {
    writtenSinceForce.set(true);
  }

  /** Returns the number the running group will get when it commits. */
  public long runningGroup() {
    return groupNumber + 1;
  }

  /** Returns the number of the last group known durable. */
  public long durableGroup() {
    return durableGroup;
  }

  // ------------------------------------------------------------------------------------------
  // Commit and checkpoint
  // ------------------------------------------------------------------------------------------

  /** fsync: commits the running group durably, or only forces if no metadata is pending. */
  public void sync() {
    if (readOnly) {
      return;
    }
    commitLock.lock();
    try {
      if (meta.hasPending() || frees.blockCount() > 0) {
        commit(true);
      } else if (writtenSinceForce.getAndSet(false)) {
        allocatedSinceForce.set(false);
        device.force();
        groupUnforced = false;
      }
    } finally {
      commitLock.unlock();
    }
  }

  /**
   * The in-memory cut of one group, taken under the exclusive epoch lock.
   *
   * @param group the closed group, or null if nothing was pending
   * @param number its group number
   * @param frees the deferred frees of the groups up to it
   * @param allocated true if blocks were allocated since the last force
   */
  private record Cut(Group group, long number, List<Allocator.Run> frees, boolean allocated) {}

  private Cut cut() {
    Lock w = epoch.writeLock();
    w.lock();
    try {
      Group g = null;
      if (meta.hasPending()) {
        g = meta.drainGroup();
        groupNumber++;
      }
      return new Cut(g, groupNumber, frees.take(), allocatedSinceForce.getAndSet(false));
    } finally {
      w.unlock();
    }
  }

  /** Commits the running group; with {@code durable}, forces the device after it. */
  public void commit(boolean durable) {
    if (readOnly || stuck != null) {
      return;
    }
    commitLock.lock();
    try {
      if (stuck != null || closed) {
        return;
      }
      Cut c = cut();
      if (c.group() != null) {
        if (!journal.fits(Journal.groupBytes(c.group()))) {
          requeue(c);
          checkpointOrStick();
          return;
        }
        if (c.allocated() || groupUnforced) {
          device.force();
        }
        journal.append(c.group());
        stats.committed();
        groupsAppended++;
        groupUnforced = true;
        writtenSinceForce.set(true);
      } else if (c.allocated()) {
        allocatedSinceForce.set(true);
      }
      if (durable || !c.frees().isEmpty()) {
        writtenSinceForce.set(false);
        device.force();
        groupUnforced = false;
        durableGroup = c.number();
        frees.release(c.frees());
      }
    } finally {
      commitLock.unlock();
    }
  }

  /** Puts a cut's frees and flag back (its records are covered by the checkpoint to come). */
  private void requeue(Cut c) {
    frees.putBack(c.frees());
    if (c.allocated()) {
      allocatedSinceForce.set(true);
    }
  }

  private void checkpointOrStick() {
    try {
      checkpoint();
    } catch (FsException e) {
      stuck = e;
      LOG.error("cannot checkpoint metadata, refusing further changes: {}", e.getMessage());
      throw new FsException(Errno.ENOSPC, "metadata full: " + e.getMessage());
    }
  }

  /**
   * The in-memory half of a checkpoint, taken under the exclusive epoch lock.
   *
   * @param blob the serialized state
   * @param runs where it goes
   * @param number the group number it covers
   * @param frees the deferred frees it covers
   */
  private record Snapshot(byte[] blob, List<Allocator.Run> runs, long number,
      List<Allocator.Run> frees) {}

  private Snapshot snapshot() {
    Lock w = epoch.writeLock();
    w.lock();
    try {
      long used = alloc.totalBlocks() - alloc.freeBlocks() - checkpointBlocks();
      byte[] blob = meta.snapshot(used);
      long n = Checkpoint.blocksFor(blob.length, bs);
      List<Allocator.Run> runs = alloc.allocateAll(sb.dataStart(), n);
      if (runs == null || runs.size() > Superblock.maxRuns(bs)) {
        if (runs != null) {
          for (Allocator.Run r : runs) {
            alloc.free(r.devBlock(), r.blockCount());
          }
        }
        throw FsException.of(Errno.ENOSPC,
            "no room for a metadata checkpoint of " + n + " blocks");
      }
      meta.discardGroup();
      groupNumber++;
      allocatedSinceForce.set(false);
      return new Snapshot(blob, runs, groupNumber, frees.take());
    } finally {
      w.unlock();
    }
  }

  /** Writes the whole state as a new checkpoint and empties the journal. */
  public void checkpoint() {
    if (readOnly) {
      return;
    }
    commitLock.lock();
    try {
      if (closed) {
        return;
      }
      Snapshot snap = snapshot();
      byte[] blob = snap.blob();
      long newSeq = sb.seq() + 1;
      Checkpoint.write(device, bs, newSeq, blob, snap.runs());
      device.force();
      long newJournalSeq = journal.nextSeq() + 1;
      Superblock next = sb.withCheckpoint(newJournalSeq, blob.length,
          Codec.crc32c(blob, 0, blob.length), snap.runs());
      device.write(ByteBuffer.wrap(next.encode()), (next.seq() % 2) * (long) bs);
      writtenSinceForce.set(false);
      device.force();
      groupUnforced = false;
      Superblock old = sb;
      sb = next;
      for (Allocator.Run r : old.checkpointRuns()) {
        alloc.free(r.devBlock(), r.blockCount());
      }
      frees.release(snap.frees());
      journal.reset(newJournalSeq);
      durableGroup = snap.number();
      LOG.debug("checkpoint {}: {} bytes in {} blocks", next.seq(), blob.length,
          snap.runs().size());
    } finally {
      commitLock.unlock();
    }
  }

  private void commitLoop() {
    while (!closed) {
      try {
        Thread.sleep(COMMIT_INTERVAL_MS);
      } catch (InterruptedException e) {
        return;
      }
      tick();
    }
  }

  /**
   * One tick of the background committer: pre-flushes, commits the running group without
   * forcing, and checkpoints when the journal is half full. Errors are logged, not thrown.
   */
  public void tick() {
    // Ordered data without a long force in the commit: flush the data of the blocks
    // allocated so far first (no lock held); the commit's own force then finds little left.
    // The pre-flush also makes the group the last tick appended durable, so that commit()
    // need not force before it appends the next one (see groupUnforced).
    long appendedBefore = groupsAppended;
    if ((allocatedSinceForce.get() || groupUnforced) && !closed) {
      try {
        device.force();
        commitLock.lock();
        try {
          if (groupsAppended == appendedBefore) {
            groupUnforced = false;
          }
        } finally {
          commitLock.unlock();
        }
      } catch (FsException e) {
        LOG.debug("background pre-flush failed (closing?): {}", e.getMessage());
      }
    }
    try {
      commit(false);
      if (!closed && journal.usedBytes() > journal.capacityBytes() / 2) {
        checkpoint();
      }
    } catch (Throwable t) {
      if (!closed) {
        LOG.error("background commit failed: {}", t.toString());
      }
    }
  }

  /** Simulates a daemon crash: closes the device without committing anything (tests). */
  public void crash() {
    commitLock.lock();
    try {
      closeDevice();
    } finally {
      commitLock.unlock();
    }
  }

  /** Commits, checkpoints and closes the device (unmount). Idempotent. */
  public void close() {
    commitLock.lock();
    try {
      if (closed) {
        return;
      }
      try {
        if (!readOnly && stuck == null) {
          commit(true);
          checkpoint();
        }
      } finally {
        closeDevice();
      }
    } finally {
      commitLock.unlock();
    }
  }

  /** Marks the filesystem closed and closes the device, with every operation stopped. */
  private void closeDevice() {
    Lock w = epoch.writeLock();
    w.lock();
    try {
      closed = true;
      device.close();
    } finally {
      w.unlock();
    }
    if (committer != null) {
      committer.interrupt();
    }
  }
}
