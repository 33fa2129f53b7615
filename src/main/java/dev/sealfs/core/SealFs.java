package dev.sealfs.core;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * The sealfs core: one mounted filesystem over one device, with every POSIX operation the FUSE
 * adapter needs, addressed by path (as libfuse's high-level API delivers them) or by file handle.
 *
 * <p>Knows nothing of FUSE. Every method throws {@link FsException} with the errno to return.
 * Thread-safe: every public method takes the filesystem lock.
 */
public final class SealFs implements AutoCloseable {

  /** {@code utimens} value: set this time to now. */
  public static final long UTIME_NOW = (1L << 30) - 1;
  /** {@code utimens} value: leave this time unchanged. */
  public static final long UTIME_OMIT = (1L << 30) - 2;

  /** Opens (mounts) the filesystem on {@code device}, replaying its journal. */
  public static SealFs open(Path device, boolean readOnly) {
    throw new UnsupportedOperationException("todo");
  }

  /** Returns the absolute path of the device. */
  public Path devicePath() {
    throw new UnsupportedOperationException("todo");
  }

  /** Returns the block size in bytes. */
  public int blockSize() {
    throw new UnsupportedOperationException("todo");
  }

  /** Returns the attributes of the inode at {@code path}. */
  public Stat getattr(String path) {
    throw new UnsupportedOperationException("todo");
  }

  /** Returns the attributes of the inode open as {@code fh}. */
  public Stat fgetattr(long fh) {
    throw new UnsupportedOperationException("todo");
  }

  /** Returns the target of the symlink at {@code path}. */
  public String readlink(String path) {
    throw new UnsupportedOperationException("todo");
  }

  /** Creates a regular file, fifo, socket or device node. */
  public void mknod(String path, int mode, long rdev, Caller caller) {
    throw new UnsupportedOperationException("todo");
  }

  /** Creates a directory. */
  public void mkdir(String path, int mode, Caller caller) {
    throw new UnsupportedOperationException("todo");
  }

  /** Removes a non-directory name. */
  public void unlink(String path) {
    throw new UnsupportedOperationException("todo");
  }

  /** Removes an empty directory. */
  public void rmdir(String path) {
    throw new UnsupportedOperationException("todo");
  }

  /** Creates a symlink at {@code linkPath} pointing to {@code target}. */
  public void symlink(String target, String linkPath, Caller caller) {
    throw new UnsupportedOperationException("todo");
  }

  /** Renames {@code from} to {@code to}, replacing {@code to} under POSIX rules. */
  public void rename(String from, String to) {
    throw new UnsupportedOperationException("todo");
  }

  /** Creates a hard link {@code to} of the existing {@code from}. */
  public void link(String from, String to) {
    throw new UnsupportedOperationException("todo");
  }

  /** Changes permission bits (and setuid/setgid/sticky). */
  public void chmod(String path, int mode) {
    throw new UnsupportedOperationException("todo");
  }

  /** Changes owner and/or group; -1 leaves one unchanged. */
  public void chown(String path, int uid, int gid) {
    throw new UnsupportedOperationException("todo");
  }

  /** Sets the size of the file at {@code path}. */
  public void truncate(String path, long size) {
    throw new UnsupportedOperationException("todo");
  }

  /** Sets the size of the file open as {@code fh}. */
  public void ftruncate(long fh, long size) {
    throw new UnsupportedOperationException("todo");
  }

  /** Sets access and modification times (nanoseconds, or UTIME_NOW / UTIME_OMIT). */
  public void utimens(String path, long atimeNs, long mtimeNs) {
    throw new UnsupportedOperationException("todo");
  }

  /** Opens an existing file with open(2) {@code flags}; returns the new file handle. */
  public long open(String path, int flags, Caller caller) {
    throw new UnsupportedOperationException("todo");
  }

  /** Creates (or opens, if it exists) and opens a regular file; returns the new file handle. */
  public long create(String path, int mode, int flags, Caller caller) {
    throw new UnsupportedOperationException("todo");
  }

  /** Reads into {@code dst} (position to limit) from byte {@code offset}; returns bytes read. */
  public int read(long fh, ByteBuffer dst, long offset) {
    throw new UnsupportedOperationException("todo");
  }

  /** Writes {@code src} (position to limit) at byte {@code offset}; returns bytes written. */
  public int write(long fh, ByteBuffer src, long offset) {
    throw new UnsupportedOperationException("todo");
  }

  /** Drops file handle {@code fh} (and its seal, if it holds one). */
  public void release(long fh) {
    throw new UnsupportedOperationException("todo");
  }

  /** Makes the file's data (and, unless {@code dataOnly}, metadata) durable. */
  public void fsync(long fh, boolean dataOnly) {
    throw new UnsupportedOperationException("todo");
  }

  /** Makes the directory's entries durable. */
  public void fsyncdir(String path) {
    throw new UnsupportedOperationException("todo");
  }

  /** fallocate(2) with Linux {@code mode} bits. */
  public void fallocate(long fh, int mode, long offset, long length) {
    throw new UnsupportedOperationException("todo");
  }

  /** Returns filesystem counters. */
  public StatFs statfs() {
    throw new UnsupportedOperationException("todo");
  }

  /** Lists a directory, including "." and "..". */
  public List<DirEntry> readdir(String path) {
    throw new UnsupportedOperationException("todo");
  }

  /** Sets an extended attribute; {@code flags} are XATTR_CREATE=1 / XATTR_REPLACE=2. */
  public void setxattr(String path, String name, byte[] value, int flags) {
    throw new UnsupportedOperationException("todo");
  }

  /** Returns an extended attribute's value (including sealfs' virtual ones). */
  public byte[] getxattr(String path, String name) {
    throw new UnsupportedOperationException("todo");
  }

  /** Lists extended attribute names (virtual ones are not listed). */
  public List<String> listxattr(String path) {
    throw new UnsupportedOperationException("todo");
  }

  /** Removes an extended attribute. */
  public void removexattr(String path, String name) {
    throw new UnsupportedOperationException("todo");
  }

  /** SEALFS_IOC_SEAL: makes {@code fh} a holder with the given flags (SPEC 4.1). */
  public SealResult seal(long fh, long flags, long offset, long length, long[] reserved,
      Caller caller) {
    throw new UnsupportedOperationException("todo");
  }

  /** SEALFS_IOC_UNSEAL: drops {@code fh}'s hold, if it has one. */
  public void unseal(long fh) {
    throw new UnsupportedOperationException("todo");
  }

  /** SEALFS_IOC_STATUS for handle {@code fh}. */
  public SealStatus sealStatus(long fh) {
    throw new UnsupportedOperationException("todo");
  }

  /** SEALFS_IOC_LAYOUT: one page of extents starting at logical byte {@code start}. */
  public LayoutPage layout(long fh, long start) {
    throw new UnsupportedOperationException("todo");
  }

  /** Commits, checkpoints and closes the device (unmount). */
  @Override
  public void close() {
    throw new UnsupportedOperationException("todo");
  }
}
