package dev.sealfs.core;

/** One FUSE file handle: the open file description a seal holder is (SPEC §3). */
final class OpenFile {
  /** O_ACCMODE. */
  static final int O_ACCMODE = 3;
  /** O_RDONLY. */
  static final int O_RDONLY = 0;
  /** O_APPEND. */
  static final int O_APPEND = 02000;
  /** O_TRUNC. */
  static final int O_TRUNC = 01000;
  /** O_EXCL. */
  static final int O_EXCL = 0200;

  /** The handle number given to the kernel. */
  final long fh;
  /** The inode it opens. */
  final Inode inode;
  /** The open(2) flags. */
  final int flags;
  /** Who opened it. */
  final Caller opener;
  /** The seal mode, if this handle is a holder. */
  SealMode sealMode;
  /** The pid that sealed (at seal time). */
  int sealPid;
  /** The uid that sealed. */
  int sealUid;
  /** When the seal was taken, ms since the epoch. */
  long sealSinceMs;

  /** Creates a handle. */
  OpenFile(long fh, Inode inode, int flags, Caller opener) {
    this.fh = fh;
    this.inode = inode;
    this.flags = flags;
    this.opener = opener;
  }

  /** Returns true if the handle was opened for writing. */
  boolean writable() {
    return (flags & O_ACCMODE) != O_RDONLY;
  }
}
