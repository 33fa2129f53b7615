package dev.sealfs.core.seal;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The break table (SPEC 10): the deadline of each inode whose breakable seals are breaking, the
 * revoked handles not yet acknowledged, and the threads waiting for a break.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>{@link LayoutGate} decides which seals break and which are revoked, under the inode's
 * lock; this table only remembers. An inode's first break sets its deadline
 * ({@link #deadlineOrNew}); the break ends ({@link #endBreak}) once none of its holders is
 * breaking. A revoked handle stays listed ({@link #addRevoked}) until it acknowledges or is
 * released ({@link #removeRevoked}). An operation that must wait for a break waits here
 * ({@link #await}), holding no other lock, until none of its targets is breaking, the deadline
 * passes, or it is interrupted; whatever may end a wait wakes the waiters afterwards
 * ({@link #wakeWaiters}). Only a thread waiting here can be interrupted ({@link #interrupt}), so
 * an interrupt never reaches device I/O.
 *
 * <p>Locks: one monitor ({@code lock}) guards the deadlines, the revoked handles and the
 * waiters; it is a leaf lock under which nothing else is taken, and waiters wait on it. A
 * holder's {@code breaking} flag (volatile) is written under its inode's lock and read here.
 */
final class BreakTable {
  /** How a wait for a break ended. */
  enum Outcome {
    /** Every target let go (or was revoked by someone else). */
    LET_GO,
    /** The deadline passed with targets still breaking: the waiter revokes them. */
    EXPIRED,
    /** The waiting thread was interrupted (EINTR; the break goes on). */
    INTERRUPTED
  }

  /**
   * An inode's break deadline.
   *
   * @param ms the deadline, CLOCK_REALTIME ms
   * @param fresh true if this call set it (the break begins; its timer must be armed)
   */
  record Deadline(long ms, boolean fresh) {}

  /** Break deadlines (CLOCK_REALTIME ms) of the inodes with a break under way, by inode. */
  private final Map<Long, Long> deadlines = new HashMap<>();
  /** Revoked, unacknowledged handles by inode, in revocation order. */
  private final Map<Long, LinkedHashMap<Long, OpenFile>> revoked = new HashMap<>();
  /** Threads waiting for a break now (only these may be interrupted). */
  private final Set<Thread> waiters = new HashSet<>();
  /** Guards the deadlines, the revoked handles and the waiters; waiters wait on it. */
  private final Object lock = new Object();

  /**
   * Returns inode {@code ino}'s break deadline; if it has none, sets it {@code breakTimeMs}
   * from now and returns it as fresh.
   */
  Deadline deadlineOrNew(long ino, long breakTimeMs) {
    synchronized (lock) {
      Long deadline = deadlines.get(ino);
      if (deadline != null) {
        return new Deadline(deadline, false);
      }
      deadline = System.currentTimeMillis() + breakTimeMs;
      deadlines.put(ino, deadline);
      return new Deadline(deadline, true);
    }
  }

  /** Sets inode {@code ino}'s break deadline to {@code ms} unless it has an earlier one. */
  void deadlineNoLaterThan(long ino, long ms) {
    synchronized (lock) {
      Long deadline = deadlines.get(ino);
      if (deadline == null || deadline > ms) {
        deadlines.put(ino, ms);
      }
    }
  }

  /** Returns inode {@code ino}'s break deadline (CLOCK_REALTIME ms), or 0 if none runs. */
  long deadline(long ino) {
    synchronized (lock) {
      Long d = deadlines.get(ino);
      return d == null ? 0 : d;
    }
  }

  /** Ends inode {@code ino}'s break: forgets its deadline. */
  void endBreak(long ino) {
    synchronized (lock) {
      deadlines.remove(ino);
    }
  }

  /** Lists {@code h} as a revoked, unacknowledged handle of inode {@code ino}. */
  void addRevoked(long ino, OpenFile h) {
    synchronized (lock) {
      revoked.computeIfAbsent(ino, k -> new LinkedHashMap<>()).put(h.fh, h);
    }
  }

  /** Unlists handle {@code fh} from inode {@code ino}'s revoked handles (acknowledged). */
  void removeRevoked(long ino, long fh) {
    synchronized (lock) {
      LinkedHashMap<Long, OpenFile> m = revoked.get(ino);
      if (m != null) {
        m.remove(fh);
        if (m.isEmpty()) {
          revoked.remove(ino);
        }
      }
    }
  }

  /** Returns the revoked, unacknowledged handles of inode {@code ino}, in revocation order. */
  List<OpenFile> revokedHandles(long ino) {
    synchronized (lock) {
      LinkedHashMap<Long, OpenFile> m = revoked.get(ino);
      return m == null ? List.of() : List.copyOf(m.values());
    }
  }

  /**
   * Waits, holding no other lock, until no handle of {@code targets} is breaking, the deadline
   * {@code deadlineMs} passes, or the thread is interrupted; returns which came first.
   */
  Outcome await(List<OpenFile> targets, long deadlineMs) {
    synchronized (lock) {
      while (true) {
        boolean left = false;
        for (OpenFile h : targets) {
          left |= h.breaking;
        }
        if (!left) {
          return Outcome.LET_GO;
        }
        long now = System.currentTimeMillis();
        if (now >= deadlineMs) {
          return Outcome.EXPIRED;
        }
        waiters.add(Thread.currentThread());
        boolean interrupted;
        try {
          lock.wait(deadlineMs - now);
          interrupted = Thread.interrupted(); // an interrupt that raced a normal wake-up
        } catch (InterruptedException e) {
          interrupted = true;
        } finally {
          waiters.remove(Thread.currentThread());
        }
        if (interrupted) {
          return Outcome.INTERRUPTED;
        }
      }
    }
  }

  /** Wakes every thread waiting for a break. */
  void wakeWaiters() {
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  /** Interrupts {@code t} if it is waiting for a break; true if it was. */
  boolean interrupt(Thread t) {
    synchronized (lock) {
      if (!waiters.contains(t)) {
        return false;
      }
      t.interrupt();
      return true;
    }
  }
}
