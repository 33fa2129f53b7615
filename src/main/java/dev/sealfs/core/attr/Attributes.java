package dev.sealfs.core.attr;

import dev.sealfs.core.Limits;
import dev.sealfs.core.SetAttr;
import dev.sealfs.core.Stat;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import java.util.function.LongConsumer;

/**
 * Inode attributes: stat, and the changes of mode, owner and times (size changes are file data,
 * {@code dev.sealfs.core.data.FileData}). A chown of a file drops setuid, and setgid if
 * group-executable, as ext4 does, also for root.
 *
 * <p>Locks: the caller holds the inode's lock (shared for {@link #stat}).
 */
public final class Attributes {
  /** The metadata state machine. */
  private final Metadata meta;
  /** Writability. */
  private final Durability dur;
  /** Block size in bytes. */
  private final int bs;

  /** Creates the attribute unit. */
  public Attributes(Metadata meta, Durability dur, int blockSize) {
    this.meta = meta;
    this.dur = dur;
    this.bs = blockSize;
  }

  /** Returns {@code i}'s attributes as stat(2) reports them. */
  public Stat stat(Inode i) {
    long blocks = i.extents == null ? 0 : i.extents.mappedBlocks() * (bs / 512);
    long size = i.isDir() ? bs : i.size;
    return new Stat(i.ino, i.mode, i.nlink, i.uid, i.gid, i.rdev, size, blocks, bs, i.atimeNs,
        i.mtimeNs, i.ctimeNs);
  }

  /** Changes permission bits (and setuid/setgid/sticky). */
  public void chmod(Inode i, int mode) {
    dur.checkWritable();
    i.mode = (i.mode & Inode.S_IFMT) | (mode & 07777);
    i.ctimeNs = Limits.nowNs();
    meta.markDirty(i);
  }

  /** Changes owner and/or group; -1 leaves one unchanged. */
  public void chown(Inode i, int uid, int gid) {
    dur.checkWritable();
    if (uid != -1) {
      i.uid = uid;
    }
    if (gid != -1) {
      i.gid = gid;
    }
    if (uid != -1 || gid != -1) {
      i.killPrivileges(false);
    }
    i.ctimeNs = Limits.nowNs();
    meta.markDirty(i);
  }

  /** Sets access and modification times (nanoseconds, or UTIME_NOW / UTIME_OMIT). */
  public void utimens(Inode i, long atimeNs, long mtimeNs) {
    dur.checkWritable();
    long t = Limits.nowNs();
    if (atimeNs != Limits.UTIME_OMIT) {
      i.atimeNs = atimeNs == Limits.UTIME_NOW ? t : atimeNs;
    }
    if (mtimeNs != Limits.UTIME_OMIT) {
      i.mtimeNs = mtimeNs == Limits.UTIME_NOW ? t : mtimeNs;
    }
    i.ctimeNs = t;
    meta.markDirty(i);
  }

  /**
   * FUSE SETATTR: applies {@code a}'s changes in the order size (through {@code truncate}, a
   * file data change), owner, mode, times, each as its single-attribute call would, and
   * returns the new attributes.
   */
  public Stat setattr(Inode i, SetAttr a, LongConsumer truncate) {
    if (a.size() >= 0) {
      truncate.accept(a.size());
    }
    if (a.uid() != -1 || a.gid() != -1) {
      chown(i, a.uid(), a.gid());
    }
    if (a.mode() != -1) {
      chmod(i, a.mode());
    }
    if (a.atimeNs() != Limits.UTIME_OMIT || a.mtimeNs() != Limits.UTIME_OMIT) {
      utimens(i, a.atimeNs(), a.mtimeNs());
    }
    return stat(i);
  }
}
