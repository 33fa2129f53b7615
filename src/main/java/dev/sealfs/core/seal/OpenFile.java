package dev.sealfs.core.seal;

import dev.sealfs.core.Caller;
import dev.sealfs.core.inode.Inode;

/** One FUSE file handle: the open file description a seal holder is (SPEC §3). */
public final class OpenFile {
  /** O_ACCMODE. */
  public static final int O_ACCMODE = 3;
  /** O_RDONLY. */
  public static final int O_RDONLY = 0;
  /** O_APPEND. */
  public static final int O_APPEND = 02000;
  /** O_TRUNC. */
  public static final int O_TRUNC = 01000;
  /** O_EXCL. */
  public static final int O_EXCL = 0200;

  /** The handle number given to the kernel. */
  public final long fh;
  /** The inode it opens. */
  public final Inode inode;
  /** The open(2) flags. */
  public final int flags;
  /** Who opened it. */
  public final Caller opener;
  /** The seal mode, if this handle is a holder. */
  public SealMode sealMode;
  /** The pid that sealed (at seal time). */
  public int sealPid;
  /** The uid that sealed. */
  public int sealUid;
  /** When the seal was taken, ms since the epoch. */
  public long sealSinceMs;
  /** The sealed bytes (SPEC 9), if this handle is a holder. */
  public SealRange sealRange = SealRange.WHOLE;
  /** Whether the seal is breakable (SPEC 10). */
  public boolean sealBreakable;
  /** Bytes charged to {@link #sealUid} under seal_limit for this seal (SPEC 12). */
  public long sealChargedBytes;
  /** Whether a break of this holder's seal is under way (SPEC 10). */
  public volatile boolean breaking;
  /** Whether this handle's seal was revoked and the revocation not yet acknowledged. */
  public volatile boolean revoked;

  /** Creates a handle. */
  public OpenFile(long fh, Inode inode, int flags, Caller opener) {
    this.fh = fh;
    this.inode = inode;
    this.flags = flags;
    this.opener = opener;
  }

  /** Returns true if the handle was opened for writing. */
  public boolean writable() {
    return (flags & O_ACCMODE) != O_RDONLY;
  }
}
