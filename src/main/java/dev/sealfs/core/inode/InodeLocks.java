package dev.sealfs.core.inode;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The inode locks: a fixed table of read-write locks, inode number modulo its size (lock
 * striping, so a million inodes do not cost a million lock objects). An inode's fields, extent
 * map, open count, lookup count and holder set are guarded by its stripe: shared for reads of
 * them, exclusive for changes. Two inodes may share a stripe; that only serialises them.
 *
 * <p>Several inodes (a namespace change) are locked in ascending stripe order, each stripe once,
 * so lockers never wait on each other in a cycle.
 */
public final class InodeLocks {
  /** Number of stripes (a power of two). */
  private static final int STRIPES = 1024;

  /** The stripes. */
  private final ReentrantReadWriteLock[] stripes = new ReentrantReadWriteLock[STRIPES];

  /** Creates the table. */
  public InodeLocks() {
    for (int k = 0; k < STRIPES; k++) {
      stripes[k] = new ReentrantReadWriteLock();
    }
  }

  /** A held set of stripes; closing it unlocks them. */
  public interface Held extends AutoCloseable {
    @Override
    void close();
  }

  private ReentrantReadWriteLock stripe(long ino) {
    return stripes[(int) (ino & (STRIPES - 1))];
  }

  /** Locks {@code ino}'s stripe shared (reads of the inode). */
  public Held shared(long ino) {
    ReentrantReadWriteLock.ReadLock l = stripe(ino).readLock();
    l.lock();
    return l::unlock;
  }

  /** Locks {@code ino}'s stripe exclusively (changes of the inode). */
  public Held exclusive(long ino) {
    ReentrantReadWriteLock.WriteLock l = stripe(ino).writeLock();
    l.lock();
    return l::unlock;
  }

  /** Locks the stripes of the non-null {@code inodes} exclusively, in ascending stripe order. */
  public Held exclusive(Inode... inodes) {
    int[] idx = new int[inodes.length];
    int n = 0;
    for (Inode i : inodes) {
      if (i != null) {
        idx[n++] = (int) (i.ino & (STRIPES - 1));
      }
    }
    int[] order = Arrays.stream(idx, 0, n).sorted().distinct().toArray();
    for (int k : order) {
      stripes[k].writeLock().lock();
    }
    return () -> {
      for (int k = order.length - 1; k >= 0; k--) {
        stripes[order[k]].writeLock().unlock();
      }
    };
  }
}
