package dev.sealfs.core;

import dev.sealfs.core.alloc.Allocator;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.inode.Extent;
import dev.sealfs.core.inode.ExtentState;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import dev.sealfs.core.inode.ShareCounts;
import java.util.Map;
import java.util.TreeMap;

/**
 * The block-ownership check the tests run: no device block has two owners (extent maps, the
 * checkpoint, deferred frees; the shared extents together are one owner, and their live counts
 * must equal what the maps say) or is both owned and free, and owned plus free is the whole data
 * area, so nothing leaked. The caller stops every operation first.
 */
final class BlockOwnership {
  private BlockOwnership() {}

  /** Checks {@code meta}'s maps against {@code alloc}; throws AssertionError on a violation. */
  static void verify(Metadata meta, Allocator alloc, Durability dur) {
    TreeMap<Long, long[]> owned = new TreeMap<>();
    for (Inode i : meta.inodes.values()) {
      if (i.extents != null) {
        for (Extent e : i.extents.extents()) {
          if (e.state() != ExtentState.SHARED) {
            own(owned, e.devBlock(), e.blockCount(), i.ino);
          }
        }
      }
    }
    // shared extents: the live counts must be exactly what the maps say, and their union is
    // one owner (a block referenced more often than its count, or freed while mapped, fails)
    ShareCounts derived = ShareCounts.derive(meta.inodes.values());
    if (!derived.toString().equals(meta.shares.toString())) {
      throw new AssertionError("share counts " + meta.shares + " but the maps say " + derived);
    }
    for (long[] r : derived.runs()) {
      own(owned, r[0], r[1], -3);
    }
    for (Allocator.Run r : dur.superblock().checkpointRuns()) {
      own(owned, r.devBlock(), r.blockCount(), -1);
    }
    for (Allocator.Run r : dur.pendingFreeRuns()) {
      own(owned, r.devBlock(), r.blockCount(), -2);
    }
    long ownedBlocks = 0;
    for (Map.Entry<Long, long[]> e : owned.entrySet()) {
      ownedBlocks += e.getValue()[0] - e.getKey();
    }
    for (Allocator.Run f : alloc.freeRuns()) {
      Map.Entry<Long, long[]> below = owned.lowerEntry(f.devEnd());
      if (below != null && below.getValue()[0] > f.devBlock()) {
        throw new AssertionError("free run " + f + " overlaps blocks of owner "
            + below.getValue()[1]);
      }
    }
    if (ownedBlocks + alloc.freeBlocks() != alloc.totalBlocks()) {
      throw new AssertionError("owned " + ownedBlocks + " + free " + alloc.freeBlocks()
          + " != " + alloc.totalBlocks() + " blocks: leaked or double-counted");
    }
  }

  private static void own(TreeMap<Long, long[]> owned, long start, long count, long owner) {
    Map.Entry<Long, long[]> below = owned.floorEntry(start + count - 1);
    if (below != null && below.getValue()[0] > start) {
      throw new AssertionError("blocks " + start + "+" + count + " of owner " + owner
          + " also belong to owner " + below.getValue()[1]);
    }
    owned.put(start, new long[] {start + count, owner});
  }
}
