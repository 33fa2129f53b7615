package dev.sealfs.fuse.kernel;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.SealFs;
import dev.sealfs.metrics.FsMetrics;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A native FUSE session: sealfs speaks the kernel protocol over /dev/fuse itself.
 *
 * <h2>Theory of operation</h2>
 *
 * <pre>
 *   run():  root: open /dev/fuse (fd0) -- mount(2) "fd=fd0,rootmode=40000,user_id,group_id,..."
 *           a user: fd0 from fusermount3 over a socket (UserMount), which mounts for us
 *           io_uring rings prepared if allowed (UringTransport), INIT then asks for them
 *           worker 0 serves fd0 until INIT is answered (nothing else is queued before it)
 *           io_uring entries register (or the rings are freed); one log line names the transport
 *           workers 1..N-1: open /dev/fuse, ioctl(FUSE_DEV_IOC_CLONE, fd0), own thread each
 *           worker 0 serves on in the calling thread; run() returns when every worker has seen
 *           ENODEV (unmounted: fusermount3 -u, umount) or ECONNABORTED (aborted), and the
 *           io_uring entries have ended (ENOTCONN)
 * </pre>
 *
 * On io_uring the /dev/fuse workers still serve what the kernel sends there: INIT, FORGET,
 * INTERRUPT, and everything if the rings were refused.
 *
 * Each worker owns its fd, its buffers and the reply path (the kernel matches a reply to its
 * request in the fd's own processing queue). Unmounting is {@link dev.sealfs.fuse.FuseMount}'s
 * job, exactly as for the jnr-fuse binding; {@link #run} only closes its fds once served. If
 * fd0 cannot be cloned (/dev/fuse not open to this user), the workers share it, which the
 * kernel allows (each read takes one whole request).
 */
public final class KernelSession {

  private static final Logger LOG = LoggerFactory.getLogger(KernelSession.class);

  /** errno EPERM. */
  private static final int EPERM = 1;
  /** errno EACCES. */
  private static final int EACCES = 13;
  /** errno EINVAL. */
  private static final int EINVAL = 22;
  /** How long run() waits for the io_uring entries to end after the /dev/fuse workers. */
  private static final long URING_JOIN_MS = 10_000;

  /** The FUSE device. */
  private static final byte[] DEV_FUSE = Libc.cString("/dev/fuse".getBytes(Charset.defaultCharset()));

  /** The filesystem the kernel sees. */
  private final NodeFs fs;
  /** Where to mount, as bytes (sun.jnu.encoding). */
  private final byte[] mountpoint;
  /** The mount(2) arguments. */
  private final KernelMount spec;
  /** Whether to -d log every request. */
  private final boolean debug;
  /** The INIT handshake. */
  private final Init init;

  /** The mount's metrics, or null. */
  private final FsMetrics metrics;

  /** Creates a session serving {@code core} at {@code mountpoint}; not yet mounted. */
  public KernelSession(SealFs core, Path mountpoint, KernelMount spec, boolean debug) {
    this(core, mountpoint, spec, debug, null);
  }

  /** As above, with the mount's {@code metrics} (null: none, and no stats xattr). */
  public KernelSession(SealFs core, Path mountpoint, KernelMount spec, boolean debug,
      FsMetrics metrics) {
    this.metrics = metrics;
    this.fs = new CoreNodeFs(core);
    this.mountpoint = Libc.cString(mountpoint.toString().getBytes(jnuCharset()));
    this.spec = spec;
    this.init = new Init(spec.killPrivV2());
    this.debug = debug;
    if (debug) {
      // -d: the per-request lines are INFO; show them even when the log level is WARN.
      org.slf4j.Logger l = LoggerFactory.getLogger(KernelSession.class.getPackageName());
      if (l instanceof ch.qos.logback.classic.Logger) {
        ((ch.qos.logback.classic.Logger) l).setLevel(ch.qos.logback.classic.Level.INFO);
      }
    }
  }

  /** The charset the JVM encodes file names with. */
  private static Charset jnuCharset() {
    try {
      return Charset.forName(System.getProperty("sun.jnu.encoding"));
    } catch (RuntimeException e) {
      return Charset.defaultCharset();
    }
  }

  /**
   * Mounts, serves until unmounted and returns 0 (1 if the connection ended before INIT).
   * Throws {@link FsException} if the mount itself fails. The argument is ignored (it is
   * there to fit {@code FuseMount}'s loop interface).
   */
  public int run(String[] ignored) {
    Libc.Api c = Libc.api();
    int fd0 = connect(c);
    List<Integer> fds = new ArrayList<>();
    fds.add(fd0);
    List<Thread> threads = new ArrayList<>();
    CacheInvalidator cache = spec.keepCache() ? new CacheInvalidator(fd0) : null;
    Ops ops = new Ops(fs, init, debug, cache, metrics);
    UringTransport uring = null;
    try {
      uring = UringTransport.prepare(spec.ioUring(), fd0, ops, spec.threads());
      init.offerUring(uring.prepared());
      if (cache != null) {
        Thread notifier = new Thread(cache, "sealfs-fuse-notify");
        notifier.setDaemon(true);
        notifier.start();
      }
      Worker first = new Worker(fd0, ops);
      while (!init.done()) {
        if (!first.serveOne()) {
          LOG.error("sealfs: the FUSE connection ended before INIT");
          return 1;
        }
      }
      try {
        uring.start(init.uringAgreed());
      } catch (RuntimeException e) {
        LOG.error("sealfs: FUSE transport: starting io_uring failed; /dev/fuse serves on", e);
      }
      boolean cloning = true;
      for (int k = 1; k < spec.threads(); k++) {
        int fd = cloning ? cloneFd(c, fd0) : fd0;
        cloning = fd != fd0;
        if (fd != fd0) {
          fds.add(fd);
        }
        Thread t = new Thread(new Worker(fd, ops), "sealfs-fuse-" + k);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
      LOG.info("serving with {} worker thread(s)", spec.threads());
      first.run();
      for (Thread t : threads) {
        t.join();
      }
      uring.join(URING_JOIN_MS);
      LOG.info("FUSE session ended; {}", ops.writeStats());
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } finally {
      if (uring != null) {
        uring.freeUnstarted();
      }
      if (cache != null) {
        cache.stop();
      }
      for (int fd : fds) {
        c.close(fd);
      }
    }
  }

  /**
   * Mounts and returns the connection's /dev/fuse fd: root opens /dev/fuse and calls mount(2);
   * a user, or root without the right to mount(2) (EPERM, e.g. in a user namespace), goes
   * through fusermount3 ({@link UserMount}), as libfuse does.
   */
  private int connect(Libc.Api c) {
    if (c.getuid() != 0) {
      return UserMount.mount(spec, mountpoint, jnuCharset());
    }
    int fd = c.open(DEV_FUSE, Libc.O_RDWR | Libc.O_CLOEXEC);
    if (fd < 0) {
      throw new FsException(Errno.EIO, "cannot open /dev/fuse (errno " + Libc.errno() + ")");
    }
    String data = spec.data(fd, c.getuid(), c.getgid());
    int rc = c.mount(Libc.cString(spec.source().getBytes(jnuCharset())), mountpoint,
        Libc.cString(spec.type().getBytes(Charset.defaultCharset())), spec.flags(),
        Libc.cString(data.getBytes(Charset.defaultCharset())));
    if (rc == 0) {
      LOG.info("mounted {} type {} flags 0x{} options {}", spec.source(), spec.type(),
          Long.toHexString(spec.flags()), data);
      return fd;
    }
    int e = Libc.errno();
    c.close(fd);
    if (e == EPERM) {
      LOG.info("mount(2) not permitted; mounting through fusermount3");
      return UserMount.mount(spec, mountpoint, jnuCharset());
    }
    String why = e == EINVAL ? "invalid argument: an -o option the kernel does not know? ("
        + data + ")" : "errno " + e;
    throw new FsException(Errno.EIO, "mount(2) failed: " + why);
  }

  /** Returns a clone of {@code fd0} for one worker, or {@code fd0} itself if cloning fails. */
  private static int cloneFd(Libc.Api c, int fd0) {
    int fd = c.open(DEV_FUSE, Libc.O_RDWR | Libc.O_CLOEXEC);
    if (fd < 0) {
      int e = Libc.errno();
      if (e == EACCES) {
        LOG.info("/dev/fuse is not open to this user: the workers share fd {}", fd0);
      } else {
        LOG.warn("sealfs: cannot open /dev/fuse for a clone (errno {}); sharing fd {}", e, fd0);
      }
      return fd0;
    }
    if (c.ioctl(fd, FuseAbi.DEV_IOC_CLONE, new int[] {fd0}) != 0) {
      LOG.warn("sealfs: FUSE_DEV_IOC_CLONE failed (errno {}); sharing fd {}", Libc.errno(), fd0);
      c.close(fd);
      return fd0;
    }
    return fd;
  }
}
