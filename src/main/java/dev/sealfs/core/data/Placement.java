package dev.sealfs.core.data;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.alloc.Allocator;
import dev.sealfs.core.commit.CommitAndRetry;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.inode.Extent;
import dev.sealfs.core.inode.ExtentState;
import dev.sealfs.core.inode.Inode;
import java.util.ArrayList;
import java.util.List;

/**
 * The allocation policy: where a file's new blocks go (goal and alignment) and the
 * all-or-nothing allocation of a range's holes.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>New blocks go near a goal: just past the file's previous extent (a sequential writer gets
 * one long extent), else past its last extent, else the start of the data area. When they
 * cannot continue the extent before them, their first block is placed at a device offset
 * aligned like its file offset, to the largest power of two not above the request, capped at
 * {@link #MAX_ALIGN_BYTES} (docs/design.md, "Allocation and alignment"). Space is what the
 * {@link Allocator} has free minus the metadata reserve; when that is short but frees are
 * waiting for their commit, the operation is retried after that commit
 * ({@link CommitAndRetry}).
 *
 * <p>Locks: the caller holds the inode's lock; the allocator is guarded by its own.
 */
public final class Placement {
  /** The largest alignment given to new extents (a PMD huge page on x86-64). */
  public static final long MAX_ALIGN_BYTES = 2L << 20;

  /** Free data blocks. */
  private final Allocator alloc;
  /** Space accounting and the commit that releases deferred frees. */
  private final Durability dur;
  /** Block size in bytes. */
  private final int bs;

  /** Creates the policy. */
  public Placement(Allocator alloc, Durability dur, int blockSize) {
    this.alloc = alloc;
    this.dur = dur;
    this.bs = blockSize;
  }

  /**
   * Allocates {@code count} data blocks near {@code goal}, all or nothing (ENOSPC if short), the
   * first at a devBlock congruent to {@code fileBlock} modulo {@code alignBlocks} if possible.
   */
  private List<Allocator.Run> allocateData(long goal, long count, long alignBlocks,
      long fileBlock) {
    if (dur.availableBlocks() < count && dur.pendingFreeBlocks() > 0) {
      throw new CommitAndRetry();
    }
    if (dur.availableBlocks() < count) {
      throw FsException.of(Errno.ENOSPC, "no space left on device");
    }
    List<Allocator.Run> runs = alloc.allocateAll(goal, count, alignBlocks, fileBlock);
    if (runs == null) {
      throw FsException.of(Errno.ENOSPC, "no space left on device");
    }
    dur.noteAllocated();
    return runs;
  }

  /**
   * Returns the alignment, in blocks, for {@code count} new blocks at {@code fileBlock} of
   * {@code i}: 1 when they can continue the extent before them on the device, else the largest
   * power of two not above {@code count}, capped at {@link #MAX_ALIGN_BYTES}.
   */
  private long alignFor(Inode i, long fileBlock, long count) {
    if (fileBlock > 0) {
      Extent prev = i.extents.find(fileBlock - 1);
      if (prev != null && alloc.isFree(prev.devBlockAt(fileBlock - 1) + 1)) {
        return 1;
      }
    }
    return Math.max(1, Math.min(Long.highestOneBit(count), MAX_ALIGN_BYTES / bs));
  }

  /** Returns a good first device block for file block {@code fileBlock} of {@code i}. */
  private long goalFor(Inode i, long fileBlock, long dataStart) {
    if (fileBlock > 0) {
      Extent prev = i.extents.find(fileBlock - 1);
      if (prev != null) {
        return prev.devBlockAt(fileBlock - 1) + 1;
      }
    }
    Extent last = i.extents.last();
    return last != null ? last.devEnd() : dataStart;
  }

  /**
   * Allocates device blocks for the holes in {@code [fileBlock, fileEnd)}, all or nothing
   * (ENOSPC), and returns the new extents in {@code state}, not yet mapped.
   */
  List<Extent> allocateHoles(Inode i, long fileBlock, long fileEnd, ExtentState state) {
    List<long[]> holes = new ArrayList<>();
    long holeBlocks = 0;
    long fb = fileBlock;
    while (fb < fileEnd) {
      Extent e = i.extents.ceiling(fb);
      long to = e == null ? fileEnd : Math.min(fileEnd, e.fileBlock());
      if (to > fb) {
        holes.add(new long[] {fb, to});
        holeBlocks += to - fb;
      }
      if (e == null || e.fileBlock() >= fileEnd) {
        break;
      }
      fb = e.fileEnd();
    }
    return allocateFor(i, holes, holeBlocks, state);
  }

  /**
   * Allocates new device blocks for all of {@code [fileBlock, fileEnd)}, mapped or not, all or
   * nothing (a copy-on-write's new home), and returns them as extents in {@code state}, not yet
   * mapped.
   */
  List<Extent> allocateOver(Inode i, long fileBlock, long fileEnd, ExtentState state) {
    List<long[]> all = new ArrayList<>();
    all.add(new long[] {fileBlock, fileEnd});
    return allocateFor(i, all, fileEnd - fileBlock, state);
  }

  /**
   * Allocates {@code holeBlocks} blocks, all or nothing, for the file ranges {@code {from, to}}
   * of {@code holes} and returns them as extents in {@code state}.
   */
  private List<Extent> allocateFor(Inode i, List<long[]> holes, long holeBlocks,
      ExtentState state) {
    List<Extent> fresh = new ArrayList<>();
    if (holeBlocks == 0) {
      return fresh;
    }
    long first = holes.get(0)[0];
    List<Allocator.Run> runs = allocateData(goalFor(i, first, dur.superblock().dataStart()),
        holeBlocks, alignFor(i, first, holes.get(0)[1] - first), first);
    int r = 0;
    long used = 0;
    for (long[] h : holes) {
      long at = h[0];
      while (at < h[1]) {
        Allocator.Run run = runs.get(r);
        long n = Math.min(h[1] - at, run.blockCount() - used);
        fresh.add(new Extent(at, run.devBlock() + used, n, state));
        at += n;
        used += n;
        if (used == run.blockCount()) {
          r++;
          used = 0;
        }
      }
    }
    return fresh;
  }
}
