package dev.sealfs.core.seal;

import dev.sealfs.core.inode.Inode;

/**
 * Gives a file blocks of its own for the shared extents of a range (copy-on-write), so that the
 * gate can move other sharers off a revoked layout ({@link RevokedShares}); installed by
 * {@code CopyOnWrite} ({@link LayoutGate#setUnsharer}).
 */
public interface Unsharer {
  /** Unshares the shared extents of {@code [fileBlock, fileEnd)} of {@code i} (locked). */
  void unshare(Inode i, long fileBlock, long fileEnd);
}
