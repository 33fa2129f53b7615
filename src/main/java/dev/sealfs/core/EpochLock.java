package dev.sealfs.core;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The epoch lock ({@link Ops}): every facade operation holds it shared, a commit's cut holds it
 * exclusively for a moment. A read-mostly lock whose shared side touches no line another thread
 * writes: a reader counts itself in one of {@link #STRIPES} padded counters picked by its thread,
 * where {@link java.util.concurrent.locks.ReentrantReadWriteLock} has every reader update one
 * shared word and a per-thread hold count it creates and removes on every outermost acquire
 * (the two were a quarter of the core's time per 4 KiB write on two threads:
 * docs/performance.md, "The core on 1, 2 and 4 threads").
 *
 * <h2>Theory of operation</h2>
 *
 * <pre>
 *   reader:  count++ in its stripe ─► writer set? ─no─► holds (reentrant: a held thread only
 *                                         │ yes              counts up its own hold)
 *                                         └─► count--, wake the writer, wait until it is gone
 *   writer:  writer = me ─► wait until every stripe is 0 ─► holds ─► writer = null, wake readers
 * </pre>
 *
 * <p>Why it excludes: a reader's increment and a writer's store of {@link #writer} are both
 * volatile, so one comes first in the synchronization order; if the increment does, the writer's
 * sum sees it and the writer waits; if the store does, the reader sees the writer and backs
 * off. A thread that already holds the lock shared takes it again without a check, as
 * ReentrantReadWriteLock lets it (so a nested operation cannot deadlock against a waiting
 * writer). The writer may take the lock shared too (counted, so a downgrade holds); a thread
 * that holds it shared and asks for it exclusively waits forever, as with
 * ReentrantReadWriteLock. Writers queue on a {@link ReentrantLock} (reentrant), so at most one
 * waits for the readers to drain; new readers wait while one does, so a writer is not starved.
 */
final class EpochLock implements ReadWriteLock {
  /** The number of reader counters (a power of two). */
  static final int STRIPES = 32;
  /** The distance between two counters in longs: 128 bytes, two cache lines. */
  private static final int PAD = 16;

  /** Reader counts, one per stripe at index stripe * PAD. */
  private final AtomicLongArray readers = new AtomicLongArray(STRIPES * PAD);
  /** The thread that holds or is taking the lock exclusively, or null. */
  private volatile Thread writer;
  /** Serialises writers (reentrant). */
  private final ReentrantLock writers = new ReentrantLock();
  /** Where readers wait while a writer holds or takes the lock. */
  private final Object gate = new Object();
  /** Each thread's shared hold count and stripe. */
  private final ThreadLocal<Hold> holds = ThreadLocal.withInitial(Hold::new);

  /** The shared side. */
  private final Lock readLock = new Side(true);
  /** The exclusive side. */
  private final Lock writeLock = new Side(false);

  /** One thread's shared holds (only its thread touches it). */
  private static final class Hold {
    /** How many times the thread holds the lock shared. */
    int reads;
    /** The index of the thread's counter in {@link #readers}. */
    final int slot = (int) ((Thread.currentThread().getId() * 0x9E3779B97F4A7C15L) >>> 59
        & (STRIPES - 1)) * PAD;
  }

  @Override
  public Lock readLock() {
    return readLock;
  }

  @Override
  public Lock writeLock() {
    return writeLock;
  }

  /** Returns how many times the calling thread holds the lock shared. */
  int getReadHoldCount() {
    return holds.get().reads;
  }

  /** Takes the lock shared. */
  private void lockShared() {
    Hold h = holds.get();
    if (h.reads > 0) {
      h.reads++;
      return;
    }
    Thread me = Thread.currentThread();
    for (;;) {
      readers.getAndIncrement(h.slot);
      Thread w = writer;
      if (w == null || w == me) {
        h.reads = 1;
        return;
      }
      readers.getAndDecrement(h.slot);
      LockSupport.unpark(w);
      synchronized (gate) {
        boolean interrupted = false;
        while (writer != null && writer != me) {
          try {
            gate.wait();
          } catch (InterruptedException e) {
            interrupted = true; // lock() is not interruptible: keep the status, go on waiting
          }
        }
        if (interrupted) {
          me.interrupt();
        }
      }
    }
  }

  /** Lets go of one shared hold. */
  private void unlockShared() {
    Hold h = holds.get();
    if (h.reads <= 0) {
      throw new IllegalMonitorStateException("the epoch lock is not held shared");
    }
    if (--h.reads == 0) {
      readers.getAndDecrement(h.slot);
      Thread w = writer;
      if (w != null) {
        LockSupport.unpark(w);
      }
    }
  }

  /** Takes the lock exclusively: waits for the other writers, then for the readers to drain. */
  private void lockExclusive() {
    writers.lock();
    if (writers.getHoldCount() > 1) {
      return;
    }
    writer = Thread.currentThread();
    while (readerCount() != 0) {
      LockSupport.parkNanos(this, TimeUnit.MICROSECONDS.toNanos(200));
    }
  }

  /** Lets go of one exclusive hold; the last lets the readers in. */
  private void unlockExclusive() {
    if (!writers.isHeldByCurrentThread()) {
      throw new IllegalMonitorStateException("the epoch lock is not held exclusively");
    }
    if (writers.getHoldCount() == 1) {
      writer = null;
      synchronized (gate) {
        gate.notifyAll();
      }
    }
    writers.unlock();
  }

  /** Returns the sum of the reader counters. */
  private long readerCount() {
    long n = 0;
    for (int s = 0; s < STRIPES; s++) {
      n += readers.get(s * PAD);
    }
    return n;
  }

  /** One side of the lock: lock and unlock only (the core needs nothing else). */
  private final class Side implements Lock {
    /** True for the shared side. */
    private final boolean shared;

    Side(boolean shared) {
      this.shared = shared;
    }

    @Override
    public void lock() {
      if (shared) {
        lockShared();
      } else {
        lockExclusive();
      }
    }

    @Override
    public void unlock() {
      if (shared) {
        unlockShared();
      } else {
        unlockExclusive();
      }
    }

    @Override
    public void lockInterruptibly() {
      throw new UnsupportedOperationException("the epoch lock has lock() and unlock() only");
    }

    @Override
    public boolean tryLock() {
      throw new UnsupportedOperationException("the epoch lock has lock() and unlock() only");
    }

    @Override
    public boolean tryLock(long time, TimeUnit unit) {
      throw new UnsupportedOperationException("the epoch lock has lock() and unlock() only");
    }

    @Override
    public Condition newCondition() {
      throw new UnsupportedOperationException("the epoch lock has lock() and unlock() only");
    }
  }
}
