package dev.sealfs.core.seal;

import dev.sealfs.core.CoreStats;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * THE seal check: the one choke point every block-map and size change passes (the analogue of
 * {@code xfs_break_layouts}), and the breaks, revocations and quarantine of SPEC 9, 10 and 12.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>Truncate, ftruncate, open(O_TRUNC) (which arrives as a truncate), every fallocate mode,
 * writes touching a hole or an unwritten extent, writes past EOF (O_APPEND and
 * copy_file_range's fallback writes included) and seal's own prepare step describe what they
 * are about to change as a {@link MapChange} (the file blocks whose map changes, and the size
 * change) and call {@link #breakLayout} before they accept any data. Each holder's
 * {@link SealRange} is checked against it (SPEC 9): a whole-file seal conflicts with every
 * change, a range seal only with changes of its blocks and with a shrink below its end.
 *
 * <p>Where a hard seal conflicts the answer is ETXTBSY at once. Where only breakable seals
 * conflict (SPEC 10) a break of them begins: the inode gets a deadline ({@code break_time}
 * from now), the holders are marked breaking and told ({@link #setBreakListener}, which the
 * native binding turns into POLLPRI), and the check throws {@link BreakWaited}. The facade's
 * lock runner catches it once the operation has let go of every lock, waits
 * ({@link BreakWaited#await}) until the holders have let go or the deadline has passed, when
 * the ones still there are revoked (under the inode's lock again), and runs the operation again
 * from the start, because the file may have changed meanwhile. A waiting thread that is
 * interrupted (FUSE INTERRUPT on the native binding) fails with EINTR; a timer revokes at the
 * deadline even if no waiter is left.
 *
 * <p>A revoked handle stays listed (state revoked) until it acknowledges (UNSEAL) or is
 * released. Blocks freed from an inode with such handles go to the {@link Quarantine} instead
 * of the allocator ({@link #free}), so a revoked direct writer's late writes land in blocks no
 * file owns; they are freed at the acknowledgement, at unmount ({@link #drainQuarantine}) or by
 * crash recovery (which rebuilds the free map from the files). Blocks of the inode that other
 * files share are not freed when it lets go, so just before a revocation the other sharers are
 * moved off them ({@link RevokedShares}: copy-on-write of the other files, under their locks
 * and the inode's, taken together), and until the acknowledgement the inode is no source of
 * new sharing ({@link #mayShareFrom}). Every revocation, at a deadline or forced, goes that one
 * way ({@link Revocations}, which draws it), outside the operation that asked for it.
 *
 * <pre>
 *            SEAL (strict/prepare/asis, range, breakable)    SEAL by another handle
 *   +----------+ -----------------------> +--------+ ----------------------+
 *   | unsealed |                          | sealed |                       |
 *   | map may  | &lt;----------------------- | n &gt;= 1 | &lt;---------------------+
 *   | change   |  last UNSEAL / release   | holders|
 *   +----------+   / revocation           +--------+  conflicting change: hard -&gt; ETXTBSY,
 *        |  unlink of last name                |     breakable only -&gt; break, wait, retry
 *        v                                     |  unlink of last name
 *   freed when last handle closes          +--------+
 *                                          | orphan | blocks kept until the last
 *                                          +--------+ holder and handle are gone
 * </pre>
 *
 * <p>Locks: the holder set and the holders' flags change under the inode's lock, held
 * exclusively by the caller of every method that changes them (shared for the views), so the
 * holder set cannot change between the check and the change. The deadlines, revoked handles and
 * waiters are the {@link BreakTable}'s, guarded by its leaf lock under which nothing else is
 * taken; waiters wait on it holding nothing else. Revocation at a deadline takes the inode's
 * lock through the locker the facade installs ({@link #setLocker}), holding nothing else: one
 * inode's lock to look at a file, or the locks of the inode and its sharers taken together in
 * the lock order, never one after another.
 *
 * <p>The gate is the check, the beginning of breaks and their waits, the holders' coming and
 * going, and the freeing of blocks; {@link Revocations} ends breaks, {@link BreakTable} keeps
 * their state, {@link Quarantine} the blocks of revoked layouts, {@link SealLimits} seal_limit.
 */
public final class LayoutGate {
  private static final Logger LOG = LoggerFactory.getLogger(LayoutGate.class);

  /** Default break time, as the kernel's lease-break-time (SPEC 10). */
  public static final int DEFAULT_BREAK_TIME_SECONDS = 45;

  /**
   * Thrown by the check when the operation must wait for a break: the facade's lock runner
   * catches it with no lock held, calls {@link #await} and runs the whole operation again.
   */
  public static final class BreakWaited extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The gate that began the break. */
    private final transient LayoutGate gate;
    /** The inode whose seals are breaking. */
    private final transient Inode inode;
    /** The holders the operation waits for. */
    private final transient List<OpenFile> targets;
    /** The break's deadline, CLOCK_REALTIME ms. */
    private final long deadlineMs;

    /** Creates the signal (no stack trace: it is control flow). */
    BreakWaited(LayoutGate gate, Inode inode, List<OpenFile> targets, long deadlineMs) {
      super("waiting for a break", null, false, false);
      this.gate = gate;
      this.inode = inode;
      this.targets = targets;
      this.deadlineMs = deadlineMs;
    }

    /**
     * Waits, holding no lock, until every target has let go or, at the deadline, is revoked;
     * EINTR if the thread is interrupted (the break goes on).
     */
    public void await() {
      gate.waitOut(inode, targets, deadlineMs);
    }
  }

  /** The metadata state machine (to mark changed inodes dirty). */
  private final Metadata meta;
  /** Group numbers and deferred frees. */
  private final Durability dur;
  /** Block size in bytes. */
  private final int bs;
  /** Operations refused with ETXTBSY so far. */
  private final AtomicLong refused = new AtomicLong();
  /** Where refusals are reported (metrics); {@link CoreStats#NONE} by default. */
  private volatile CoreStats stats = CoreStats.NONE;
  /** Per-uid sealed bytes (seal_limit). */
  private SealLimits limits = new SealLimits(0);
  /** Blocks freed from under revoked holders. */
  private final Quarantine quarantine = new Quarantine();
  /** Break deadlines, revoked handles and the threads waiting for a break. */
  private final BreakTable breaks = new BreakTable();
  /** Revokes at deadlines (the one way every revocation goes). */
  private final Revocations revocations;
  /** The break time in ms. */
  private long breakTimeMs = DEFAULT_BREAK_TIME_SECONDS * 1000L;
  /** Told about each holder whose seal begins to break (POLLPRI on the native binding). */
  private Consumer<OpenFile> breakListener = of -> { };

  /** Creates the gate for a filesystem of {@code blockSize}-byte blocks. */
  public LayoutGate(Metadata meta, Durability dur, int blockSize) {
    this.meta = meta;
    this.dur = dur;
    this.bs = blockSize;
    this.revocations = new Revocations(meta, blockSize, breaks, quarantine, this::limits);
  }

  /** Sets how a revocation at a deadline takes the inode's lock (the facade's lock runner). */
  public void setLocker(Locker locker) {
    revocations.setLocker(locker);
  }

  /** Sets how the other sharers of a revoked layout's blocks get copies of their own. */
  public void setUnsharer(Unsharer unsharer) {
    revocations.setUnsharer(unsharer);
  }

  /** Sets the mount options {@code seal_limit} (bytes, 0 = none) and {@code break_time}. */
  public void configure(long sealLimitBytes, int breakTimeSeconds) {
    this.limits = new SealLimits(sealLimitBytes);
    this.breakTimeMs = Math.max(0, breakTimeSeconds) * 1000L;
  }

  /** Sets who is told when a holder's seal begins to break. */
  public void setBreakListener(Consumer<OpenFile> listener) {
    this.breakListener = listener == null ? of -> { } : listener;
  }

  /** Sets who is told when a revocation takes an inode's last seal. */
  public void setLastRevokedListener(java.util.function.LongConsumer listener) {
    revocations.setLastRevokedListener(listener);
  }

  /** Returns the seal_limit accounting. */
  public SealLimits limits() {
    return limits;
  }

  // ------------------------------------------------------------------------------------------
  // The check

  /** The check for a change of the whole map and the size: conflicts with every holder. */
  public void breakLayout(Inode i, String op) {
    breakLayout(i, MapChange.whole(op));
  }

  /**
   * The check before a block-map or size change: ETXTBSY if a hard seal's range conflicts;
   * if only breakable seals conflict, breaks them, waits and throws {@link BreakWaited}.
   */
  public void breakLayout(Inode i, MapChange change) {
    if (!i.isSealed() || change.empty()) {
      return;
    }
    List<OpenFile> soft = new ArrayList<>();
    for (OpenFile h : i.holders.values()) {
      if (change.conflictsWith(h.sealRange, bs)) {
        if (!h.sealBreakable) {
          refused.incrementAndGet();
          stats.refused(change.op());
          LOG.warn("refused {} of sealed inode {} ({} holders; handle {} holds {}): ETXTBSY",
              change.op(), i.ino, i.holderCount(), h.fh, h.sealRange.label());
          throw FsException.of(Errno.ETXTBSY, change.op() + " of a sealed file");
        }
        soft.add(h);
      }
    }
    if (soft.isEmpty()) {
      return;
    }
    LOG.info("{} of inode {} breaks {} breakable seals", change.op(), i.ino, soft.size());
    throw breakOf(i, soft);
  }

  /** Records that {@code i}'s block map or size changed: new generation, dirty attributes. */
  public void mapChanged(Inode i) {
    i.generation++;
    i.mapGroup = dur.runningGroup();
    meta.markDirty(i);
  }

  /**
   * Records that only {@code i}'s size changed (a write past EOF into blocks already written):
   * dirty attributes and the journal group, but the same generation, since the block map is
   * the same (SPEC 5: a holder's generation stays valid).
   */
  public void sizeChanged(Inode i) {
    i.mapGroup = dur.runningGroup();
    meta.markDirty(i);
  }

  /** Reports every later ETXTBSY refusal, by operation, to {@code hook}. */
  public void reportTo(CoreStats hook) {
    stats = hook;
  }

  /** Returns how many operations were refused with ETXTBSY. */
  public long refusedCount() {
    return refused.get();
  }

  // ------------------------------------------------------------------------------------------
  // Breaks (SPEC 10, 12)

  /**
   * Begins (or joins) the break of {@code targets} (holders of {@code i}, whose lock the caller
   * holds) and returns the signal the caller throws to wait for it outside its locks.
   */
  public BreakWaited breakOf(Inode i, List<OpenFile> targets) {
    long deadline = beginBreak(i, targets);
    return new BreakWaited(this, i, List.copyOf(targets), deadline);
  }

  /** The wait of {@link BreakWaited#await}: no lock held on entry. */
  private void waitOut(Inode i, List<OpenFile> targets, long deadline) {
    BreakTable.Outcome end = breaks.await(targets, deadline);
    if (end == BreakTable.Outcome.INTERRUPTED) {
      LOG.info("a wait for the break of inode {} was interrupted: EINTR", i.ino);
      throw FsException.of(Errno.EINTR, "interrupted while waiting for a break");
    }
    if (end == BreakTable.Outcome.EXPIRED) {
      revocations.revokeAtDeadline(i);
    }
  }

  /**
   * Interrupts {@code t} if it is waiting for a break (FUSE INTERRUPT of its request): its
   * operation fails with EINTR and the break goes on. A thread doing anything else is left
   * alone, so an interrupt never reaches device I/O. True if it was interrupted.
   */
  public boolean interrupt(Thread t) {
    return breaks.interrupt(t);
  }

  /** True if handle {@code of} should report POLLPRI: its seal is breaking or was revoked. */
  public boolean pollPri(OpenFile of) {
    return of.breaking || of.revoked;
  }

  /** Returns the breakable holders of {@code i}. */
  public List<OpenFile> breakableHolders(Inode i) {
    List<OpenFile> out = new ArrayList<>();
    if (i.holders != null) {
      for (OpenFile h : i.holders.values()) {
        if (h.sealBreakable) {
          out.add(h);
        }
      }
    }
    return out;
  }

  /**
   * SEALFS_IOC_BREAK with FORCE (SPEC 12): every seal of {@code i}, hard ones too, is to be
   * revoked now. Marks every holder breaking with the deadline now (nobody is told: there is
   * no time to let go) and returns the signal the caller throws; its wait then revokes at once,
   * as at any deadline ({@link Revocations#revokeAtDeadline}). Null if {@code i} has no holder.
   * The caller holds {@code i}'s lock.
   */
  public BreakWaited forceBreak(Inode i) {
    if (i.holders == null || i.holders.isEmpty()) {
      return null;
    }
    long now = System.currentTimeMillis();
    breaks.deadlineNoLaterThan(i.ino, now);
    List<OpenFile> targets = new ArrayList<>(i.holders.values());
    for (OpenFile h : targets) {
      h.breaking = true;
    }
    LOG.info("forced break of inode {}: {} seals revoked now", i.ino, targets.size());
    return new BreakWaited(this, i, List.copyOf(targets), now);
  }

  /** Returns the break deadline (CLOCK_REALTIME ms) of {@code i}, or 0 if none runs. */
  public long breakDeadlineMs(Inode i) {
    return breaks.deadline(i.ino);
  }

  /** Starts (or joins) the break of {@code targets}; returns the inode's deadline in ms. */
  private long beginBreak(Inode i, List<OpenFile> targets) {
    BreakTable.Deadline d = breaks.deadlineOrNew(i.ino, breakTimeMs);
    long deadline = d.ms();
    if (d.fresh()) {
      revocations.schedule(i, breakTimeMs);
    }
    for (OpenFile h : targets) {
      if (!h.breaking) {
        h.breaking = true;
        LOG.info("break of handle {}'s seal on inode {} begins; revoked at {}", h.fh, i.ino,
            java.time.Instant.ofEpochMilli(deadline));
        breakListener.accept(h);
      }
    }
    return deadline;
  }

  /** Returns the revoked, unacknowledged handles of {@code i}. */
  public List<OpenFile> revokedHandles(Inode i) {
    return breaks.revokedHandles(i.ino);
  }

  // ------------------------------------------------------------------------------------------
  // Holders coming and going

  /** Charges a new seal of {@code h} to its uid (EDQUOT past seal_limit) and remembers it. */
  public void charge(OpenFile h, long bytes) {
    limits.charge(h.sealUid, bytes);
    h.sealChargedBytes = bytes;
  }

  /**
   * {@code h} let go (UNSEAL or release): its charge is given back, a revocation is
   * acknowledged (freeing the quarantined blocks nobody waits for any more), and waiters of a
   * break are woken.
   */
  public void letGo(OpenFile h) {
    Inode i = h.inode;
    if (i.holders != null && i.holders.remove(h.fh) != null) {
      limits.discharge(h.sealUid, h.sealChargedBytes);
      h.sealChargedBytes = 0;
      if (h.breaking) {
        h.breaking = false;
        revocations.endBreakIfDone(i);
      }
      h.sealMode = null;
      LOG.info("inode {}: handle {} let go of its seal ({} holders left)", i.ino, h.fh,
          i.holderCount());
    }
    if (h.revoked) {
      h.revoked = false;
      breaks.removeRevoked(i.ino, h.fh);
      for (Quarantine.Freed f : quarantine.acknowledge(i.ino, h.fh)) {
        dur.deferFree(f.devBlock(), f.blockCount());
      }
      LOG.info("inode {}: handle {} acknowledged its revocation", i.ino, h.fh);
    }
    breaks.wakeWaiters();
  }

  // ------------------------------------------------------------------------------------------
  // Freeing blocks

  /**
   * Lets go of device blocks {@code i} no longer maps: a shared block loses one reference and is
   * freed only when its last sharer lets go (SPEC 11); the blocks that are free go to the
   * allocator, or to the quarantine while {@code i} has revoked handles (SPEC 10).
   */
  public void free(Inode i, long devBlock, long blockCount) {
    for (long[] run : meta.shares.release(devBlock, blockCount)) {
      if (!quarantine.hold(i.ino, run[0], run[1])) {
        dur.deferFree(run[0], run[1]);
      } else {
        LOG.info("inode {}: {} blocks at {} quarantined until revoked holders acknowledge",
            i.ino, run[1], run[0]);
      }
    }
  }

  /**
   * True if {@code src}'s blocks may be shared with another file (copy_file_range): it is not
   * sealed (SPEC 11) and has no revoked, unacknowledged handle, whose old layout must not gain
   * another file (SPEC 10). Otherwise the copy copies bytes.
   */
  public boolean mayShareFrom(Inode src) {
    return !src.isSealed() && !quarantine.hasRevoked(src.ino);
  }

  /** Returns the number of quarantined blocks (used, for statfs). */
  public long quarantinedBlocks() {
    return quarantine.blockCount();
  }

  /** True if device block {@code devBlock} is quarantined. */
  public boolean quarantined(long devBlock) {
    return quarantine.contains(devBlock);
  }

  /** Frees every quarantined block (unmount) and stops the timer. */
  public void drainQuarantine() {
    for (Quarantine.Freed f : quarantine.drain()) {
      dur.deferFree(f.devBlock(), f.blockCount());
    }
    revocations.shutdown();
  }
}
