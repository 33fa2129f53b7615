package dev.sealfs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The epoch lock excludes a writer from every reader, lets readers nest, and starves nobody. */
final class EpochLockTest {
  /**
   * Six readers and two writers for a while: no reader ever overlaps a writer, no two writers
   * overlap, both sides make progress, and a reader nested inside its own hold never blocks.
   */
  @Test
  void writersExcludeReadersAndEachOther() throws Exception {
    EpochLock lock = new EpochLock();
    AtomicInteger inRead = new AtomicInteger();
    AtomicInteger inWrite = new AtomicInteger();
    AtomicLong reads = new AtomicLong();
    AtomicLong writes = new AtomicLong();
    AtomicBoolean broken = new AtomicBoolean();
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      final int id = t;
      ts.add(new Thread(() -> {
        while (System.nanoTime() < end) {
          lock.readLock().lock();
          try {
            inRead.incrementAndGet();
            if (inWrite.get() != 0) {
              broken.set(true);
            }
            if (id % 2 == 0) { // nested, as an inner operation takes it again
              lock.readLock().lock();
              assertEquals(2, lock.getReadHoldCount());
              lock.readLock().unlock();
            }
            inRead.decrementAndGet();
            reads.incrementAndGet();
          } finally {
            lock.readLock().unlock();
          }
        }
      }));
    }
    for (int t = 0; t < 2; t++) {
      ts.add(new Thread(() -> {
        while (System.nanoTime() < end) {
          lock.writeLock().lock();
          try {
            if (inWrite.incrementAndGet() != 1 || inRead.get() != 0) {
              broken.set(true);
            }
            Thread.onSpinWait();
            inWrite.decrementAndGet();
            writes.incrementAndGet();
          } finally {
            lock.writeLock().unlock();
          }
        }
      }));
    }
    for (Thread t : ts) {
      t.start();
    }
    for (Thread t : ts) {
      t.join(30_000);
      assertTrue(!t.isAlive(), "a thread did not finish: deadlock or starvation");
    }
    assertTrue(!broken.get(), "a reader overlapped a writer, or two writers overlapped");
    assertTrue(reads.get() > 1000, "readers made progress: " + reads.get());
    assertTrue(writes.get() > 10, "writers made progress: " + writes.get());
  }

  /**
   * A reader that holds the lock takes it again while a writer waits (the nested operation),
   * and the writer gets it once the reader lets go; a writer may take it shared too.
   */
  @Test
  void nestedReadWhileAWriterWaitsAndDowngrade() throws Exception {
    EpochLock lock = new EpochLock();
    lock.readLock().lock();
    CountDownLatch writerIn = new CountDownLatch(1);
    Thread w = new Thread(() -> {
      lock.writeLock().lock();
      writerIn.countDown();
      lock.readLock().lock(); // the writer takes it shared: counted, so a downgrade holds
      lock.writeLock().unlock();
      lock.readLock().unlock();
    });
    w.start();
    assertTrue(!writerIn.await(200, TimeUnit.MILLISECONDS), "the writer got in past a reader");
    lock.readLock().lock(); // nested: must not wait for the waiting writer
    assertEquals(2, lock.getReadHoldCount());
    lock.readLock().unlock();
    lock.readLock().unlock();
    assertTrue(writerIn.await(10, TimeUnit.SECONDS), "the writer never got in");
    w.join(10_000);
    assertTrue(!w.isAlive());
    assertEquals(0, lock.getReadHoldCount());
    lock.writeLock().lock(); // free again
    lock.writeLock().lock(); // reentrant
    lock.writeLock().unlock();
    lock.writeLock().unlock();
  }

  /** Unlocking what is not held is an error, as with ReentrantReadWriteLock. */
  @Test
  void unlockWithoutHoldFails() {
    EpochLock lock = new EpochLock();
    assertThrows(IllegalMonitorStateException.class, () -> lock.readLock().unlock());
    assertThrows(IllegalMonitorStateException.class, () -> lock.writeLock().unlock());
  }
}
