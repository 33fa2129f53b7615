package dev.sealfs.core.inode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One file's block map: the extents that take fileBlocks to devBlocks, with holes left implicit.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>Extents are kept in a {@link TreeMap} keyed by fileBlock; they never overlap, and two
 * neighbours that could be one extent are always merged, so the map is canonical (the same
 * mapping always gives the same extents). A fileBlock with no extent is a hole.
 *
 * <p>{@link #unmap} cuts a range out, splitting the extents at its edges (like XFS'
 * {@code xfs_bmap_del_extent_real}); the clipped pieces it returns are the devBlocks the caller
 * must free:
 *
 * <pre>
 *   fileBlock   0   4     10  14
 *   before      AAAAAAAAAAAAAA     A: fileBlocks [0, 14) at devBlocks [100, 114)
 *   unmap(4, 6) AAAA......AAAA     keeps [0, 4) at 100 and [10, 14) at 110,
 *                   xxxxxx         returns the piece [4, 10) at devBlock 104
 * </pre>
 *
 * <p>{@link #map} unmaps the new extent's range, inserts it, then merges it with a neighbour that
 * is contiguous in the file and on the device and has the same state (the LEFT_CONTIG /
 * RIGHT_CONTIG cases of XFS' {@code xfs_bmap_add_extent_hole_real}):
 *
 * <pre>
 *   fileBlock   0   4     10  14
 *   before      LLLL......RRRR     L: [0, 4) at devBlock 100, R: [10, 14) at 110
 *   map N           NNNNNN         N: [4, 10) at 104, same state: LEFT_CONTIG | RIGHT_CONTIG
 *   after       LLLLLLLLLLLLLL     one extent, [0, 14) at devBlock 100
 * </pre>
 *
 * <p>Not internally synchronized: guarded by the filesystem lock (callers hold SealFs' lock).
 */
public final class ExtentMap {

  /** Merge case flag: the new extent continues its left neighbour. */
  private static final int LEFT_CONTIG = 1;
  /** Merge case flag: the new extent is continued by its right neighbour. */
  private static final int RIGHT_CONTIG = 2;

  /** Above this many extents the assert-only invariant check skips its O(extents) walk. */
  private static final int FULL_CHECK_MAX_EXTENTS = 4096;

  /** The extents keyed by their first fileBlock. */
  private final TreeMap<Long, Extent> byFileBlock = new TreeMap<>();
  /** An unmodifiable view of the extents in fileBlock order. */
  private final Iterable<Extent> extentsView =
      Collections.unmodifiableCollection(byFileBlock.values());
  /** The number of mapped blocks, the sum of every extent's blockCount. */
  private long mappedBlocks;

  /** Creates an empty block map: the whole file is a hole. */
  public ExtentMap() {}

  /** Returns the extent covering {@code fileBlock}, or null if it lies in a hole. */
  public Extent find(long fileBlock) {
    Map.Entry<Long, Extent> entry = byFileBlock.floorEntry(fileBlock);
    return entry != null && entry.getValue().contains(fileBlock) ? entry.getValue() : null;
  }

  /** Returns the extent covering {@code fileBlock}, else the first one after it, else null. */
  public Extent ceiling(long fileBlock) {
    Extent covering = find(fileBlock);
    if (covering != null) {
      return covering;
    }
    Map.Entry<Long, Extent> next = byFileBlock.higherEntry(fileBlock);
    return next == null ? null : next.getValue();
  }

  /**
   * Returns the extents intersecting {@code [fileBlock, fileBlock + blockCount)}, each clipped to
   * it, in fileBlock order; holes are gaps between them.
   */
  public List<Extent> slice(long fileBlock, long blockCount) {
    long fileEnd = checkRange(fileBlock, blockCount);
    List<Extent> pieces = new ArrayList<>();
    for (Extent e : overlapping(fileBlock, fileEnd)) {
      pieces.add(e.slice(fileBlock, fileEnd));
    }
    return pieces;
  }

  /**
   * Removes the mapping of {@code [fileBlock, fileBlock + blockCount)}, splitting extents at its
   * edges.
   *
   * @return the removed pieces, clipped to the range, in fileBlock order: the devBlocks to free
   */
  public List<Extent> unmap(long fileBlock, long blockCount) {
    long fileEnd = checkRange(fileBlock, blockCount);
    List<Extent> removed = new ArrayList<>();
    for (Extent e : overlapping(fileBlock, fileEnd)) {
      remove(e);
      if (e.fileBlock() < fileBlock) {
        put(e.slice(e.fileBlock(), fileBlock));
      }
      if (e.fileEnd() > fileEnd) {
        put(e.slice(fileEnd, e.fileEnd()));
      }
      removed.add(e.slice(fileBlock, fileEnd));
    }
    assert checkInvariants();
    return removed;
  }

  /**
   * Maps {@code extent}, replacing whatever mapped its range, and merges it with contiguous
   * neighbours of the same state.
   *
   * @return the displaced pieces, clipped to the extent's range, in fileBlock order: the devBlocks
   *     to free (the caller must not free the ones {@code extent} itself reuses)
   */
  public List<Extent> map(Extent extent) {
    List<Extent> displaced = unmap(extent.fileBlock(), extent.blockCount());
    Map.Entry<Long, Extent> leftEntry = byFileBlock.lowerEntry(extent.fileBlock());
    Extent left = leftEntry == null ? null : leftEntry.getValue();
    Extent right = byFileBlock.get(extent.fileEnd());
    int contig = 0;
    if (left != null && isContiguous(left, extent)) {
      contig |= LEFT_CONTIG;
    }
    if (right != null && isContiguous(extent, right)) {
      contig |= RIGHT_CONTIG;
    }
    switch (contig) {
      case LEFT_CONTIG | RIGHT_CONTIG:
        // Fills the gap between two neighbours: all three become the left one, grown.
        remove(left);
        remove(right);
        put(new Extent(left.fileBlock(), left.devBlock(),
            left.blockCount() + extent.blockCount() + right.blockCount(), extent.state()));
        break;
      case LEFT_CONTIG:
        // Continues the left neighbour: grow it to the right.
        remove(left);
        put(new Extent(left.fileBlock(), left.devBlock(),
            left.blockCount() + extent.blockCount(), extent.state()));
        break;
      case RIGHT_CONTIG:
        // Continued by the right neighbour: it grows to the left and starts where extent does.
        remove(right);
        put(new Extent(extent.fileBlock(), extent.devBlock(),
            extent.blockCount() + right.blockCount(), extent.state()));
        break;
      default:
        // Neither neighbour continues it: a new extent of its own.
        put(extent);
        break;
    }
    assert checkInvariants();
    return displaced;
  }

  /** Returns the number of extents. */
  public int extentCount() {
    return byFileBlock.size();
  }

  /** Returns the number of mapped blocks (written or unwritten), in constant time. */
  public long mappedBlocks() {
    return mappedBlocks;
  }

  /** Returns the extent with the highest fileBlock, or null if the map is empty. */
  public Extent last() {
    Map.Entry<Long, Extent> entry = byFileBlock.lastEntry();
    return entry == null ? null : entry.getValue();
  }

  /** Returns an unmodifiable live view of the extents in fileBlock order. */
  public Iterable<Extent> extents() {
    return extentsView;
  }

  /** Removes every extent, without returning them: the caller frees from {@link #extents} first. */
  public void clear() {
    byFileBlock.clear();
    mappedBlocks = 0;
  }

  /** Returns the extents as a list, such as {@code [Extent[fileBlock=0, ...]]}. */
  @Override
  public String toString() {
    return byFileBlock.values().toString();
  }

  /** Returns a copy of the extents intersecting {@code [fileBlock, fileEnd)}, in order. */
  private List<Extent> overlapping(long fileBlock, long fileEnd) {
    List<Extent> found = new ArrayList<>();
    Long from = byFileBlock.floorKey(fileBlock);
    Map<Long, Extent> candidates =
        byFileBlock.subMap(from == null ? fileBlock : from, true, fileEnd, false);
    for (Extent e : candidates.values()) {
      if (e.fileEnd() > fileBlock) {
        found.add(e);
      }
    }
    return found;
  }

  /** Returns whether {@code second} continues {@code first} in file, on device and in state. */
  private static boolean isContiguous(Extent first, Extent second) {
    return first.fileEnd() == second.fileBlock()
        && first.devEnd() == second.devBlock()
        && first.state() == second.state();
  }

  /** Adds an extent known not to overlap any other, counting its blocks. */
  private void put(Extent extent) {
    byFileBlock.put(extent.fileBlock(), extent);
    mappedBlocks += extent.blockCount();
  }

  /** Removes an extent present in the map, uncounting its blocks. */
  private void remove(Extent extent) {
    byFileBlock.remove(extent.fileBlock());
    mappedBlocks -= extent.blockCount();
  }

  /** Validates a non-empty range and returns its exclusive end fileBlock. */
  private static long checkRange(long fileBlock, long blockCount) {
    if (fileBlock < 0 || blockCount <= 0 || fileBlock > Long.MAX_VALUE - blockCount) {
      throw new IllegalArgumentException("Bad range: fileBlock " + fileBlock + " blockCount "
          + blockCount);
    }
    return fileBlock + blockCount;
  }

  /**
   * Checks order, overlap, merging and the counter; returns true so it can run under assert.
   *
   * <p>The walk is O(extents), so it is skipped above {@link #FULL_CHECK_MAX_EXTENTS} extents.
   */
  private boolean checkInvariants() {
    if (byFileBlock.size() > FULL_CHECK_MAX_EXTENTS) {
      return true;
    }
    long sum = 0;
    Extent previous = null;
    for (Map.Entry<Long, Extent> entry : byFileBlock.entrySet()) {
      Extent e = entry.getValue();
      if (entry.getKey() != e.fileBlock()) {
        throw new AssertionError("Key " + entry.getKey() + " holds " + e);
      }
      if (previous != null && previous.fileEnd() > e.fileBlock()) {
        throw new AssertionError("Overlapping extents " + previous + " and " + e);
      }
      if (previous != null && isContiguous(previous, e)) {
        throw new AssertionError("Unmerged extents " + previous + " and " + e);
      }
      sum += e.blockCount();
      previous = e;
    }
    if (sum != mappedBlocks) {
      throw new AssertionError("mappedBlocks is " + mappedBlocks + " but extents sum to " + sum);
    }
    return true;
  }
}
