package dev.sealfs.core.inode;

import static dev.sealfs.core.inode.ExtentState.UNWRITTEN;
import static dev.sealfs.core.inode.ExtentState.WRITTEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tests {@link ExtentMap} and {@link Extent}: merging, splitting, slicing and a random model. */
final class ExtentMapTest {

  /** Shorthand for a written extent. */
  private static Extent w(long fileBlock, long devBlock, long blockCount) {
    return new Extent(fileBlock, devBlock, blockCount, WRITTEN);
  }

  /** Shorthand for an unwritten extent. */
  private static Extent u(long fileBlock, long devBlock, long blockCount) {
    return new Extent(fileBlock, devBlock, blockCount, UNWRITTEN);
  }

  /** Returns the map's extents as a list. */
  private static List<Extent> list(ExtentMap map) {
    List<Extent> extents = new ArrayList<>();
    map.extents().forEach(extents::add);
    return extents;
  }

  /** An extent with no contiguous neighbour stays on its own. */
  @Test
  void mapWithoutNeighboursDoesNotMerge() {
    ExtentMap map = new ExtentMap();
    assertEquals(List.of(), map.map(w(0, 100, 4)));
    assertEquals(List.of(), map.map(w(10, 200, 4)));
    assertEquals(List.of(), map.map(w(5, 105, 2)));
    assertEquals(List.of(w(0, 100, 4), w(5, 105, 2), w(10, 200, 4)), list(map));
    assertEquals(10, map.mappedBlocks());
    assertEquals(3, map.extentCount());
  }

  /** An extent continuing its left neighbour grows that neighbour (LEFT_CONTIG). */
  @Test
  void mapMergesLeft() {
    ExtentMap map = new ExtentMap();
    map.map(w(0, 100, 4));
    map.map(w(4, 104, 3));
    assertEquals(List.of(w(0, 100, 7)), list(map));
    assertEquals(7, map.mappedBlocks());
  }

  /** An extent continued by its right neighbour absorbs it (RIGHT_CONTIG). */
  @Test
  void mapMergesRight() {
    ExtentMap map = new ExtentMap();
    map.map(u(10, 110, 5));
    map.map(u(7, 107, 3));
    assertEquals(List.of(u(7, 107, 8)), list(map));
    assertEquals(8, map.mappedBlocks());
  }

  /** An extent filling the gap between two contiguous neighbours joins all three. */
  @Test
  void mapMergesBoth() {
    ExtentMap map = new ExtentMap();
    map.map(w(0, 100, 4));
    map.map(w(10, 110, 4));
    map.map(w(4, 104, 6));
    assertEquals(List.of(w(0, 100, 14)), list(map));
    assertEquals(1, map.extentCount());
    assertEquals(14, map.mappedBlocks());
  }

  /** Neighbours contiguous in file and device but of another state are not merged. */
  @Test
  void differentStatePreventsMerging() {
    ExtentMap map = new ExtentMap();
    map.map(w(0, 100, 4));
    map.map(w(10, 110, 4));
    map.map(u(4, 104, 6));
    assertEquals(List.of(w(0, 100, 4), u(4, 104, 6), w(10, 110, 4)), list(map));
  }

  /** Neighbours contiguous in the file but not on the device are not merged. */
  @Test
  void physicalGapPreventsMerging() {
    ExtentMap map = new ExtentMap();
    map.map(w(0, 100, 4));
    map.map(w(4, 105, 2));
    map.map(w(6, 107, 2)); // continues the second only
    assertEquals(List.of(w(0, 100, 4), w(4, 105, 4)), list(map));
    map.map(w(8, 50, 1));
    assertEquals(3, map.extentCount());
  }

  /** Unmapping the middle of an extent splits it in two and returns the middle. */
  @Test
  void unmapMiddleSplits() {
    ExtentMap map = new ExtentMap();
    map.map(w(0, 100, 14));
    assertEquals(List.of(w(4, 104, 6)), map.unmap(4, 6));
    assertEquals(List.of(w(0, 100, 4), w(10, 110, 4)), list(map));
    assertEquals(8, map.mappedBlocks());
    assertNull(map.find(4));
    assertNull(map.find(9));
    assertEquals(w(10, 110, 4), map.find(10));
  }

  /** Unmapping the head or the tail of an extent trims it. */
  @Test
  void unmapEdgesTrim() {
    ExtentMap map = new ExtentMap();
    map.map(u(5, 100, 10));
    assertEquals(List.of(u(5, 100, 2)), map.unmap(0, 7));
    assertEquals(List.of(u(7, 102, 8)), list(map));
    assertEquals(List.of(u(13, 108, 2)), map.unmap(13, 100));
    assertEquals(List.of(u(7, 102, 6)), list(map));
    assertEquals(6, map.mappedBlocks());
  }

  /** Unmapping across several extents and holes returns every clipped piece in order. */
  @Test
  void unmapAcrossExtents() {
    ExtentMap map = new ExtentMap();
    map.map(w(0, 100, 4));
    map.map(u(6, 300, 2));
    map.map(w(10, 200, 5));
    assertEquals(List.of(w(2, 102, 2), u(6, 300, 2), w(10, 200, 2)), map.unmap(2, 10));
    assertEquals(List.of(w(0, 100, 2), w(12, 202, 3)), list(map));
    assertEquals(5, map.mappedBlocks());
    assertEquals(List.of(), map.unmap(2, 10), "unmapping a hole removes nothing");
  }

  /** Mapping over holes and extents returns what was displaced and replaces it. */
  @Test
  void mapOverHolesAndExtents() {
    ExtentMap map = new ExtentMap();
    map.map(w(2, 100, 2));
    map.map(w(8, 200, 4));
    List<Extent> displaced = map.map(u(0, 500, 10));
    assertEquals(List.of(w(2, 100, 2), w(8, 200, 2)), displaced);
    assertEquals(List.of(u(0, 500, 10), w(10, 202, 2)), list(map));
    assertEquals(12, map.mappedBlocks());
    // Converting the unwritten extent in place merges back into one.
    assertEquals(List.of(u(0, 500, 10)), map.map(w(0, 500, 10)));
    assertEquals(List.of(w(0, 500, 10), w(10, 202, 2)), list(map));
  }

  /** Writing the middle of an unwritten extent splits it three ways, then merges back. */
  @Test
  void convertMiddleThenRest() {
    ExtentMap map = new ExtentMap();
    map.map(u(0, 100, 9));
    map.map(w(3, 103, 3));
    assertEquals(List.of(u(0, 100, 3), w(3, 103, 3), u(6, 106, 3)), list(map));
    map.map(w(0, 100, 3));
    map.map(w(6, 106, 3));
    assertEquals(List.of(w(0, 100, 9)), list(map));
  }

  /** find, ceiling, last and slice answer about holes and extents. */
  @Test
  void lookups() {
    ExtentMap map = new ExtentMap();
    assertNull(map.last());
    assertNull(map.ceiling(0));
    map.map(w(4, 100, 4));
    map.map(u(12, 300, 4));
    assertNull(map.find(3));
    assertEquals(w(4, 100, 4), map.find(7));
    assertNull(map.find(8));
    assertEquals(w(4, 100, 4), map.ceiling(0));
    assertEquals(w(4, 100, 4), map.ceiling(5));
    assertEquals(u(12, 300, 4), map.ceiling(8));
    assertNull(map.ceiling(16));
    assertEquals(u(12, 300, 4), map.last());
    assertEquals(List.of(w(6, 102, 2), u(12, 300, 1)), map.slice(6, 7));
    assertEquals(List.of(), map.slice(8, 4));
    assertEquals(List.of(w(5, 101, 1)), map.slice(5, 1));
  }

  /** extents() is ordered and unmodifiable; clear() empties the map. */
  @Test
  void extentsViewAndClear() {
    ExtentMap map = new ExtentMap();
    map.map(w(9, 100, 1));
    map.map(w(1, 200, 1));
    Iterator<Extent> it = map.extents().iterator();
    assertEquals(1, it.next().fileBlock());
    assertEquals(9, it.next().fileBlock());
    assertThrows(UnsupportedOperationException.class, it::remove);
    map.clear();
    assertEquals(0, map.extentCount());
    assertEquals(0, map.mappedBlocks());
    assertTrue(list(map).isEmpty());
  }

  /** Extent arithmetic: ends, devBlockAt, slice and validation. */
  @Test
  void extentArithmetic() {
    Extent e = w(10, 100, 5);
    assertEquals(15, e.fileEnd());
    assertEquals(105, e.devEnd());
    assertEquals(103, e.devBlockAt(13));
    assertThrows(IllegalArgumentException.class, () -> e.devBlockAt(15));
    assertEquals(w(12, 102, 2), e.slice(12, 14));
    assertEquals(w(10, 100, 2), e.slice(0, 12));
    assertSame(e, e.slice(0, 100));
    assertThrows(IllegalArgumentException.class, () -> e.slice(15, 20));
    assertThrows(IllegalArgumentException.class, () -> w(0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> w(-1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> w(0, -1, 1));
    assertThrows(IllegalArgumentException.class, () -> w(Long.MAX_VALUE, 0, 1));
    assertThrows(NullPointerException.class, () -> new Extent(0, 0, 1, null));
    ExtentMap map = new ExtentMap();
    assertThrows(IllegalArgumentException.class, () -> map.unmap(0, 0));
    assertThrows(IllegalArgumentException.class, () -> map.slice(-1, 1));
  }

  /** Runs 5,000+ random map/unmap steps against a per-block model and checks every block. */
  @ParameterizedTest(name = "seed={0}")
  @ValueSource(longs = {1, 2, 3, 0xb10c})
  void randomOperationsMatchModel(long seed) {
    final int fileBlocks = 256;
    Random rnd = new Random(seed);
    ExtentMap map = new ExtentMap();
    long[] dev = new long[fileBlocks];
    ExtentState[] state = new ExtentState[fileBlocks];
    java.util.Arrays.fill(dev, -1);
    int step = 0;
    try {
      for (step = 0; step < 6_000; step++) {
        int fileBlock = rnd.nextInt(fileBlocks);
        int blockCount = 1 + rnd.nextInt(Math.min(24, fileBlocks - fileBlock));
        List<Extent> removed;
        List<Extent> expected = modelSlice(dev, state, fileBlock, blockCount);
        if (rnd.nextInt(3) == 0) {
          removed = map.unmap(fileBlock, blockCount);
          for (int b = fileBlock; b < fileBlock + blockCount; b++) {
            dev[b] = -1;
            state[b] = null;
          }
        } else {
          // Few device offsets and states, so neighbours are often contiguous and merge.
          long devBlock = 1000L * rnd.nextInt(3) + fileBlock + rnd.nextInt(2);
          ExtentState s = rnd.nextInt(4) == 0 ? UNWRITTEN : WRITTEN;
          removed = map.map(new Extent(fileBlock, devBlock, blockCount, s));
          for (int b = fileBlock; b < fileBlock + blockCount; b++) {
            dev[b] = devBlock + (b - fileBlock);
            state[b] = s;
          }
        }
        assertEquals(expected, removed, "displaced pieces");
        checkModel(map, dev, state);
      }
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("seed=" + seed + " step=" + step + ": " + e.getMessage(), e);
    }
  }

  /** Returns the model's maximal extents inside a range, as slice() should report them. */
  private static List<Extent> modelSlice(
      long[] dev, ExtentState[] state, int fileBlock, int blockCount) {
    List<Extent> extents = new ArrayList<>();
    int b = fileBlock;
    int end = fileBlock + blockCount;
    while (b < end) {
      if (dev[b] < 0) {
        b++;
        continue;
      }
      int start = b;
      while (b + 1 < end && dev[b + 1] == dev[b] + 1 && state[b + 1] == state[b]) {
        b++;
      }
      b++;
      extents.add(new Extent(start, dev[start], b - start, state[start]));
    }
    return extents;
  }

  /** Asserts find() for every block, mappedBlocks(), canonical merging and slice() of all. */
  private static void checkModel(ExtentMap map, long[] dev, ExtentState[] state) {
    long mapped = 0;
    for (int b = 0; b < dev.length; b++) {
      Extent e = map.find(b);
      if (dev[b] < 0) {
        assertNull(e, "block " + b + " should be a hole");
      } else {
        mapped++;
        assertTrue(e != null, "block " + b + " should be mapped");
        assertEquals(dev[b], e.devBlockAt(b), "devBlock of block " + b);
        assertEquals(state[b], e.state(), "state of block " + b);
      }
    }
    assertEquals(mapped, map.mappedBlocks());
    // Fully merged: the extents are exactly the model's maximal runs.
    List<Extent> runs = modelSlice(dev, state, 0, dev.length);
    assertEquals(runs, list(map));
    assertEquals(runs.size(), map.extentCount());
    assertEquals(runs, map.slice(0, dev.length));
  }
}
