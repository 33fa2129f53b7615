package dev.sealfs.cli;

import dev.sealfs.client.SealClient;
import dev.sealfs.client.SealClientException;
import dev.sealfs.metrics.FsMetrics;
import dev.sealfs.metrics.StatsText;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sealfs stats MOUNTPOINT}: the mount's metrics for a person, read from the read-only
 * virtual xattr {@code user.sealfs.stats} of the mount root (the same numbers /metrics serves;
 * it needs no port and works without {@code -o metrics}, which only adds per-request numbers).
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
    description = "Print the metrics of the sealfs mount at MOUNTPOINT: blocks, seals, ETXTBSY"
        + " refusals and, on a mount with -o metrics, journal commits, device-force latency,"
        + " bytes and requests, errors and latency per FUSE operation.",
    footerHeading = "%n",
    footer = {"The numbers come from the xattr " + FsMetrics.XATTR + " of the mount root"
        + " (Prometheus text: getfattr -n " + FsMetrics.XATTR + " --only-values MOUNTPOINT)."})
final class StatsCommand implements Callable<Integer> {

  /** How often -w refreshes, ms. */
  static final long WATCH_INTERVAL_MS = 1000;

  /** The mount point. */
  @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "a sealfs mount point")
  Path mountpoint;

  /** Refresh once a second until interrupted. */
  @Option(names = {"-w", "--watch"}, description = "refresh once a second (with request rates)")
  boolean watch;

  /** Raw Prometheus text instead of the person's view. */
  @Option(names = "--raw", description = "print the Prometheus text as the daemon serves it")
  boolean raw;

  /** This command's model, injected by picocli. */
  @Spec
  CommandSpec spec;

  /** Prints the stats once, or every second with -w. */
  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    StatsText previous = null;
    boolean onTerminal = System.console() != null;
    long previousNs = 0;
    while (true) {
      String text;
      try {
        Optional<String> v = SealClient.getXattr(mountpoint, FsMetrics.XATTR);
        if (v.isEmpty()) {
          err.println("sealfs: stats: " + mountpoint + " is not a sealfs mount (no "
              + FsMetrics.XATTR + ")");
          err.flush();
          return Main.EXIT_FAILURE;
        }
        text = v.get();
      } catch (SealClientException e) {
        err.println(e.cliLine("read the stats of " + mountpoint));
        err.flush();
        return Main.EXIT_FAILURE;
      }
      long nowNs = System.nanoTime();
      StatsText now = StatsText.parse(text);
      if (watch && previous != null) {
        out.print(onTerminal ? "\033[H\033[2J" : "\n"); // redraw on a terminal, else append
      }
      out.print(raw ? text : now.render(mountpoint.toString(), previous,
          (nowNs - previousNs) / 1e9));
      out.flush();
      if (!watch) {
        return 0;
      }
      previous = now;
      previousNs = nowNs;
      Thread.sleep(WATCH_INTERVAL_MS);
    }
  }
}
