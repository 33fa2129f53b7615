package dev.sealfs.core.alloc;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The free space of the data area, kept as coalesced free runs indexed by start and by size.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>Free space is a set of maximal free runs (XFS keeps the same two B+trees, the by-block
 * "bnobt" and the by-size "cntbt"). {@link #byStart} maps a run's first devBlock to its
 * blockCount; {@link #bySize} orders the same runs by (blockCount, devBlock). Two free runs are
 * never adjacent: {@link #free} merges a freed range with its neighbours.
 *
 * <pre>
 *   devBlock  0x0             0x10           0x1f
 *             0123456789abcdef0123456789abcdef
 *             ####.........#####....######....      # used  . free
 *   byStart   {0x4=9, 0x12=4, 0x1c=4}
 *   bySize    (4, 0x12) &lt; (4, 0x1c) &lt; (9, 0x4)
 * </pre>
 *
 * <p>{@link #allocate} hands out one run per call, chosen like XFS' near-goal allocator so that a
 * sequential writer passing the end of its previous run as the goal gets one long extent:
 *
 * <ol>
 *   <li>exact: the goal lies inside a free run, so take from the goal onwards;
 *   <li>near: the first of the next {@value #NEAR_SCAN_RUNS} runs after the goal that is long
 *       enough, taken from its head;
 *   <li>best fit: the shortest run that is long enough (the {@link #bySize} ceiling);
 *   <li>partial: nothing is long enough, so take the whole longest run.
 * </ol>
 *
 * <p>{@link #allocateAll(long, long, long, long)} can also ask for an aligned first run: one that
 * starts at a devBlock congruent to a given phase modulo a power of two (the caller passes the
 * file block, so device offset and file offset share their alignment, as XFS' stripe-unit
 * alignment gives DAX files 2 MiB extents for huge-page mappings). It looks near the goal, then
 * among the best fits, and takes an aligned start only where the whole request fits behind it;
 * the blocks it skips stay free for smaller requests. If no run has room it falls back to the
 * unaligned steps above.
 *
 * <pre>
 *   align 8, phase 0     0x0      0x8      0x10     0x18
 *                        ###.......................####       want 8 blocks
 *   unaligned takes      ###########...............####       at 0x3
 *   aligned takes        ###.....########..........####       at 0x8 (0x3-0x7 stay free)
 * </pre>
 *
 * <p>Thread-safe: every public method holds this object's monitor, the allocator lock (a leaf
 * of the lock order: nothing else is taken under it).
 */
public final class Allocator {

  /** How many free runs after the goal the near step looks at before falling back to best fit. */
  public static final int NEAR_SCAN_RUNS = 64;
  /** Above this many free runs the assert-only invariant check skips its O(runs) walk. */
  private static final int FULL_CHECK_MAX_RUNS = 4096;

  /** One run of blocks on the device, free or just allocated. */
  public record Run(long devBlock, long blockCount) {

    /**
     * Validates the run.
     *
     * @param devBlock the first devBlock of the run
     * @param blockCount the number of blocks, at least one
     */
    public Run {
      if (devBlock < 0 || blockCount <= 0 || devBlock > Long.MAX_VALUE - blockCount) {
        throw new IllegalArgumentException("Bad run: " + devBlock + "+" + blockCount);
      }
    }

    /** Returns the devBlock just past the run. */
    public long devEnd() {
      return devBlock + blockCount;
    }

    /** Returns the run in hex with its inclusive last block, such as {@code 0x10-0x1f}. */
    @Override
    public String toString() {
      return hexRange(devBlock, blockCount);
    }
  }

  /** Orders runs by blockCount, then devBlock: the order of the by-size index. */
  private static final Comparator<Run> BY_SIZE =
      Comparator.comparingLong(Run::blockCount).thenComparingLong(Run::devBlock);

  /** The first devBlock of the data area. */
  private final long firstDevBlock;
  /** The number of blocks in the data area. */
  private final long totalBlocks;
  /** The devBlock just past the data area. */
  private final long endDevBlock;
  /** Every free run: its first devBlock mapped to its blockCount. */
  private final TreeMap<Long, Long> byStart = new TreeMap<>();
  /** Every free run ordered by (blockCount, devBlock), for best fit and the longest run. */
  private final TreeSet<Run> bySize = new TreeSet<>(BY_SIZE);
  /** The number of free blocks, the sum of every free run's blockCount. */
  private long freeBlocks;

  /**
   * Creates an allocator over {@code [firstDevBlock, firstDevBlock + blockCount)}, all free.
   *
   * @param firstDevBlock the first devBlock of the data area, not negative
   * @param blockCount the number of blocks in the data area, not negative
   */
  public Allocator(long firstDevBlock, long blockCount) {
    if (firstDevBlock < 0 || blockCount < 0 || firstDevBlock > Long.MAX_VALUE - blockCount) {
      throw new IllegalArgumentException("Bad area: " + firstDevBlock + "+" + blockCount);
    }
    this.firstDevBlock = firstDevBlock;
    this.totalBlocks = blockCount;
    this.endDevBlock = firstDevBlock + blockCount;
    if (blockCount > 0) {
      addRun(firstDevBlock, blockCount);
    }
    assert checkInvariants();
  }

  /**
   * Allocates one run of up to {@code blockCount} blocks near {@code goalDevBlock}.
   *
   * <p>A goal outside the area means "no preference" and starts the search at the first block.
   *
   * @param goalDevBlock where the caller would like the run to start
   * @param blockCount the number of blocks wanted, at least one
   * @return a run of 1 to {@code blockCount} blocks, or null if no block is free
   */
  public synchronized Run allocate(long goalDevBlock, long blockCount) {
    checkCount(blockCount);
    if (freeBlocks == 0) {
      return null;
    }
    long goal = goalDevBlock < firstDevBlock || goalDevBlock >= endDevBlock
        ? firstDevBlock : goalDevBlock;
    Run taken;
    // 1. Exact: the goal block is free, so the run grows from there.
    Map.Entry<Long, Long> atGoal = byStart.floorEntry(goal);
    if (atGoal != null && goal < atGoal.getKey() + atGoal.getValue()) {
      long available = atGoal.getKey() + atGoal.getValue() - goal;
      taken = new Run(goal, Math.min(blockCount, available));
    } else {
      taken = nearRun(goal, blockCount);
      if (taken == null) {
        // 3. Best fit: the shortest run long enough; 4. else the longest run, all of it.
        Run fit = bySize.ceiling(new Run(0, blockCount));
        Run source = fit != null ? fit : bySize.last();
        taken = new Run(source.devBlock(), Math.min(blockCount, source.blockCount()));
      }
    }
    carve(taken.devBlock(), taken.blockCount());
    assert checkInvariants();
    return taken;
  }

  /**
   * Allocates exactly {@code blockCount} blocks as one or more runs, or nothing at all, the first
   * run starting at a devBlock congruent to {@code phase} modulo {@code alignBlocks} where some
   * free run has room for all of it behind such a start (otherwise as
   * {@link #allocateAll(long, long)}).
   *
   * @param goalDevBlock where the caller would like the first run to start
   * @param blockCount the number of blocks wanted, at least one
   * @param alignBlocks a power of two; 1 means no alignment
   * @param phase the wanted remainder of the first devBlock modulo {@code alignBlocks}
   * @return the runs in allocation order, summing to {@code blockCount}, or null (and nothing
   *     changed) if fewer than {@code blockCount} blocks are free
   */
  public synchronized List<Run> allocateAll(long goalDevBlock, long blockCount, long alignBlocks,
      long phase) {
    checkCount(blockCount);
    if (alignBlocks < 1 || Long.bitCount(alignBlocks) != 1) {
      throw new IllegalArgumentException("alignBlocks must be a power of two: " + alignBlocks);
    }
    if (alignBlocks == 1 || freeBlocks < blockCount) {
      return allocateAll(goalDevBlock, blockCount);
    }
    long start = alignedStart(goalDevBlock, blockCount, alignBlocks, phase & (alignBlocks - 1));
    if (start < 0) {
      return allocateAll(goalDevBlock, blockCount);
    }
    carve(start, blockCount);
    assert checkInvariants();
    List<Run> runs = new ArrayList<>(1);
    runs.add(new Run(start, blockCount));
    return runs;
  }

  /**
   * Returns a devBlock {@code s} with {@code s % alignBlocks == phase} such that
   * {@code [s, s + blockCount)} is free: first near the goal (the run holding it and the next
   * {@value #NEAR_SCAN_RUNS}), then among the {@value #NEAR_SCAN_RUNS} shortest runs long enough,
   * then in the shortest run long enough for any alignment; -1 if there is none.
   */
  private long alignedStart(long goalDevBlock, long blockCount, long alignBlocks, long phase) {
    long goal = goalDevBlock < firstDevBlock || goalDevBlock >= endDevBlock
        ? firstDevBlock : goalDevBlock;
    Map.Entry<Long, Long> first = byStart.floorEntry(goal);
    Iterator<Map.Entry<Long, Long>> it;
    if (first != null && goal < first.getKey() + first.getValue()) {
      it = byStart.tailMap(first.getKey(), true).entrySet().iterator();
    } else {
      it = byStart.tailMap(goal, false).entrySet().iterator();
    }
    for (int scanned = 0; scanned <= NEAR_SCAN_RUNS && it.hasNext(); scanned++) {
      Map.Entry<Long, Long> run = it.next();
      long s = alignUp(Math.max(run.getKey(), goal), alignBlocks, phase);
      if (s + blockCount <= run.getKey() + run.getValue()) {
        return s;
      }
    }
    int scanned = 0;
    for (Run run : bySize.tailSet(new Run(0, blockCount))) {
      long s = alignUp(run.devBlock(), alignBlocks, phase);
      if (s + blockCount <= run.devEnd()) {
        return s;
      }
      if (++scanned >= NEAR_SCAN_RUNS) {
        break;
      }
    }
    Run roomy = bySize.ceiling(new Run(0, blockCount + alignBlocks - 1));
    return roomy == null ? -1 : alignUp(roomy.devBlock(), alignBlocks, phase);
  }

  /** Returns the least {@code s >= devBlock} with {@code s % alignBlocks == phase}. */
  public static long alignUp(long devBlock, long alignBlocks, long phase) {
    long mask = alignBlocks - 1;
    return devBlock + ((phase - devBlock) & mask);
  }

  /**
   * Allocates exactly {@code blockCount} blocks as one or more runs, or nothing at all.
   *
   * @param goalDevBlock where the caller would like the first run to start
   * @param blockCount the number of blocks wanted, at least one
   * @return the runs in allocation order, summing to {@code blockCount}, or null (and nothing
   *     changed) if fewer than {@code blockCount} blocks are free
   */
  public synchronized List<Run> allocateAll(long goalDevBlock, long blockCount) {
    checkCount(blockCount);
    if (freeBlocks < blockCount) {
      return null;
    }
    List<Run> runs = new ArrayList<>();
    long goal = goalDevBlock;
    long remaining = blockCount;
    while (remaining > 0) {
      Run run = allocate(goal, remaining);
      runs.add(run);
      remaining -= run.blockCount();
      goal = run.devEnd();
    }
    return runs;
  }

  /**
   * Returns {@code [devBlock, devBlock + blockCount)} to free space, coalescing with neighbours.
   *
   * @param devBlock the first devBlock to free
   * @param blockCount the number of blocks to free, at least one
   * @throws IllegalStateException "Out of range:" if the range leaves the area, "Double free:" if
   *     any block of it is already free; nothing changes then
   */
  public synchronized void free(long devBlock, long blockCount) {
    checkRange(devBlock, blockCount);
    long devEnd = devBlock + blockCount;
    Map.Entry<Long, Long> left = byStart.floorEntry(devBlock);
    if (left != null && left.getKey() + left.getValue() > devBlock) {
      throw doubleFree(devBlock, blockCount, left);
    }
    Map.Entry<Long, Long> inside = byStart.higherEntry(devBlock);
    if (inside != null && inside.getKey() < devEnd) {
      throw doubleFree(devBlock, blockCount, inside);
    }
    long runStart = devBlock;
    long runEnd = devEnd;
    if (left != null && left.getKey() + left.getValue() == devBlock) {
      removeRun(left.getKey(), left.getValue());
      runStart = left.getKey();
    }
    Long rightCount = byStart.get(devEnd);
    if (rightCount != null) {
      removeRun(devEnd, rightCount);
      runEnd = devEnd + rightCount;
    }
    addRun(runStart, runEnd - runStart);
    assert checkInvariants();
  }

  /**
   * Marks {@code [devBlock, devBlock + blockCount)} used, as mount does for every mapped extent.
   *
   * @param devBlock the first devBlock in use
   * @param blockCount the number of blocks in use, at least one
   * @throws IllegalStateException "Out of range:" if the range leaves the area, "Double alloc:" if
   *     any block of it is already used; nothing changes then
   */
  public synchronized void markUsed(long devBlock, long blockCount) {
    checkRange(devBlock, blockCount);
    if (!isRangeFree(devBlock, blockCount)) {
      throw new IllegalStateException("Double alloc: " + hexRange(devBlock, blockCount)
          + " is not entirely free; free runs " + this);
    }
    carve(devBlock, blockCount);
    assert checkInvariants();
  }

  /** Returns whether {@code devBlock} is inside the area and free. */
  public synchronized boolean isFree(long devBlock) {
    return isRangeFree(devBlock, 1);
  }

  /** Returns whether every block of {@code [devBlock, devBlock + blockCount)} is free. */
  public synchronized boolean isRangeFree(long devBlock, long blockCount) {
    if (blockCount <= 0 || devBlock > Long.MAX_VALUE - blockCount) {
      return false;
    }
    // Runs are coalesced, so a free range lies inside one run.
    Map.Entry<Long, Long> run = byStart.floorEntry(devBlock);
    return run != null && devBlock + blockCount <= run.getKey() + run.getValue();
  }

  /** Returns the number of free blocks, in constant time. */
  public synchronized long freeBlocks() {
    return freeBlocks;
  }

  /** Returns the number of blocks in the area, free or used. */
  public long totalBlocks() {
    return totalBlocks;
  }

  /** Returns the first devBlock of the area. */
  public long firstDevBlock() {
    return firstDevBlock;
  }

  /** Returns the blockCount of the longest free run, or 0 when nothing is free. */
  public synchronized long largestFreeRun() {
    return bySize.isEmpty() ? 0 : bySize.last().blockCount();
  }

  /** Returns the number of free runs (1 for an empty area, more as it fragments). */
  public synchronized int freeRunCount() {
    return byStart.size();
  }

  /** Returns a copy of the free runs in devBlock order. */
  public synchronized List<Run> freeRuns() {
    List<Run> runs = new ArrayList<>(byStart.size());
    byStart.forEach((start, count) -> runs.add(new Run(start, count)));
    return runs;
  }

  /** Returns the free runs in hex with inclusive ends, such as {@code [0x10-0x1f, 0x40-0xff]}. */
  @Override
  public String toString() {
    return freeRuns().toString();
  }

  /** Returns the first run of the near step (step 2 of {@link #allocate}), or null. */
  private Run nearRun(long goal, long blockCount) {
    Iterator<Map.Entry<Long, Long>> it = byStart.tailMap(goal, false).entrySet().iterator();
    for (int scanned = 0; scanned < NEAR_SCAN_RUNS && it.hasNext(); scanned++) {
      Map.Entry<Long, Long> run = it.next();
      if (run.getValue() >= blockCount) {
        return new Run(run.getKey(), blockCount);
      }
    }
    return null;
  }

  /** Removes {@code [devBlock, devBlock + blockCount)}, known to lie in one free run. */
  private void carve(long devBlock, long blockCount) {
    Map.Entry<Long, Long> run = byStart.floorEntry(devBlock);
    long runStart = run.getKey();
    long runEnd = runStart + run.getValue();
    long devEnd = devBlock + blockCount;
    removeRun(runStart, run.getValue());
    if (runStart < devBlock) {
      addRun(runStart, devBlock - runStart);
    }
    if (devEnd < runEnd) {
      addRun(devEnd, runEnd - devEnd);
    }
  }

  /** Adds a free run to both indexes and the counter. */
  private void addRun(long devBlock, long blockCount) {
    byStart.put(devBlock, blockCount);
    bySize.add(new Run(devBlock, blockCount));
    freeBlocks += blockCount;
  }

  /** Removes a free run from both indexes and the counter. */
  private void removeRun(long devBlock, long blockCount) {
    byStart.remove(devBlock);
    bySize.remove(new Run(devBlock, blockCount));
    freeBlocks -= blockCount;
  }

  /** Throws IllegalArgumentException unless {@code blockCount} is positive. */
  private static void checkCount(long blockCount) {
    if (blockCount <= 0) {
      throw new IllegalArgumentException("blockCount must be positive: " + blockCount);
    }
  }

  /** Throws IllegalStateException "Out of range:" unless the range is non-empty and in the area. */
  private void checkRange(long devBlock, long blockCount) {
    checkCount(blockCount);
    if (devBlock < firstDevBlock || devBlock > endDevBlock - blockCount) {
      throw new IllegalStateException("Out of range: " + hexRange(devBlock, blockCount)
          + " outside the area " + hexRange(firstDevBlock, totalBlocks));
    }
  }

  /** Returns the "Double free:" exception for a range overlapping the given free run. */
  private static IllegalStateException doubleFree(
      long devBlock, long blockCount, Map.Entry<Long, Long> freeRun) {
    return new IllegalStateException("Double free: " + hexRange(devBlock, blockCount)
        + " overlaps free run " + hexRange(freeRun.getKey(), freeRun.getValue()));
  }

  /** Formats a range as hex with an inclusive last block, such as {@code 0x10-0x1f}. */
  public static String hexRange(long devBlock, long blockCount) {
    return "0x" + Long.toHexString(devBlock) + "-0x" + Long.toHexString(devBlock + blockCount - 1);
  }

  /**
   * Checks the counter, both indexes and coalescing; returns true so it can run under assert.
   *
   * <p>The walk is O(runs), so above {@link #FULL_CHECK_MAX_RUNS} runs only the index sizes are
   * compared, keeping {@code -ea} usable on large fragmented devices.
   */
  private boolean checkInvariants() {
    if (bySize.size() != byStart.size()) {
      throw new AssertionError("bySize has " + bySize.size() + " runs, byStart " + byStart.size());
    }
    if (byStart.size() > FULL_CHECK_MAX_RUNS) {
      return true;
    }
    long sum = 0;
    long previousEnd = -1;
    for (Map.Entry<Long, Long> run : byStart.entrySet()) {
      long start = run.getKey();
      long count = run.getValue();
      if (count <= 0 || start < firstDevBlock || start + count > endDevBlock) {
        throw new AssertionError("Bad free run " + hexRange(start, count) + " in " + this);
      }
      if (start <= previousEnd) {
        throw new AssertionError("Adjacent or overlapping free runs at 0x"
            + Long.toHexString(start) + " in " + this);
      }
      if (!bySize.contains(new Run(start, count))) {
        throw new AssertionError("Run " + hexRange(start, count) + " missing from bySize");
      }
      sum += count;
      previousEnd = start + count;
    }
    if (sum != freeBlocks) {
      throw new AssertionError("freeBlocks is " + freeBlocks + " but runs sum to " + sum);
    }
    return true;
  }
}
