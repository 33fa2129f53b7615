package dev.sealfs.fuse;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.SealFs;
import dev.sealfs.fuse.kernel.KernelMount;
import dev.sealfs.fuse.kernel.KernelSession;
import dev.sealfs.metrics.FsMetrics;
import dev.sealfs.metrics.MetricsOption;
import dev.sealfs.metrics.MetricsServer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live mount of one {@link SealFs}: preflight checks, the libfuse loop on its own thread, and
 * a bounded, idempotent unmount that also runs from a JVM shutdown hook (SIGTERM, SIGINT).
 *
 * <p>Lifecycle: {@link #mount} returns only once the mount shows up in /proc/self/mountinfo.
 * {@link #close} runs {@code fusermount3 -u} (falling back to {@code -uz}), waits for the loop
 * (bounded), then closes the filesystem (flush and checkpoint). jnr-fuse's own mount() and its
 * shutdown hook (a lazy {@code fusermount -u -z}) are not used: this class calls
 * {@code fuse_main_real} itself.
 */
public final class FuseMount implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FuseMount.class);

  /** How long {@link #mount} waits for the mount to appear. */
  static final long MOUNT_TIMEOUT_MS = 30_000;
  /** How long a busy mount is retried with a plain unmount before a lazy one. */
  static final long UNMOUNT_RETRY_MS = 3_000;
  /** How long {@link #close} waits for the libfuse loop to end. */
  static final long LOOP_JOIN_MS = 10_000;
  /** How long one fusermount3 run may take. */
  private static final long FUSERMOUNT_TIMEOUT_MS = 10_000;
  /** The FUSE device the kernel module provides. */
  private static final Path DEV_FUSE = Paths.get("/dev/fuse");
  /** Where the kernel lists FUSE connections (needs the fusectl filesystem mounted). */
  private static final Path FUSE_CONNECTIONS = Paths.get("/sys/fs/fuse/connections");

  /** Runs libfuse's main loop with an argv; returns its exit status. */
  @FunctionalInterface
  interface FuseMain {
    /** Mounts, serves until unmounted, and returns fuse_main_real's status. */
    int run(String[] args);
  }

  /** The libfuse entry point this mount runs. */
  private final FuseMain fuseMain;
  /** What to close after the loop has ended (the filesystem). */
  private final AutoCloseable onClose;
  /** The canonical mount point. */
  private final Path mountpoint;
  /** The argv handed to fuse_main_real. */
  private final String[] args;
  /** The pid file to write before mounting and remove after, or null. */
  private final Path pidFile;
  /** The thread running the libfuse loop. */
  private final Thread loopThread;
  /** The shutdown hook that unmounts. */
  private final Thread shutdownHook;
  /** fuse_main_real's status once it has returned. */
  private volatile int loopStatus = Integer.MIN_VALUE;
  /** The loop's unexpected failure, if any. */
  private volatile Throwable loopFailure;
  /** The mount as the kernel lists it, once it is live. */
  private volatile MountInfo mountInfo;
  /** True once {@link #close} has started. */
  private boolean closed;

  /** Creates a mount that is not yet started. */
  FuseMount(FuseMain fuseMain, AutoCloseable onClose, Path mountpoint, String[] args,
      Path pidFile) {
    this.fuseMain = fuseMain;
    this.onClose = onClose;
    this.mountpoint = mountpoint;
    this.args = args.clone();
    this.pidFile = pidFile;
    this.loopThread = new Thread(this::loop, "sealfs-fuse-loop");
    this.shutdownHook = new Thread(this::close, "sealfs-unmount");
  }

  // ---------------------------------------------------------------------------------------------
  // options

  /** Returns the default -o options for a mount of {@code device} (CONTEXT.md "Mount defaults"). */
  public static List<String> defaultOptions(Path device) {
    return List.of("big_writes", "max_write=131072",
        "fsname=" + escapeOption(device.toAbsolutePath().normalize().toString()),
        "subtype=sealfs", "default_permissions", "use_ino", "attr_timeout=0");
  }

  /** The default options as the help text shows them. */
  public static final String DEFAULT_OPTIONS_TEXT = "-s -o big_writes,max_write=131072,"
      + "fsname=<abs device path>,subtype=sealfs,default_permissions,use_ino,"
      + "attr_timeout=0 (and allow_other when mounted by root: the kernel's permission checks"
      + " still apply; -o noallow_other keeps the mount to root); sealfs also tells the kernel"
      + " it clears setuid/setgid itself (FUSE_HANDLE_KILLPRIV_V2), which spares a GETXATTR"
      + " round trip per write; -o nokillpriv_v2 turns that off";

  /** Our own pseudo-option that keeps a root mount private (not passed to libfuse). */
  static final String NO_ALLOW_OTHER = "noallow_other";
  /** Our own pseudo-option that leaves libfuse's INIT reply alone (not passed to libfuse). */
  static final String NO_KILLPRIV_V2 = "nokillpriv_v2";
  /** Our own option choosing the FUSE binding: {@code binding=jnr-fuse} or {@code binding=native}. */
  static final String BINDING = "binding=";
  /** Our own option: worker threads of the native binding. */
  static final String THREADS = "threads=";
  /**
   * The binding used when neither -o binding= nor $SEALFS_BINDING is given: the native one, for
   * root (mount(2)) and for users (through fusermount3).
   */
  public static String defaultBinding() {
    return "native";
  }

  /** The environment variable naming the native binding's transport when -o io_uring is not given. */
  public static final String TRANSPORT_ENV = "SEALFS_TRANSPORT";

  /**
   * Returns the native binding's transport options: the user's -o io_uring[=...], or without one
   * what {@code env} ($SEALFS_TRANSPORT) says: {@code io_uring} or {@code dev_fuse}
   * (empty: the default, io_uring where the kernel allows it); EINVAL for another value.
   */
  static List<String> transportOptions(List<String> userOptions, String env) {
    List<String> own = new ArrayList<>();
    for (String o : userOptions) {
      if (KernelMount.isIoUringOption(o)) {
        own.add(o);
      }
    }
    if (!own.isEmpty() || env == null || env.isEmpty()) {
      return own;
    }
    switch (env) {
      case "io_uring": return List.of(KernelMount.IO_URING);
      case "dev_fuse": return List.of(KernelMount.IO_URING + "=off");
      default: throw new FsException(Errno.EINVAL, "unknown " + TRANSPORT_ENV + " '" + env
          + "' (io_uring or dev_fuse)");
    }
  }

  /** The environment variable naming the binding used when -o binding= is not given. */
  public static final String BINDING_ENV = "SEALFS_BINDING";

  /**
   * Returns the binding the options choose (the last binding= wins; without one, $SEALFS_BINDING
   * or {@link #defaultBinding}); EINVAL if unknown.
   */
  public static String binding(List<String> userOptions) {
    String env = System.getenv(BINDING_ENV);
    String b = env == null || env.isEmpty() ? defaultBinding() : env;
    for (String o : userOptions) {
      if (o.startsWith(BINDING)) {
        b = o.substring(BINDING.length());
      }
    }
    if (!b.equals("jnr-fuse") && !b.equals("native")) {
      throw new FsException(Errno.EINVAL, "unknown binding '" + b
          + "' (-o binding=jnr-fuse or -o binding=native)");
    }
    return b;
  }

  /**
   * Returns the options libfuse gets: the defaults, then the user's, plus {@code allow_other}
   * when root mounts (so other users reach the files as on ext4; default_permissions keeps the
   * kernel's permission checks) unless the user said {@code noallow_other}.
   */
  static List<String> effectiveOptions(Path device, List<String> userOptions, boolean root) {
    List<String> opts = new ArrayList<>(defaultOptions(device));
    boolean keepPrivate = userOptions.contains(NO_ALLOW_OTHER);
    for (String o : userOptions) {
      if (!o.equals(NO_ALLOW_OTHER) && !o.equals(NO_KILLPRIV_V2) && !o.startsWith(BINDING)
          && !o.startsWith(THREADS) && !o.equals(KernelMount.KEEP_CACHE)
          && !o.equals(KernelMount.NO_KEEP_CACHE) && !KernelMount.isIoUringOption(o)
          && !MetricsOption.matches(o)) {
        opts.add(o);
      }
    }
    if (root && !keepPrivate && !opts.contains("allow_other") && !opts.contains("allow_root")) {
      opts.add("allow_other");
    }
    return opts;
  }

  /**
   * Returns the one-line warning for a mount with {@code allow_other} of a device that users
   * other than its owner may read or write (group or other bits in {@code perms}): such a user
   * reads every file straight from the device, around the mount's permission checks. Empty when
   * there is nothing to warn about.
   */
  static Optional<String> deviceAccessWarning(Path device, Set<PosixFilePermission> perms,
      boolean allowOther) {
    EnumSet<PosixFilePermission> open = EnumSet.of(PosixFilePermission.GROUP_READ,
        PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.OTHERS_WRITE);
    open.retainAll(perms);
    if (!allowOther || open.isEmpty()) {
      return Optional.empty();
    }
    boolean readable = open.contains(PosixFilePermission.GROUP_READ)
        || open.contains(PosixFilePermission.OTHERS_READ);
    String who = open.contains(PosixFilePermission.OTHERS_READ)
        || open.contains(PosixFilePermission.OTHERS_WRITE) ? "every user" : "its group";
    String path = device.toAbsolutePath().normalize().toString();
    return Optional.of("sealfs: warning: " + path + " (mode "
        + String.format("%04o", modeBits(perms)) + ") is " + (readable ? "readable" : "writable")
        + " by " + who + ", so with allow_other other users "
        + (readable ? "can read" : "can change")
        + " every file straight from the device, around its permissions on the mount; fix:"
        + " chmod 600 " + path);
  }

  /**
   * Returns {@link #deviceAccessWarning} for {@code device} as mounted with {@code userOptions}
   * by this process; empty if its mode cannot be read.
   */
  public static Optional<String> deviceAccessWarning(Path device, List<String> userOptions) {
    boolean allowOther = effectiveOptions(device, userOptions, runningAsRoot())
        .contains("allow_other");
    try {
      return deviceAccessWarning(device, Files.getPosixFilePermissions(device), allowOther);
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

  /** Returns the permission bits of {@code perms} as a number, e.g. 0644. */
  static int modeBits(Set<PosixFilePermission> perms) {
    int bits = 0;
    for (PosixFilePermission p : PosixFilePermission.values()) {
      if (perms.contains(p)) {
        bits |= 0400 >> p.ordinal();
      }
    }
    return bits;
  }

  /** Returns true if this process runs with effective uid 0. */
  static boolean runningAsRoot() {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[2].equals("0");
        }
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
    return false;
  }

  /** Escapes commas and backslashes for libfuse's -o parser. */
  static String escapeOption(String s) {
    return s.replace("\\", "\\\\").replace(",", "\\,");
  }

  /** Returns fuse_main_real's argv: program name, foreground, single-threaded, mount point, -o. */
  static String[] fuseArgs(Path mountpoint, Path device, List<String> userOptions,
      boolean debug) {
    List<String> opts = effectiveOptions(device, userOptions, runningAsRoot());
    List<String> argv = new ArrayList<>(List.of("sealfs", "-f", "-s"));
    if (debug) {
      argv.add("-d");
    }
    argv.add(mountpoint.toString());
    argv.add("-o");
    argv.add(String.join(",", opts));
    return argv.toArray(new String[0]);
  }

  // ---------------------------------------------------------------------------------------------
  // preflight

  /**
   * Checks that a mount at {@code mountpoint} can work; throws {@link FsException} with a
   * one-line, actionable message if not. Returns the canonical mount point.
   */
  public static Path preflight(Path mountpoint) {
    return preflight(mountpoint, List.of());
  }

  /**
   * As {@link #preflight(Path)} for a mount with {@code userOptions}: libfuse.so.2 is checked
   * only for the jnr-fuse binding.
   */
  public static Path preflight(Path mountpoint, List<String> userOptions) {
    boolean jnr = binding(userOptions).equals("jnr-fuse");
    Path mnt = checkMountpoint(mountpoint);
    checkEnvironment(jnr);
    return mnt;
  }

  /**
   * Checks the mount point: exists, is a directory, is not stale, is not already mounted. A
   * stale mount (its daemon gone) is recognised by the errno of stat(2), ENOTCONN or
   * ECONNABORTED (see {@link DeadMount}), and named by the kernel's mount table.
   */
  static Path checkMountpoint(Path mountpoint) {
    Path abs = mountpoint.toAbsolutePath().normalize();
    if (DeadMount.isDeadDaemonErrno(DeadMount.statErrno(abs))) {
      throw staleMount(abs);
    }
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(abs, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new FsException(Errno.ENOENT,
          "mount point " + abs + " does not exist (create it with: mkdir -p " + abs + ")");
    } catch (FileSystemException e) {
      String reason = String.valueOf(e.getReason());
      if (DeadMount.isDeadDaemonReason(reason)
          || DeadMount.isDeadDaemonErrno(DeadMount.statErrno(abs))) {
        throw staleMount(abs);
      }
      throw new FsException(Errno.EIO, "cannot use mount point " + abs + ": " + reason);
    } catch (IOException e) {
      throw new FsException(Errno.EIO, "cannot use mount point " + abs + ": " + e.getMessage());
    }
    if (!attrs.isDirectory()) {
      throw new FsException(Errno.ENOTDIR, "mount point " + abs + " is not a directory");
    }
    Path canonical = canonical(abs);
    Optional<MountInfo> m = MountInfo.find(canonical);
    if (m.isPresent() && m.get().fsType().startsWith("fuse")) {
      String how = m.get().fsType().startsWith("fuse") ? "fusermount3 -u " : "umount ";
      throw new FsException(Errno.EBUSY, "mount point " + canonical
          + " is already a mount point (" + m.get().fsType() + " from " + m.get().source()
          + "); unmount it first: " + how + canonical);
    }
    return canonical;
  }

  /**
   * Returns the error for a mount point whose FUSE daemon is gone, naming the mount to clear: the
   * kernel's entry holding {@code abs} (its parent resolved, as /proc/self/mountinfo lists it).
   */
  static FsException staleMount(Path abs) {
    Path listed = abs;
    try {
      Path parent = abs.getParent();
      listed = parent == null ? abs : parent.toRealPath().resolve(abs.getFileName());
    } catch (IOException e) {
      // keep abs
    }
    Path clear = DeadMount.fuseMountHolding(listed).map(m -> Paths.get(m.mountPoint()))
        .orElse(listed);
    String what = clear.equals(listed) ? "mount point " + abs + " is a stale FUSE mount"
        : "mount point " + abs + " lies in the stale FUSE mount " + clear;
    return new FsException(Errno.EIO, what + " (its daemon is gone); clear it with: fusermount3 -u "
        + clear);
  }

  /** Checks /dev/fuse, fusermount3 and libfuse.so.2. */
  static void checkEnvironment() {
    checkEnvironment(true);
  }

  /**
   * Checks /dev/fuse (a user needs read/write access too: fusermount3 opens it as the user),
   * fusermount3 and, if {@code libFuse}, libfuse.so.2.
   */
  static void checkEnvironment(boolean libFuse) {
    if (!Files.exists(DEV_FUSE)) {
      throw new FsException(Errno.ENOENT, "/dev/fuse is missing: install fuse3 and load the fuse"
          + " module (modprobe fuse); in a container pass --device /dev/fuse");
    }
    if (!Files.isReadable(DEV_FUSE) || !Files.isWritable(DEV_FUSE)) {
      throw new FsException(Errno.EACCES, "/dev/fuse is not accessible to this user; run as root"
          + " or give the user read/write access to /dev/fuse");
    }
    if (findOnPath("fusermount3") == null) {
      throw new FsException(Errno.ENOENT,
          "fusermount3 not found: install it with: apt-get install fuse3");
    }
    if (libFuse) {
      LibFuseProbe.check();
    }
  }

  /** Returns the executable {@code name} found on $PATH (or in /usr/bin, /bin), or null. */
  static Path findOnPath(String name) {
    String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/bin"
        + File.pathSeparator + "/bin";
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Paths.get(dir, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** Returns the real path of a directory (symlinks resolved), or its normalized absolute path. */
  static Path canonical(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // mount

  /**
   * Mounts {@code fs} at {@code mountpoint} with the default options plus {@code userOptions},
   * returning once the mount is live. Takes ownership of {@code fs}: it is closed by
   * {@link #close}, or before this method throws. Writes {@code pidFile} (if not null) first.
   */
  public static FuseMount mount(SealFs fs, Path mountpoint, List<String> userOptions,
      boolean debug, Path pidFile) {
    SealFuse fuse;
    Path mnt;
    FsMetrics metrics;
    AutoCloseable onClose;
    try {
      mnt = preflight(mountpoint, userOptions);
      MetricsOption option = metricsOption(userOptions);
      metrics = new FsMetrics(fs, option.recording());
      onClose = serveMetrics(fs, metrics, option);
    } catch (RuntimeException e) {
      closeQuietly(fs);
      throw e;
    }
    try {
      if (binding(userOptions).equals("native")) {
        return mountNative(fs, mnt, userOptions, debug, pidFile, metrics, onClose);
      }
      try {
        fuse = new SealFuse(fs, !userOptions.contains(NO_KILLPRIV_V2));
        fuse.setMetrics(metrics);
      } catch (LinkageError | RuntimeException e) {
        throw LibFuseProbe.failure(e);
      }
    } catch (RuntimeException e) {
      closeQuietly(onClose);
      throw e;
    }
    String[] argv = fuseArgs(mnt, fs.devicePath(), userOptions, debug);
    FuseMount m = new FuseMount(fuse::fuseMain, onClose, mnt, argv, pidFile);
    m.start();
    return m;
  }

  /** Returns the -o metrics option of {@code userOptions}; EINVAL if malformed. */
  static MetricsOption metricsOption(List<String> userOptions) {
    try {
      return MetricsOption.of(userOptions);
    } catch (IllegalArgumentException e) {
      throw new FsException(Errno.EINVAL, "bad mount option: " + e.getMessage());
    }
  }

  /**
   * Starts the /metrics server if {@code option} asks for one and returns what closing the mount
   * closes: the server (if any), then {@code fs}.
   */
  private static AutoCloseable serveMetrics(SealFs fs, FsMetrics metrics, MetricsOption option) {
    if (option.host() == null) {
      return fs;
    }
    MetricsServer server;
    try {
      server = MetricsServer.start(metrics, option.host(), option.port());
    } catch (IOException | RuntimeException e) {
      throw new FsException(Errno.EBUSY, "cannot serve metrics at " + option.host() + ":"
          + option.port() + ": " + e.getMessage());
    }
    int port = server.port();
    metrics.gauge("sealfs_metrics_http_port", "The port /metrics is served on (-o metrics)",
        () -> port);
    LOG.info("metrics at http://{}:{}/metrics", option.host().contains(":")
        ? "[" + option.host() + "]" : option.host(), port);
    return () -> {
      server.close();
      fs.close();
    };
  }

  /** Mounts with the native binding ({@link KernelSession}); {@code mnt} passed preflight. */
  private static FuseMount mountNative(SealFs fs, Path mnt, List<String> userOptions,
      boolean debug, Path pidFile, FsMetrics metrics, AutoCloseable onClose) {
    KernelMount spec;
    try {
      List<String> opts = effectiveOptions(fs.devicePath(), userOptions, runningAsRoot());
      for (String o : userOptions) {
        if (o.startsWith(THREADS) || o.equals(NO_KILLPRIV_V2)
            || o.equals(KernelMount.KEEP_CACHE) || o.equals(KernelMount.NO_KEEP_CACHE)) {
          opts.add(o);
        }
      }
      opts.addAll(transportOptions(userOptions, System.getenv(TRANSPORT_ENV)));
      spec = KernelMount.of(opts, Runtime.getRuntime().availableProcessors());
    } catch (IllegalArgumentException e) {
      throw new FsException(Errno.EINVAL, "bad mount option: " + e.getMessage());
    }
    KernelSession session = new KernelSession(fs, mnt, spec, debug, metrics);
    String[] shown = {"binding=native", "threads=" + spec.threads(), spec.type(), spec.source(),
        spec.kernelOptions()};
    FuseMount m = new FuseMount(session::run, onClose, mnt, shown, pidFile);
    m.start();
    return m;
  }

  /** Starts the loop and waits until the mount is live; on failure cleans up and throws. */
  void start() {
    try {
      if (pidFile != null) {
        Files.writeString(pidFile, ProcessHandle.current().pid() + "\n", StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      closeQuietly(onClose);
      throw new FsException(Errno.EIO, "cannot write pid file " + pidFile + ": " + e);
    }
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    loopThread.start();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MOUNT_TIMEOUT_MS);
    while (true) {
      Optional<MountInfo> m = MountInfo.find(mountpoint);
      if (m.isPresent()) {
        mountInfo = m.get();
        LOG.info("mounted at {} ({})", mountpoint, String.join(" ", args));
        return;
      }
      if (!loopThread.isAlive()) {
        close();
        Throwable t = loopFailure;
        String why = t != null ? "the FUSE loop failed: " + t
            : "libfuse gave up with status " + loopStatus + "; its fuse: message says why";
        throw new FsException(Errno.EIO, "could not mount at " + mountpoint + " (" + why + ")");
      }
      if (System.nanoTime() > deadline) {
        close();
        throw new FsException(Errno.EIO, "timed out after " + MOUNT_TIMEOUT_MS / 1000
            + " s waiting for the mount at " + mountpoint + " to appear");
      }
      synchronized (this) {
        if (closed) {
          throw new FsException(Errno.EIO, "interrupted while mounting at " + mountpoint);
        }
      }
      sleepMs(20);
    }
  }

  /** Body of the loop thread: runs fuse_main_real until the filesystem is unmounted. */
  private void loop() {
    try {
      loopStatus = fuseMain.run(args);
      LOG.info("FUSE loop for {} ended with status {}", mountpoint, loopStatus);
    } catch (Throwable t) {
      loopFailure = t;
      LOG.error("FUSE loop for {} failed", mountpoint, t);
    }
  }

  /** Returns the canonical mount point. */
  public Path mountpoint() {
    return mountpoint;
  }

  /**
   * Blocks until the filesystem is unmounted (by {@link #close}, {@code fusermount3 -u} or a
   * signal) and returns fuse_main_real's status (0 for a clean unmount).
   */
  public int awaitExit() throws InterruptedException {
    loopThread.join();
    return loopFailure != null ? 1 : loopStatus;
  }

  /**
   * Unmounts (bounded), waits for the loop (bounded), then closes the filesystem. Idempotent;
   * safe from the shutdown hook and from several threads (later callers wait for the first).
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      unmount();
      joinLoop();
    } catch (Throwable t) {
      LOG.error("unmounting {} failed", mountpoint, t);
    } finally {
      closeQuietly(onClose);
      deletePidFile();
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down (we may be that hook)
      }
    }
  }

  /** Runs fusermount3 -u while the mount is still listed; after a while falls back to -uz. */
  private void unmount() {
    if (mountInfo == null && loopThread.isAlive()) {
      // Still mounting (a signal came early): give the mount a moment to appear, then undo it.
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (!MountInfo.isMounted(mountpoint) && loopThread.isAlive()
          && System.nanoTime() < until) {
        sleepMs(20);
      }
    }
    if (!MountInfo.isMounted(mountpoint)) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(UNMOUNT_RETRY_MS);
    String last = "";
    while (MountInfo.isMounted(mountpoint)) {
      if (System.nanoTime() > deadline) {
        LOG.warn("{} still busy ({}); unmounting lazily", mountpoint, last);
        last = fusermount("-uz");
        if (MountInfo.isMounted(mountpoint)) {
          LOG.error("could not unmount {}: {}", mountpoint, last);
        }
        return;
      }
      last = fusermount("-u");
      if (MountInfo.isMounted(mountpoint)) {
        sleepMs(200);
      }
    }
  }

  /** Runs {@code fusermount3 FLAG MOUNTPOINT}; returns its output ("" on success). */
  private String fusermount(String flag) {
    try {
      Process p = new ProcessBuilder("fusermount3", flag,
          NativeStrings.toNative(mountpoint.toString()))
          .redirectErrorStream(true).start();
      p.getOutputStream().close();
      if (!p.waitFor(FUSERMOUNT_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return "fusermount3 " + flag + " timed out";
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.exitValue() == 0 ? "" : out;
    } catch (IOException e) {
      return "cannot run fusermount3: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** Waits (bounded) for the loop thread; aborts the FUSE connection if it will not end. */
  private void joinLoop() throws InterruptedException {
    if (Thread.currentThread() == loopThread || !loopThread.isAlive()) {
      return;
    }
    loopThread.join(LOOP_JOIN_MS);
    if (loopThread.isAlive() && abortConnection()) {
      loopThread.join(2_000);
    }
    if (loopThread.isAlive()) {
      LOG.warn("FUSE loop for {} did not end within {} s; closing the filesystem anyway",
          mountpoint, LOOP_JOIN_MS / 1000);
    }
  }

  /** Writes 1 to the connection's abort file in fusectl, if that is mounted; true if it was. */
  private boolean abortConnection() {
    MountInfo m = mountInfo;
    if (m == null || m.devNumber() < 0) {
      return false;
    }
    Path abort = FUSE_CONNECTIONS.resolve(Long.toString(m.devNumber())).resolve("abort");
    try {
      Files.writeString(abort, "1");
      LOG.warn("aborted the FUSE connection of {} ({})", mountpoint, abort);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Removes the pid file if it still names this process. */
  private void deletePidFile() {
    if (pidFile == null) {
      return;
    }
    try {
      String content = Files.readString(pidFile, StandardCharsets.UTF_8).trim();
      if (content.equals(Long.toString(ProcessHandle.current().pid()))) {
        Files.deleteIfExists(pidFile);
      }
    } catch (IOException e) {
      // already gone or unreadable: nothing to clean up
    }
  }

  /** Closes {@code c}, logging (never throwing) a failure. */
  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Throwable t) {
      LOG.error("closing {} failed", c, t);
    }
  }

  /** Sleeps without propagating interruption (the flag is kept). */
  private static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
