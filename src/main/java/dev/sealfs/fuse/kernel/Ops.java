package dev.sealfs.fuse.kernel;

import dev.sealfs.core.Caller;
import dev.sealfs.core.DirEntry;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.Stat;
import dev.sealfs.core.StatFs;
import dev.sealfs.fuse.IoctlCodec;
import dev.sealfs.fuse.SealIoctl;
import dev.sealfs.metrics.FsMetrics;
import dev.sealfs.metrics.OpMetrics;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thin handler per FUSE opcode, each decoding its request from a {@link Request}, making one
 * {@link NodeFs} call and encoding the answer into a {@link Reply}. A handler returns the reply
 * body's length (0 for an empty success), {@code -errno}, or {@link #NO_REPLY}; {@link #dispatch}
 * turns a thrown {@link FsException} into its errno and anything else into EIO and a log line,
 * so nothing escapes.
 *
 * <p>Shared by all workers: the only state is the filesystem, the session's settings and the
 * request counters, which are atomic-free longs updated under no lock (they are diagnostics; the
 * largest-write figure may lose a race, never a request).
 */
final class Ops {

  private static final Logger LOG = LoggerFactory.getLogger(Ops.class);

  /** Handler result: the request gets no reply (FORGET, BATCH_FORGET, INTERRUPT). */
  static final int NO_REPLY = Integer.MIN_VALUE;
  /** How long the kernel may cache a name lookup (libfuse's default entry_timeout, 1 s). */
  static final long ENTRY_VALID_NS = 1_000_000_000L;
  /** errno EPROTO, for an INIT from a protocol major older than 7. */
  private static final int EPROTO = 71;
  /** errno ENXIO, lseek SEEK_DATA/SEEK_HOLE past the end. */
  private static final int ENXIO = 6;

  /** The filesystem. */
  private final NodeFs fs;
  /** The INIT negotiation and its outcome. */
  private final Init init;
  /** Log every request (the -d flag). */
  private final boolean debug;
  /** Page-cache policy and invalidation at the last unseal, or null (cache dropped at open). */
  private final CacheInvalidator cache;
  /** The inode of each open file handle (for the cache invalidation at the last unseal). */
  private final java.util.Map<Long, Long> handleInodes =
      new java.util.concurrent.ConcurrentHashMap<>();
  /** WRITE requests served (diagnostics: the big-writes case reads it from the log). */
  private volatile long writeCount;
  /** The largest WRITE payload seen, in bytes. */
  private volatile long largestWriteBytes;
  /** Break waits: INTERRUPT and POLL (SPEC 10). */
  private final SealWaits waits;

  /** The mount's metrics (the stats xattr), or null. */
  private final FsMetrics metrics;
  /** Per-opcode metric handles, made on first use; null when metrics are not recorded. */
  private final OpMetrics[] opMetrics;

  /** Creates the handlers over {@code fs}; {@code cache} may be null. */
  Ops(NodeFs fs, Init init, boolean debug, CacheInvalidator cache) {
    this(fs, init, debug, cache, null);
  }

  /** As above, recording into {@code metrics} (null: no metrics, no stats xattr). */
  Ops(NodeFs fs, Init init, boolean debug, CacheInvalidator cache, FsMetrics metrics) {
    this.fs = fs;
    this.init = init;
    this.debug = debug;
    this.cache = cache;
    this.waits = new SealWaits(fs.core());
    if (cache != null && fs.core() != null) {
      // A revocation ends a seal without an UNSEAL or RELEASE through the mount (SPEC 10):
      // a direct client may have written the blocks, so the cached pages go as at an unseal.
      fs.core().onLastSealRevoked(cache::invalidate);
    }
    this.metrics = metrics;
    this.opMetrics = metrics != null && metrics.recording()
        ? new OpMetrics[FuseAbi.OPCODE_SLOTS] : null;
  }

  /** Returns a one-line summary of the WRITE requests served. */
  String writeStats() {
    return "WRITE requests: " + writeCount + ", largest " + largestWriteBytes + " bytes";
  }

  /** Serves the request in {@code w}'s buffers and sends its reply (if it gets one). */
  void dispatch(Worker w) {
    Request r = w.request;
    Reply out = w.reply;
    int op = r.opcode();
    long unique = r.unique();
    long startNs = opMetrics == null ? 0 : System.nanoTime();
    int res;
    try {
      if (debug) {
        LOG.info("request {} op {} node {} len {}", unique, op, r.nodeId(), r.bodyLength());
      }
      if (!init.done() && op != FuseAbi.INIT) {
        res = -Errno.EIO.code;
      } else {
        waits.begin(unique, w.fd);
        try {
          res = handle(op, w, r, out);
        } finally {
          waits.end(unique);
        }
      }
    } catch (FsException e) {
      if (debug) {
        LOG.info("request {} op {}: {} ({})", unique, op, e.errno(), e.getMessage());
      }
      res = -e.errno().code;
    } catch (Throwable t) {
      LOG.error("sealfs: op {} on node {} failed", op, r.nodeId(), t);
      res = -Errno.EIO.code;
    }
    if (opMetrics != null) {
      record(op, r, res, startNs);
    }
    if (res == NO_REPLY) {
      return;
    }
    if (res < 0) {
      out.error(unique, -res);
    } else if (!out.send(unique, res) && op == FuseAbi.READDIRPLUS) {
      forgetListed(out, res); // the kernel never saw these entries: undo their lookups
    }
  }

  /** Records a served request in the metrics (only called when they are recorded). */
  private void record(int op, Request r, int res, long startNs) {
    if (op < 0 || op >= opMetrics.length) {
      return;
    }
    OpMetrics m = opMetrics[op];
    if (m == null) {
      m = metrics.op(opName(op)); // same handle if two workers race here
      opMetrics[op] = m;
    }
    m.done(startNs, res < 0 && res != NO_REPLY);
    if (op == FuseAbi.READ && res > 0) {
      metrics.read(res);
    } else if (op == FuseAbi.WRITE && res >= 0) {
      metrics.written(r.u32(FuseAbi.WRITE_IN_SIZE_BYTES));
    }
  }

  /** Returns the metric label of {@code op}: its name in lower case as in linux/fuse.h. */
  static String opName(int op) {
    return switch (op) {
      case FuseAbi.INIT -> "init";
      case FuseAbi.LOOKUP -> "lookup";
      case FuseAbi.FORGET -> "forget";
      case FuseAbi.BATCH_FORGET -> "batch_forget";
      case FuseAbi.GETATTR -> "getattr";
      case FuseAbi.SETATTR -> "setattr";
      case FuseAbi.READLINK -> "readlink";
      case FuseAbi.SYMLINK -> "symlink";
      case FuseAbi.MKNOD -> "mknod";
      case FuseAbi.MKDIR -> "mkdir";
      case FuseAbi.UNLINK -> "unlink";
      case FuseAbi.RMDIR -> "rmdir";
      case FuseAbi.RENAME -> "rename";
      case FuseAbi.RENAME2 -> "rename2";
      case FuseAbi.LINK -> "link";
      case FuseAbi.OPEN -> "open";
      case FuseAbi.CREATE -> "create";
      case FuseAbi.READ -> "read";
      case FuseAbi.WRITE -> "write";
      case FuseAbi.RELEASE -> "release";
      case FuseAbi.FSYNC -> "fsync";
      case FuseAbi.FLUSH -> "flush";
      case FuseAbi.FALLOCATE -> "fallocate";
      case FuseAbi.LSEEK -> "lseek";
      case FuseAbi.COPY_FILE_RANGE -> "copy_file_range";
      case FuseAbi.STATFS -> "statfs";
      case FuseAbi.OPENDIR -> "opendir";
      case FuseAbi.READDIR -> "readdir";
      case FuseAbi.READDIRPLUS -> "readdirplus";
      case FuseAbi.STATX -> "statx";
      case FuseAbi.RELEASEDIR -> "releasedir";
      case FuseAbi.FSYNCDIR -> "fsyncdir";
      case FuseAbi.SETXATTR -> "setxattr";
      case FuseAbi.GETXATTR -> "getxattr";
      case FuseAbi.LISTXATTR -> "listxattr";
      case FuseAbi.REMOVEXATTR -> "removexattr";
      case FuseAbi.IOCTL -> "ioctl";
      case FuseAbi.ACCESS -> "access";
      case FuseAbi.INTERRUPT -> "interrupt";
      case FuseAbi.DESTROY -> "destroy";
      default -> "op" + op;
    };
  }

  /** The opcode switch. */
  private int handle(int op, Worker w, Request r, Reply out) {
    switch (op) {
      case FuseAbi.INIT: return init.handle(r, out);
      case FuseAbi.LOOKUP: return lookup(r, out);
      case FuseAbi.FORGET: return forget(r);
      case FuseAbi.BATCH_FORGET: return batchForget(r);
      case FuseAbi.GETATTR: return getattr(r, out);
      case FuseAbi.SETATTR: return setattr(r, out);
      case FuseAbi.READLINK: return readlink(r, out);
      case FuseAbi.SYMLINK: return symlink(r, out);
      case FuseAbi.MKNOD: return mknod(r, out);
      case FuseAbi.MKDIR: return mkdir(r, out);
      case FuseAbi.UNLINK: return unlink(r);
      case FuseAbi.RMDIR: return rmdir(r);
      case FuseAbi.RENAME: return rename(r, false);
      case FuseAbi.RENAME2: return rename(r, true);
      case FuseAbi.LINK: return link(r, out);
      case FuseAbi.OPEN: return open(r, out);
      case FuseAbi.CREATE: return create(r, out);
      case FuseAbi.READ: return read(r, out);
      case FuseAbi.WRITE: return write(r, out);
      case FuseAbi.RELEASE: return release(r);
      case FuseAbi.FSYNC: return fsync(r);
      case FuseAbi.FALLOCATE: return fallocate(r);
      case FuseAbi.LSEEK: return lseek(r, out);
      case FuseAbi.COPY_FILE_RANGE: return copyFileRange(w, r, out);
      case FuseAbi.STATFS: return statfs(out);
      case FuseAbi.OPENDIR: return opendir(r, out);
      case FuseAbi.READDIR: return readdir(r, out);
      case FuseAbi.READDIRPLUS: return readdirplus(r, out);
      case FuseAbi.STATX: return statx(r, out);
      case FuseAbi.RELEASEDIR: return releasedir(r);
      case FuseAbi.FSYNCDIR: return fsyncdir(r);
      case FuseAbi.SETXATTR: return setxattr(r);
      case FuseAbi.GETXATTR: return getxattr(r, out);
      case FuseAbi.LISTXATTR: return listxattr(r, out);
      case FuseAbi.REMOVEXATTR: return removexattr(r);
      case FuseAbi.IOCTL: return ioctl(w, r, out);
      case FuseAbi.INTERRUPT: return interrupt(r); // only a wait for a break is interruptible
      case SealWaits.POLL: return poll(r, out);
      case FuseAbi.DESTROY: return 0;
      default: return -Errno.ENOSYS.code; // FLUSH, ACCESS, locks, POLL, BMAP, ...: the kernel's
    }
  }

  // ---------------------------------------------------------------------------------------------
  // breakable seals (SPEC 10)

  private int interrupt(Request r) {
    r.need(8);
    waits.interrupt(r.u64(FuseAbi.INTERRUPT_IN_UNIQUE));
    return NO_REPLY;
  }

  private int poll(Request r, Reply out) {
    r.need(SealWaits.POLL_IN_SIZE);
    int revents = waits.poll(r.u64(SealWaits.POLL_IN_FH), r.u64(SealWaits.POLL_IN_KH),
        r.u32(SealWaits.POLL_IN_FLAGS));
    out.u32(0, revents);
    out.u32(4, 0);
    return SealWaits.POLL_OUT_SIZE;
  }

  // ---------------------------------------------------------------------------------------------
  // names and attributes

  private int lookup(Request r, Reply out) {
    NodeFs.Entry e = fs.lookup(r.nodeId(), r.name(0));
    return out.entry(e.nodeId(), e.stat(), ENTRY_VALID_NS);
  }

  private int forget(Request r) {
    fs.forget(r.nodeId(), r.u64(FuseAbi.FORGET_IN_NLOOKUP));
    return NO_REPLY;
  }

  private int batchForget(Request r) {
    int count = r.u32(FuseAbi.BATCH_FORGET_IN_COUNT);
    int base = FuseAbi.BATCH_FORGET_IN_SIZE;
    r.need(base + (count & 0xFFFFFFFFL) * FuseAbi.FORGET_ONE_SIZE);
    for (int k = 0; k < count; k++) {
      int at = base + k * FuseAbi.FORGET_ONE_SIZE;
      fs.forget(r.u64(at + FuseAbi.FORGET_ONE_NODEID), r.u64(at + FuseAbi.FORGET_ONE_NLOOKUP));
    }
    return NO_REPLY;
  }

  private int getattr(Request r, Reply out) {
    r.need(FuseAbi.GETATTR_IN_SIZE);
    long fh = (r.u32(FuseAbi.GETATTR_IN_FLAGS) & FuseAbi.GETATTR_FH) != 0
        ? r.u64(FuseAbi.GETATTR_IN_FH) : -1;
    return attrOut(out, fs.getattr(r.nodeId(), fh));
  }

  /** Writes a fuse_attr_out (attributes not cached: attr_valid 0). */
  private static int attrOut(Reply out, Stat st) {
    out.u64(FuseAbi.ATTR_OUT_ATTR_VALID, 0);
    out.u64(FuseAbi.ATTR_OUT_ATTR_VALID_NSEC, 0);
    out.attr(FuseAbi.ATTR_OUT_ATTR, st);
    return FuseAbi.ATTR_OUT_SIZE;
  }

  private int setattr(Request r, Reply out) {
    r.need(FuseAbi.SETATTR_IN_SIZE);
    NodeFs.SetAttrIn a = new NodeFs.SetAttrIn(r.u32(FuseAbi.SETATTR_IN_VALID),
        r.u64(FuseAbi.SETATTR_IN_FH), r.u64(FuseAbi.SETATTR_IN_SIZE_BYTES),
        timeNs(r.u64(FuseAbi.SETATTR_IN_ATIME), r.u32(FuseAbi.SETATTR_IN_ATIMENSEC)),
        timeNs(r.u64(FuseAbi.SETATTR_IN_MTIME), r.u32(FuseAbi.SETATTR_IN_MTIMENSEC)),
        r.u32(FuseAbi.SETATTR_IN_MODE), r.u32(FuseAbi.SETATTR_IN_UID),
        r.u32(FuseAbi.SETATTR_IN_GID));
    return attrOut(out, fs.setattr(r.nodeId(), a, r.caller()));
  }

  /** Seconds plus nanoseconds as nanoseconds since the epoch. */
  static long timeNs(long sec, int nsec) {
    return sec * 1_000_000_000L + (nsec & 0xFFFFFFFFL);
  }

  private int readlink(Request r, Reply out) {
    return out.string(0, fs.readlink(r.nodeId()));
  }

  private int symlink(Request r, Reply out) {
    String name = r.name(0);
    String target = r.name(r.afterName(0));
    NodeFs.Entry e = fs.symlink(r.nodeId(), name, target, r.caller());
    return out.entry(e.nodeId(), e.stat(), ENTRY_VALID_NS);
  }

  private int mknod(Request r, Reply out) {
    r.need(FuseAbi.MKNOD_IN_SIZE);
    NodeFs.Entry e = fs.mknod(r.nodeId(), r.name(FuseAbi.MKNOD_IN_SIZE),
        r.u32(FuseAbi.MKNOD_IN_MODE), r.u32(FuseAbi.MKNOD_IN_RDEV) & 0xFFFFFFFFL, r.caller());
    return out.entry(e.nodeId(), e.stat(), ENTRY_VALID_NS);
  }

  private int mkdir(Request r, Reply out) {
    r.need(FuseAbi.MKDIR_IN_SIZE);
    NodeFs.Entry e = fs.mkdir(r.nodeId(), r.name(FuseAbi.MKDIR_IN_SIZE),
        r.u32(FuseAbi.MKDIR_IN_MODE), r.caller());
    return out.entry(e.nodeId(), e.stat(), ENTRY_VALID_NS);
  }

  private int unlink(Request r) {
    fs.unlink(r.nodeId(), r.name(0));
    return 0;
  }

  private int rmdir(Request r) {
    fs.rmdir(r.nodeId(), r.name(0));
    return 0;
  }

  private int rename(Request r, boolean two) {
    int base = two ? FuseAbi.RENAME2_IN_SIZE : FuseAbi.RENAME_IN_SIZE;
    r.need(base);
    long newDir = r.u64(two ? FuseAbi.RENAME2_IN_NEWDIR : FuseAbi.RENAME_IN_NEWDIR);
    int flags = two ? r.u32(FuseAbi.RENAME2_IN_FLAGS) : 0;
    String from = r.name(base);
    String to = r.name(r.afterName(base));
    fs.rename(r.nodeId(), from, newDir, to, flags);
    return 0;
  }

  private int link(Request r, Reply out) {
    r.need(FuseAbi.LINK_IN_SIZE);
    NodeFs.Entry e = fs.link(r.u64(FuseAbi.LINK_IN_OLDNODEID), r.nodeId(),
        r.name(FuseAbi.LINK_IN_SIZE));
    return out.entry(e.nodeId(), e.stat(), ENTRY_VALID_NS);
  }

  // ---------------------------------------------------------------------------------------------
  // files

  private int open(Request r, Reply out) {
    r.need(FuseAbi.OPEN_IN_SIZE);
    long ino = r.nodeId();
    long fh = fs.open(ino, r.u32(FuseAbi.OPEN_IN_FLAGS), r.caller());
    return openOut(out, 0, fh, opened(ino, fh, true));
  }

  /**
   * Records handle {@code fh} of {@code ino} and returns its open_flags.
   *
   * <p>FOPEN_DIRECT_IO if the file is sealed now (by this open's seal_on_open or by any other
   * holder) and the kernel agreed to DIRECT_IO_ALLOW_MMAP: the kernel then sends each write(2)
   * as WRITE requests of up to max_write straight from the caller's buffer, never split at a
   * partly written, uncached page, so a write that a seal refuses fails whole with ETXTBSY
   * instead of coming back short (SPEC 2; README "kernel split"). Without ALLOW_MMAP a shared
   * mmap of such a handle would fail with ENODEV, so the flag is not used then.
   *
   * <p>FOPEN_KEEP_CACHE (the default; not with {@code -o nokeep_cache}) unless the file is
   * sealed (a direct client may have written its blocks), its invalidation is still queued (see
   * {@link CacheInvalidator}), or a read would update its atime: FUSE leaves atime to the
   * filesystem, and a read served from the page cache never reaches it, so such an open drops
   * the cache and its first read comes here (relatime: once after each change, or a day).
   * {@code atimeMatters} is false for CREATE: a new file has nothing cached to read.
   */
  private int opened(long ino, long fh, boolean atimeMatters) {
    boolean sealed = inodeSealed(ino);
    int flags = sealed && (init.flags() & FuseAbi.DIRECT_IO_ALLOW_MMAP) != 0
        ? FuseAbi.FOPEN_DIRECT_IO : 0;
    if (cache == null) {
      return flags;
    }
    handleInodes.put(fh, ino);
    return cache.mayKeepCache(ino) && !sealed && !(atimeMatters && fs.core().atimeDue(fh))
        ? flags | FuseAbi.FOPEN_KEEP_CACHE : flags;
  }

  /** Queues the cache invalidation of the file behind {@code fh} if it is no longer sealed. */
  private void afterUnseal(long ino) {
    if (!inodeSealed(ino)) {
      cache.invalidate(ino);
    }
  }

  /** True if inode {@code ino} has a seal holder (read through the core's virtual xattr). */
  private boolean inodeSealed(long ino) {
    if (fs.core() == null) {
      return false; // wire tests without a filesystem
    }
    try {
      byte[] v = fs.core().getxattr(ino, dev.sealfs.client.SealAbi.XATTR_SEAL);
      return new String(v, java.nio.charset.StandardCharsets.ISO_8859_1).startsWith("sealed");
    } catch (FsException e) {
      return false; // the inode is gone: invalidating it is harmless
    }
  }

  /** Writes a fuse_open_out at body offset {@code off}; returns the body length so far. */
  private static int openOut(Reply out, int off, long fh, int openFlags) {
    out.u64(off + FuseAbi.OPEN_OUT_FH, fh);
    out.u32(off + FuseAbi.OPEN_OUT_OPEN_FLAGS, openFlags);
    out.u32(off + FuseAbi.OPEN_OUT_OPEN_FLAGS + 4, 0);
    return off + FuseAbi.OPEN_OUT_SIZE;
  }

  private int create(Request r, Reply out) {
    r.need(FuseAbi.CREATE_IN_SIZE);
    NodeFs.Created c = fs.create(r.nodeId(), r.name(FuseAbi.CREATE_IN_SIZE),
        r.u32(FuseAbi.CREATE_IN_MODE), r.u32(FuseAbi.CREATE_IN_FLAGS), r.caller());
    int n = out.entry(c.entry().nodeId(), c.entry().stat(), ENTRY_VALID_NS);
    return openOut(out, n, c.fh(), opened(c.entry().nodeId(), c.fh(), false));
  }

  private int read(Request r, Reply out) {
    r.need(FuseAbi.READ_IN_SIZE);
    int size = r.u32(FuseAbi.READ_IN_SIZE_BYTES);
    if (size < 0 || size > out.capacity()) {
      return -Errno.EINVAL.code;
    }
    ByteBuffer dst = out.buf;
    dst.limit(Reply.at(size)).position(Reply.at(0));
    try {
      return fs.read(r.u64(FuseAbi.READ_IN_FH), dst, r.u64(FuseAbi.READ_IN_OFFSET));
    } finally {
      dst.clear();
    }
  }

  private int write(Request r, Reply out) {
    r.need(FuseAbi.WRITE_IN_SIZE);
    int size = r.u32(FuseAbi.WRITE_IN_SIZE_BYTES);
    if (size < 0 || size > r.bodyLength() - FuseAbi.WRITE_IN_SIZE) {
      return -Errno.EINVAL.code;
    }
    writeCount++;
    if (size > largestWriteBytes) {
      largestWriteBytes = size;
    }
    ByteBuffer src = r.buf;
    int from = r.at(FuseAbi.WRITE_IN_SIZE);
    src.limit(from + size).position(from);
    int n;
    try {
      n = fs.write(r.u64(FuseAbi.WRITE_IN_FH), src, r.u64(FuseAbi.WRITE_IN_OFFSET),
          r.lazyCaller);
    } catch (FsException e) {
      // SPEC 2: a refused writeback (mmap) write surfaces as EIO, not ETXTBSY.
      if (e.errno() == Errno.ETXTBSY
          && (r.u32(FuseAbi.WRITE_IN_WRITE_FLAGS) & FuseAbi.WRITE_CACHE) != 0) {
        return -Errno.EIO.code;
      }
      throw e;
    } finally {
      src.clear();
    }
    out.u32(FuseAbi.WRITE_OUT_SIZE_BYTES, n);
    out.u32(FuseAbi.WRITE_OUT_SIZE_BYTES + 4, 0);
    return FuseAbi.WRITE_OUT_SIZE;
  }

  private int release(Request r) {
    r.need(FuseAbi.RELEASE_IN_SIZE);
    long fh = r.u64(FuseAbi.RELEASE_IN_FH);
    Long ino = cache == null ? null : handleInodes.remove(fh);
    boolean wasSealed = ino != null && fs.core().sealStatus(fh).sealed();
    fs.release(fh);
    if (wasSealed) {
      afterUnseal(ino);
    }
    return 0;
  }

  private int fsync(Request r) {
    r.need(FuseAbi.FSYNC_IN_SIZE);
    fs.fsync(r.u64(FuseAbi.FSYNC_IN_FH), (r.u32(FuseAbi.FSYNC_IN_FSYNC_FLAGS) & 1) != 0);
    return 0;
  }

  private int fallocate(Request r) {
    r.need(FuseAbi.FALLOCATE_IN_SIZE);
    fs.fallocate(r.u64(FuseAbi.FALLOCATE_IN_FH), r.u32(FuseAbi.FALLOCATE_IN_MODE),
        r.u64(FuseAbi.FALLOCATE_IN_OFFSET), r.u64(FuseAbi.FALLOCATE_IN_LENGTH), r.caller());
    return 0;
  }

  private int lseek(Request r, Reply out) {
    r.need(FuseAbi.LSEEK_IN_SIZE);
    int whence = r.u32(FuseAbi.LSEEK_IN_WHENCE);
    if (whence != NodeFs.SEEK_DATA && whence != NodeFs.SEEK_HOLE) {
      return -Errno.EINVAL.code; // SEEK_SET/CUR/END never reach the filesystem
    }
    long at = fs.seekDataHole(r.u64(FuseAbi.LSEEK_IN_FH), r.u64(FuseAbi.LSEEK_IN_OFFSET), whence);
    if (at < 0) {
      return -ENXIO;
    }
    out.u64(FuseAbi.LSEEK_OUT_OFFSET, at);
    return FuseAbi.LSEEK_OUT_SIZE;
  }

  private int copyFileRange(Worker w, Request r, Reply out) {
    r.need(FuseAbi.COPY_FILE_RANGE_IN_SIZE);
    if (r.u64(FuseAbi.COPY_FILE_RANGE_IN_FLAGS) != 0) {
      return -Errno.EINVAL.code;
    }
    long len = r.u64(FuseAbi.COPY_FILE_RANGE_IN_LEN);
    long n = fs.copyRange(r.u64(FuseAbi.COPY_FILE_RANGE_IN_FH_IN),
        r.u64(FuseAbi.COPY_FILE_RANGE_IN_OFF_IN), r.u64(FuseAbi.COPY_FILE_RANGE_IN_FH_OUT),
        r.u64(FuseAbi.COPY_FILE_RANGE_IN_OFF_OUT), len < 0 ? Long.MAX_VALUE : len,
        r.lazyCaller);
    out.u32(FuseAbi.WRITE_OUT_SIZE_BYTES, (int) n);
    out.u32(FuseAbi.WRITE_OUT_SIZE_BYTES + 4, 0);
    return FuseAbi.WRITE_OUT_SIZE;
  }

  private int statfs(Reply out) {
    StatFs s = fs.statfs();
    out.zero(0, FuseAbi.STATFS_OUT_SIZE);
    out.u64(FuseAbi.KSTATFS_BLOCKS, s.totalBlocks());
    out.u64(FuseAbi.KSTATFS_BFREE, s.freeBlocks());
    out.u64(FuseAbi.KSTATFS_BAVAIL, s.freeBlocks());
    out.u64(FuseAbi.KSTATFS_FILES, s.totalInodes());
    out.u64(FuseAbi.KSTATFS_FFREE, s.freeInodes());
    out.u32(FuseAbi.KSTATFS_BSIZE, s.blockSize());
    out.u32(FuseAbi.KSTATFS_NAMELEN, s.nameMax());
    out.u32(FuseAbi.KSTATFS_FRSIZE, s.blockSize());
    return FuseAbi.STATFS_OUT_SIZE;
  }

  // ---------------------------------------------------------------------------------------------
  // directories

  private int opendir(Request r, Reply out) {
    return openOut(out, 0, fs.opendir(r.nodeId()), 0);
  }

  private int readdir(Request r, Reply out) {
    r.need(FuseAbi.READ_IN_SIZE);
    long offset = r.u64(FuseAbi.READ_IN_OFFSET);
    int size = Math.min(r.u32(FuseAbi.READ_IN_SIZE_BYTES), out.capacity());
    List<DirEntry> list = fs.readdir(r.nodeId(), r.u64(FuseAbi.READ_IN_FH), offset == 0);
    int at = 0;
    for (long k = offset; k < list.size(); k++) {
      DirEntry e = list.get((int) k);
      int nameLen = e.name().length();
      int rec = (FuseAbi.DIRENT_SIZE + nameLen + 7) & ~7;
      if (at + rec > size) {
        break;
      }
      out.u64(at + FuseAbi.DIRENT_INO, e.ino());
      out.u64(at + FuseAbi.DIRENT_OFF, k + 1);
      out.u32(at + FuseAbi.DIRENT_NAMELEN, nameLen);
      out.u32(at + FuseAbi.DIRENT_TYPE, (e.mode() >>> 12) & 017);
      out.string(at + FuseAbi.DIRENT_SIZE, e.name());
      out.zero(at + FuseAbi.DIRENT_SIZE + nameLen, at + rec);
      at += rec;
    }
    return at;
  }

  /**
   * READDIRPLUS: each entry with its fuse_entry_out. Every entry sent with a node id counts one
   * lookup (the kernel links each one it parses, or FORGETs it itself), so the lookup is taken
   * only once the record is known to fit; "." and ".." go with node id 0, which the kernel
   * skips without counting, as it does an entry gone since the listing was read.
   */
  private int readdirplus(Request r, Reply out) {
    r.need(FuseAbi.READ_IN_SIZE);
    long offset = r.u64(FuseAbi.READ_IN_OFFSET);
    int size = Math.min(r.u32(FuseAbi.READ_IN_SIZE_BYTES), out.capacity());
    long dir = r.nodeId();
    List<DirEntry> list = fs.readdir(dir, r.u64(FuseAbi.READ_IN_FH), offset == 0);
    int at = 0;
    for (long k = offset; k < list.size(); k++) {
      DirEntry e = list.get((int) k);
      String name = e.name();
      int rec = (FuseAbi.DIRENTPLUS_SIZE + name.length() + 7) & ~7;
      if (at + rec > size) {
        break;
      }
      NodeFs.Entry found = name.equals(".") || name.equals("..") ? null : lookupListed(dir, name);
      long ino = e.ino();
      if (found == null) {
        out.zero(at, at + FuseAbi.ENTRY_OUT_SIZE);
      } else {
        out.entryAt(at + FuseAbi.DIRENTPLUS_ENTRY_OUT, found.nodeId(), found.stat(),
            ENTRY_VALID_NS);
        ino = found.nodeId();
      }
      int d = at + FuseAbi.DIRENTPLUS_DIRENT;
      out.u64(d + FuseAbi.DIRENT_INO, ino);
      out.u64(d + FuseAbi.DIRENT_OFF, k + 1);
      out.u32(d + FuseAbi.DIRENT_NAMELEN, name.length());
      out.u32(d + FuseAbi.DIRENT_TYPE, ((found == null ? e.mode() : found.stat().mode()) >>> 12)
          & 017);
      out.string(d + FuseAbi.DIRENT_SIZE, name);
      out.zero(d + FuseAbi.DIRENT_SIZE + name.length(), at + rec);
      at += rec;
    }
    return at;
  }

  /** Looks up a listed name, taking one lookup; null if it is gone since the listing. */
  private NodeFs.Entry lookupListed(long dir, String name) {
    try {
      return fs.lookup(dir, name);
    } catch (FsException e) {
      return null;
    }
  }

  /** Drops the lookups of a READDIRPLUS reply of {@code bodyLength} bytes the kernel refused. */
  private void forgetListed(Reply out, int bodyLength) {
    int at = 0;
    while (at + FuseAbi.DIRENTPLUS_SIZE <= bodyLength) {
      long nodeId = out.u64At(at + FuseAbi.DIRENTPLUS_ENTRY_OUT + FuseAbi.ENTRY_OUT_NODEID);
      int nameLen = out.u32At(at + FuseAbi.DIRENTPLUS_DIRENT + FuseAbi.DIRENT_NAMELEN);
      if (nodeId != 0) {
        fs.forget(nodeId, 1);
      }
      at += (FuseAbi.DIRENTPLUS_SIZE + nameLen + 7) & ~7;
    }
  }

  /** statx(2) mask bits of the basic stats (linux/stat.h STATX_BASIC_STATS): all sealfs has. */
  static final int STATX_BASIC_STATS = 0x7ff;

  /**
   * STATX (sent for a statx(2) that asks for more than the basic stats, e.g. btime): the same
   * attributes as GETATTR in struct fuse_statx. sealfs keeps no birth time, so the mask is the
   * basic stats and the caller's stx_mask says btime is missing, as on a filesystem without it.
   */
  private int statx(Request r, Reply out) {
    r.need(FuseAbi.STATX_IN_SIZE);
    long fh = (r.u32(FuseAbi.STATX_IN_GETATTR_FLAGS) & FuseAbi.GETATTR_FH) != 0
        ? r.u64(FuseAbi.STATX_IN_FH) : -1;
    Stat st = fs.getattr(r.nodeId(), fh);
    out.zero(0, FuseAbi.STATX_OUT_SIZE); // attr_valid 0, as GETATTR's
    int s = FuseAbi.STATX_OUT_STAT;
    out.u32(s + FuseAbi.SX_MASK, STATX_BASIC_STATS);
    out.u32(s + FuseAbi.SX_BLKSIZE, st.blockSize());
    out.u32(s + FuseAbi.SX_NLINK, (int) st.nlink());
    out.u32(s + FuseAbi.SX_UID, st.uid());
    out.u32(s + FuseAbi.SX_GID, st.gid());
    out.u16(s + FuseAbi.SX_MODE, st.mode());
    out.u64(s + FuseAbi.SX_INO, st.ino());
    out.u64(s + FuseAbi.SX_SIZE_BYTES, st.size());
    out.u64(s + FuseAbi.SX_BLOCKS, st.blocks512());
    sxTime(out, s + FuseAbi.SX_ATIME, st.atimeNs());
    sxTime(out, s + FuseAbi.SX_MTIME, st.mtimeNs());
    sxTime(out, s + FuseAbi.SX_CTIME, st.ctimeNs());
    int rdev = (int) st.rdev(); // the kernel's new_encode_dev form, as MKNOD sent it
    out.u32(s + FuseAbi.SX_RDEV_MAJOR, (rdev & 0xfff00) >>> 8);
    out.u32(s + FuseAbi.SX_RDEV_MINOR, (rdev & 0xff) | ((rdev >>> 12) & 0xfff00));
    return FuseAbi.STATX_OUT_SIZE;
  }

  /** Writes a struct fuse_sx_time of {@code ns} nanoseconds since the epoch at {@code off}. */
  private static void sxTime(Reply out, int off, long ns) {
    out.u64(off + FuseAbi.SX_TIME_TV_SEC, Math.floorDiv(ns, 1_000_000_000L));
    out.u32(off + FuseAbi.SX_TIME_TV_NSEC, (int) Math.floorMod(ns, 1_000_000_000L));
  }

  private int releasedir(Request r) {
    r.need(FuseAbi.RELEASE_IN_SIZE);
    fs.releasedir(r.u64(FuseAbi.RELEASE_IN_FH));
    return 0;
  }

  private int fsyncdir(Request r) {
    fs.fsyncdir(r.nodeId());
    return 0;
  }

  // ---------------------------------------------------------------------------------------------
  // extended attributes

  private int setxattr(Request r) {
    r.need(FuseAbi.SETXATTR_IN_SIZE);
    int size = r.u32(FuseAbi.SETXATTR_IN_SIZE_BYTES);
    String name = r.name(FuseAbi.SETXATTR_IN_SIZE);
    if (r.nodeId() == NodeFs.ROOT && FsMetrics.XATTR.equals(name)) {
      return -Errno.EPERM.code; // the stats xattr is read-only
    }
    byte[] value = r.bytes(r.afterName(FuseAbi.SETXATTR_IN_SIZE), size);
    fs.setxattr(r.nodeId(), name, value, r.u32(FuseAbi.SETXATTR_IN_FLAGS));
    return 0;
  }

  private int getxattr(Request r, Reply out) {
    r.need(FuseAbi.GETXATTR_IN_SIZE);
    String name = r.name(FuseAbi.GETXATTR_IN_SIZE);
    int size = r.u32(FuseAbi.GETXATTR_IN_SIZE_BYTES);
    if (metrics != null && r.nodeId() == NodeFs.ROOT && name.equals(FsMetrics.XATTR)) {
      byte[] v = metrics.text();
      return sized(out, size, v, size == 0 ? FsMetrics.sizeHint(v.length) : v.length);
    }
    byte[] v = fs.getxattr(r.nodeId(), name);
    return sized(out, size, v, v.length);
  }

  private int listxattr(Request r, Reply out) {
    r.need(FuseAbi.GETXATTR_IN_SIZE);
    StringBuilder names = new StringBuilder();
    for (String n : fs.listxattr(r.nodeId())) {
      names.append(n).append('\0');
    }
    byte[] v = names.toString().getBytes(dev.sealfs.core.SealFs.NAME_CHARSET);
    return sized(out, r.u32(FuseAbi.GETXATTR_IN_SIZE_BYTES), v);
  }

  /** The getxattr/listxattr size protocol: size 0 asks for the length, too small is ERANGE. */
  private static int sized(Reply out, int size, byte[] v) {
    return sized(out, size, v, v.length);
  }

  /** As above, answering a size query with {@code queryLength} (room for a growing value). */
  private static int sized(Reply out, int size, byte[] v, int queryLength) {
    if (size == 0) {
      out.u32(FuseAbi.GETXATTR_OUT_SIZE_BYTES, queryLength);
      out.u32(FuseAbi.GETXATTR_OUT_SIZE_BYTES + 4, 0);
      return FuseAbi.GETXATTR_OUT_SIZE;
    }
    if (size < v.length || v.length > out.capacity()) {
      return -Errno.ERANGE.code;
    }
    out.bytes(0, v);
    return v.length;
  }

  private int removexattr(Request r) {
    if (r.nodeId() == NodeFs.ROOT && FsMetrics.XATTR.equals(r.name(0))) {
      return -Errno.EPERM.code; // the stats xattr is read-only
    }
    fs.removexattr(r.nodeId(), r.name(0));
    return 0;
  }

  // ---------------------------------------------------------------------------------------------
  // ioctl (SPEC 4.1, the same ABI as the jnr-fuse binding)

  private int ioctl(Worker w, Request r, Reply out) {
    r.need(FuseAbi.IOCTL_IN_SIZE);
    int cmd = r.u32(FuseAbi.IOCTL_IN_CMD);
    int inSize = r.u32(FuseAbi.IOCTL_IN_IN_SIZE);
    int outSize = r.u32(FuseAbi.IOCTL_IN_OUT_SIZE);
    boolean dir = (r.u32(FuseAbi.IOCTL_IN_FLAGS) & FuseAbi.IOCTL_FLAG_DIR) != 0;
    ByteBuffer data = null;
    if (SealIoctl.known(cmd) && cmd != IoctlCodec.UNSEAL) {
      int need = IoctlCodec.argSizeBytes(cmd);
      if (inSize > need || outSize > need || inSize > r.bodyLength() - FuseAbi.IOCTL_IN_SIZE) {
        return -Errno.EINVAL.code;
      }
      data = w.ioctlData();
      for (int i = 0; i < need; i += 8) {
        data.putLong(i, 0L);
      }
      data.put(0, r.buf, r.at(FuseAbi.IOCTL_IN_SIZE), inSize);
    }
    Caller caller = r.caller();
    long fh = r.u64(FuseAbi.IOCTL_IN_FH);
    int res = SealIoctl.serve(fs.core(), fh, cmd, dir, data, caller);
    if (res < 0) {
      return res;
    }
    Long ino = cmd == IoctlCodec.UNSEAL && cache != null ? handleInodes.get(fh) : null;
    if (ino != null) {
      afterUnseal(ino);
    }
    out.zero(0, FuseAbi.IOCTL_OUT_SIZE);
    out.u32(FuseAbi.IOCTL_OUT_RESULT, res);
    return FuseAbi.IOCTL_OUT_SIZE + (data == null ? 0 : outSize);
  }
}
