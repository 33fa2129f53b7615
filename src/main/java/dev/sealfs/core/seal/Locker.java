package dev.sealfs.core.seal;

import dev.sealfs.core.inode.Inode;
import java.util.List;

/**
 * How the seal gate takes inode locks for a revocation at a break's deadline, which runs as an
 * operation of its own, outside the request that started the break (installed by the facade,
 * {@link LayoutGate#setLocker}).
 */
public interface Locker {
  /** The locker of a gate nobody installed one in: runs the body, as a single thread may. */
  Locker UNLOCKED = new Locker() {
    @Override
    public void underLock(Inode i, Runnable body) {
      body.run();
    }

    @Override
    public void underLocks(List<Inode> inodes, Runnable body) {
      body.run();
    }
  };

  /** Runs {@code body} with {@code i}'s lock held exclusively (nothing if {@code i} is gone). */
  void underLock(Inode i, Runnable body);

  /**
   * Runs {@code body} with the locks of every inode of {@code inodes} held exclusively, taken
   * in the lock order; the body checks which of them are still live.
   */
  void underLocks(List<Inode> inodes, Runnable body);
}
