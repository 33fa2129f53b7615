package dev.sealfs.fuse.kernel;

import dev.sealfs.core.Caller;
import dev.sealfs.core.DirEntry;
import dev.sealfs.core.SealFs;
import dev.sealfs.core.Stat;
import dev.sealfs.core.StatFs;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Supplier;

/**
 * The filesystem as the kernel protocol addresses it: by node id (the kernel's inode handle,
 * counted by lookups and FORGETs) and by file handle. Every method throws
 * {@link dev.sealfs.core.FsException} for an errno answer. The root directory is node 1.
 */
interface NodeFs {

  /** The root directory's node id (FUSE_ROOT_ID). */
  long ROOT = 1;
  /** lseek whence SEEK_DATA. */
  int SEEK_DATA = 3;
  /** lseek whence SEEK_HOLE. */
  int SEEK_HOLE = 4;

  /** A name resolved to a node: the node id the kernel will use and the inode's attributes. */
  record Entry(long nodeId, Stat stat) {}

  /** A file created and opened: its entry and the new file handle. */
  record Created(Entry entry, long fh) {}

  /** The fields of one SETATTR, valid or not ({@code valid} holds FATTR_* bits). */
  record SetAttrIn(int valid, long fh, long size, long atimeNs, long mtimeNs, int mode, int uid,
      int gid) {}

  /** The core behind this view (for the seal ioctls, which are addressed by file handle). */
  SealFs core();

  /** Looks {@code name} up in directory {@code parent}; counts one lookup of the result. */
  Entry lookup(long parent, String name);

  /** Drops {@code count} lookups of {@code nodeId} (FORGET); never throws. */
  void forget(long nodeId, long count);

  /** Returns the attributes of {@code nodeId}, through {@code fh} if it is not -1. */
  Stat getattr(long nodeId, long fh);

  /** Applies a SETATTR and returns the new attributes. */
  Stat setattr(long nodeId, SetAttrIn a, Caller caller);

  /** Returns a symlink's target. */
  String readlink(long nodeId);

  /** Creates a file, fifo, socket or device node; counts one lookup. */
  Entry mknod(long parent, String name, int mode, long rdev, Caller caller);

  /** Creates a directory; counts one lookup. */
  Entry mkdir(long parent, String name, int mode, Caller caller);

  /** Creates a symlink; counts one lookup. */
  Entry symlink(long parent, String name, String target, Caller caller);

  /** Creates a hard link to {@code nodeId}; counts one lookup. */
  Entry link(long nodeId, long newParent, String newName);

  /** Removes a non-directory name. */
  void unlink(long parent, String name);

  /** Removes an empty directory. */
  void rmdir(long parent, String name);

  /** Renames; {@code flags} are renameat2 flags (only 0 is supported). */
  void rename(long parent, String name, long newParent, String newName, int flags);

  /** Opens {@code nodeId} with open(2) flags; returns the file handle. */
  long open(long nodeId, int flags, Caller caller);

  /** Creates (or opens) and opens a regular file; counts one lookup. */
  Created create(long parent, String name, int mode, int flags, Caller caller);

  /** Reads into {@code dst} (position to limit) from byte {@code offset}; returns the count. */
  int read(long fh, ByteBuffer dst, long offset);

  /** Writes {@code src} (position to limit) at byte {@code offset}; returns the count. */
  int write(long fh, ByteBuffer src, long offset, Supplier<Caller> caller);

  /** Drops a file handle. */
  void release(long fh);

  /** fsync(2) of a file handle. */
  void fsync(long fh, boolean dataOnly);

  /** fallocate(2) through a file handle. */
  void fallocate(long fh, int mode, long offset, long length, Caller caller);

  /**
   * lseek(2) with SEEK_DATA (3) or SEEK_HOLE (4): the next data or hole byte at or after
   * {@code offset}, unwritten extents counting as holes; -1 for ENXIO (at or past the end, or
   * no data after {@code offset}).
   */
  long seekDataHole(long fh, long offset, int whence);

  /**
   * copy_file_range(2) inside the filesystem: ETXTBSY with nothing copied if the destination is
   * sealed, else shares whole blocks and copies the rest (SPEC 11); returns the bytes copied.
   */
  long copyRange(long fhIn, long offIn, long fhOut, long offOut, long length,
      Supplier<Caller> caller);

  /** Opens a directory for listing; returns its handle. */
  long opendir(long nodeId);

  /** Returns the listing of an open directory, "." and ".." first; re-read at offset 0. */
  List<DirEntry> readdir(long nodeId, long dirHandle, boolean reload);

  /** Drops a directory handle. */
  void releasedir(long dirHandle);

  /** fsync(2) of a directory. */
  void fsyncdir(long nodeId);

  /** Sets an extended attribute (XATTR_CREATE=1 / XATTR_REPLACE=2). */
  void setxattr(long nodeId, String name, byte[] value, int flags);

  /** Returns an extended attribute's value. */
  byte[] getxattr(long nodeId, String name);

  /** Lists extended attribute names. */
  List<String> listxattr(long nodeId);

  /** Removes an extended attribute. */
  void removexattr(long nodeId, String name);

  /** Returns filesystem counters. */
  StatFs statfs();
}
