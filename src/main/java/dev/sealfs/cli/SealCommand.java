package dev.sealfs.cli;

import dev.sealfs.client.HandleStatus;
import dev.sealfs.client.LibC;
import dev.sealfs.client.SealAbi;
import dev.sealfs.client.SealClient;
import dev.sealfs.client.SealClientException;
import dev.sealfs.client.SealHandle;
import dev.sealfs.core.SealResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code sealfs seal [--prepare|--asis] [--range OFFSET:LENGTH] [--breakable] FILE
 * [-- COMMAND...]}: holds a seal on FILE while COMMAND runs and exits with its status, or holds
 * it until SIGINT/SIGTERM (like flock(1)). A breakable seal (SPEC 10) is a lease: a watcher
 * thread reads STATUS every {@link #BREAK_WATCH_MS} ms and lets go as soon as a break begins,
 * saying so on stderr; COMMAND (if any) keeps running without the seal.
 */
@Command(name = "seal", mixinStandardHelpOptions = true,
    description = {"Hold a block-map seal on FILE while COMMAND runs (exiting with its status),",
        "or, without COMMAND, until SIGINT or SIGTERM; the seal is always dropped at the end."})
public final class SealCommand implements Callable<Integer> {
  /** Exit status when the file cannot be opened or sealed. */
  static final int EXIT_FAILURE = 1;
  /** Exit status when COMMAND cannot be run (as env(1) and the shells use). */
  static final int EXIT_CANNOT_RUN = 126;
  /** Exit status when COMMAND is not found. */
  static final int EXIT_NOT_FOUND = 127;
  /** SIGINT's number. */
  private static final int SIGINT = 2;
  /** SIGTERM's number. */
  private static final int SIGTERM = 15;
  /** How often a breakable holder looks for a break, in milliseconds. */
  static final long BREAK_WATCH_MS = 100;

  /** The two mutually exclusive seal modes. */
  static final class Mode {
    /** Fill holes and convert unwritten extents first. */
    @Option(names = "--prepare", description = "Allocate holes and unwritten extents first.")
    boolean prepare;

    /** Freeze the map as it is, holes included. */
    @Option(names = "--asis", description = "Freeze the block map as it is, holes included.")
    boolean asis;
  }

  /** The chosen mode; null means strict. */
  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Mode mode;

  /** The byte range to seal, {@code OFFSET:LENGTH}; null means the whole file. */
  @Option(names = "--range", paramLabel = "OFFSET:LENGTH",
      description = "Seal only these bytes (sizes like 64K; LENGTH 0 = whole file).")
  String range;

  /** Whether the seal is a breakable lease. */
  @Option(names = "--breakable",
      description = "Take a breakable seal (a lease): let go as soon as a break begins.")
  boolean breakable;

  /** The file to seal. */
  @Parameters(index = "0", paramLabel = "FILE", description = "File on a sealfs mount.")
  Path file;

  /** The command to run while holding the seal, if any. */
  @Parameters(index = "1..*", arity = "0..*", paramLabel = "COMMAND",
      description = "Command (and arguments, after --) to run while sealed.")
  List<String> command = new ArrayList<>();

  /** picocli's model of this command, for its output streams. */
  @Spec
  CommandSpec spec;

  /** Returns the seal flags the options ask for. */
  long flags() {
    return mode == null ? SealAbi.sealFlags(false, false, breakable)
        : SealAbi.sealFlags(mode.prepare, mode.asis, breakable);
  }

  /**
   * Parses {@code OFFSET:LENGTH} (each a size such as 4096 or 64K) into {offset, length};
   * null means the whole file ({0, 0}).
   */
  static long[] parseRange(String text) {
    if (text == null) {
      return new long[] {0, 0};
    }
    int colon = text.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("invalid range '" + text + "' (use OFFSET:LENGTH)");
    }
    return new long[] {Sizes.parseBytes(text.substring(0, colon)),
        Sizes.parseBytes(text.substring(colon + 1))};
  }

  /** Opens and seals FILE, runs COMMAND or waits for a signal, then unseals and closes. */
  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    long[] byteRange;
    try {
      byteRange = parseRange(range);
    } catch (IllegalArgumentException e) {
      err.println("sealfs: " + e.getMessage());
      err.flush();
      return EXIT_FAILURE;
    }
    Optional<String> elsewhere = SealfsFile.refusal(file, "seal " + file);
    if (elsewhere.isPresent()) {
      err.println(elsewhere.get());
      err.flush();
      return EXIT_FAILURE;
    }
    SealHandle handle;
    try {
      handle = SealClient.open(file, true);
    } catch (SealClientException e) {
      err.println("sealfs: cannot open " + file + ": " + e.reason());
      err.flush();
      return EXIT_FAILURE;
    }
    Releaser releaser = new Releaser(handle, err);
    Thread hook = new Thread(releaser::release, "sealfs-seal-release");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      SealResult r;
      try {
        r = handle.seal(flags(), byteRange[0], byteRange[1]);
      } catch (SealClientException e) {
        err.println(SealfsFile.cliLine(e, "seal " + file, file));
        err.flush();
        return EXIT_FAILURE;
      }
      releaser.sealed = true;
      err.println("sealfs: sealed " + file + describe(byteRange) + " (generation "
          + Long.toUnsignedString(r.generation()) + ", holders "
          + Long.toUnsignedString(r.holders()) + ")");
      err.flush();
      if (breakable) {
        Thread watcher = new Thread(() -> watchForBreak(releaser, err), "sealfs-seal-lease");
        watcher.setDaemon(true);
        watcher.start();
      }
      return command.isEmpty() ? holdUntilSignal() : runCommand(err);
    } finally {
      releaser.release();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the hook is running or ran; release() is idempotent
      }
    }
  }

  /** Returns " bytes O..O+L" for a range seal, "" for a whole-file seal. */
  private String describe(long[] byteRange) {
    String kind = breakable ? " (breakable)" : "";
    if (byteRange[1] == 0) {
      return kind;
    }
    return " bytes " + Long.toUnsignedString(byteRange[0]) + ".."
        + Long.toUnsignedString(byteRange[0] + byteRange[1]) + kind;
  }

  /**
   * Reads STATUS every {@link #BREAK_WATCH_MS} ms until a break of the seal begins or the seal
   * is revoked, then unseals (acknowledging a revocation) and says how long letting go took.
   */
  private void watchForBreak(Releaser releaser, PrintWriter err) {
    while (true) {
      HandleStatus st;
      try {
        Thread.sleep(BREAK_WATCH_MS);
        st = releaser.handle.handleStatus();
      } catch (InterruptedException | SealClientException e) {
        return;
      }
      if (st.breaking() || st.revoked() || !st.seal().heldByMe()) {
        long toldNanos = System.nanoTime();
        boolean wasRevoked = st.revoked();
        releaser.unsealOnly();
        long tookMs = (System.nanoTime() - toldNanos) / 1_000_000;
        err.println("sealfs: seal of " + file + (wasRevoked ? " was revoked; acknowledged"
            : " is being broken; let go") + " in " + tookMs + " ms");
        err.flush();
        return;
      }
    }
  }

  /** Blocks until SIGINT or SIGTERM arrives; returns 0. */
  private int holdUntilSignal() {
    CountDownLatch stop = new CountDownLatch(1);
    // Where a handler cannot be installed (e.g. SIGINT ignored in a background job), the JVM
    // keeps its default: it exits on the signal and the shutdown hook unseals.
    trap("INT", sig -> stop.countDown());
    trap("TERM", sig -> stop.countDown());
    try {
      stop.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** Runs COMMAND with inherited stdio, forwarding SIGINT/SIGTERM; returns its exit status. */
  private int runCommand(PrintWriter err) {
    Process p;
    try {
      p = new ProcessBuilder(command).inheritIO().start();
    } catch (IOException e) {
      String reason = e.getMessage() == null ? "" : e.getMessage();
      boolean notFound = reason.contains("error=2,");
      err.println("sealfs: cannot run " + command.get(0) + ": "
          + (notFound ? "No such file or directory" : reason));
      err.flush();
      return notFound ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
    }
    int pid = (int) p.pid();
    // The child is in our process group: a terminal's ^C reaches it directly. A signal sent to
    // us alone is passed on, and we keep the seal until the child is gone.
    trap("INT", sig -> LibC.get().kill(pid, SIGINT));
    trap("TERM", sig -> LibC.get().kill(pid, SIGTERM));
    while (true) {
      try {
        return p.waitFor();
      } catch (InterruptedException e) {
        // keep waiting: the seal must outlive the child
      }
    }
  }

  /** Installs {@code handler} for signal {@code name}; false if the JVM does not allow it. */
  private static boolean trap(String name, sun.misc.SignalHandler handler) {
    try {
      Signal.handle(new Signal(name), handler);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Unseals and closes a handle exactly once, from the main path or the shutdown hook. */
  private static final class Releaser {
    /** The handle to release. */
    private final SealHandle handle;
    /** Where to report a failed unseal. */
    private final PrintWriter err;
    /** Whether release already ran. */
    private boolean done;
    /** Whether the seal was acquired, so release must unseal. */
    volatile boolean sealed;

    /** Drops the seal (a lease being broken) but keeps the handle open; once. */
    synchronized void unsealOnly() {
      if (done || !sealed) {
        return;
      }
      sealed = false;
      try {
        handle.unseal();
      } catch (SealClientException e) {
        err.println("sealfs: warning: cannot unseal " + handle.file() + ": " + e.reason());
        err.flush();
      }
    }

    /** Creates a releaser for {@code handle} reporting to {@code err}. */
    Releaser(SealHandle handle, PrintWriter err) {
      this.handle = handle;
      this.err = err;
    }

    /** Unseals (if sealed) and closes the handle, once. */
    synchronized void release() {
      if (done) {
        return;
      }
      done = true;
      try {
        if (sealed) {
          handle.unseal();
        }
      } catch (SealClientException e) {
        err.println("sealfs: warning: cannot unseal " + handle.file() + ": " + e.reason()
            + " (closing releases it)");
        err.flush();
      }
      try {
        handle.close();
      } catch (SealClientException e) {
        err.println("sealfs: warning: cannot close " + handle.file() + ": " + e.reason());
        err.flush();
      }
    }
  }
}
