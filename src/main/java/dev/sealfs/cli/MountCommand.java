package dev.sealfs.cli;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.SealFs;
import dev.sealfs.core.device.DeviceIo;
import dev.sealfs.fuse.FuseMount;
import dev.sealfs.fuse.MountInfo;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sealfs mount DEVICE MOUNTPOINT [-f] [-o OPTS] [--pidfile FILE]}.
 *
 * <p>Background by default: the parent checks the mount point, re-runs itself as a detached
 * child ({@code setsid java ... mount -f ...}, output to a log file), waits until the mount is
 * listed in /proc/self/mountinfo (or the child dies, whose last {@code sealfs:} line it relays),
 * prints where it is mounted and exits 0. {@code -f} mounts in this process and blocks until
 * unmounted.
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
    description = "Mount the sealfs filesystem on DEVICE at MOUNTPOINT (in the background"
        + " unless -f).",
    footerHeading = "%n",
    footer = {"Default options (always used): " + FuseMount.DEFAULT_OPTIONS_TEXT,
        "Options given with -o are added after these (a later value wins).",
        "FUSE binding: -o binding=native (the default; $SEALFS_BINDING sets another default)"
            + " speaks /dev/fuse itself: root mounts with mount(2), other users through"
            + " fusermount3; protocol 7.38, 1 MiB requests,"
            + " -o threads=N workers (default: cores), copy_file_range into a sealed file is"
            + " ETXTBSY, SEEK_DATA/SEEK_HOLE follow the extent map, READDIRPLUS and STATX, and a"
            + " file opened while sealed is opened for direct I/O so that a refused write fails"
            + " whole (no short write); the page cache is kept across opens of unsealed files and"
            + " dropped when a seal ends (-o nokeep_cache: dropped at every open; docs/design.md);"
            + " requests come by FUSE-over-io_uring where the kernel allows it (enable_uring=Y),"
            + " else by /dev/fuse reads (-o io_uring=off: always /dev/fuse;"
            + " $SEALFS_TRANSPORT=io_uring|dev_fuse sets the default)."
            + " -o binding=jnr-fuse is libfuse 2.9 through"
            + " jnr-fuse: protocol 7.19, 128 KiB requests, one thread, copy_file_range and"
            + " SEEK_DATA/SEEK_HOLE handled by the kernel (as writes, and all data), a write"
            + " crossing EOF of a sealed file can come back short.",
        "Metrics: -o metrics=[HOST:]PORT serves Prometheus text at http://HOST:PORT/metrics"
            + " (HOST defaults to 127.0.0.1; PORT 0 picks a free port, shown by sealfs stats);"
            + " -o metrics records without a port. Off by default; sealfs stats MOUNTPOINT"
            + " reads the same numbers from the mount root's xattr user.sealfs.stats.",
        "Device I/O: -o device_io=buffered (the default) writes file data to the device"
            + " through the host page cache; -o device_io=direct writes it with O_DIRECT"
            + " (like qemu's cache=none: no second copy in the host page cache, writes to an"
            + " image file on ext4 scale over threads, but each is slower; metadata, the"
            + " journal and reads stay buffered). A device whose filesystem cannot do O_DIRECT"
            + " (or is tmpfs) is refused. -o device_io=mmap stores file data through a shared"
            + " mapping of an image file (no host inode lock, so writes of several threads to"
            + " one image run side by side; only an image file, not a block device; a host I/O"
            + " error fails the write with EIO). docs/design.md, docs/performance.md.",
        "Ignored for mount(8)/fstab compatibility: rw defaults user users noauto nofail _netdev"
            + " auto dev suid exec.",
        "Unmount with: fusermount3 -u MOUNTPOINT (or send SIGTERM/SIGINT to the daemon)."})
final class MountCommand implements Callable<Integer> {

  /** mount(8)/fstab options libfuse 2.9 would reject or that mean nothing here. */
  static final Set<String> DROPPED_OPTIONS = Set.of("rw", "defaults", "user", "users", "noauto",
      "nofail", "_netdev", "auto", "dev", "suid", "exec");
  /** How long the background parent waits for the mount. */
  static final long BACKGROUND_TIMEOUT_MS = 30_000;

  /** This command's model, injected by picocli. */
  @Spec
  CommandSpec spec;

  /** The device or image file. */
  @Parameters(index = "0", paramLabel = "DEVICE", description = "image file or block device")
  Path device;

  /** Where to mount. */
  @Parameters(index = "1", paramLabel = "MOUNTPOINT", description = "an empty directory")
  Path mountpoint;

  /** Stay in the foreground. */
  @Option(names = "-f", description = "stay in the foreground until unmounted")
  boolean foreground;

  /** libfuse debug output. */
  @Option(names = "-d", description = "print every FUSE request (libfuse -d; implies -f)")
  boolean debug;

  /** Accepted for compatibility; sealfs is always single-threaded. */
  @Option(names = "-s", hidden = true)
  boolean singleThreaded;

  /** Extra mount options. */
  @Option(names = "-o", paramLabel = "OPTS", split = "(?<!\\\\),", splitSynopsisLabel = ",",
      description = "comma-separated FUSE mount options (see mount.fuse3(8)), e.g. allow_other,ro")
  List<String> options = new ArrayList<>();

  /** Where the daemon writes its pid. */
  @Option(names = "--pidfile", paramLabel = "FILE", description = "write the daemon's pid here")
  Path pidFile;

  /** Mounts; returns the exit code. */
  @Override
  public Integer call() throws Exception {
    List<String> opts = filterOptions(options);
    boolean readOnly = opts.contains("ro");
    Path dev = device.toAbsolutePath().normalize();
    Path pid = pidFile == null ? null : pidFile.toAbsolutePath().normalize();
    if (foreground || debug) {
      return runForeground(dev, opts, readOnly, pid);
    }
    return runBackground(dev, opts, pid);
  }

  /** Returns {@code options} without the ones in {@link #DROPPED_OPTIONS} (and empty ones). */
  static List<String> filterOptions(List<String> options) {
    List<String> out = new ArrayList<>();
    for (String o : options) {
      String t = o.trim();
      if (!t.isEmpty() && !DROPPED_OPTIONS.contains(t)) {
        out.add(t);
      }
    }
    return out;
  }

  /** Opens the filesystem, mounts it here and serves until unmounted. */
  private int runForeground(Path dev, List<String> opts, boolean readOnly, Path pid)
      throws InterruptedException {
    List<String> fuseOpts = new ArrayList<>(opts);
    SealOptions sealOpts = SealOptions.take(fuseOpts);
    DeviceIo io = DeviceOptions.take(fuseOpts);
    Path mnt = FuseMount.preflight(mountpoint, fuseOpts);
    warnAboutDeviceAccess(dev, fuseOpts);
    SealFs fs = SealFs.open(dev, readOnly, io);
    sealOpts.applyTo(fs);
    opts = fuseOpts;
    FuseMount m = FuseMount.mount(fs, mnt, opts, debug, pid);
    try {
      PrintWriter out = spec.commandLine().getOut();
      out.println("sealfs: mounted " + dev + " at " + mnt + " (pid "
          + ProcessHandle.current().pid() + "); unmount with: fusermount3 -u " + mnt);
      out.flush();
      int status = m.awaitExit();
      return status == 0 ? 0 : Main.EXIT_FAILURE;
    } finally {
      m.close();
    }
  }

  /** Starts a detached foreground child and waits until its mount is live. */
  private int runBackground(Path dev, List<String> opts, Path pid) throws IOException {
    List<String> fuseOpts = new ArrayList<>(opts);
    SealOptions.take(fuseOpts); // checked here, applied by the child
    DeviceIo io = DeviceOptions.take(fuseOpts); // likewise
    Path mnt = FuseMount.preflight(mountpoint, fuseOpts);
    SealFs.check(dev, io);
    warnAboutDeviceAccess(dev, fuseOpts);
    String base = mnt.getFileName() == null ? "root" : mnt.getFileName().toString();
    Path tmp = Paths.get(System.getProperty("java.io.tmpdir"));
    Path log = daemonLog(tmp, base, ProcessHandle.current().pid());
    if (pid != null) {
      Files.deleteIfExists(pid);
    }
    List<String> cmd = childCommand(dev, mnt, opts, pid);
    Process child = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectErrorStream(true)
        .start();
    PrintWriter out = spec.commandLine().getOut();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BACKGROUND_TIMEOUT_MS);
    while (System.nanoTime() < deadline) {
      boolean mounted = MountInfo.isMounted(mnt);
      if (mounted && (pid == null || Files.exists(pid))) {
        long daemonPid = readPid(pid, child.pid());
        out.println("sealfs: mounted " + dev + " at " + mnt + " (pid " + daemonPid
            + "); unmount with: fusermount3 -u " + mnt);
        out.println("sealfs: daemon log: " + log);
        out.flush();
        return 0;
      }
      if (!child.isAlive()) {
        throw new FsException(Errno.EIO, childFailure(log, child.exitValue()));
      }
      sleepMs(25);
    }
    child.destroy();
    try {
      child.waitFor(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new FsException(Errno.EIO, "timed out after " + BACKGROUND_TIMEOUT_MS / 1000
        + " s waiting for the mount at " + mnt + "; see " + log);
  }

  /**
   * Returns a log file in {@code tmp} that no earlier mount wrote: {@code sealfs-BASE-PID.log},
   * or a fresh temporary name when that exists (pids wrap, and the earlier log may be another
   * user's or still be written by a live daemon, so a mount never appends to it).
   */
  static Path daemonLog(Path tmp, String base, long pid) throws IOException {
    Path log = tmp.resolve("sealfs-" + base + "-" + pid + ".log");
    if (Files.exists(log, LinkOption.NOFOLLOW_LINKS)) {
      log = Files.createTempFile(tmp, "sealfs-" + base + "-", ".log");
    }
    return log;
  }

  /** Prints the one-line warning for a device others may open under allow_other, if due. */
  private void warnAboutDeviceAccess(Path dev, List<String> opts) {
    FuseMount.deviceAccessWarning(dev, opts).ifPresent(w -> {
      PrintWriter err = spec.commandLine().getErr();
      err.println(w);
      err.flush();
    });
  }

  /**
   * The JVM flag that makes jnr-ffi decode file names one byte per char, so that names which are
   * not valid in the locale's charset round-trip through the daemon (see SealFuse).
   */
  static final String BYTE_NAMES_FLAG = "-Dfile.encoding=ISO-8859-1";

  /**
   * Returns the command that runs this sealfs again: same java, JVM flags and classpath, plus
   * {@link #BYTE_NAMES_FLAG} (the children are mount daemons).
   */
  static List<String> selfCommand() {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command()
        .orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")) {
        cmd.add(a);
      }
    }
    cmd.add(BYTE_NAMES_FLAG);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    return cmd;
  }

  /** Returns the command line of the background child (same java, classpath and JVM flags). */
  private List<String> childCommand(Path dev, Path mnt, List<String> opts, Path pid) {
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(Paths.get("/usr/bin/setsid"))) {
      cmd.add("/usr/bin/setsid");
    }
    cmd.addAll(selfCommand());
    cmd.add("mount");
    cmd.add("-f");
    if (!opts.isEmpty()) {
      cmd.add("-o");
      cmd.add(String.join(",", opts));
    }
    if (pid != null) {
      cmd.add("--pidfile");
      cmd.add(pid.toString());
    }
    cmd.add("--");
    cmd.add(dev.toString());
    cmd.add(mnt.toString());
    return cmd;
  }

  /** Returns the one-line reason a background child gave before exiting. */
  static String childFailure(Path log, int exitCode) {
    List<String> lines;
    try {
      lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      lines = List.of();
    }
    String reason = null;
    String fuse = null;
    String last = null;
    for (String l : lines) {
      String t = l.trim();
      if (t.isEmpty()) {
        continue;
      }
      last = t;
      if (t.startsWith("sealfs: ") && !t.startsWith("sealfs: mounted ")
          && !t.startsWith("sealfs: daemon log") && !t.startsWith("sealfs: warning: ")) {
        reason = t.substring("sealfs: ".length());
      } else if (t.startsWith("fuse: ")) {
        fuse = t;
      }
    }
    if (reason == null) {
      reason = last != null ? last : "the mount daemon exited with status " + exitCode;
    }
    if (fuse != null && !reason.contains(fuse)) {
      reason = reason + " [" + fuse + "]";
    }
    return reason + " (log: " + log + ")";
  }

  /** Returns the pid in {@code pidFile}, or {@code fallback}. */
  private static long readPid(Path pidFile, long fallback) {
    if (pidFile == null) {
      return fallback;
    }
    try {
      return Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).trim());
    } catch (IOException | NumberFormatException e) {
      return fallback;
    }
  }

  /** Sleeps, keeping the interrupt flag. */
  private static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
