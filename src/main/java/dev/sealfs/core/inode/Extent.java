package dev.sealfs.core.inode;

import java.util.Objects;

/**
 * One extent of a file's block map: {@code blockCount} blocks from {@code fileBlock} in the file,
 * stored from {@code devBlock} on the device, in one {@link ExtentState}.
 *
 * @param fileBlock the first logical block in the file
 * @param devBlock the first physical block on the device
 * @param blockCount the number of blocks, at least one
 * @param state whether the blocks hold data or read as zeros
 */
public record Extent(long fileBlock, long devBlock, long blockCount, ExtentState state) {

  /** Validates the extent: positive blockCount, non-negative blocks, no overflow, a state. */
  public Extent {
    Objects.requireNonNull(state, "state");
    if (blockCount <= 0 || fileBlock < 0 || devBlock < 0
        || fileBlock > Long.MAX_VALUE - blockCount || devBlock > Long.MAX_VALUE - blockCount) {
      throw new IllegalArgumentException(
          "Bad extent: fileBlock " + fileBlock + " devBlock " + devBlock + " blockCount "
              + blockCount);
    }
  }

  /** Returns the fileBlock just past the extent. */
  public long fileEnd() {
    return fileBlock + blockCount;
  }

  /** Returns the devBlock just past the extent. */
  public long devEnd() {
    return devBlock + blockCount;
  }

  /** Returns whether {@code fileBlock} lies inside this extent. */
  public boolean contains(long fileBlock) {
    return fileBlock >= this.fileBlock && fileBlock < fileEnd();
  }

  /**
   * Returns the devBlock that stores {@code fileBlock}.
   *
   * @throws IllegalArgumentException if {@code fileBlock} is outside the extent
   */
  public long devBlockAt(long fileBlock) {
    if (!contains(fileBlock)) {
      throw new IllegalArgumentException("fileBlock " + fileBlock + " outside " + this);
    }
    return devBlock + (fileBlock - this.fileBlock);
  }

  /**
   * Returns the part of this extent inside {@code [fromFileBlock, toFileBlockExclusive)}, with its
   * devBlock shifted to match.
   *
   * @throws IllegalArgumentException if the range does not intersect the extent
   */
  public Extent slice(long fromFileBlock, long toFileBlockExclusive) {
    long from = Math.max(fileBlock, fromFileBlock);
    long to = Math.min(fileEnd(), toFileBlockExclusive);
    if (from >= to) {
      throw new IllegalArgumentException(
          "[" + fromFileBlock + ", " + toFileBlockExclusive + ") does not intersect " + this);
    }
    if (from == fileBlock && to == fileEnd()) {
      return this;
    }
    return new Extent(from, devBlock + (from - fileBlock), to - from, state);
  }
}
