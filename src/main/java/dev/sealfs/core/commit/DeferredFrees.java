package dev.sealfs.core.commit;

import dev.sealfs.core.alloc.Allocator;
import java.util.ArrayList;
import java.util.List;

/**
 * The deferred frees: device blocks let go by the running group, which go back to the
 * {@link Allocator} only once that group is durable.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>A block a file stops mapping may still be named by the last durable state (the journal or
 * the checkpoint a crash would recover), so it must not be reused before the group that frees
 * it is on the device. Operations queue such runs here ({@link #add}); a commit or a checkpoint
 * takes the queue in its in-memory cut ({@link #take}, under the epoch lock), so the runs it
 * takes belong to the groups it closes, and gives them to the allocator once its force made
 * those groups durable ({@link #release}). A commit that cannot append its group puts its runs
 * back in front of the newer ones ({@link #putBack}) for the checkpoint that covers its records.
 * Until released the runs are counted ({@link #blockCount}): statfs reports them as free, fsync
 * commits when there are any, and an allocation that runs short knows a commit would help.
 *
 * <p>Locks: the queue and its count are guarded by this object's monitor, a leaf lock (the
 * allocator, a leaf lock too, is called outside it); the count is read without it.
 */
final class DeferredFrees {
  /** Where released runs go. */
  private final Allocator alloc;
  /** Runs freed by groups not yet durable; guarded by this object's monitor. */
  private List<Allocator.Run> pending = new ArrayList<>();
  /** Sum of {@link #pending} and of the runs taken but not yet released. */
  private volatile long pendingBlocks;

  /** Creates the queue in front of {@code alloc}. */
  DeferredFrees(Allocator alloc) {
    this.alloc = alloc;
  }

  /** Queues blocks freed by the running group; they become free once it is durable. */
  void add(long devBlock, long blockCount) {
    synchronized (this) {
      pending.add(new Allocator.Run(devBlock, blockCount));
      pendingBlocks += blockCount;
    }
  }

  /** Returns the blocks waiting for their freeing group to become durable. */
  long blockCount() {
    return pendingBlocks;
  }

  /** Takes the deferred frees so far (they belong to the groups closed up to now). */
  synchronized List<Allocator.Run> take() {
    List<Allocator.Run> taken = pending;
    pending = new ArrayList<>();
    return taken;
  }

  /** Puts runs taken by {@link #take} back in front of the ones queued since. */
  void putBack(List<Allocator.Run> taken) {
    synchronized (this) {
      taken.addAll(pending);
      pending = taken;
    }
  }

  /** Gives {@code frees} back to the allocator (their freeing groups are durable). */
  void release(List<Allocator.Run> frees) {
    long n = 0;
    for (Allocator.Run r : frees) {
      alloc.free(r.devBlock(), r.blockCount());
      n += r.blockCount();
    }
    synchronized (this) {
      pendingBlocks -= n;
    }
  }

  /** Returns a copy of the queued runs (tests check that no block is owned twice). */
  synchronized List<Allocator.Run> runs() {
    return new ArrayList<>(pending);
  }
}
