package dev.sealfs.core.commit;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.alloc.Allocator;
import dev.sealfs.core.device.Device;
import dev.sealfs.core.inode.Extent;
import dev.sealfs.core.inode.ExtentState;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import dev.sealfs.core.inode.ShareCounts;
import dev.sealfs.core.journal.Checkpoint;
import dev.sealfs.core.journal.Journal;
import dev.sealfs.core.journal.Superblock;
import java.nio.ByteBuffer;

/**
 * Reads a filesystem off a device: the newest valid superblock copy, its checkpoint, and the
 * committed journal groups after it; then rebuilds free space from the extent maps. Shared by
 * mount and fsck. Writes nothing.
 */
public final class Loader {
  private Loader() {}

  /**
   * What was loaded.
   *
   * @param sb the superblock in force
   * @param meta the metadata after replay
   * @param replay what the journal replay found
   * @param alloc free space (null until {@link #buildAllocator})
   */
  public record Loaded(Superblock sb, Metadata meta, Journal.Replay replay, Allocator alloc) {
    /** Returns a copy with the allocator set. */
    public Loaded withAlloc(Allocator a) {
      return new Loaded(sb, meta, replay, a);
    }
  }

  /** Reads the newest valid superblock copy; throws a one-line FsException otherwise. */
  public static Superblock readSuperblock(Device dev) {
    long size = dev.sizeBytes();
    if (size < 2L * Superblock.MIN_BLOCK) {
      throw FsException.of(Errno.EINVAL,
          dev.path() + " is not a sealfs filesystem (too small: " + size + " bytes)");
    }
    int probe = (int) Math.min(size, 2L * Superblock.MAX_BLOCK);
    byte[] head = new byte[probe];
    dev.read(ByteBuffer.wrap(head), 0);
    Superblock best = null;
    String why = null;
    boolean anyMagic = false;
    for (int bs = Superblock.MIN_BLOCK; bs <= Superblock.MAX_BLOCK; bs *= 2) {
      for (int slot = 0; slot < 2; slot++) {
        int off = slot * bs;
        if (slot == 0 && bs != Superblock.MIN_BLOCK) {
          continue;
        }
        if (off + Superblock.MIN_BLOCK > probe) {
          continue;
        }
        byte[] copy = java.util.Arrays.copyOfRange(head, off, Math.min(probe, off
            + Superblock.MAX_BLOCK));
        if (!Superblock.hasMagic(copy)) {
          continue;
        }
        anyMagic = true;
        try {
          Superblock s = Superblock.decode(copy, size);
          if (slot == 1 && s.blockSize() != bs) {
            continue;
          }
          if (best == null || s.seq() > best.seq()) {
            best = s;
          }
        } catch (FsException e) {
          why = e.getMessage();
        }
      }
    }
    if (best == null) {
      if (!anyMagic) {
        throw FsException.of(Errno.EINVAL,
            dev.path() + " is not a sealfs filesystem (no sealfs superblock)");
      }
      throw FsException.of(Errno.EUCLEAN, dev.path() + ": " + why);
    }
    return best;
  }

  /** Loads superblock, checkpoint and journal; throws a one-line FsException if damaged. */
  public static Loaded load(Device dev) {
    return load(dev, false);
  }

  /**
   * Loads superblock, checkpoint and journal; with {@code acceptDamagedJournal} (fsck repair),
   * committed groups hidden behind a damaged journal record are discarded instead of refused.
   */
  public static Loaded load(Device dev, boolean acceptDamagedJournal) {
    Superblock sb = readSuperblock(dev);
    try {
      Metadata meta = Metadata.restore(Checkpoint.read(dev, sb));
      long jBytes = sb.journalBlocks() * sb.blockSize();
      if (jBytes > Integer.MAX_VALUE - 64) {
        throw FsException.of(Errno.EUCLEAN, "metadata damaged: journal too large");
      }
      Journal.Replay replay = Journal.replay(dev, sb.journalStart() * sb.blockSize(), jBytes,
          sb.journalSeq(), meta::apply);
      if (replay.damagedAt() >= 0 && !acceptDamagedJournal) {
        throw FsException.of(Errno.EUCLEAN, "metadata damaged: journal record at offset "
            + replay.damagedAt() + " is corrupt and committed changes follow it;"
            + " run sealfs fsck (repair discards the changes after the damage)");
      }
      meta.relinkParents();
      Inode root = meta.get(Metadata.ROOT_INO);
      if (root == null || !root.isDir()) {
        throw FsException.of(Errno.EUCLEAN, "metadata damaged: no root directory");
      }
      return new Loaded(sb, meta, replay, null);
    } catch (FsException e) {
      throw new FsException(e.errno(), dev.path() + ": " + e.getMessage());
    } catch (RuntimeException | OutOfMemoryError e) {
      throw new FsException(Errno.EUCLEAN, dev.path() + ": metadata damaged: " + e, e);
    }
  }

  /**
   * Rebuilds free space and the shared extents' counts from every extent map and the checkpoint;
   * EUCLEAN on overlap (a block in two extents that are not both shared, or in the checkpoint).
   */
  public static Loaded buildAllocator(Loaded l) {
    Superblock sb = l.sb();
    Allocator a = new Allocator(sb.dataStart(), sb.dataBlocks());
    ShareCounts shares = l.meta().shares;
    String where = "";
    try {
      where = "checkpoint";
      for (Allocator.Run r : sb.checkpointRuns()) {
        a.markUsed(r.devBlock(), r.blockCount());
      }
      for (Inode i : l.meta().inodes.values()) {
        if (i.extents == null) {
          continue;
        }
        where = "inode " + i.ino;
        for (Extent e : i.extents.extents()) {
          if (e.devBlock() < sb.dataStart() || e.devEnd() > sb.dataStart() + sb.dataBlocks()) {
            throw FsException.of(Errno.EUCLEAN, "metadata damaged: inode " + i.ino
                + " has an extent outside the data area; run sealfs fsck");
          }
          if (e.state() == ExtentState.SHARED) {
            shares.add(e.devBlock(), e.blockCount());
          } else {
            a.markUsed(e.devBlock(), e.blockCount());
          }
        }
      }
      where = "a shared extent";
      for (long[] r : shares.runs()) {
        a.markUsed(r[0], r[1]);
      }
    } catch (IllegalStateException e) {
      throw FsException.of(Errno.EUCLEAN, "metadata damaged: " + where
          + " uses a block that is already in use (" + e.getMessage() + "); run sealfs fsck");
    }
    return l.withAlloc(a);
  }
}
