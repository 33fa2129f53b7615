package dev.sealfs.core.ns;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the daemon from dying of OutOfMemoryError as metadata grows: all metadata lives on the
 * heap (about 800 bytes an empty file), so once the old generation is still
 * {@link #DEFAULT_PERCENT}% full after a garbage collection, creating inodes fails with ENOSPC
 * (one log line when it starts, one when it ends) while everything else keeps working. The
 * headroom left is what a checkpoint needs to serialise the state.
 *
 * <p>Uses the JVM's collection-usage thresholds of the heap pools that have them (the tenured
 * or old generation): the check is one flag read per create. The percentage can be set with
 * {@code -Dsealfs.metadataHeapPercent=N}; the heap itself is the JVM's (by default a quarter of
 * the machine's memory; {@code SEALFS_JAVA_OPTS=-Xmx...} for more). Thread-safe.
 */
public final class HeapGuard {
  private static final Logger LOG = LoggerFactory.getLogger(HeapGuard.class);

  /** Creates fail once the old generation is this full (percent of its maximum) after a GC. */
  public static final int DEFAULT_PERCENT = 75;

  /** The pools watched. */
  private final List<MemoryPoolMXBean> pools = new ArrayList<>();
  /** True while creates are refused (for the one log line per change). */
  private final AtomicBoolean refusing = new AtomicBoolean();

  /** Watches the heap at {@code -Dsealfs.metadataHeapPercent} or {@link #DEFAULT_PERCENT}. */
  public static HeapGuard fromSystemProperty() {
    int percent = Integer.getInteger("sealfs.metadataHeapPercent", DEFAULT_PERCENT);
    return new HeapGuard(Math.max(1, Math.min(99, percent)), -1);
  }

  /**
   * Watches the heap pools with a threshold of {@code percent}% of each pool's maximum, or of
   * {@code thresholdBytes} when that is positive (tests).
   */
  HeapGuard(int percent, long thresholdBytes) {
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      long max = p.getUsage().getMax();
      if (p.getType() == MemoryType.HEAP && p.isUsageThresholdSupported()
          && p.isCollectionUsageThresholdSupported() && max > 0) {
        p.setCollectionUsageThreshold(thresholdBytes > 0 ? thresholdBytes : max / 100 * percent);
        pools.add(p);
      }
    }
  }

  /** ENOSPC if the heap is near its limit, so no new inode is made. */
  public void checkCreate() {
    for (MemoryPoolMXBean p : pools) {
      if (p.isCollectionUsageThresholdExceeded()) {
        if (refusing.compareAndSet(false, true)) {
          LOG.error("sealfs: metadata is near the heap limit ({} of {} MiB in {} after a"
              + " collection): new files fail with ENOSPC until files are removed or the daemon"
              + " gets a larger heap (SEALFS_JAVA_OPTS=-Xmx...)",
              p.getCollectionUsage().getUsed() >> 20, p.getUsage().getMax() >> 20, p.getName());
        }
        throw FsException.of(Errno.ENOSPC, "metadata is near the heap limit");
      }
    }
    if (refusing.compareAndSet(true, false)) {
      LOG.info("sealfs: heap below the metadata limit again: new files accepted");
    }
  }
}
