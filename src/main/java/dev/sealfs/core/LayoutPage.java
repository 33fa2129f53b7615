package dev.sealfs.core;

import java.util.List;

/**
 * One page of a file's layout (struct sealfs_layout, header plus up to 126 extents).
 *
 * @param generation block-map generation the page was taken at
 * @param next logical byte offset to pass as start for the next page
 * @param last true if nothing follows these extents
 * @param sealed true if the inode is sealed
 * @param blockSize filesystem block size
 * @param size file size in bytes
 * @param extents the extents, in logical order
 */
public record LayoutPage(long generation, long next, boolean last, boolean sealed,
    long blockSize, long size, List<LayoutExtent> extents) {
  /** Flag bit in struct sealfs_layout.flags: nothing after these extents. */
  public static final int FLAG_LAST = 1;
  /** Flag bit in struct sealfs_layout.flags: the inode is sealed. */
  public static final int FLAG_SEALED = 2;
  /** Most extents one page carries. */
  public static final int MAX_EXTENTS = 126;
}
