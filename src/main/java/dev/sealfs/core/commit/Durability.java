package dev.sealfs.core.commit;

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
import java.util.ArrayList;
import java.util.List;
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
 * <p>Locks: the facade's {@code lock} (see the package {@code dev.sealfs.core} lock order) is
 * held by every caller; the background committer takes it per tick. The device force of the
 * pre-flush runs outside it, so the data path is not stalled behind the writeback.
 */
public final class Durability {
  private static final Logger LOG = LoggerFactory.getLogger(Durability.class);

  /** How often the background committer commits the running group, ms. */
  public static final long COMMIT_INTERVAL_MS = 1000;

  /** The device. */
  private final Device device;
  /** The metadata state machine. */
  private final Metadata meta;
  /** Free data blocks. */
  private final Allocator alloc;
  /** The journal. */
  private final Journal journal;
  /** The lock every caller holds; the committer thread takes it per tick. */
  private final Object lock;
  /** Block size in bytes. */
  private final int bs;
  /** True when nothing may be written. */
  private final boolean readOnly;
  /** The current superblock. */
  private Superblock sb;
  /** Blocks freed by groups not yet durable. */
  private final List<Allocator.Run> pendingFree = new ArrayList<>();
  /** Sum of {@link #pendingFree}. */
  private long pendingFreeBlocks;
  /** True once blocks were allocated (and written) since the last force. */
  private boolean allocatedSinceForce;
  /** True once anything was written to the device since the last force. */
  private boolean writtenSinceForce;
  /** Number of groups committed (or covered by checkpoints) so far. */
  private long groupNumber;
  /** The last group number known durable. */
  private long durableGroup;
  /** Set once closed. */
  private volatile boolean closed;
  /** Set if metadata could not be committed (device full of metadata); then writes fail. */
  private volatile FsException stuck;
  /** The background committer, or null when read-only. */
  private final Thread committer;

  /** Creates the durability unit of a just-loaded filesystem. */
  public Durability(Device device, Loader.Loaded l, boolean readOnly, Object lock) {
    this.device = device;
    this.sb = l.sb();
    this.bs = sb.blockSize();
    this.meta = l.meta();
    this.alloc = l.alloc();
    this.readOnly = readOnly;
    this.lock = lock;
    this.journal = new Journal(device, sb.journalStart() * bs, sb.journalBlocks() * bs,
        Math.max(l.replay().nextSeq(), l.replay().maxSeq() + 1), l.replay().endPos());
    if (!readOnly) {
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
    pendingFree.add(new Allocator.Run(devBlock, blockCount));
    pendingFreeBlocks += blockCount;
  }

  /** Returns the blocks waiting for their freeing group to become durable. */
  public long pendingFreeBlocks() {
    return pendingFreeBlocks;
  }

  /** Gives every deferred free back to the allocator (the freeing groups are durable). */
  public void releasePendingFrees() {
    for (Allocator.Run r : pendingFree) {
      alloc.free(r.devBlock(), r.blockCount());
    }
    pendingFree.clear();
    pendingFreeBlocks = 0;
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

  /** Notes that newly allocated blocks got data: the next commit forces before it names them. */
  public void noteAllocated() {
    allocatedSinceForce = true;
  }

  /** Notes that data was written to the device: fsync must force. */
  public void noteWritten() {
    writtenSinceForce = true;
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
    if (meta.hasPending()) {
      commit(true);
    } else if (writtenSinceForce) {
      device.force();
      writtenSinceForce = false;
      allocatedSinceForce = false;
    }
  }

  /** Commits the running group; with {@code durable}, forces the device after it. */
  public void commit(boolean durable) {
    if (readOnly || stuck != null) {
      return;
    }
    if (meta.hasPending()) {
      Group g = meta.drainGroup();
      long bytes = Journal.groupBytes(g);
      if (!journal.fits(bytes)) {
        checkpointOrStick();
        return;
      }
      if (allocatedSinceForce) {
        device.force();
        allocatedSinceForce = false;
      }
      journal.append(g);
      groupNumber++;
      writtenSinceForce = true;
    }
    if (durable || pendingFreeBlocks > 0) {
      device.force();
      writtenSinceForce = false;
      allocatedSinceForce = false;
      durableGroup = groupNumber;
      releasePendingFrees();
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

  /** Writes the whole state as a new checkpoint and empties the journal. */
  public void checkpoint() {
    if (readOnly) {
      return;
    }
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
      throw FsException.of(Errno.ENOSPC, "no room for a metadata checkpoint of " + n + " blocks");
    }
    long newSeq = sb.seq() + 1;
    Checkpoint.write(device, bs, newSeq, blob, runs);
    device.force();
    long newJournalSeq = journal.nextSeq() + 1;
    Superblock next = sb.withCheckpoint(newJournalSeq, blob.length,
        Codec.crc32c(blob, 0, blob.length), runs);
    device.write(ByteBuffer.wrap(next.encode()), (next.seq() % 2) * (long) bs);
    device.force();
    for (Allocator.Run r : sb.checkpointRuns()) {
      alloc.free(r.devBlock(), r.blockCount());
    }
    sb = next;
    releasePendingFrees();
    meta.discardGroup();
    journal.reset(newJournalSeq);
    groupNumber++;
    durableGroup = groupNumber;
    writtenSinceForce = false;
    allocatedSinceForce = false;
    LOG.debug("checkpoint {}: {} bytes in {} blocks", next.seq(), blob.length, n);
  }

  private void commitLoop() {
    while (true) {
      try {
        Thread.sleep(COMMIT_INTERVAL_MS);
      } catch (InterruptedException e) {
        return;
      }
      // Ordered data without stalling every request behind the writeback: flush the data of
      // the blocks allocated so far outside the lock. commit() below still forces under the
      // lock (allocatedSinceForce stays set), but then only what was dirtied in between is left.
      boolean preflush;
      synchronized (lock) {
        if (closed) {
          return;
        }
        preflush = allocatedSinceForce;
      }
      if (preflush) {
        try {
          device.force();
        } catch (FsException e) {
          LOG.debug("background pre-flush failed (closing?): {}", e.getMessage());
        }
      }
      synchronized (lock) {
        if (closed) {
          return;
        }
        try {
          commit(false);
          if (journal.usedBytes() > journal.capacityBytes() / 2) {
            checkpoint();
          }
        } catch (Throwable t) {
          LOG.error("background commit failed: {}", t.toString());
        }
      }
    }
  }

  /** Simulates a daemon crash: closes the device without committing anything (tests). */
  public void crash() {
    closed = true;
    device.close();
    if (committer != null) {
      committer.interrupt();
    }
  }

  /** Commits, checkpoints and closes the device (unmount); the caller holds the lock. */
  public void closeLocked() {
    if (closed) {
      return;
    }
    try {
      if (!readOnly && stuck == null) {
        commit(true);
        checkpoint();
      }
    } finally {
      closed = true;
      device.close();
    }
  }

  /** Stops the background committer (after {@link #closeLocked}, outside the lock). */
  public void stopCommitter() {
    if (committer != null) {
      committer.interrupt();
    }
  }
}
