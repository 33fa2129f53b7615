package dev.sealfs.cli;

import dev.sealfs.core.LayoutExtent;
import java.util.List;

/**
 * What {@code sealfs map} draws: the device's size, the files' extents (device byte offsets from
 * LAYOUT) and statfs's counts, and the division of the device into cells.
 *
 * <p>A cell covers {@code cellBytes} of the device. It shows the file with the most bytes in it,
 * however few (so that a small file never vanishes from the picture), as that file's shared,
 * unwritten or written blocks (shared wins, as it is what a writer would hit; then whichever
 * covers more), or nothing when no file has a byte there (free, or the filesystem's own
 * metadata: superblocks, journal, checkpoints, the metadata reserve and quarantined blocks are
 * not listed by the mount, so they are not drawn, only counted).
 *
 * @param devicePath the device behind the mount (user.sealfs.device)
 * @param deviceBytes the device's size in bytes
 * @param blockSize the filesystem's block size in bytes
 * @param totalBlocks statfs f_blocks: data blocks usable by files
 * @param freeBlocks statfs f_bfree
 * @param files the files drawn, in the order of their letters
 */
record DeviceMap(String devicePath, long deviceBytes, int blockSize, long totalBlocks,
    long freeBlocks, List<FileExtents> files) {

  /** What one cell shows. */
  enum Kind {
    /** No file's extent: free space or the filesystem's own metadata. */
    NONE,
    /** Written data of a file. */
    WRITTEN,
    /** Allocated but unwritten blocks of a file (read as zeros). */
    UNWRITTEN,
    /** Blocks shared with another file (copy_file_range). */
    SHARED
  }

  /**
   * One file of the map.
   *
   * @param name the path shown in the legend (relative to the mount point)
   * @param sealed whether LAYOUT reported the file sealed
   * @param extents the file's extents
   */
  record FileExtents(String name, boolean sealed, List<LayoutExtent> extents) {
    /** Returns the bytes of the device this file's extents cover. */
    long bytes() {
      return extents.stream().mapToLong(LayoutExtent::length).sum();
    }
  }

  /**
   * One cell: the file that covers most of it (-1 for none) and how.
   *
   * @param file index into {@link #files()}, or -1
   * @param kind what the file has there
   */
  record Cell(int file, Kind kind) {}

  /** Returns the bytes one cell covers when the device is drawn in {@code cellCount} cells. */
  long cellBytes(int cellCount) {
    long bs = Math.max(1, blockSize);
    long blocks = (deviceBytes + bs - 1) / bs;
    long blocksPerCell = Math.max(1, (blocks + cellCount - 1) / cellCount);
    return blocksPerCell * bs;
  }

  /** Returns the device as cells of {@link #cellBytes} bytes each (the last may be short). */
  Cell[] cells(int cellCount) {
    long cellBytes = cellBytes(cellCount);
    int n = (int) Math.max(1, (deviceBytes + cellBytes - 1) / cellBytes);
    // covered[cell][file * 3 + kind - 1]: bytes of each file and kind in each cell
    long[][] covered = new long[n][files.size() * 3];
    for (int f = 0; f < files.size(); f++) {
      for (LayoutExtent e : files.get(f).extents()) {
        Kind kind = kindOf(e);
        long end = Math.min(e.physical() + e.length(), (long) n * cellBytes);
        for (long pos = e.physical(); pos < end; ) {
          int cell = (int) (pos / cellBytes);
          long next = Math.min(end, (cell + 1L) * cellBytes);
          covered[cell][f * 3 + kind.ordinal() - 1] += next - pos;
          pos = next;
        }
      }
    }
    Cell[] cells = new Cell[n];
    for (int c = 0; c < n; c++) {
      int bestFile = -1;
      long best = 0;
      for (int f = 0; f < files.size(); f++) {
        long sum = covered[c][f * 3] + covered[c][f * 3 + 1] + covered[c][f * 3 + 2];
        if (sum > best) {
          best = sum;
          bestFile = f;
        }
      }
      if (bestFile < 0) {
        cells[c] = new Cell(-1, Kind.NONE);
        continue;
      }
      long[] k = covered[c];
      int base = bestFile * 3;
      Kind kind = k[base + 2] > 0 ? Kind.SHARED
          : k[base + 1] > k[base] ? Kind.UNWRITTEN : Kind.WRITTEN;
      cells[c] = new Cell(bestFile, kind);
    }
    return cells;
  }

  /** Returns the kind an extent is drawn as. */
  static Kind kindOf(LayoutExtent e) {
    if ((e.flags() & LayoutExtent.SHARED) != 0) {
      return Kind.SHARED;
    }
    return (e.flags() & LayoutExtent.UNWRITTEN) != 0 ? Kind.UNWRITTEN : Kind.WRITTEN;
  }

  /** Returns the blocks used according to statfs (files, metadata reserve use, quarantine). */
  long usedBlocks() {
    return Math.max(0, totalBlocks - freeBlocks);
  }

  /** Returns the blocks the drawn files' extents cover (shared blocks counted once). */
  long fileBlocks() {
    java.util.TreeMap<Long, Long> runs = new java.util.TreeMap<>();
    for (FileExtents f : files) {
      for (LayoutExtent e : f.extents()) {
        runs.merge(e.physical(), e.physical() + e.length(), Math::max);
      }
    }
    long bytes = 0;
    long end = Long.MIN_VALUE;
    for (var r : runs.entrySet()) {
      long from = Math.max(r.getKey(), end);
      if (r.getValue() > from) {
        bytes += r.getValue() - from;
        end = r.getValue();
      }
    }
    return bytes / Math.max(1, blockSize);
  }

  /** Returns {@code bytes} for people: "0", "512 B", "256 KiB", "1.5 MiB", "2 GiB". */
  static String human(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    if (bytes == 0) {
      return "0";
    }
    int u = 0;
    double v = bytes;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    String n = v == Math.rint(v) ? String.valueOf((long) v)
        : String.format(java.util.Locale.ROOT, "%.1f", v);
    return n + " " + units[u];
  }
}
