package dev.sealfs.core.seal;

import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revocation of breaking seals at their deadline (SPEC 10, 12): the one way every revocation
 * goes, whether a waiter saw the deadline pass, the timer fired with no waiter left, or a forced
 * break set the deadline to now ({@link LayoutGate} begins breaks and waits; this ends them).
 *
 * <h2>Theory of operation</h2>
 *
 * <p>{@link #revokeAtDeadline} runs holding no lock. It takes the inode's lock through the
 * facade's {@link Locker}, checks that the inode is still the same and its deadline has passed,
 * and revokes every breaking holder ({@link #revoke}: out of the holder set, its seal_limit
 * charge given back, listed as revoked in the {@link BreakTable} and in the {@link Quarantine},
 * so the blocks the inode frees from now on are held until the handle acknowledges). Before it
 * revokes, no other file may keep sharing a block of the revoked layout (SPEC 10, 11): if the
 * inode shares blocks, the sharers are looked for holding no lock ({@link RevokedShares}), and
 * the revocation runs again with the locks of the inode and its sharers taken together in the
 * lock order, copying the sharers off those blocks first; after {@link RevokedShares#MAX_ROUNDS}
 * tries, files that began sharing meanwhile keep their blocks (logged).
 *
 * <pre>
 *   waiter (deadline passed) --+
 *   timer  (no waiter left) ---+--&gt; revokeAtDeadline(i) --&gt; under i's lock: deadline passed?
 *   forced break (deadline=now)+        |                       | shared blocks? sharers
 *                                       |                       | locked? else find them,
 *                                       |                       | lock i + sharers, retry
 *                                       v                       v
 *                               wake waiters  &lt;-- revoke breaking holders, end the break
 * </pre>
 *
 * <p>Locks: the caller holds none; the holder set changes under the inode's lock (and the
 * sharers', taken together); the break table's leaf lock is taken inside, nothing under it. The
 * timer is one daemon thread, created on the first break and stopped at unmount.
 */
final class Revocations {
  private static final Logger LOG = LoggerFactory.getLogger(Revocations.class);

  /** The inode table (to see whether an inode is still the one a deadline was set for). */
  private final Metadata meta;
  /** Break deadlines, revoked handles and waiters (shared with the gate). */
  private final BreakTable breaks;
  /** Blocks freed from under revoked holders (shared with the gate). */
  private final Quarantine quarantine;
  /** The seal_limit accounting in force (replaced when the mount options are set). */
  private final Supplier<SealLimits> limits;
  /** Finds and moves the other files off a revoked layout's shared blocks. */
  private final RevokedShares shares;
  /** Copy-on-write of another file's shared extents (installed by CopyOnWrite). */
  private Unsharer unsharer = (i, fileBlock, fileEnd) -> {
    throw new IllegalStateException("no copy-on-write installed in the layout gate");
  };
  /** Takes inode locks for revocations. */
  private Locker locker = Locker.UNLOCKED;
  /** Told the inode number when a revocation takes an inode's last seal (page-cache drop). */
  private LongConsumer lastRevokedListener = ino -> { };
  /** Revokes at deadlines that no waiter is left to see; created on the first break. */
  private ScheduledExecutorService timer;

  /** Creates the revocations of a filesystem of {@code blockSize}-byte blocks. */
  Revocations(Metadata meta, int blockSize, BreakTable breaks, Quarantine quarantine,
      Supplier<SealLimits> limits) {
    this.meta = meta;
    this.breaks = breaks;
    this.quarantine = quarantine;
    this.limits = limits;
    this.shares = new RevokedShares(meta, blockSize);
  }

  /** Sets how a revocation takes inode locks (the facade's lock runner). */
  void setLocker(Locker locker) {
    this.locker = locker;
  }

  /** Sets how the other sharers of a revoked layout's blocks get copies of their own. */
  void setUnsharer(Unsharer unsharer) {
    this.unsharer = unsharer;
  }

  /** Sets who is told when a revocation takes an inode's last seal. */
  void setLastRevokedListener(LongConsumer listener) {
    this.lastRevokedListener = listener == null ? ino -> { } : listener;
  }

  /**
   * Revokes {@code i}'s breaking holders if its deadline has passed, the one way every
   * revocation goes: first with {@code i}'s lock alone; if another file shares its blocks, the
   * sharers are looked for (holding no lock) and the revocation runs again with their locks
   * too, moving them off those blocks before it revokes (SPEC 10, 11); then wakes the break's
   * waiters. The caller holds no lock.
   */
  void revokeAtDeadline(Inode i) {
    List<Inode> locked = List.of(i);
    for (int round = 1; ; round++) {
      List<long[]> rescan = revokeUnder(i, locked, round >= RevokedShares.MAX_ROUNDS);
      if (rescan == null) {
        break;
      }
      List<Inode> next = new ArrayList<>();
      next.add(i);
      next.addAll(shares.findSharers(i, rescan, locker));
      locked = next;
    }
    breaks.wakeWaiters();
  }

  /**
   * One try of {@link #revokeAtDeadline} with {@code locked} ({@code i} first, then the files
   * thought to share its blocks) locked: returns the runs to look for sharers of when a file
   * that shares them is not locked (and this is not the {@code last} try), else null, having
   * moved the locked sharers off and revoked.
   */
  private List<long[]> revokeUnder(Inode i, List<Inode> locked, boolean last) {
    List<List<long[]>> rescan = new ArrayList<>(1);
    int[] tries = {0};
    locker.underLocks(locked, () -> {
      rescan.clear();
      long d = breaks.deadline(i.ino);
      if (meta.get(i.ino) != i || d == 0 || System.currentTimeMillis() < d) {
        return;
      }
      if (anyBreaking(i)) {
        List<long[]> runs = shares.sharedRuns(i);
        if (!runs.isEmpty()) {
          List<Inode> sharers = locked.subList(1, locked.size());
          if (!shares.covered(i, sharers, runs)) {
            if (!last) {
              rescan.add(runs);
              return;
            }
            LOG.warn("inode {}: files that began to share its blocks during its revocation"
                + " keep them", i.ino);
          }
          shares.moveOff(i, sharers, runs, unsharer, tries[0]++ == 0);
        }
        revokeBreaking(i);
      }
      endBreakIfDone(i);
    });
    return rescan.isEmpty() ? null : rescan.get(0);
  }

  /** True if a holder of {@code i} is breaking. */
  private static boolean anyBreaking(Inode i) {
    if (i.holders != null) {
      for (OpenFile h : i.holders.values()) {
        if (h.breaking) {
          return true;
        }
      }
    }
    return false;
  }

  /** Arms the timer that revokes {@code i}'s breaking holders after {@code delayMs}. */
  synchronized void schedule(Inode i, long delayMs) {
    if (timer == null) {
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sealfs-break-timer");
        t.setDaemon(true);
        return t;
      });
    }
    timer.schedule(() -> {
      try {
        long d = breaks.deadline(i.ino);
        if (d != 0 && System.currentTimeMillis() < d) {
          schedule(i, d - System.currentTimeMillis());
        } else if (d != 0) {
          revokeAtDeadline(i);
        }
      } catch (RuntimeException e) {
        LOG.warn("sealfs: revocation at the deadline of inode {} failed: {}", i.ino, e.toString());
      }
    }, delayMs, TimeUnit.MILLISECONDS);
  }

  /** Revokes every holder of {@code i} whose seal is breaking. */
  private void revokeBreaking(Inode i) {
    if (i.holders == null) {
      return;
    }
    for (OpenFile h : new ArrayList<>(i.holders.values())) {
      if (h.breaking) {
        revoke(i, h);
      }
    }
  }

  /** Revokes {@code h}'s seal: it is no holder any more, and its blocks will be quarantined. */
  private void revoke(Inode i, OpenFile h) {
    i.holders.remove(h.fh);
    limits.get().discharge(h.sealUid, h.sealChargedBytes);
    h.sealChargedBytes = 0;
    h.breaking = false;
    h.revoked = true;
    breaks.addRevoked(i.ino, h);
    quarantine.revoke(i.ino, h.fh);
    LOG.warn("seal of handle {} on inode {} revoked ({} holders left)", h.fh, i.ino,
        i.holderCount());
    if (i.holderCount() == 0) {
      lastRevokedListener.accept(i.ino);
    }
  }

  /** Clears {@code i}'s break deadline once none of its holders is breaking. */
  void endBreakIfDone(Inode i) {
    if (i.holders != null) {
      for (OpenFile h : i.holders.values()) {
        if (h.breaking) {
          return;
        }
      }
    }
    breaks.endBreak(i.ino);
  }

  /** Stops the timer (unmount). */
  synchronized void shutdown() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
