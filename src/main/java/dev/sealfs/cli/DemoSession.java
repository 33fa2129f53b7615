package dev.sealfs.cli;

import dev.sealfs.client.LibC;
import dev.sealfs.client.SealClient;
import dev.sealfs.client.SealClientException;
import dev.sealfs.client.SealHandle;
import dev.sealfs.fuse.MountInfo;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The temporary world of {@code sealfs demo}: a directory with an image and a mount point, the
 * mount daemon, and every child process and seal handle the demo started. {@link #cleanup}
 * releases all of it (handles, children, the mount, the files) exactly once, from the demo's
 * {@code finally} (or, if the story does not stop in time after Ctrl-C, from the shutdown hook).
 *
 * <p>Children: each command starts as the leader of a process group of its own (through
 * setsid(1)), so {@link #stop} and {@link #cleanup} end it together with everything it started
 * (a shell's pipeline, a background job) by signalling the group, and wait until no process of
 * the group is left. Once {@link #stop} or {@link #cleanup} has begun, nothing new starts.
 * Lock rule: every member that touches {@code children}, {@code handles} or {@code closing} is
 * synchronized on this session.
 */
final class DemoSession {
  /** The mount's break_time (SPEC 10): short, so that the revocation act waits only that. */
  static final int BREAK_TIME_SECONDS = 5;
  /** How long to wait for the mount to appear. */
  private static final long MOUNT_TIMEOUT_MS = 30_000;
  /** How long to keep retrying {@code fusermount3 -u} while handles are still being released. */
  private static final long UNMOUNT_RETRY_MS = 5_000;
  /** How long to wait for the daemon to exit after the unmount. */
  private static final long DAEMON_EXIT_MS = 10_000;
  /** Longest a command run by {@link #run} may take. */
  static final long COMMAND_TIMEOUT_MS = 60_000;
  /** setsid(1): runs a command as the leader of a new session and process group. */
  private static final Path SETSID = Paths.get("/usr/bin/setsid");
  /** SIGKILL's number. */
  private static final int SIGKILL = 9;
  /** How long to wait for the killed children (and their groups) to be gone. */
  private static final long CHILD_EXIT_MS = 5_000;

  /** The temporary directory holding everything. */
  final Path dir;
  /** The image file. */
  final Path image;
  /** The mount point (canonical). */
  final Path mnt;
  /** The daemon's log. */
  final Path log;
  /** The daemon's pid file. */
  final Path pidFile;

  /** The mount daemon ({@code sealfs mount -f}), or null before {@link #mount}. */
  private Process daemon;
  /** Child processes started by the demo (ended by pid at cleanup). */
  private final List<ProcessHandle> children = new ArrayList<>();
  /** Seal handles opened by the demo (closed at cleanup). */
  private final List<SealHandle> handles = new ArrayList<>();
  /** Set when cleanup starts: nothing new may be started after it. */
  private boolean closing;
  /** Set when cleanup has finished. */
  private boolean cleaned;

  /** Creates the temporary directory (under {@code parent}) and the mount point in it. */
  DemoSession(Path parent) throws IOException {
    Files.createDirectories(parent);
    this.dir = Files.createTempDirectory(parent.toAbsolutePath(), "sealfs-demo-").toRealPath();
    this.image = dir.resolve("demo.img");
    this.mnt = Files.createDirectory(dir.resolve("mnt")).toRealPath();
    this.log = dir.resolve("daemon.log");
    this.pidFile = dir.resolve("daemon.pid");
  }

  /** Returns the command line that runs this same sealfs (java, JVM flags, classpath, Main). */
  static List<String> selfCommand() {
    return MountCommand.selfCommand();
  }

  /**
   * Starts {@code sealfs mount -f} on the image as a child in its own session (so a terminal's
   * Ctrl-C reaches the demo, whose cleanup unmounts, and not the daemon) and waits until the
   * mount is live; returns the daemon's pid.
   */
  long mount() throws IOException {
    Process d = startDaemon();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MOUNT_TIMEOUT_MS);
    while (System.nanoTime() < deadline) {
      checkOpen();
      if (MountInfo.isMounted(mnt)) {
        return daemonPid();
      }
      if (!d.isAlive()) {
        throw new IOException("the mount daemon exited with status " + d.exitValue()
            + ": " + lastLine(log));
      }
      sleepMs(25);
    }
    throw new IOException("timed out waiting for the mount at " + mnt + " (log: " + log + ")");
  }

  /** Starts the mount daemon (unless stopping) and remembers it for cleanup. */
  private synchronized Process startDaemon() throws IOException {
    checkOpen();
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(SETSID)) {
      cmd.add(SETSID.toString());
    }
    cmd.addAll(selfCommand());
    cmd.addAll(List.of("mount", "-f", "-o", "break_time=" + BREAK_TIME_SECONDS, "--pidfile",
        pidFile.toString(), "--", image.toString(), mnt.toString()));
    daemon = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectErrorStream(true)
        .start();
    return daemon;
  }

  /** Returns the daemon's pid (from its pid file, else the started process). */
  long daemonPid() {
    try {
      return Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).trim());
    } catch (IOException | NumberFormatException e) {
      return daemon == null ? -1 : daemon.pid();
    }
  }

  /**
   * Starts {@code pb} as the leader of a new process group (through setsid(1) where it exists)
   * and remembers it so that stop and cleanup can end its whole group.
   */
  synchronized Process start(ProcessBuilder pb) throws IOException {
    checkOpen();
    if (Files.isExecutable(SETSID)) {
      List<String> cmd = new ArrayList<>();
      cmd.add(SETSID.toString());
      cmd.addAll(pb.command());
      pb.command(cmd);
    }
    Process p = pb.start();
    children.add(p.toHandle());
    return p;
  }

  /** Remembers a process the demo started indirectly (e.g. a shell's background job). */
  synchronized void adopt(long pid) {
    ProcessHandle.of(pid).ifPresent(children::add);
  }

  /** Opens a seal handle on {@code file} and remembers it so that cleanup can close it. */
  synchronized SealHandle open(Path file, boolean forWrite) throws SealClientException {
    if (closing) {
      throw new SealClientException("open " + file + " (demo is shutting down)", 4);
    }
    SealHandle h = SealClient.open(file, forWrite);
    handles.add(h);
    return h;
  }

  /** Result of one command: its exit status and its merged output. */
  record Result(int status, String output) {
    /** Returns true if the command failed and said "Text file busy" (ETXTBSY). */
    boolean busy() {
      return status != 0 && output.contains("Text file busy");
    }
  }

  /** Runs {@code cmd} in the mount point with IMG set, waits for it, returns status and output. */
  Result run(List<String> cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(mnt.toFile()).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put("IMG", image.toString());
    Process p = start(pb);
    byte[] out;
    try (InputStream in = p.getInputStream()) {
      out = in.readAllBytes();
    }
    try {
      if (!p.waitFor(COMMAND_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + ": interrupted");
    }
    forgetIfGone(p.toHandle());
    checkOpen(); // a command ended by stop() says nothing about the story
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).strip());
  }

  /** Fails once stop or cleanup has started. */
  synchronized void checkOpen() throws IOException {
    if (closing) {
      throw new IOException("the demo is shutting down");
    }
  }

  /**
   * Stops the story's side of the session at once (on Ctrl-C): nothing new may start, seal
   * handles may no longer be opened, and every child is ended with its whole process group, so
   * that a command the story is waiting for returns. The mount stays for {@link #cleanup}.
   */
  synchronized void stop(java.io.PrintWriter report) {
    closing = true;
    endChildren(report);
  }

  /**
   * Forgets a child that has exited and left no process in its group, so that its pid (which
   * the kernel may then reuse) is never signalled.
   */
  private synchronized void forgetIfGone(ProcessHandle c) {
    if (!c.isAlive() && ProcessGroups.members(c.pid()).isEmpty()) {
      children.remove(c);
    }
  }

  /**
   * Returns true if the process group numbered like child {@code c} exists and is the one
   * {@code c} created: {@code c} is alive (so its pid is its own), or its group outlived it and
   * no other process has taken the number as a group leader (the kernel keeps a group's number
   * from being reused while the group has members).
   */
  private static boolean isOwnGroup(ProcessHandle c) {
    List<Long> members = ProcessGroups.members(c.pid());
    return !members.isEmpty() && (c.isAlive() || !members.contains(c.pid()));
  }

  /** Kills every child with its process group and descendants; waits until all are gone. */
  private void endChildren(java.io.PrintWriter report) {
    List<ProcessHandle> all = new ArrayList<>();
    for (ProcessHandle c : children) {
      all.add(c);
      c.descendants().forEach(all::add);
    }
    for (ProcessHandle c : children) {
      if (isOwnGroup(c)) {
        LibC.get().kill((int) -c.pid(), SIGKILL); // its group: also jobs it started since
      }
    }
    for (ProcessHandle p : all) {
      p.destroyForcibly();
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CHILD_EXIT_MS);
    for (ProcessHandle c : children) {
      while (isOwnGroup(c) && System.nanoTime() < deadline) {
        sleepMs(10);
      }
      if (isOwnGroup(c)) {
        report.println("sealfs: demo cleanup: processes " + ProcessGroups.members(c.pid())
            + " of " + c.pid() + "'s group did not exit");
      }
    }
    for (ProcessHandle p : all) {
      try {
        p.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        report.println("sealfs: demo cleanup: process " + p.pid() + " did not exit");
      }
    }
    children.clear();
  }

  /**
   * Releases everything once: closes handles, ends the child processes (by pid), and, unless
   * {@code keepMount}, unmounts, stops the daemon and deletes the temporary directory. Problems
   * go to {@code report} (one line each); never throws.
   */
  synchronized void cleanup(boolean keepMount, java.io.PrintWriter report) {
    if (cleaned) {
      return;
    }
    closing = true;
    for (SealHandle h : handles) {
      try {
        h.close();
      } catch (SealClientException | RuntimeException e) {
        report.println("sealfs: demo cleanup: cannot close " + h.file() + ": " + e.getMessage());
      }
    }
    handles.clear();
    endChildren(report);
    if (!keepMount) {
      unmount(report);
      deleteTree(report);
    }
    cleaned = true;
    report.flush();
  }

  /** Unmounts (retrying while handles are released), then makes sure the daemon is gone. */
  private void unmount(java.io.PrintWriter report) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(UNMOUNT_RETRY_MS);
    while (MountInfo.isMounted(mnt) && System.nanoTime() < deadline) {
      if (quiet(List.of("fusermount3", "-u", mnt.toString())) == 0) {
        break;
      }
      sleepMs(100);
    }
    if (daemon != null && MountInfo.isMounted(mnt)) {
      daemon.destroy(); // SIGTERM: the daemon unmounts and flushes
      waitFor(daemon, DAEMON_EXIT_MS);
    }
    if (MountInfo.isMounted(mnt)) {
      quiet(List.of("fusermount3", "-uz", mnt.toString()));
    }
    if (daemon != null && !waitFor(daemon, DAEMON_EXIT_MS)) {
      daemon.destroyForcibly();
      waitFor(daemon, DAEMON_EXIT_MS);
    }
    if (MountInfo.isMounted(mnt)) {
      report.println("sealfs: demo cleanup: " + mnt + " is still mounted; run: fusermount3 -uz "
          + mnt);
    }
  }

  /** Deletes the temporary directory and everything in it (not below a live mount). */
  private void deleteTree(java.io.PrintWriter report) {
    if (MountInfo.isMounted(mnt)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | RuntimeException e) {
      report.println("sealfs: demo cleanup: cannot delete " + dir + ": " + e.getMessage());
    }
  }

  /** Runs {@code cmd} with its output discarded; returns its status (-1 if it cannot run). */
  private static int quiet(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!waitFor(p, COMMAND_TIMEOUT_MS)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Waits up to {@code ms} for {@code p} to exit; true if it did. */
  private static boolean waitFor(Process p, long ms) {
    try {
      return p.waitFor(ms, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !p.isAlive();
    }
  }

  /** Returns the last non-empty line of {@code file}, or a placeholder. */
  private static String lastLine(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (!lines.get(i).isBlank()) {
          return lines.get(i).trim();
        }
      }
    } catch (IOException e) {
      // fall through
    }
    return "(no output; see " + file + ")";
  }

  /** Sleeps, keeping the interrupt flag. */
  static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
