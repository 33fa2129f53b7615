package dev.sealfs.core.seal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Blocks freed or moved away from under revoked holders (SPEC 10): they are given to no file
 * until every revoked holder that had them in its layout has acknowledged (UNSEAL) or released
 * its handle, so that a revoked direct writer's late writes land in blocks nobody owns.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>A revocation records the handles revoked ({@link #revoke}). When an operation then frees
 * device blocks of that inode, the freeing goes through {@link #hold}: if any revoked handle of
 * the inode is still unacknowledged, the run is kept here, tagged with those handles, instead
 * of going back to the allocator. {@link #acknowledge} removes a handle from every run and
 * returns the runs nobody waits for any more, which the caller frees. statfs counts
 * {@link #blockCount()} as used; unmount and crash recovery free everything (nothing here is
 * persisted, and recovery rebuilds the free map from the files).
 *
 * <p>Locks: every method is synchronized.
 */
public final class Quarantine {
  /** One quarantined run of device blocks and the revoked handles it waits for. */
  private record Run(long devBlock, long blockCount, Set<Long> waitingFhs) {}

  /** The quarantined runs. */
  private final List<Run> runs = new ArrayList<>();
  /** Revoked, unacknowledged handles, by inode number. */
  private final Map<Long, Set<Long>> revokedByIno = new HashMap<>();

  /** A run of device blocks to give back to the allocator. */
  public record Freed(long devBlock, long blockCount) {}

  /** Records that handle {@code fh} of inode {@code ino} was revoked and not yet acknowledged. */
  public synchronized void revoke(long ino, long fh) {
    revokedByIno.computeIfAbsent(ino, k -> new HashSet<>()).add(fh);
  }

  /** True if inode {@code ino} has a revoked, unacknowledged handle. */
  public synchronized boolean hasRevoked(long ino) {
    Set<Long> s = revokedByIno.get(ino);
    return s != null && !s.isEmpty();
  }

  /** True if handle {@code fh} of inode {@code ino} is revoked and unacknowledged. */
  public synchronized boolean isRevoked(long ino, long fh) {
    Set<Long> s = revokedByIno.get(ino);
    return s != null && s.contains(fh);
  }

  /**
   * Takes device blocks {@code [devBlock, devBlock + blockCount)} freed from inode {@code ino}:
   * true if they are quarantined (some revoked handle of the inode still waits), false if the
   * caller should free them as usual.
   */
  public synchronized boolean hold(long ino, long devBlock, long blockCount) {
    Set<Long> waiting = revokedByIno.get(ino);
    if (waiting == null || waiting.isEmpty() || blockCount <= 0) {
      return false;
    }
    runs.add(new Run(devBlock, blockCount, new HashSet<>(waiting)));
    return true;
  }

  /**
   * Handle {@code fh} of inode {@code ino} acknowledged its revocation or was released: returns
   * the runs that no revoked handle waits for any more (the caller frees them).
   */
  public synchronized List<Freed> acknowledge(long ino, long fh) {
    Set<Long> s = revokedByIno.get(ino);
    if (s == null || !s.remove(fh)) {
      return List.of();
    }
    if (s.isEmpty()) {
      revokedByIno.remove(ino);
    }
    List<Freed> out = new ArrayList<>();
    for (Iterator<Run> it = runs.iterator(); it.hasNext(); ) {
      Run r = it.next();
      if (r.waitingFhs.remove(fh) && r.waitingFhs.isEmpty()) {
        out.add(new Freed(r.devBlock, r.blockCount));
        it.remove();
      }
    }
    return out;
  }

  /** Returns the number of quarantined blocks (counted as used by statfs). */
  public synchronized long blockCount() {
    long n = 0;
    for (Run r : runs) {
      n += r.blockCount;
    }
    return n;
  }

  /** True if device block {@code devBlock} is quarantined. */
  public synchronized boolean contains(long devBlock) {
    for (Run r : runs) {
      if (devBlock >= r.devBlock && devBlock < r.devBlock + r.blockCount) {
        return true;
      }
    }
    return false;
  }

  /** Empties the quarantine (unmount) and returns every run, for the caller to free. */
  public synchronized List<Freed> drain() {
    List<Freed> out = new ArrayList<>();
    for (Run r : runs) {
      out.add(new Freed(r.devBlock, r.blockCount));
    }
    runs.clear();
    revokedByIno.clear();
    return out;
  }
}
