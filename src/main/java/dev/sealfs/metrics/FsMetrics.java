package dev.sealfs.metrics;

import dev.sealfs.core.CoreStats;
import dev.sealfs.core.SealFs;
import dev.sealfs.core.StatFs;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;

/**
 * The metrics of one mounted filesystem, in a Prometheus registry of its own.
 *
 * <p>Theory of operation. Two kinds of numbers live here. Gauges and the total refusal count
 * are callbacks into the core, evaluated only when someone reads them (a scrape, the stats
 * xattr), so they cost nothing while requests run and are there on every mount. Per-request
 * numbers (count, errors and latency per FUSE op, bytes read and written, refusals by op,
 * journal commits, device-force latency) are recorded only when {@link #recording()}: the FUSE
 * adapters then hold an {@link OpMetrics} per op, resolved once, and the core a
 * {@link CoreStats} hook. When not recording, {@link #op} returns null, the adapters check that
 * one field per request, and the core keeps {@link CoreStats#NONE}.
 *
 * <p>Thread safety: the library's counters and histograms are lock-free; {@link #op} may race
 * on first use of an op and returns the same data points either way.
 */
public final class FsMetrics {

  /** The read-only virtual xattr on the mount root that serves {@link #text} (sealfs stats). */
  public static final String XATTR = "user.sealfs.stats";
  /** The kernel's largest xattr value (XATTR_SIZE_MAX). */
  static final int XATTR_SIZE_MAX_BYTES = 65536;
  /** Room left in a stats xattr size query for the value to grow before it is read. */
  static final int XATTR_SLACK_BYTES = 4096;
  /** Latency bucket bounds in seconds: FUSE handlers take microseconds, forces milliseconds. */
  static final double[] LATENCY_BOUNDS_S = {
      10e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 50e-3, 250e-3, 1.0};

  /** The registry scrapes and the xattr read. */
  private final PrometheusRegistry registry = new PrometheusRegistry();
  /** Whether per-request numbers are recorded. */
  private final boolean recording;
  /** Requests per op, or null when not recording. */
  private final Counter requests;
  /** Errno answers per op. */
  private final Counter errors;
  /** Handler latency per op. */
  private final Histogram latency;
  /** Bytes returned by READ. */
  private final Counter bytesRead;
  /** Bytes accepted by WRITE. */
  private final Counter bytesWritten;
  /** The op handles made so far, by op name. */
  private final Map<String, OpMetrics> ops = new ConcurrentHashMap<>();

  /** Creates the metrics of {@code core}; with {@code recording}, hooks the core as well. */
  public FsMetrics(SealFs core, boolean recording) {
    this.recording = recording;
    gauge("sealfs_metrics_recording", "1 if per-request metrics are recorded (-o metrics)",
        () -> recording ? 1 : 0);
    gauge("sealfs_seals_held", "Seal holders (handles holding a seal) over all files",
        core::sealHolderCount);
    gauge("sealfs_blocks_free", "Free data blocks (as statfs reports them)",
        () -> core.statfs().freeBlocks());
    gauge("sealfs_blocks_used", "Used data blocks (as statfs reports them)", () -> {
      StatFs s = core.statfs();
      return s.totalBlocks() - s.freeBlocks();
    });
    gauge("sealfs_block_size_bytes", "The filesystem block size", core::blockSize);
    CounterWithCallback.builder().name("sealfs_refusals")
        .help("Operations refused with ETXTBSY (sealed file) since mount")
        .callback(cb -> cb.call(core.refusedCount())).register(registry);
    if (!recording) {
      requests = null;
      errors = null;
      latency = null;
      bytesRead = null;
      bytesWritten = null;
      return;
    }
    requests = counter("sealfs_fuse_requests", "FUSE requests served", "op");
    errors = counter("sealfs_fuse_errors", "FUSE requests answered with an errno", "op");
    latency = histogram("sealfs_fuse_request_duration_seconds",
        "Time in the FUSE handler, from request decoded to reply built", "op");
    bytesRead = counter("sealfs_read_bytes", "Bytes returned by read requests");
    bytesWritten = counter("sealfs_written_bytes", "Bytes accepted by write requests");
    core.setStats(new Hook(
        counter("sealfs_refusals_by_op", "ETXTBSY refusals by the refused operation", "op"),
        counter("sealfs_journal_commits", "Journal groups committed"),
        histogram("sealfs_device_force_duration_seconds", "Time of one device force (fdatasync)")
            .labelValues()));
  }

  /** Returns true if per-request numbers are recorded. */
  public boolean recording() {
    return recording;
  }

  /** Returns the registry (for the HTTP server). */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** Returns the handle of FUSE op {@code name} (lower case, e.g. "write"), or null if off. */
  public OpMetrics op(String name) {
    if (!recording) {
      return null;
    }
    return ops.computeIfAbsent(name, n -> new OpMetrics(requests.labelValues(n),
        errors.labelValues(n), latency.labelValues(n)));
  }

  /** Counts {@code bytes} returned by a read (only call when recording). */
  public void read(long bytes) {
    bytesRead.inc(bytes);
  }

  /** Counts {@code bytes} accepted by a write (only call when recording). */
  public void written(long bytes) {
    bytesWritten.inc(bytes);
  }

  /**
   * Adds a gauge read from {@code value} at each scrape: the provider interface for numbers
   * other parts keep (e.g. seals breaking or revoked, quarantined blocks).
   */
  public void gauge(String name, String help, DoubleSupplier value) {
    GaugeWithCallback.builder().name(name).help(help)
        .callback(cb -> cb.call(value.getAsDouble())).register(registry);
  }

  /**
   * Returns the length to answer a getxattr size query for the stats xattr with: the value's
   * length plus room to grow, since the numbers change between the query and the read (which
   * returns the real length), capped at the kernel's 64 KiB xattr limit.
   */
  public static int sizeHint(int length) {
    return Math.min(XATTR_SIZE_MAX_BYTES, length + XATTR_SLACK_BYTES);
  }

  /** Returns every metric in the Prometheus text format (what /metrics and the xattr serve). */
  public byte[] text() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private Counter counter(String name, String help, String... labels) {
    return Counter.builder().name(name).help(help).labelNames(labels).withoutExemplars()
        .register(registry);
  }

  private Histogram histogram(String name, String help, String... labels) {
    return Histogram.builder().name(name).help(help).unit(Unit.SECONDS).labelNames(labels)
        .classicOnly().classicUpperBounds(LATENCY_BOUNDS_S).withoutExemplars()
        .register(registry);
  }

  /** The core's hook: refusals by op, commits and force latency into the registry. */
  private static final class Hook implements CoreStats {
    /** Refusals by op. */
    private final Counter refusals;
    /** Commits. */
    private final Counter commits;
    /** Force latency. */
    private final DistributionDataPoint force;

    /** Creates the hook over its metrics. */
    Hook(Counter refusals, Counter commits, DistributionDataPoint force) {
      this.refusals = refusals;
      this.commits = commits;
      this.force = force;
    }

    /** Counts a refusal under the op's name with spaces as underscores. */
    @Override
    public void refused(String op) {
      refusals.labelValues(op.replace(' ', '_')).inc();
    }

    /** Counts a commit. */
    @Override
    public void committed() {
      commits.inc();
    }

    /** Observes a force's latency. */
    @Override
    public void forced(long nanos) {
      force.observe(nanos * 1e-9);
    }
  }
}
