package dev.sealfs.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;

/**
 * The metrics of one FUSE operation (one label value), resolved once so that recording a request
 * is two counter increments and one histogram observation: no lookup, no allocation.
 */
public final class OpMetrics {

  /** Requests served. */
  private final CounterDataPoint count;
  /** Requests answered with an errno. */
  private final CounterDataPoint errors;
  /** Handler latency in seconds. */
  private final DistributionDataPoint latency;

  /** Wraps the data points of one operation. */
  OpMetrics(CounterDataPoint count, CounterDataPoint errors, DistributionDataPoint latency) {
    this.count = count;
    this.errors = errors;
    this.latency = latency;
  }

  /** Records one request that started at {@code startNs} (System.nanoTime) and has ended. */
  public void done(long startNs, boolean failed) {
    latency.observe((System.nanoTime() - startNs) * 1e-9);
    count.inc();
    if (failed) {
      errors.inc();
    }
  }
}
