package dev.sealfs.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The person's view of the metrics text ({@code sealfs stats}): parses the Prometheus text
 * format that {@link FsMetrics#text} writes and renders blocks, seals, refusals, commits, bytes
 * and one line per FUSE op (requests, errors, mean latency, a p99 bound from the histogram
 * buckets, and with a previous sample the request rate).
 */
public final class StatsText {

  /** Sample values by series: the metric name, then {@code {k="v",...}} as written, if any. */
  private final Map<String, Double> samples;

  private StatsText(Map<String, Double> samples) {
    this.samples = samples;
  }

  /** Parses Prometheus text; lines it does not understand are skipped. */
  public static StatsText parse(String text) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int sp = line.lastIndexOf(' ');
      if (sp <= 0) {
        continue;
      }
      try {
        m.put(line.substring(0, sp).trim(), Double.parseDouble(line.substring(sp + 1)));
      } catch (NumberFormatException e) {
        // not a sample line
      }
    }
    return new StatsText(m);
  }

  /** Returns the value of series {@code key} (e.g. {@code sealfs_blocks_free}), or 0. */
  public double value(String key) {
    return samples.getOrDefault(key, 0.0);
  }

  /** Returns the values of {@code name} by its {@code label}, for series with only that label. */
  Map<String, Double> byLabel(String name, String label) {
    Map<String, Double> out = new TreeMap<>();
    String prefix = name + "{" + label + "=\"";
    for (Map.Entry<String, Double> e : samples.entrySet()) {
      String k = e.getKey();
      boolean onlyLabel = k.endsWith("\"}") && k.indexOf('"', prefix.length()) == k.length() - 2;
      if (k.startsWith(prefix) && onlyLabel) {
        out.put(k.substring(prefix.length(), k.length() - 2), e.getValue());
      }
    }
    return out;
  }

  /** Returns the upper bound (seconds) below which 99% of {@code op}'s requests fell, or -1. */
  double p99Seconds(String histogram, String op) {
    double count = value(histogram + "_count{op=\"" + op + "\"}");
    if (count <= 0) {
      return -1;
    }
    TreeMap<Double, Double> buckets = new TreeMap<>();
    String prefix = histogram + "_bucket{";
    for (Map.Entry<String, Double> e : samples.entrySet()) {
      String k = e.getKey();
      if (k.startsWith(prefix) && k.contains("op=\"" + op + "\"")) {
        int le = k.indexOf("le=\"");
        String bound = k.substring(le + 4, k.indexOf('"', le + 4));
        buckets.put(bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound),
            e.getValue());
      }
    }
    for (Map.Entry<Double, Double> b : buckets.entrySet()) {
      if (b.getValue() >= 0.99 * count) {
        return b.getKey();
      }
    }
    return Double.POSITIVE_INFINITY;
  }

  /**
   * Renders the view; with {@code previous} (a sample {@code seconds} earlier), adds request
   * rates.
   */
  public String render(String mountLabel, StatsText previous, double seconds) {
    StringBuilder sb = new StringBuilder();
    boolean recording = value("sealfs_metrics_recording") > 0;
    sb.append("sealfs stats ").append(mountLabel).append('\n');
    long bs = (long) value("sealfs_block_size_bytes");
    sb.append(String.format(Locale.ROOT, "blocks: %d used, %d free (%d-byte blocks)%n",
        (long) value("sealfs_blocks_used"), (long) value("sealfs_blocks_free"), bs));
    sb.append(String.format(Locale.ROOT, "seals held: %d%n", (long) value("sealfs_seals_held")));
    sb.append(String.format(Locale.ROOT, "ETXTBSY refusals: %d",
        (long) value("sealfs_refusals_total")));
    Map<String, Double> refusals = byLabel("sealfs_refusals_by_op_total", "op");
    if (!refusals.isEmpty()) {
      List<String> parts = new ArrayList<>();
      refusals.forEach((op, n) -> parts.add(op + " " + n.longValue()));
      sb.append(" (").append(String.join(", ", parts)).append(')');
    }
    sb.append('\n');
    if (!recording) {
      sb.append("per-request metrics: off (mount with -o metrics or -o metrics=HOST:PORT)\n");
      return sb.toString();
    }
    double forces = value("sealfs_device_force_duration_seconds_count");
    sb.append(String.format(Locale.ROOT, "journal commits: %d, device forces: %d (mean %s)%n",
        (long) value("sealfs_journal_commits_total"), (long) forces,
        duration(forces > 0 ? value("sealfs_device_force_duration_seconds_sum") / forces : 0)));
    sb.append(String.format(Locale.ROOT, "bytes read: %d, written: %d%n",
        (long) value("sealfs_read_bytes_total"), (long) value("sealfs_written_bytes_total")));
    String h = "sealfs_fuse_request_duration_seconds";
    Map<String, Double> requests = byLabel("sealfs_fuse_requests_total", "op");
    Map<String, Double> errors = byLabel("sealfs_fuse_errors_total", "op");
    Map<String, Double> before = previous == null ? Map.of()
        : previous.byLabel("sealfs_fuse_requests_total", "op");
    sb.append(String.format(Locale.ROOT, "%-16s %12s %8s %10s %10s%s%n", "op", "requests",
        "errors", "mean", "p99 <=", previous == null ? "" : String.format("%10s", "req/s")));
    for (String op : new TreeSet<>(requests.keySet())) {
      double n = requests.get(op);
      if (n == 0) {
        continue; // an op the adapter knows but nobody asked for
      }
      double mean = n > 0 ? value(h + "_sum{op=\"" + op + "\"}") / n : 0;
      double p99 = p99Seconds(h, op);
      sb.append(String.format(Locale.ROOT, "%-16s %12d %8d %10s %10s", op, (long) n,
          errors.getOrDefault(op, 0.0).longValue(), duration(mean),
          p99 < 0 ? "-" : Double.isInfinite(p99) ? "> 1 s" : duration(p99)));
      if (previous != null) {
        double rate = (n - before.getOrDefault(op, 0.0)) / Math.max(seconds, 1e-9);
        sb.append(String.format(Locale.ROOT, "%10.0f", rate));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /** Formats seconds as µs, ms or s. */
  static String duration(double seconds) {
    if (seconds < 1e-3) {
      return String.format(Locale.ROOT, "%.0f us", seconds * 1e6);
    }
    if (seconds < 1) {
      return String.format(Locale.ROOT, "%.1f ms", seconds * 1e3);
    }
    return String.format(Locale.ROOT, "%.2f s", seconds);
  }
}
