package dev.sealfs.core.seal;

import dev.sealfs.core.inode.Extent;
import dev.sealfs.core.inode.ExtentState;
import dev.sealfs.core.inode.Inode;
import java.util.ArrayList;
import java.util.List;

/**
 * What one operation is about to change, as the choke point judges it against each holder's
 * range (SPEC 9): the runs of file blocks whose map changes and, if the size changes, the old
 * and new size.
 *
 * @param op the operation, for messages ("allocating write", "truncate", ...)
 * @param blockRuns the changing file blocks as {@code {fileBlock, blockCount}} pairs
 * @param sizeChange true if the operation sets the size (even to the same value)
 * @param oldSize the size before, in bytes
 * @param newSize the size after, in bytes
 */
public record MapChange(String op, List<long[]> blockRuns, boolean sizeChange, long oldSize,
    long newSize) {

  /** A change of every block and of the size: conflicts with any holder. */
  public static MapChange whole(String op) {
    return new MapChange(op, List.of(new long[] {0, Long.MAX_VALUE}), true, 0, 0);
  }

  /** A change of blocks {@code [fileBlock, fileEnd)} only. */
  public static MapChange blocks(String op, long fileBlock, long fileEnd) {
    return new MapChange(op, List.of(new long[] {fileBlock, fileEnd - fileBlock}), false, 0, 0);
  }

  /** Returns this change with a size change from {@code from} to {@code to} bytes added. */
  public MapChange withSize(long from, long to) {
    return new MapChange(op, blockRuns, true, from, to);
  }

  /**
   * The blocks of {@code [fileBlock, fileEnd)} that are not written extents of {@code i} (holes
   * and unwritten extents): what a write or a prepare there would allocate or convert.
   */
  public static MapChange unwrittenIn(String op, Inode i, long fileBlock, long fileEnd) {
    List<long[]> runs = new ArrayList<>();
    long fb = fileBlock;
    while (fb < fileEnd) {
      Extent e = i.extents.find(fb);
      if (e != null && e.state() == ExtentState.WRITTEN) {
        fb = e.fileEnd();
        continue;
      }
      long runStart = fb;
      while (fb < fileEnd) {
        Extent x = i.extents.find(fb);
        if (x != null && x.state() == ExtentState.WRITTEN) {
          break;
        }
        if (x != null) {
          fb = Math.min(fileEnd, x.fileEnd());
        } else {
          Extent next = i.extents.ceiling(fb);
          fb = next == null ? fileEnd : Math.min(fileEnd, next.fileBlock());
        }
      }
      runs.add(new long[] {runStart, fb - runStart});
    }
    return new MapChange(op, runs, false, 0, 0);
  }

  /** True if this change changes no block and no size. */
  public boolean empty() {
    return blockRuns.isEmpty() && !sizeChange;
  }

  /** True if this change conflicts with a seal of {@code range} (block size {@code bs}). */
  public boolean conflictsWith(SealRange range, int bs) {
    if (sizeChange && range.refusesSize(oldSize, newSize)) {
      return true;
    }
    for (long[] r : blockRuns) {
      if (range.touchesBlocks(r[0], r[1], bs)) {
        return true;
      }
    }
    return false;
  }
}
