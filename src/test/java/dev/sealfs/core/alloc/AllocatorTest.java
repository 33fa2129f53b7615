package dev.sealfs.core.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.core.alloc.Allocator.Run;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Tests {@link Allocator}: policy, all-or-nothing, misuse, coalescing and a randomized model. */
final class AllocatorTest {

  /** Returns the matrix of (blockCount, firstDevBlock) every parameterized test runs over. */
  static Stream<Arguments> areas() {
    List<Arguments> areas = new ArrayList<>();
    for (long blockCount : new long[] {1, 2, 63, 64, 1000, 262144}) {
      for (long first : new long[] {0, 3}) {
        areas.add(Arguments.of(blockCount, first));
      }
    }
    return areas.stream();
  }

  /** A new allocator is one free run covering exactly the area. */
  @ParameterizedTest(name = "blocks={0} first={1}")
  @MethodSource("areas")
  void startsAsOneFreeRun(long blockCount, long first) {
    Allocator a = new Allocator(first, blockCount);
    assertEquals(blockCount, a.freeBlocks());
    assertEquals(blockCount, a.totalBlocks());
    assertEquals(first, a.firstDevBlock());
    assertEquals(1, a.freeRunCount());
    assertEquals(blockCount, a.largestFreeRun());
    assertEquals(List.of(new Run(first, blockCount)), a.freeRuns());
    assertTrue(a.isFree(first));
    assertTrue(a.isFree(first + blockCount - 1));
    assertTrue(a.isRangeFree(first, blockCount));
    assertFalse(a.isFree(first + blockCount));
    assertFalse(a.isRangeFree(first, blockCount + 1));
    assertFalse(a.isFree(first - 1));
    assertEquals("[0x" + Long.toHexString(first) + "-0x"
        + Long.toHexString(first + blockCount - 1) + "]", a.toString());
  }

  /** A writer asking for one block at a time with goal = previous end gets one contiguous run. */
  @ParameterizedTest(name = "blocks={0} first={1}")
  @MethodSource("areas")
  void sequentialWriterGetsOneContiguousRun(long blockCount, long first) {
    Allocator a = new Allocator(first, blockCount);
    long goal = first;
    for (long i = 0; i < blockCount; i++) {
      Run run = a.allocate(goal, 1);
      assertNotNull(run);
      assertEquals(goal, run.devBlock(), "block " + i);
      assertEquals(1, run.blockCount());
      goal = run.devEnd();
    }
    assertEquals(0, a.freeBlocks());
    assertEquals(0, a.largestFreeRun());
    assertEquals(0, a.freeRunCount());
    assertNull(a.allocate(first, 1));
    assertEquals("[]", a.toString());
  }

  /** A goal inside a free run is taken from the goal, as long as the run allows. */
  @ParameterizedTest(name = "blocks={0} first={1}")
  @MethodSource("areas")
  void goalInsideFreeRunIsTakenFromTheGoal(long blockCount, long first) {
    Allocator a = new Allocator(first, blockCount);
    long goal = first + blockCount / 2;
    Run run = a.allocate(goal, blockCount);
    assertEquals(new Run(goal, blockCount - blockCount / 2), run);
    assertEquals(blockCount / 2, a.freeBlocks());
  }

  /** allocateAll either returns runs summing to the request or changes nothing. */
  @ParameterizedTest(name = "blocks={0} first={1}")
  @MethodSource("areas")
  void allocateAllIsAllOrNothing(long blockCount, long first) {
    Allocator a = new Allocator(first, blockCount);
    // Fragment: use every third block so the request needs several runs.
    for (long b = first; b < first + blockCount; b += 3) {
      a.markUsed(b, 1);
    }
    long free = a.freeBlocks();
    List<Run> before = a.freeRuns();
    assertNull(a.allocateAll(first, free + 1));
    assertEquals(free, a.freeBlocks());
    assertEquals(before, a.freeRuns());
    if (free == 0) {
      return;
    }
    List<Run> runs = a.allocateAll(first, free);
    assertNotNull(runs);
    assertEquals(free, runs.stream().mapToLong(Run::blockCount).sum());
    List<Run> sorted = new ArrayList<>(runs);
    sorted.sort(Comparator.comparingLong(Run::devBlock));
    assertEquals(before, sorted, "exactly the free runs are handed out");
    assertEquals(0, a.freeBlocks());
  }

  /** Freeing a block that is already free throws "Double free:" and changes nothing. */
  @ParameterizedTest(name = "blocks={0} first={1}")
  @MethodSource("areas")
  void doubleFreeThrows(long blockCount, long first) {
    Allocator a = new Allocator(first, blockCount);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> a.free(first, 1));
    assertTrue(e.getMessage().startsWith("Double free: 0x" + Long.toHexString(first)),
        e.getMessage());
    Run run = a.allocate(first, blockCount);
    assertEquals(blockCount, run.blockCount());
    a.free(first, 1);
    if (blockCount > 1) {
      // The range [first, first + 2) overlaps the block just freed.
      e = assertThrows(IllegalStateException.class, () -> a.free(first, 2));
      assertTrue(e.getMessage().startsWith("Double free:"), e.getMessage());
      e = assertThrows(IllegalStateException.class, () -> a.free(first + 1, blockCount));
      assertTrue(e.getMessage().startsWith("Out of range:"), e.getMessage());
    }
    assertEquals(1, a.freeBlocks());
  }

  /** Marking a used block used again throws "Double alloc:" and changes nothing. */
  @ParameterizedTest(name = "blocks={0} first={1}")
  @MethodSource("areas")
  void doubleAllocThrows(long blockCount, long first) {
    Allocator a = new Allocator(first, blockCount);
    long last = first + blockCount - 1;
    a.markUsed(last, 1);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> a.markUsed(last, 1));
    assertTrue(e.getMessage().startsWith("Double alloc: 0x" + Long.toHexString(last)),
        e.getMessage());
    e = assertThrows(IllegalStateException.class, () -> a.markUsed(first, blockCount));
    assertTrue(e.getMessage().startsWith("Double alloc:"), e.getMessage());
    assertEquals(blockCount - 1, a.freeBlocks());
    e = assertThrows(IllegalStateException.class, () -> a.markUsed(first + blockCount, 1));
    assertTrue(e.getMessage().startsWith("Out of range:"), e.getMessage());
    if (first > 0) {
      e = assertThrows(IllegalStateException.class, () -> a.free(first - 1, 1));
      assertTrue(e.getMessage().startsWith("Out of range:"), e.getMessage());
    }
  }

  /** Freeing every other block, then the gaps, coalesces back to one run. */
  @ParameterizedTest(name = "blocks={0} first={1}")
  @MethodSource("areas")
  void freeCoalescesNeighbours(long blockCount, long first) {
    Allocator a = new Allocator(first, blockCount);
    assertEquals(blockCount, a.allocate(first, blockCount).blockCount());
    long n = Math.min(blockCount, 2000);
    for (long b = first; b < first + n; b += 2) {
      a.free(b, 1);
    }
    assertEquals((n + 1) / 2, a.freeRunCount());
    assertEquals(1, a.largestFreeRun());
    for (long b = first + 1; b < first + n; b += 2) {
      a.free(b, 1);
    }
    assertEquals(1, a.freeRunCount());
    assertEquals(n, a.largestFreeRun());
    assertEquals(List.of(new Run(first, n)), a.freeRuns());
  }

  /** largestFreeRun tracks the longest run as runs are carved and merged. */
  @Test
  void largestFreeRunFollowsCarvingAndMerging() {
    Allocator a = new Allocator(0x10, 0x100);
    a.markUsed(0x20, 0x10);
    a.markUsed(0x40, 0xd0);
    assertEquals("[0x10-0x1f, 0x30-0x3f]", a.toString());
    assertEquals(0x10, a.largestFreeRun());
    a.free(0x20, 0x10);
    assertEquals("[0x10-0x3f]", a.toString());
    assertEquals(0x30, a.largestFreeRun());
    a.free(0x80, 0x80);
    assertEquals(0x80, a.largestFreeRun());
    assertEquals("[0x10-0x3f, 0x80-0xff]", a.toString());
  }

  /** Without a usable goal, a request takes the head of the first long-enough run after it. */
  @Test
  void nearRunAfterGoalIsPreferred() {
    Allocator a = new Allocator(0, 100);
    a.markUsed(0, 100);
    a.free(10, 5);
    a.free(30, 20);
    a.free(60, 8);
    // Goal 20 is used; the first run after it that holds 8 blocks is [30, 50).
    assertEquals(new Run(30, 8), a.allocate(20, 8));
  }

  /** Past the near window, the smallest run that is long enough wins (best fit). */
  @Test
  void bestFitWhenNothingNearFits() {
    Allocator a = new Allocator(0, 1000);
    a.markUsed(0, 1000);
    a.free(0, 50);
    a.free(100, 10);
    a.free(200, 30);
    // Goal 900 is used and nothing follows it, so best fit for 20 blocks is [200, 230).
    assertEquals(new Run(200, 20), a.allocate(900, 20));
    // Nothing holds 60 blocks: the longest run is handed out whole.
    assertEquals(new Run(0, 50), a.allocate(900, 60));
  }

  /** A goal outside the area is ignored and the search starts at the first block. */
  @Test
  void goalOutsideAreaIsIgnored() {
    Allocator a = new Allocator(5, 10);
    assertEquals(new Run(5, 3), a.allocate(1000, 3));
    assertEquals(new Run(8, 3), a.allocate(0, 3));
    assertEquals(new Run(11, 4), a.allocate(-7, 9));
    assertNull(a.allocate(5, 1));
  }

  /** Bad arguments are rejected rather than misbehaving. */
  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> new Allocator(-1, 10));
    assertThrows(IllegalArgumentException.class, () -> new Allocator(Long.MAX_VALUE, 10));
    Allocator a = new Allocator(0, 10);
    assertThrows(IllegalArgumentException.class, () -> a.allocate(0, 0));
    assertThrows(IllegalArgumentException.class, () -> a.allocateAll(0, -1));
    assertThrows(IllegalArgumentException.class, () -> a.free(0, 0));
    assertEquals(10, a.freeBlocks());
  }

  /** Runs print in hex with inclusive ends and know their end. */
  @Test
  void runFormatsAndEnds() {
    Run run = new Run(0x10, 0x10);
    assertEquals(0x20, run.devEnd());
    assertEquals("0x10-0x1f", run.toString());
    assertThrows(IllegalArgumentException.class, () -> new Run(0, 0));
  }

  /** Runs 10,000+ random operations per case against a boolean[] model of the area. */
  @ParameterizedTest(name = "seed={0} blocks={1} first={2}")
  @MethodSource("randomCases")
  void randomOperationsMatchModel(long seed, int blockCount, long first) {
    Random rnd = new Random(seed);
    Allocator a = new Allocator(first, blockCount);
    boolean[] used = new boolean[blockCount];
    List<Run> owned = new ArrayList<>();
    int step = 0;
    try {
      for (step = 0; step < 10_000; step++) {
        int op = rnd.nextInt(10);
        if (op < 4) {
          long goal = first - 2 + rnd.nextInt(blockCount + 4);
          long want = 1 + rnd.nextInt(Math.max(1, blockCount / 8));
          Run run = a.allocate(goal, want);
          checkAllocate(used, first, goal, want, run);
          if (run != null) {
            take(used, first, run);
            owned.add(run);
          }
        } else if (op < 5) {
          long want = 1 + rnd.nextInt(Math.max(1, blockCount / 4));
          long freeBefore = a.freeBlocks();
          long align = 1L << rnd.nextInt(7);
          long phase = rnd.nextInt(1000);
          boolean roomy = align > 1 && longestFree(used) >= want + align - 1;
          List<Run> runs = a.allocateAll(first + rnd.nextInt(blockCount), want, align, phase);
          if (freeBefore < want) {
            assertNull(runs);
          } else {
            assertNotNull(runs);
            assertEquals(want, runs.stream().mapToLong(Run::blockCount).sum());
            if (roomy) {
              assertEquals(1, runs.size(), "room for an aligned run: one run");
              assertEquals(phase % align, runs.get(0).devBlock() % align, "aligned start");
            }
            for (Run run : runs) {
              take(used, first, run);
              owned.add(run);
            }
          }
        } else if (op < 8 && !owned.isEmpty()) {
          // Free a random part (head, tail, middle or all) of a random allocation.
          Run run = owned.remove(rnd.nextInt(owned.size()));
          long from = run.devBlock() + rnd.nextInt((int) run.blockCount());
          long count = 1 + rnd.nextInt((int) (run.devEnd() - from));
          a.free(from, count);
          for (long b = from; b < from + count; b++) {
            used[(int) (b - first)] = false;
          }
          if (from > run.devBlock()) {
            owned.add(new Run(run.devBlock(), from - run.devBlock()));
          }
          if (from + count < run.devEnd()) {
            owned.add(new Run(from + count, run.devEnd() - from - count));
          }
        } else if (op < 9) {
          // markUsed a random range: succeeds exactly when the model says it is all free.
          long from = first + rnd.nextInt(blockCount);
          long count = 1 + rnd.nextInt((int) Math.min(8, first + blockCount - from));
          boolean allFree = true;
          for (long b = from; b < from + count; b++) {
            allFree &= !used[(int) (b - first)];
          }
          if (allFree) {
            a.markUsed(from, count);
            Run run = new Run(from, count);
            take(used, first, run);
            owned.add(run);
          } else {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> a.markUsed(from, count));
            assertTrue(e.getMessage().startsWith("Double alloc:"), e.getMessage());
          }
        } else {
          // free a random range: throws unless the model says it is all used.
          long from = first + rnd.nextInt(blockCount);
          boolean anyFree = !used[(int) (from - first)];
          if (anyFree) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> a.free(from, 1));
            assertTrue(e.getMessage().startsWith("Double free:"), e.getMessage());
          }
        }
        checkModel(a, used, first);
      }
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("seed=" + seed + " blocks=" + blockCount + " first=" + first
          + " step=" + step + ": " + e.getMessage(), e);
    }
  }

  /** Returns the seeds and areas of the randomized test. */
  static Stream<Arguments> randomCases() {
    return Stream.of(
        Arguments.of(1L, 1000, 0L),
        Arguments.of(2L, 1000, 3L),
        Arguments.of(3L, 64, 3L),
        Arguments.of(4L, 4096, 0L),
        Arguments.of(0x5ea1f5L, 300, 3L));
  }

  /** Asserts that {@code run} obeys the allocate policy given the model before the call. */
  private static void checkAllocate(boolean[] used, long first, long goal, long want, Run run) {
    long longest = 0;
    long current = 0;
    long free = 0;
    for (boolean u : used) {
      current = u ? 0 : current + 1;
      longest = Math.max(longest, current);
      free += u ? 0 : 1;
    }
    if (free == 0) {
      assertNull(run);
      return;
    }
    assertNotNull(run);
    assertTrue(run.blockCount() >= 1 && run.blockCount() <= want, "length " + run);
    for (long b = run.devBlock(); b < run.devEnd(); b++) {
      assertFalse(used[(int) (b - first)], "allocated block 0x" + Long.toHexString(b)
          + " overlaps an earlier allocation");
    }
    long effectiveGoal = goal < first || goal >= first + used.length ? first : goal;
    if (!used[(int) (effectiveGoal - first)]) {
      assertEquals(effectiveGoal, run.devBlock(), "a free goal is taken from the goal");
    } else if (longest >= want) {
      assertEquals(want, run.blockCount(), "some run holds the whole request");
    } else {
      assertEquals(longest, run.blockCount(), "partial requests get the longest run");
    }
  }

  /** Returns the longest run of free blocks in the model. */
  private static long longestFree(boolean[] used) {
    long longest = 0;
    long current = 0;
    for (boolean u : used) {
      current = u ? 0 : current + 1;
      longest = Math.max(longest, current);
    }
    return longest;
  }

  /** The example of the class comment: aligned runs skip blocks that stay free. */
  @Test
  void alignedAllocationSkipsToACongruentStart() {
    Allocator a = new Allocator(0, 0x20);
    a.markUsed(0, 3);
    a.markUsed(0x1c, 4);
    List<Run> runs = a.allocateAll(0, 8, 8, 0);
    assertEquals(List.of(new Run(8, 8)), runs);
    assertTrue(a.isRangeFree(3, 5), "the skipped blocks stay free");
    assertEquals(List.of(new Run(0x13, 4)), a.allocateAll(0x10, 4, 4, 3), "phase 3 mod 4");
    assertEquals(List.of(new Run(3, 5)), a.allocateAll(0, 5, 1, 0), "no alignment: first fit");
  }

  /** With no run long enough behind an aligned start, allocation falls back to unaligned. */
  @Test
  void alignedAllocationFallsBackWhenNoRunHasRoom() {
    Allocator a = new Allocator(0, 16);
    a.markUsed(0, 1);
    List<Run> runs = a.allocateAll(0, 15, 16, 0);
    assertEquals(List.of(new Run(1, 15)), runs);
    assertEquals(0, a.freeBlocks());
    assertThrows(IllegalArgumentException.class, () -> new Allocator(0, 8).allocateAll(0, 1, 3, 0));
  }

  /** Marks a run used in the model, failing if any block already was. */
  private static void take(boolean[] used, long first, Run run) {
    for (long b = run.devBlock(); b < run.devEnd(); b++) {
      int i = (int) (b - first);
      assertFalse(used[i], "0x" + Long.toHexString(b) + " handed out twice");
      used[i] = true;
    }
  }

  /** Asserts that the allocator agrees with the model block by block and in its counters. */
  private static void checkModel(Allocator a, boolean[] used, long first) {
    long free = 0;
    for (int i = 0; i < used.length; i++) {
      assertEquals(!used[i], a.isFree(first + i), "block " + (first + i));
      free += used[i] ? 0 : 1;
    }
    assertEquals(free, a.freeBlocks());
    assertEquals(free, a.freeRuns().stream().mapToLong(Run::blockCount).sum());
  }
}
