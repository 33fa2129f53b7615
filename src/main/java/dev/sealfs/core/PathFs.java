package dev.sealfs.core;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * The path-addressed view of a {@link SealFs}: resolves each path to inode numbers, one name
 * at a time from the root, then makes the inode-addressed call. Used by the jnr-fuse adapter
 * (libfuse's high-level API delivers paths) and by tests.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>A path operation is two steps: resolve ({@link SealFs#find}, no lookup reference taken),
 * then the call on the inode numbers. Between them another thread may change the tree; the call
 * then sees a stale inode number and answers ENOENT (inode numbers are never reused), exactly
 * what the operation would have answered a moment later. Calls that create a name take a lookup
 * reference (the FUSE contract); this resolver drops it at once with {@link SealFs#forget}, so
 * over paths an inode lives exactly while it has a name, an open handle or a seal holder.
 *
 * <p>An {@link Aliases} hook lets the caller give extra names to inodes (the jnr-fuse adapter's
 * {@code .fuse_hidden} names of unlinked-but-open files); the core knows nothing of them.
 *
 * <p>Thread-safe: holds no state of its own beyond the final references.
 */
public final class PathFs implements AutoCloseable {

  /** Extra names for inodes, looked at before a path is resolved in the tree. */
  @FunctionalInterface
  public interface Aliases {
    /** Returns the inode number {@code path} is an alias of, or 0 if it is none. */
    long resolve(String path);
  }

  /** The inode-addressed filesystem. */
  private final SealFs fs;
  /** The alias hook (never null). */
  private final Aliases aliases;

  /** Creates the path view of {@code fs}, without aliases. */
  public PathFs(SealFs fs) {
    this(fs, path -> 0);
  }

  /** Creates the path view of {@code fs}, resolving {@code aliases} first. */
  public PathFs(SealFs fs, Aliases aliases) {
    this.fs = fs;
    this.aliases = aliases;
  }

  /** Opens (mounts) the filesystem on {@code devicePath} and returns its path view. */
  public static PathFs open(Path devicePath, boolean readOnly) {
    return new PathFs(SealFs.open(devicePath, readOnly));
  }

  /** Returns the inode-addressed filesystem under this view. */
  public SealFs core() {
    return fs;
  }

  // ------------------------------------------------------------------------------------------
  // Resolution
  // ------------------------------------------------------------------------------------------

  /**
   * A directory's inode number and a name in it.
   *
   * @param dirIno the directory
   * @param name the last path component
   */
  public record Parent(long dirIno, String name) {}

  /** Returns the inode number {@code path} names; ENOENT, ENOTDIR, ENAMETOOLONG as POSIX. */
  public long resolve(String path) {
    if (path == null) {
      throw FsException.of(Errno.ENOENT, "no path");
    }
    long alias = aliases.resolve(path);
    if (alias != 0) {
      return alias;
    }
    long cur = SealFs.ROOT_INO;
    int n = path.length();
    int i = 0;
    while (i < n) {
      while (i < n && path.charAt(i) == '/') {
        i++;
      }
      if (i >= n) {
        break;
      }
      int j = path.indexOf('/', i);
      if (j < 0) {
        j = n;
      }
      long next = fs.find(cur, path.substring(i, j));
      if (next == 0) {
        throw FsException.of(Errno.ENOENT, path + ": no such file or directory");
      }
      cur = next;
      i = j;
    }
    return cur;
  }

  /** Splits {@code path} into its resolved parent directory and last name. */
  public Parent parentOf(String path) {
    if (path == null) {
      throw FsException.of(Errno.ENOENT, "no path");
    }
    String p = path;
    while (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    int slash = p.lastIndexOf('/');
    String name = p.substring(slash + 1);
    dev.sealfs.core.ns.Namespace.checkName(name);
    long dir = resolve(slash <= 0 ? "/" : p.substring(0, slash));
    return new Parent(dir, name);
  }

  /** Drops the lookup reference a creating call took, returning its inode number. */
  private long unref(Stat st) {
    fs.forget(st.ino(), 1);
    return st.ino();
  }

  // ------------------------------------------------------------------------------------------
  // Attributes
  // ------------------------------------------------------------------------------------------

  /** Returns the attributes of the inode at {@code path}. */
  public Stat getattr(String path) {
    return fs.getattr(resolve(path));
  }

  /** Returns the attributes of the inode open as {@code fh}. */
  public Stat fgetattr(long fh) {
    return fs.fgetattr(fh);
  }

  /** Returns the target of the symlink at {@code path}. */
  public String readlink(String path) {
    return fs.readlink(resolve(path));
  }

  /** Changes permission bits. */
  public void chmod(String path, int mode) {
    fs.chmod(resolve(path), mode);
  }

  /** Changes owner and/or group; -1 leaves one unchanged. */
  public void chown(String path, int uid, int gid) {
    fs.chown(resolve(path), uid, gid);
  }

  /** Sets access and modification times (nanoseconds, or UTIME_NOW / UTIME_OMIT). */
  public void utimens(String path, long atimeNs, long mtimeNs) {
    fs.utimens(resolve(path), atimeNs, mtimeNs);
  }

  /** Sets the size of the file at {@code path}, as root. */
  public void truncate(String path, long size) {
    truncate(path, size, Caller.ROOT);
  }

  /** Sets the size of the file at {@code path}; a non-root caller drops setuid/setgid. */
  public void truncate(String path, long size, Caller caller) {
    fs.truncate(resolve(path), size, caller);
  }

  /** Sets the size of the file open as {@code fh}, as root. */
  public void ftruncate(long fh, long size) {
    fs.ftruncate(fh, size);
  }

  /** Sets the size of the file open as {@code fh}; a non-root caller drops setuid/setgid. */
  public void ftruncate(long fh, long size, Caller caller) {
    fs.ftruncate(fh, size, caller);
  }

  /** Returns filesystem counters. */
  public StatFs statfs() {
    return fs.statfs();
  }

  // ------------------------------------------------------------------------------------------
  // Namespace
  // ------------------------------------------------------------------------------------------

  /** Creates a regular file, fifo, socket or device node. */
  public void mknod(String path, int mode, long rdev, Caller caller) {
    Parent p = parentOf(path);
    unref(fs.mknod(p.dirIno(), p.name(), mode, rdev, caller));
  }

  /** Creates a directory. */
  public void mkdir(String path, int mode, Caller caller) {
    Parent p = parentOf(path);
    unref(fs.mkdir(p.dirIno(), p.name(), mode, caller));
  }

  /** Creates a symlink at {@code linkPath} pointing to {@code target}. */
  public void symlink(String target, String linkPath, Caller caller) {
    Parent p = parentOf(linkPath);
    unref(fs.symlink(target, p.dirIno(), p.name(), caller));
  }

  /** Removes a non-directory name. */
  public void unlink(String path) {
    Parent p = parentOf(path);
    fs.unlink(p.dirIno(), p.name());
  }

  /** Removes an empty directory. */
  public void rmdir(String path) {
    Parent p = parentOf(path);
    fs.rmdir(p.dirIno(), p.name());
  }

  /** Renames {@code from} to {@code to}, replacing {@code to} under POSIX rules. */
  public void rename(String from, String to) {
    Parent src = parentOf(from);
    Parent dst = parentOf(to);
    fs.rename(src.dirIno(), src.name(), dst.dirIno(), dst.name());
  }

  /** Creates a hard link {@code to} of the existing {@code from}. */
  public void link(String from, String to) {
    long ino = resolve(from);
    Parent p = parentOf(to);
    unref(fs.link(ino, p.dirIno(), p.name()));
  }

  /** Lists a directory, including "." and "..". */
  public List<DirEntry> readdir(String path) {
    return fs.readdir(resolve(path));
  }

  /** Makes the directory's entries durable. */
  public void fsyncdir(String path) {
    fs.fsyncdir(resolve(path));
  }

  // ------------------------------------------------------------------------------------------
  // Open files and data
  // ------------------------------------------------------------------------------------------

  /** Opens an existing file with open(2) {@code flags}; returns the new file handle. */
  public long open(String path, int flags, Caller caller) {
    return fs.open(resolve(path), flags, caller);
  }

  /** Creates (or opens, if it exists) and opens a regular file; returns the new file handle. */
  public long create(String path, int mode, int flags, Caller caller) {
    Parent p = parentOf(path);
    Created c = fs.create(p.dirIno(), p.name(), mode, flags, caller);
    unref(c.attr());
    return c.fh();
  }

  /** Reads into {@code dst} (position to limit) from byte {@code offset}; returns bytes read. */
  public int read(long fh, ByteBuffer dst, long offset) {
    return fs.read(fh, dst, offset);
  }

  /** Writes {@code src} at byte {@code offset} as root; returns bytes written. */
  public int write(long fh, ByteBuffer src, long offset) {
    return fs.write(fh, src, offset);
  }

  /** Writes {@code src} at byte {@code offset}; the caller is asked for only if needed. */
  public int write(long fh, ByteBuffer src, long offset, Supplier<Caller> caller) {
    return fs.write(fh, src, offset, caller);
  }

  /** Drops file handle {@code fh} (and its seal, if it holds one). */
  public void release(long fh) {
    fs.release(fh);
  }

  /** Makes the file's data (and, unless {@code dataOnly}, metadata) durable. */
  public void fsync(long fh, boolean dataOnly) {
    fs.fsync(fh, dataOnly);
  }

  /** fallocate(2) with Linux {@code mode} bits, as root. */
  public void fallocate(long fh, int mode, long offset, long length) {
    fs.fallocate(fh, mode, offset, length);
  }

  /** fallocate(2) with Linux {@code mode} bits; a non-root caller drops setuid/setgid. */
  public void fallocate(long fh, int mode, long offset, long length, Caller caller) {
    fs.fallocate(fh, mode, offset, length, caller);
  }

  // ------------------------------------------------------------------------------------------
  // Extended attributes
  // ------------------------------------------------------------------------------------------

  /** Sets an extended attribute; {@code flags} are XATTR_CREATE=1 / XATTR_REPLACE=2. */
  public void setxattr(String path, String name, byte[] value, int flags) {
    fs.setxattr(resolve(path), name, value, flags);
  }

  /** Returns an extended attribute's value (including sealfs' virtual ones). */
  public byte[] getxattr(String path, String name) {
    return fs.getxattr(resolve(path), name);
  }

  /** Lists extended attribute names (virtual ones are not listed). */
  public List<String> listxattr(String path) {
    return fs.listxattr(resolve(path));
  }

  /** Removes an extended attribute. */
  public void removexattr(String path, String name) {
    fs.removexattr(resolve(path), name);
  }

  // ------------------------------------------------------------------------------------------
  // Seals
  // ------------------------------------------------------------------------------------------

  /** SEALFS_IOC_SEAL on handle {@code fh}. */
  public SealResult seal(long fh, long flags, long offset, long length, long[] reserved,
      Caller caller) {
    return fs.seal(fh, flags, offset, length, reserved, caller);
  }

  /** SEALFS_IOC_UNSEAL on handle {@code fh}. */
  public void unseal(long fh) {
    fs.unseal(fh);
  }

  /** SEALFS_IOC_STATUS on handle {@code fh}. */
  public SealStatus sealStatus(long fh) {
    return fs.sealStatus(fh);
  }

  /** SEALFS_IOC_LAYOUT on handle {@code fh} from logical byte {@code start}. */
  public LayoutPage layout(long fh, long start) {
    return fs.layout(fh, start);
  }

  // ------------------------------------------------------------------------------------------
  // Whole filesystem
  // ------------------------------------------------------------------------------------------

  /** Returns the absolute path of the device. */
  public Path devicePath() {
    return fs.devicePath();
  }

  /** Returns the block size in bytes. */
  public int blockSize() {
    return fs.blockSize();
  }

  /** Returns how many operations were refused with ETXTBSY since mount. */
  public long refusedCount() {
    return fs.refusedCount();
  }

  /** Commits everything durably now. */
  public void syncAll() {
    fs.syncAll();
  }

  /** Simulates a daemon crash (tests). */
  void crashForTest() {
    fs.crashForTest();
  }

  /** Commits, checkpoints and closes the filesystem (unmount). */
  @Override
  public void close() {
    fs.close();
  }
}
