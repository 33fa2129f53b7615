package dev.sealfs.fuse;

import com.kenai.jffi.MemoryIO;
import dev.sealfs.core.Caller;
import dev.sealfs.core.DirEntry;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.PathFs;
import dev.sealfs.core.SealFs;
import dev.sealfs.core.Stat;
import dev.sealfs.core.StatFs;
import dev.sealfs.metrics.FsMetrics;
import dev.sealfs.metrics.OpMetrics;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Supplier;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.FuseOperations;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The jnr-fuse adapter: one thin handler per libfuse 2.9 high-level operation, each translating
 * native arguments to a {@link SealFs} call and a {@link FsException} to {@code -errno}.
 *
 * <p>Not implemented on purpose (left {@code @NotImplemented} so the kernel handles them
 * locally): flush, access, lock, flock, bmap. Read and write hand the core a direct
 * {@link ByteBuffer} over libfuse's own buffer (no copies). The constructor sets
 * {@code flag_nullpath_ok} and {@code flag_utime_omit_ok} in the native operations struct, so
 * operations on unlinked-but-open files arrive with a null path and their file handle, and
 * {@code utimens} receives UTIME_NOW / UTIME_OMIT.
 *
 * <p>Paths are resolved to inode numbers by {@link PathFs}; the core is addressed by inode.
 *
 * <p>Unlinked-but-open files: the mount does not use {@code hard_remove}, so libfuse renames such
 * a file to {@code .fuse_hiddenNNN} instead of unlinking it, and unlinks that name at release.
 * {@link HiddenNames} treats that rename as the unlink it stands for (the name disappears from
 * the directory, the link count drops, the inode becomes an orphan) and keeps the hidden name
 * only as a private alias, so {@code fstat} on the open file works (the kernel sends it without
 * a file handle, by path) while the directory never shows the hidden name.
 *
 * <p>Names are bytes: every string from libfuse passes {@link NativeStrings#in} and names going
 * out (readdir, readlink, listxattr) are encoded with {@link SealFs#NAME_CHARSET}.
 */
public final class SealFuse extends FuseStubFS {

  private static final Logger LOG = LoggerFactory.getLogger(SealFuse.class);

  /** Bit of the fuse_operations flag word: ops with a file handle accept a null path. */
  static final int FLAG_NULLPATH_OK = 1;
  /** Bit of the fuse_operations flag word: utimens understands UTIME_NOW / UTIME_OMIT. */
  static final int FLAG_UTIME_OMIT_OK = 1 << 2;
  /** fuse_file_info ioctl flag: the ioctl was made on a directory. */
  private static final long FUSE_IOCTL_DIR = 1L << 4;
  /** fuse_conn_info capability: libfuse passes ioctls on directories instead of ENOTTY. */
  static final int FUSE_CAP_IOCTL_DIR = 1 << 11;
  /** Byte offset of {@code capable} in libfuse 2.9's struct fuse_conn_info. */
  static final long CONN_CAPABLE = 20;
  /** Byte offset of {@code want} in libfuse 2.9's struct fuse_conn_info. */
  static final long CONN_WANT = 24;
  /** Byte offset of {@code writepage} in libfuse 2.9's struct fuse_file_info (jnr-fuse omits it). */
  static final long FI_WRITEPAGE = 16;
  /** Kernel timespec nanoseconds value meaning "now". */
  private static final long KERNEL_UTIME_NOW = (1L << 30) - 1;
  /** Kernel timespec nanoseconds value meaning "leave unchanged". */
  private static final long KERNEL_UTIME_OMIT = (1L << 30) - 2;
  /** uid_t/gid_t (unsigned 32 bit) value meaning "leave unchanged". */
  private static final long ID_UNCHANGED = 0xFFFFFFFFL;

  /** The path view of the filesystem all calls go to (it knows the hidden names). */
  private final PathFs fs;
  /** libfuse's {@code .fuse_hidden} names of unlinked-but-open files. */
  private final HiddenNames hidden;
  /** The current request's caller, read from libfuse's context only when the core asks. */
  private final Supplier<Caller> contextCaller = this::caller;
  /** Offers the kernel FUSE_HANDLE_KILLPRIV_V2 in the INIT reply (see {@link KillPrivV2}). */
  private final KillPrivV2 killPrivV2;
  /** The mount's metrics (the stats xattr), or null. */
  private FsMetrics metrics;
  /** Per-op metric handles by {@link Op} ordinal; all null when metrics are not recorded. */
  private final OpMetrics[] opMetrics = new OpMetrics[Op.values().length];

  /** The operations whose requests are counted and timed (the data path and its neighbours). */
  enum Op {
    GETATTR, FGETATTR, TRUNCATE, FTRUNCATE, OPEN, CREATE,
    READ, WRITE, RELEASE, FSYNC, FALLOCATE, GETXATTR
  }

  /** Returns System.nanoTime() if {@code op} is recorded, else 0 (no clock read when off). */
  private long started(Op op) {
    return opMetrics[op.ordinal()] == null ? 0 : System.nanoTime();
  }

  /**
   * Records a request of {@code op} that started at {@code startNs} and answered {@code res}
   * (bytes for read and write), if {@code op} is recorded; returns {@code res}. Callers pass
   * {@link #started} as the argument before the handler call, so it runs first.
   */
  private int done(Op op, long startNs, int res) {
    OpMetrics m = opMetrics[op.ordinal()];
    if (m != null) {
      m.done(startNs, res < 0);
      if (res > 0 && op == Op.READ) {
        metrics.read(res);
      } else if (res > 0 && op == Op.WRITE) {
        metrics.written(res);
      }
    }
    return res;
  }

  /** Records into {@code m} from now on (call before mounting); null keeps metrics off. */
  public void setMetrics(FsMetrics m) {
    metrics = m;
    for (Op op : Op.values()) {
      String label = op.name().toLowerCase(java.util.Locale.ROOT);
      opMetrics[op.ordinal()] = m == null ? null : m.op(label);
    }
  }

  /** Creates the adapter over {@code fs}; loads libfuse.so.2 (throws if it cannot). */
  public SealFuse(SealFs fs) {
    this(fs, true);
  }

  /**
   * Creates the adapter over {@code fs}; {@code killPrivV2} false keeps libfuse 2.9's INIT reply
   * as it is (the kernel then asks GETXATTR security.capability before every write).
   */
  public SealFuse(SealFs fs, boolean killPrivV2) {
    this.hidden = new HiddenNames(fs);
    this.fs = hidden.paths();
    this.killPrivV2 = killPrivV2 ? new KillPrivV2() : null;
    setOperationFlags(fuseOperations, FLAG_NULLPATH_OK | FLAG_UTIME_OMIT_OK);
    if (!NativeStrings.BYTE_STRINGS) {
      LOG.warn("the JVM's default charset is {}, not ISO-8859-1: names that are not valid {}"
          + " will not round-trip (run java with -Dfile.encoding=ISO-8859-1, as bin/sealfs"
          + " does)", NativeStrings.JNR_CHARSET, NativeStrings.JNR_CHARSET);
    }
  }

  /**
   * Sets the C bitfield word that follows {@code bmap} in struct fuse_operations. jnr-fuse models
   * each bitfield as a one-byte padding; bits 0 (nullpath_ok), 1 (nopath) and 2 (utime_omit_ok)
   * live in the first byte of that word on little-endian machines.
   */
  static void setOperationFlags(FuseOperations ops, int bits) {
    Pointer mem = Struct.getMemory(ops);
    long at = Offsets.of(ops.flag_nullpath_ok);
    mem.putByte(at, (byte) (mem.getByte(at) | bits));
  }

  /** Reads a struct member's offset (the accessor lives in a class only Struct subclasses see). */
  private static final class Offsets extends Struct {
    private Offsets() {
      super(jnr.ffi.Runtime.getSystemRuntime());
    }

    /** Returns the byte offset of {@code member} in its struct. */
    static long of(Struct.Padding member) {
      return member.offset();
    }
  }

  /** Runs libfuse's fuse_main_real with {@code args} (argv, argv[0] included); blocks. */
  int fuseMain(String[] args) {
    String[] argv = new String[args.length];
    for (int k = 0; k < args.length; k++) {
      argv[k] = NativeStrings.toNative(args[k]);
    }
    return libFuse.fuse_main_real(argv.length, argv, fuseOperations, Struct.size(fuseOperations),
        null);
  }

  /**
   * Runs in libfuse's INIT handling, before the reply is sent: asks for ioctls on directories
   * (so SEAL there gets the SPEC's EINVAL) and arms the one-shot rewrite of the reply that
   * offers FUSE_HANDLE_KILLPRIV_V2. Returns null (no private data).
   */
  @Override
  public Pointer init(Pointer conn) {
    try {
      wantIoctlDir(conn);
    } catch (Throwable t) {
      LOG.warn("sealfs: could not ask for ioctls on directories ({})", t.toString());
    }
    try {
      if (killPrivV2 != null) {
        killPrivV2.arm(getContext().fuse.get());
      }
    } catch (Throwable t) {
      LOG.warn("sealfs: could not offer FUSE_HANDLE_KILLPRIV_V2 ({}); the kernel will ask"
          + " GETXATTR before every write", t.toString());
    }
    return null;
  }

  /**
   * Sets FUSE_CAP_IOCTL_DIR in {@code conn}'s want word if the kernel is capable of it; without
   * it libfuse 2.9 answers every ioctl on a directory with ENOTTY before sealfs sees it.
   */
  static void wantIoctlDir(Pointer conn) {
    if (conn != null && (conn.getInt(CONN_CAPABLE) & FUSE_CAP_IOCTL_DIR) != 0) {
      conn.putInt(CONN_WANT, conn.getInt(CONN_WANT) | FUSE_CAP_IOCTL_DIR);
    }
  }

  /** Does nothing: {@link FuseMount} owns unmounting (jnr-fuse's lazy unmount is not used). */
  @Override
  public void umount() {}

  // ---------------------------------------------------------------------------------------------
  // attributes

  @Override
  public int getattr(String path, FileStat stat) {
    return done(Op.GETATTR, started(Op.GETATTR), getattrHandler(path, stat));
  }

  /** The getattr handler proper (the override above records its metrics). */
  private int getattrHandler(String path, FileStat stat) {
    try {
      fillStat(stat, fs.getattr(need(path)));
      return 0;
    } catch (FsException e) {
      return errno("getattr", path, e);
    } catch (Throwable t) {
      return internal("getattr", path, t);
    }
  }

  @Override
  public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
    return done(Op.FGETATTR, started(Op.FGETATTR), fgetattrHandler(path, stat, fi));
  }

  /** The fgetattr handler proper (the override above records its metrics). */
  private int fgetattrHandler(String path, FileStat stat, FuseFileInfo fi) {
    try {
      fillStat(stat, path == null ? fs.fgetattr(fi.fh.get())
          : fs.getattr(NativeStrings.in(path)));
      return 0;
    } catch (FsException e) {
      return errno("fgetattr", path, e);
    } catch (Throwable t) {
      return internal("fgetattr", path, t);
    }
  }

  @Override
  public int readlink(String path, Pointer buf, long size) {
    try {
      byte[] target = fs.readlink(need(path)).getBytes(SealFs.NAME_CHARSET);
      if (size <= 0) {
        return -Errno.EINVAL.code;
      }
      int n = (int) Math.min(target.length, size - 1);
      buf.put(0, target, 0, n);
      buf.putByte(n, (byte) 0);
      return 0;
    } catch (FsException e) {
      return errno("readlink", path, e);
    } catch (Throwable t) {
      return internal("readlink", path, t);
    }
  }

  @Override
  public int chmod(String path, long mode) {
    try {
      fs.chmod(need(path), (int) mode);
      return 0;
    } catch (FsException e) {
      return errno("chmod", path, e);
    } catch (Throwable t) {
      return internal("chmod", path, t);
    }
  }

  @Override
  public int chown(String path, long uid, long gid) {
    try {
      fs.chown(need(path), id(uid), id(gid));
      return 0;
    } catch (FsException e) {
      return errno("chown", path, e);
    } catch (Throwable t) {
      return internal("chown", path, t);
    }
  }

  @Override
  public int truncate(String path, long size) {
    return done(Op.TRUNCATE, started(Op.TRUNCATE), truncateHandler(path, size));
  }

  /** The truncate handler proper (the override above records its metrics). */
  private int truncateHandler(String path, long size) {
    try {
      fs.truncate(need(path), size, caller());
      return 0;
    } catch (FsException e) {
      return errno("truncate", path, e);
    } catch (Throwable t) {
      return internal("truncate", path, t);
    }
  }

  @Override
  public int ftruncate(String path, long size, FuseFileInfo fi) {
    return done(Op.FTRUNCATE, started(Op.FTRUNCATE), ftruncateHandler(path, size, fi));
  }

  /** The ftruncate handler proper (the override above records its metrics). */
  private int ftruncateHandler(String path, long size, FuseFileInfo fi) {
    try {
      fs.ftruncate(fi.fh.get(), size, caller());
      return 0;
    } catch (FsException e) {
      return errno("ftruncate", path, e);
    } catch (Throwable t) {
      return internal("ftruncate", path, t);
    }
  }

  @Override
  public int utimens(String path, Timespec[] timespec) {
    try {
      fs.utimens(need(path), timeNs(timespec[0]), timeNs(timespec[1]));
      return 0;
    } catch (FsException e) {
      return errno("utimens", path, e);
    } catch (Throwable t) {
      return internal("utimens", path, t);
    }
  }

  @Override
  public int statfs(String path, Statvfs st) {
    try {
      StatFs s = fs.statfs();
      st.f_bsize.set(s.blockSize());
      st.f_frsize.set(s.blockSize());
      st.f_blocks.set(s.totalBlocks());
      st.f_bfree.set(s.freeBlocks());
      st.f_bavail.set(s.freeBlocks());
      st.f_files.set(s.totalInodes());
      st.f_ffree.set(s.freeInodes());
      st.f_favail.set(s.freeInodes());
      st.f_namemax.set(s.nameMax());
      return 0;
    } catch (FsException e) {
      return errno("statfs", path, e);
    } catch (Throwable t) {
      return internal("statfs", path, t);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // namespace

  @Override
  public int mknod(String path, long mode, long rdev) {
    try {
      fs.mknod(need(path), (int) mode, rdev, caller());
      return 0;
    } catch (FsException e) {
      return errno("mknod", path, e);
    } catch (Throwable t) {
      return internal("mknod", path, t);
    }
  }

  @Override
  public int mkdir(String path, long mode) {
    try {
      fs.mkdir(need(path), (int) mode, caller());
      return 0;
    } catch (FsException e) {
      return errno("mkdir", path, e);
    } catch (Throwable t) {
      return internal("mkdir", path, t);
    }
  }

  @Override
  public int unlink(String path) {
    try {
      hidden.unlink(need(path));
      return 0;
    } catch (FsException e) {
      return errno("unlink", path, e);
    } catch (Throwable t) {
      return internal("unlink", path, t);
    }
  }

  @Override
  public int rmdir(String path) {
    try {
      fs.rmdir(need(path));
      return 0;
    } catch (FsException e) {
      return errno("rmdir", path, e);
    } catch (Throwable t) {
      return internal("rmdir", path, t);
    }
  }

  @Override
  public int symlink(String target, String linkPath) {
    try {
      fs.symlink(NativeStrings.in(target), need(linkPath), caller());
      return 0;
    } catch (FsException e) {
      return errno("symlink", linkPath, e);
    } catch (Throwable t) {
      return internal("symlink", linkPath, t);
    }
  }

  @Override
  public int rename(String from, String to) {
    try {
      hidden.rename(need(from), need(to));
      return 0;
    } catch (FsException e) {
      return errno("rename", from, e);
    } catch (Throwable t) {
      return internal("rename", from, t);
    }
  }

  @Override
  public int link(String from, String to) {
    try {
      fs.link(need(from), need(to));
      return 0;
    } catch (FsException e) {
      return errno("link", from, e);
    } catch (Throwable t) {
      return internal("link", from, t);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // files

  @Override
  public int open(String path, FuseFileInfo fi) {
    return done(Op.OPEN, started(Op.OPEN), openHandler(path, fi));
  }

  /** The open handler proper (the override above records its metrics). */
  private int openHandler(String path, FuseFileInfo fi) {
    try {
      fi.fh.set(fs.open(need(path), fi.flags.get(), caller()));
      return 0;
    } catch (FsException e) {
      return errno("open", path, e);
    } catch (Throwable t) {
      return internal("open", path, t);
    }
  }

  @Override
  public int create(String path, long mode, FuseFileInfo fi) {
    return done(Op.CREATE, started(Op.CREATE), createHandler(path, mode, fi));
  }

  /** The create handler proper (the override above records its metrics). */
  private int createHandler(String path, long mode, FuseFileInfo fi) {
    try {
      fi.fh.set(fs.create(need(path), (int) mode, fi.flags.get(), caller()));
      return 0;
    } catch (FsException e) {
      return errno("create", path, e);
    } catch (Throwable t) {
      return internal("create", path, t);
    }
  }

  @Override
  public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    return done(Op.READ, started(Op.READ), readHandler(path, buf, size, offset, fi));
  }

  /** The read handler proper (the override above records its metrics). */
  private int readHandler(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    try {
      return fs.read(fi.fh.get(), direct(buf, size), offset);
    } catch (FsException e) {
      return errno("read", path, e);
    } catch (Throwable t) {
      return internal("read", path, t);
    }
  }

  @Override
  public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    return done(Op.WRITE, started(Op.WRITE), writeHandler(path, buf, size, offset, fi));
  }

  /** The write handler proper (the override above records its metrics). */
  private int writeHandler(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    try {
      return fs.write(fi.fh.get(), direct(buf, size), offset, contextCaller);
    } catch (FsException e) {
      return writebackErrno(errno("write", path, e), isWritepage(fi));
    } catch (Throwable t) {
      return internal("write", path, t);
    }
  }

  /** True if the write comes from page-cache writeback (fuse_file_info.writepage). */
  static boolean isWritepage(FuseFileInfo fi) {
    return Struct.getMemory(fi).getInt(FI_WRITEPAGE) != 0;
  }

  /**
   * Returns the errno for a refused write: SPEC 2 says a mapped write refused at writeback
   * (one that would allocate in a sealed file) surfaces as EIO, so ETXTBSY becomes EIO there.
   */
  static int writebackErrno(int negErrno, boolean writepage) {
    return writepage && negErrno == -Errno.ETXTBSY.code ? -Errno.EIO.code : negErrno;
  }

  @Override
  public int release(String path, FuseFileInfo fi) {
    return done(Op.RELEASE, started(Op.RELEASE), releaseHandler(path, fi));
  }

  /** The release handler proper (the override above records its metrics). */
  private int releaseHandler(String path, FuseFileInfo fi) {
    try {
      fs.release(fi.fh.get());
      return 0;
    } catch (FsException e) {
      return errno("release", path, e);
    } catch (Throwable t) {
      return internal("release", path, t);
    }
  }

  @Override
  public int fsync(String path, int isdatasync, FuseFileInfo fi) {
    return done(Op.FSYNC, started(Op.FSYNC), fsyncHandler(path, isdatasync, fi));
  }

  /** The fsync handler proper (the override above records its metrics). */
  private int fsyncHandler(String path, int isdatasync, FuseFileInfo fi) {
    try {
      fs.fsync(fi.fh.get(), isdatasync != 0);
      return 0;
    } catch (FsException e) {
      return errno("fsync", path, e);
    } catch (Throwable t) {
      return internal("fsync", path, t);
    }
  }

  @Override
  public int fallocate(String path, int mode, long off, long length, FuseFileInfo fi) {
    return done(Op.FALLOCATE, started(Op.FALLOCATE), fallocateHandler(path, mode, off, length, fi));
  }

  /** The fallocate handler proper (the override above records its metrics). */
  private int fallocateHandler(String path, int mode, long off, long length, FuseFileInfo fi) {
    try {
      fs.fallocate(fi.fh.get(), mode, off, length, caller());
      return 0;
    } catch (FsException e) {
      return errno("fallocate", path, e);
    } catch (Throwable t) {
      return internal("fallocate", path, t);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // directories

  @Override
  public int opendir(String path, FuseFileInfo fi) {
    try {
      Stat st = fs.getattr(need(path));
      if ((st.mode() & FileStat.S_IFMT) != FileStat.S_IFDIR) {
        return -Errno.ENOTDIR.code;
      }
      return 0;
    } catch (FsException e) {
      return errno("opendir", path, e);
    } catch (Throwable t) {
      return internal("opendir", path, t);
    }
  }

  @Override
  public int readdir(String path, Pointer buf, FuseFillDir filler, long offset,
      FuseFileInfo fi) {
    try {
      List<DirEntry> entries = fs.readdir(need(path));
      jnr.ffi.Runtime runtime = jnr.ffi.Runtime.getSystemRuntime();
      FileStat stat = new FileStat(runtime);
      Pointer statMem = Memory.allocateDirect(runtime, Struct.size(stat), true);
      stat = FileStat.of(statMem);
      for (DirEntry e : entries) {
        stat.st_ino.set(e.ino());
        stat.st_mode.set(e.mode());
        byte[] name = (e.name() + '\0').getBytes(SealFs.NAME_CHARSET);
        if (filler.apply(buf, ByteBuffer.wrap(name), statMem, 0) != 0) {
          break;
        }
      }
      return 0;
    } catch (FsException e) {
      return errno("readdir", path, e);
    } catch (Throwable t) {
      return internal("readdir", path, t);
    }
  }

  @Override
  public int fsyncdir(String path, FuseFileInfo fi) {
    try {
      fs.fsyncdir(need(path));
      return 0;
    } catch (FsException e) {
      return errno("fsyncdir", path, e);
    } catch (Throwable t) {
      return internal("fsyncdir", path, t);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // extended attributes

  @Override
  public int setxattr(String path, String name, Pointer value, long size, int flags) {
    try {
      if ("/".equals(path) && FsMetrics.XATTR.equals(name)) {
        return -Errno.EPERM.code; // the stats xattr is read-only
      }
      byte[] bytes = new byte[(int) size];
      if (size > 0) {
        value.get(0, bytes, 0, bytes.length);
      }
      fs.setxattr(need(path), NativeStrings.in(name), bytes, flags);
      return 0;
    } catch (FsException e) {
      return errno("setxattr", path, e);
    } catch (Throwable t) {
      return internal("setxattr", path, t);
    }
  }

  @Override
  public int getxattr(String path, String name, Pointer value, long size) {
    return done(Op.GETXATTR, started(Op.GETXATTR), getxattrHandler(path, name, value, size));
  }

  /** The getxattr handler proper (the override above records its metrics). */
  private int getxattrHandler(String path, String name, Pointer value, long size) {
    try {
      if (metrics != null && "/".equals(path) && FsMetrics.XATTR.equals(name)) {
        byte[] v = metrics.text();
        return size == 0 ? FsMetrics.sizeHint(v.length) : copyOut(v, value, size);
      }
      return copyOut(fs.getxattr(need(path), NativeStrings.in(name)), value, size);
    } catch (FsException e) {
      return errno("getxattr", path, e);
    } catch (Throwable t) {
      return internal("getxattr", path, t);
    }
  }

  @Override
  public int listxattr(String path, Pointer list, long size) {
    try {
      StringBuilder names = new StringBuilder();
      for (String n : fs.listxattr(need(path))) {
        names.append(n).append('\0');
      }
      return copyOut(names.toString().getBytes(SealFs.NAME_CHARSET), list, size);
    } catch (FsException e) {
      return errno("listxattr", path, e);
    } catch (Throwable t) {
      return internal("listxattr", path, t);
    }
  }

  @Override
  public int removexattr(String path, String name) {
    try {
      if ("/".equals(path) && FsMetrics.XATTR.equals(name)) {
        return -Errno.EPERM.code; // the stats xattr is read-only
      }
      fs.removexattr(need(path), NativeStrings.in(name));
      return 0;
    } catch (FsException e) {
      return errno("removexattr", path, e);
    } catch (Throwable t) {
      return internal("removexattr", path, t);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // ioctl (SPEC 4.1)

  @Override
  public int ioctl(String path, int cmd, Pointer arg, FuseFileInfo fi, long flags,
      Pointer data) {
    try {
      ByteBuffer buf = SealIoctl.known(cmd) && data != null
          ? direct(data, IoctlCodec.argSizeBytes(cmd)) : null;
      return SealIoctl.serve(fs.core(), fi.fh.get(), cmd, (flags & FUSE_IOCTL_DIR) != 0, buf,
          caller());
    } catch (FsException e) {
      return errno("ioctl", path, e);
    } catch (Throwable t) {
      return internal("ioctl", path, t);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  /** Returns the identity of the process making the current request. */
  private Caller caller() {
    FuseContext ctx = getContext();
    return new Caller(ctx.uid.intValue(), ctx.gid.intValue(), ctx.pid.intValue());
  }

  /** Returns {@code path} as a byte string; ENOENT for the null path of an unlinked file. */
  private static String need(String path) {
    if (path == null) {
      throw new FsException(Errno.ENOENT, "no path (the file was unlinked)");
    }
    return NativeStrings.in(path);
  }

  /** Returns a direct buffer over {@code size} bytes of native memory at {@code p} (no copy). */
  private static ByteBuffer direct(Pointer p, long size) {
    return MemoryIO.getInstance().newDirectByteBuffer(p.address(), (int) size);
  }

  /** Maps an unsigned uid_t/gid_t to the core's int, with "unchanged" as -1. */
  static int id(long v) {
    return v == ID_UNCHANGED || v == -1 ? -1 : (int) v;
  }

  /** Converts one utimens timespec to nanoseconds or SealFs.UTIME_NOW / UTIME_OMIT. */
  static long timeNs(Timespec ts) {
    return timeNs(ts.tv_sec.get(), ts.tv_nsec.longValue());
  }

  /** Converts seconds plus nanoseconds (or the kernel's NOW/OMIT markers) for the core. */
  static long timeNs(long sec, long nsec) {
    if (nsec == KERNEL_UTIME_NOW) {
      return SealFs.UTIME_NOW;
    }
    if (nsec == KERNEL_UTIME_OMIT) {
      return SealFs.UTIME_OMIT;
    }
    return sec * 1_000_000_000L + nsec;
  }

  /** Copies an xattr value or name list out under the getxattr/listxattr size rules. */
  private static int copyOut(byte[] bytes, Pointer dst, long size) {
    if (size == 0) {
      return bytes.length;
    }
    if (size < bytes.length) {
      return -Errno.ERANGE.code;
    }
    dst.put(0, bytes, 0, bytes.length);
    return bytes.length;
  }

  /** Fills a native struct stat from the core's attributes. */
  private static void fillStat(FileStat st, Stat s) {
    st.st_mode.set(s.mode());
    st.st_ino.set(s.ino());
    st.st_nlink.set(s.nlink());
    st.st_uid.set(s.uid());
    st.st_gid.set(s.gid());
    st.st_rdev.set(s.rdev());
    st.st_size.set(s.size());
    st.st_blocks.set(s.blocks512());
    st.st_blksize.set(s.blockSize());
    setTime(st.st_atim, s.atimeNs());
    setTime(st.st_mtim, s.mtimeNs());
    setTime(st.st_ctim, s.ctimeNs());
  }

  /** Stores nanoseconds since the epoch into a native timespec. */
  private static void setTime(Timespec ts, long ns) {
    ts.tv_sec.set(Math.floorDiv(ns, 1_000_000_000L));
    ts.tv_nsec.set(Math.floorMod(ns, 1_000_000_000L));
  }

  /** Logs an errno answer at debug level and returns {@code -errno}. */
  private static int errno(String op, String path, FsException e) {
    if (LOG.isDebugEnabled()) {
      LOG.debug("{} {}: {} ({})", op, path, e.errno(), e.getMessage());
    }
    return -e.errno().code;
  }

  /** Logs an unexpected failure with its trace and returns {@code -EIO}. */
  private static int internal(String op, String path, Throwable t) {
    LOG.error("op {} failed on {}", op, path, t);
    return -Errno.EIO.code;
  }
}
