package dev.sealfs.core.inode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How many {@link ExtentState#SHARED} extents map each device block (SPEC 11): the reference
 * counts of shared extents.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>Counts are not stored on disk: they are derived from the extent maps at mount
 * ({@link #derive}), the way free space is, so they can never disagree with the maps after a
 * crash. While mounted, the units that map shared extents keep them: {@code copy_file_range}
 * adds one per new sharer ({@link #add}); every path that frees a file's blocks asks
 * {@link #release} which of them are really free (blocks no shared extent maps, and shared ones
 * whose count fell to zero); a copy-on-write that finds its file the last sharer turns the extent
 * written in place and drops the count ({@link #forget}).
 *
 * <p>A block is either in no shared extent (absent here), or only in shared extents (count is
 * their number, which may be 1 once the other sharers let go: such an extent is turned written
 * lazily, when its own file next writes it). Kept as disjoint runs {@code [start, end)} of equal
 * count, merged with equal neighbours, so the representation is canonical.
 *
 * <p>Locks: this object's monitor, a leaf of the lock order (two files sharing blocks are
 * changed under different inode locks).
 */
public final class ShareCounts {
  /** The runs by first devBlock: {@code {endDevBlock, count}}, count at least 1. */
  private final TreeMap<Long, long[]> runs = new TreeMap<>();

  /** Creates an empty table: no block is shared. */
  public ShareCounts() {}

  /** Returns the counts of every shared extent of {@code meta}'s files (mount, fsck, checks). */
  public static ShareCounts derive(Iterable<Inode> inodes) {
    ShareCounts c = new ShareCounts();
    for (Inode i : inodes) {
      if (i.extents == null) {
        continue;
      }
      for (Extent e : i.extents.extents()) {
        if (e.state() == ExtentState.SHARED) {
          c.add(e.devBlock(), e.blockCount());
        }
      }
    }
    return c;
  }

  /** Adds one reference to every block of {@code [devBlock, devBlock + blockCount)}. */
  public synchronized void add(long devBlock, long blockCount) {
    long end = devBlock + blockCount;
    split(devBlock);
    split(end);
    long pos = devBlock;
    while (pos < end) {
      Map.Entry<Long, long[]> e = runs.ceilingEntry(pos);
      if (e == null || e.getKey() >= end) {
        runs.put(pos, new long[] {end, 1});
        pos = end;
      } else if (e.getKey() > pos) {
        runs.put(pos, new long[] {e.getKey(), 1});
        pos = e.getKey();
      } else {
        e.getValue()[1]++;
        pos = e.getValue()[0];
      }
    }
    merge(devBlock, end);
  }

  /**
   * Drops one reference from the counted blocks of {@code [devBlock, devBlock + blockCount)}.
   *
   * @return the runs {@code {devBlock, blockCount}} that are now free: the blocks no shared
   *     extent mapped, and those whose count fell to zero
   */
  public synchronized List<long[]> release(long devBlock, long blockCount) {
    long end = devBlock + blockCount;
    split(devBlock);
    split(end);
    List<long[]> free = new ArrayList<>();
    long pos = devBlock;
    while (pos < end) {
      Map.Entry<Long, long[]> e = runs.ceilingEntry(pos);
      if (e == null || e.getKey() >= end) {
        addRun(free, pos, end);
        pos = end;
      } else if (e.getKey() > pos) {
        addRun(free, pos, e.getKey());
        pos = e.getKey();
      } else {
        long[] v = e.getValue();
        long stop = v[0];
        if (--v[1] == 0) {
          runs.remove(pos);
          addRun(free, pos, stop);
        }
        pos = stop;
      }
    }
    merge(devBlock, end);
    return free;
  }

  /** Forgets the counts of {@code [devBlock, devBlock + blockCount)} (its last sharer's extent
   * became written in place). */
  public synchronized void forget(long devBlock, long blockCount) {
    long end = devBlock + blockCount;
    split(devBlock);
    split(end);
    runs.subMap(devBlock, true, end, false).clear();
  }

  /**
   * Returns {@code {devBlock, blockCount, count}} pieces covering
   * {@code [devBlock, devBlock + blockCount)} in order, count 0 where no shared extent maps.
   */
  public synchronized List<long[]> counts(long devBlock, long blockCount) {
    long end = devBlock + blockCount;
    List<long[]> out = new ArrayList<>();
    long pos = devBlock;
    while (pos < end) {
      Map.Entry<Long, long[]> e = runs.floorEntry(pos);
      if (e == null || e.getValue()[0] <= pos) {
        Long next = runs.higherKey(pos);
        long stop = next == null ? end : Math.min(end, next);
        out.add(new long[] {pos, stop - pos, 0});
        pos = stop;
      } else {
        long stop = Math.min(end, e.getValue()[0]);
        out.add(new long[] {pos, stop - pos, e.getValue()[1]});
        pos = stop;
      }
    }
    return out;
  }

  /** Returns every run as {@code {devBlock, blockCount, count}}, in device order. */
  public synchronized List<long[]> runs() {
    List<long[]> out = new ArrayList<>();
    for (Map.Entry<Long, long[]> e : runs.entrySet()) {
      out.add(new long[] {e.getKey(), e.getValue()[0] - e.getKey(), e.getValue()[1]});
    }
    return out;
  }

  /** Returns the number of blocks that more than one shared extent maps. */
  public synchronized long sharedBlocks() {
    long n = 0;
    for (Map.Entry<Long, long[]> e : runs.entrySet()) {
      if (e.getValue()[1] > 1) {
        n += e.getValue()[0] - e.getKey();
      }
    }
    return n;
  }

  /** Returns the runs as text, such as {@code [100+4 x2]}, for messages. */
  @Override
  public synchronized String toString() {
    StringBuilder s = new StringBuilder("[");
    for (long[] r : runs()) {
      s.append(s.length() > 1 ? ", " : "").append(r[0]).append('+').append(r[1]).append(" x")
          .append(r[2]);
    }
    return s.append(']').toString();
  }

  /** Splits the run holding {@code at} (if any starts before it) so that a run starts there. */
  private void split(long at) {
    Map.Entry<Long, long[]> e = runs.lowerEntry(at);
    if (e != null && e.getValue()[0] > at) {
      long[] v = e.getValue();
      runs.put(at, new long[] {v[0], v[1]});
      v[0] = at;
    }
  }

  /** Merges equal-count neighbours from the run before {@code from} through {@code to}. */
  private void merge(long from, long to) {
    Long k = from > 0 ? runs.floorKey(from - 1) : null;
    if (k == null) {
      k = runs.ceilingKey(from);
    }
    while (k != null && k <= to) {
      long[] v = runs.get(k);
      long[] next = runs.get(v[0]);
      if (next != null && next[1] == v[1]) {
        runs.remove(v[0]);
        v[0] = next[0];
        continue;
      }
      k = runs.higherKey(k);
    }
  }

  /** Appends {@code [from, to)} to {@code out}, joining it to the last run if contiguous. */
  private static void addRun(List<long[]> out, long from, long to) {
    long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
    if (last != null && last[0] + last[1] == from) {
      last[1] += to - from;
    } else {
      out.add(new long[] {from, to - from});
    }
  }
}
