package dev.sealfs.core.ns;

import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.inode.Extent;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When an inode dies: it lives while it has a name, a kernel lookup reference, an open handle
 * or a seal holder, and is freed when the last of these goes.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>Every place that drops one of the four (unlink, rmdir, rename over a name, forget, release,
 * unseal through release) calls {@link #maybeFree}. An inode without a name but with another
 * reason to live is an orphan: its blocks stay mapped, untouched and unreused. Freeing unmaps
 * every extent through {@link Durability#deferFree} (the blocks become free once the commit
 * that deletes the inode is durable) and deletes the inode. Orphans left by a crash (no
 * reference survives one) are freed at the next mount by {@link #freeOrphansAtMount}.
 *
 * <p>Locks: the caller holds the inode's lock exclusively.
 */
public final class Lifetime {
  private static final Logger LOG = LoggerFactory.getLogger(Lifetime.class);

  /** The metadata state machine. */
  private final Metadata meta;
  /** Deferred frees. */
  private final Durability dur;

  /** Creates the lifetime unit. */
  public Lifetime(Metadata meta, Durability dur) {
    this.meta = meta;
    this.dur = dur;
  }

  /** Frees {@code i} once it has no name, reference, handle or holder left. */
  public void maybeFree(Inode i) {
    if (i.nlink > 0 || i.ino == Metadata.ROOT_INO) {
      return;
    }
    if (i.isSealed() || i.openCount > 0 || i.lookupCount > 0) {
      LOG.debug("inode {} is an orphan ({} holders, {} opens, {} lookups): blocks kept", i.ino,
          i.holderCount(), i.openCount, i.lookupCount);
      return;
    }
    free(i);
  }

  /**
   * FUSE FORGET: drops {@code nlookup} kernel lookup references of {@code i} (never below none)
   * and frees it if that was its last reason to live, unless read-only or closed.
   */
  public void forget(Inode i, long nlookup) {
    i.lookupCount = Math.max(0, i.lookupCount - nlookup);
    if (!dur.readOnly() && !dur.closed()) {
      maybeFree(i);
    }
  }

  private void free(Inode i) {
    if (i.extents != null) {
      for (Extent e : i.extents.extents()) {
        // a shared block is freed only with its last sharer (SPEC 11)
        for (long[] run : meta.shares.release(e.devBlock(), e.blockCount())) {
          dur.deferFree(run[0], run[1]);
        }
      }
      i.extents.clear();
    }
    meta.delete(i);
  }

  /** Frees every orphan a crash left (mount); returns how many. */
  public int freeOrphansAtMount() {
    List<Inode> orphans = new ArrayList<>();
    for (Inode i : meta.inodes.values()) {
      if (i.nlink == 0 && i.ino != Metadata.ROOT_INO) {
        orphans.add(i);
      }
    }
    for (Inode i : orphans) {
      free(i);
    }
    if (!orphans.isEmpty()) {
      dur.releasePendingFrees();
    }
    return orphans.size();
  }
}
