package dev.sealfs.core;

import java.io.PrintStream;

/**
 * A progress line for a long step of mkfs or fsck ({@code "\rsealfs fsck: inodes 5/10 (50%)"}),
 * printed at most once a second and only when enabled (a terminal, or {@code fsck --progress}); a
 * disabled one prints nothing, so tests' output never changes. Not thread-safe: one step at a
 * time, from one thread.
 */
final class Progress {
  /** The interval between two lines, ns. */
  private static final long INTERVAL_NS = 1_000_000_000L;
  /** Where the line goes. */
  private final PrintStream err;
  /** What starts every line, e.g. {@code "sealfs fsck"}. */
  private final String label;
  /** False: nothing is printed. */
  private final boolean enabled;
  /** Least time between two lines, ns (0 in tests). */
  private final long intervalNs;
  /** When the last line was printed, ns. */
  private long lastNs = System.nanoTime();
  /** True once a line was printed (so done() ends it). */
  private boolean printed;
  /** The step that {@link #addBytes} meters, or null. */
  private String bytesWhat;
  /** Bytes done so far of the metered step. */
  private long bytesDone;
  /** Bytes the metered step has in all. */
  private long bytesTotal;

  /** Creates a progress reporter labelled {@code label}, printing only if {@code enabled}. */
  Progress(PrintStream err, String label, boolean enabled) {
    this(err, label, enabled, INTERVAL_NS);
  }

  /** Creates one with an interval of {@code intervalNs} between lines (tests use 0). */
  Progress(PrintStream err, String label, boolean enabled, long intervalNs) {
    this.err = err;
    this.label = label;
    this.enabled = enabled;
    this.intervalNs = intervalNs;
  }

  /** True when stdin and stdout are a terminal (System.console()), as fsck has always used. */
  static boolean onTerminal() {
    return System.console() != null;
  }

  /** Reports {@code done} of {@code total} items of {@code what}, if the interval has passed. */
  void tick(String what, long done, long total) {
    if (due()) {
      line(String.format("%s %d/%d (%d%%)", what, done, total, percent(done, total)));
    }
  }

  /** Starts metering a step of {@code totalBytes} bytes called {@code what}. */
  void startBytes(String what, long totalBytes) {
    bytesWhat = what;
    bytesDone = 0;
    bytesTotal = totalBytes;
  }

  /** Adds {@code bytes} to the metered step; prints a line if the interval has passed. */
  void addBytes(long bytes) {
    bytesDone += bytes;
    if (bytesWhat != null && due()) {
      line(String.format("%s %d/%d MiB (%d%%)", bytesWhat, bytesDone >> 20, bytesTotal >> 20,
          percent(bytesDone, bytesTotal)));
    }
  }

  /** Ends the progress line, if one was printed, and the metered step. */
  void done() {
    bytesWhat = null;
    if (printed) {
      err.println();
      err.flush();
      printed = false;
    }
  }

  /** True if enabled and the interval since the last line has passed (then it restarts). */
  private boolean due() {
    long now = System.nanoTime();
    if (!enabled || now - lastNs < intervalNs) {
      return false;
    }
    lastNs = now;
    return true;
  }

  /** Prints {@code text} over the current progress line. */
  private void line(String text) {
    printed = true;
    err.print("\r" + label + ": " + text + "\033[K");
    err.flush();
  }

  /** Returns done/total in percent, 0..100 (100 for an empty total). */
  private static long percent(long done, long total) {
    return total <= 0 ? 100 : Math.min(100, done * 100 / total);
  }
}
