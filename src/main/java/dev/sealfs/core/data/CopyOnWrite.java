package dev.sealfs.core.data;

import dev.sealfs.core.inode.Extent;
import dev.sealfs.core.inode.ExtentState;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import dev.sealfs.core.seal.LayoutGate;
import java.util.List;

/**
 * Copy-on-write of shared extents (SPEC 11): before a file changes the data or the map of blocks
 * it shares, it gets blocks of its own, and the other sharers keep theirs.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>{@link #unshare} walks the shared extents of a range, split where the blocks' counts differ
 * ({@link dev.sealfs.core.inode.ShareCounts}). Blocks whose count is 1 are mapped by this file
 * alone (the other sharers let go): the extent just becomes written in place, no data moves.
 * Other blocks get new blocks (all or nothing per run, ENOSPC otherwise), the data is copied
 * device to device, the new blocks are mapped written, and the shared ones are let go through
 * {@link LayoutGate#free}, which drops one reference (a block is freed only with its last
 * sharer). The new blocks' data reaches the device before the commit that maps them (the
 * allocation notes it, as for every new block: ordered data).
 *
 * <p>The caller has passed {@link LayoutGate#breakLayout} for the range (a write into a shared
 * extent of a sealed range is ETXTBSY there, so a sealed file never gets here for it) and holds
 * the inode's lock exclusively. The gate itself calls {@link #unshare} (installed as its
 * {@link Unsharer}) for the other sharers of a file whose holder it is about to
 * revoke, having checked that no seal of theirs covers the range.
 */
public final class CopyOnWrite {
  /** The metadata state machine (maps and share counts). */
  private final Metadata meta;
  /** The seal choke point (generation, frees). */
  private final LayoutGate gate;
  /** Allocation policy. */
  private final Placement place;
  /** Device copies. */
  private final ExtentIo io;
  /** Block size in bytes. */
  private final int bs;

  /** Creates the copy-on-write unit. */
  public CopyOnWrite(Metadata meta, LayoutGate gate, Placement place, ExtentIo io,
      int blockSize) {
    this.meta = meta;
    this.gate = gate;
    this.place = place;
    this.io = io;
    this.bs = blockSize;
    gate.setUnsharer(this::unshare); // moves other sharers off a revoked layout (SPEC 10)
  }

  /** True if a shared extent maps any block of {@code [fileBlock, fileEnd)} of {@code i}. */
  public static boolean hasShared(Inode i, long fileBlock, long fileEnd) {
    if (fileEnd <= fileBlock) {
      return false;
    }
    for (Extent e : i.extents.slice(fileBlock, fileEnd - fileBlock)) {
      if (e.state() == ExtentState.SHARED) {
        return true;
      }
    }
    return false;
  }

  /**
   * Gives {@code i} blocks of its own for every shared extent in {@code [fileBlock, fileEnd)}:
   * written in place where it is the last sharer, else new blocks holding a copy.
   *
   * @return true if the map changed
   */
  public boolean unshare(Inode i, long fileBlock, long fileEnd) {
    return walk(i, fileBlock, fileEnd, true);
  }

  /**
   * Turns the shared extents of {@code [fileBlock, fileEnd)} whose blocks {@code i} alone still
   * maps into written ones, in place (no block moves); extents still shared stay.
   *
   * @return true if the map changed
   */
  public boolean settle(Inode i, long fileBlock, long fileEnd) {
    return walk(i, fileBlock, fileEnd, false);
  }

  /** Unshares ({@code copy}) or settles the shared extents of a range; true if the map changed. */
  private boolean walk(Inode i, long fileBlock, long fileEnd, boolean copy) {
    if (!hasShared(i, fileBlock, fileEnd)) {
      return false;
    }
    boolean changed = false;
    for (Extent e : i.extents.slice(fileBlock, fileEnd - fileBlock)) {
      if (e.state() != ExtentState.SHARED) {
        continue;
      }
      for (long[] c : meta.shares.counts(e.devBlock(), e.blockCount())) {
        long fb = e.fileBlock() + (c[0] - e.devBlock());
        if (c[2] <= 1) {
          meta.map(i, new Extent(fb, c[0], c[1], ExtentState.WRITTEN));
          meta.shares.forget(c[0], c[1]);
          changed = true;
        } else if (copy) {
          List<Extent> fresh = place.allocateOver(i, fb, fb + c[1], ExtentState.WRITTEN);
          for (Extent f : fresh) {
            long from = c[0] + (f.fileBlock() - fb);
            io.copyDevice(from * bs, f.devBlock() * (long) bs, f.blockCount() * bs);
          }
          for (Extent f : fresh) {
            meta.map(i, f);
          }
          gate.free(i, c[0], c[1]);
          changed = true;
        }
      }
    }
    if (changed) {
      gate.mapChanged(i);
    }
    return changed;
  }
}
