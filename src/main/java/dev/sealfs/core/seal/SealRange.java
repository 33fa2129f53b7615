package dev.sealfs.core.seal;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;

/**
 * The bytes one holder seals (SPEC 9): {@code [byteOffset, byteOffset + byteLength)}, or the
 * whole file when {@code byteLength} is 0. The sealed blocks are the range widened to whole
 * blocks; a whole-file seal is the block range {@code [0, ∞)} and refuses every size change.
 *
 * @param byteOffset first sealed byte (0 for a whole-file seal)
 * @param byteLength sealed bytes; 0 means the whole file
 */
public record SealRange(long byteOffset, long byteLength) {
  /** The whole-file range. */
  public static final SealRange WHOLE = new SealRange(0, 0);

  /**
   * Validates SEAL's {@code offset}/{@code length} (SPEC 4.1): EINVAL for a non-zero offset
   * with length 0, a negative value or an end past 2^63 - 1.
   */
  public static SealRange of(long byteOffset, long byteLength) {
    if (byteLength == 0 && byteOffset != 0) {
      throw FsException.of(Errno.EINVAL, "a range seal needs a length (offset without length)");
    }
    if (byteOffset < 0 || byteLength < 0 || byteOffset + byteLength < 0) {
      throw FsException.of(Errno.EINVAL, "seal range overflows");
    }
    return byteLength == 0 ? WHOLE : new SealRange(byteOffset, byteLength);
  }

  /** True for a whole-file seal. */
  public boolean whole() {
    return byteLength == 0;
  }

  /** Returns the first byte past the range ({@link Long#MAX_VALUE} for a whole-file seal). */
  public long byteEnd() {
    return whole() ? Long.MAX_VALUE : byteOffset + byteLength;
  }

  /** Returns the first sealed file block for block size {@code blockSize}. */
  public long firstBlock(int blockSize) {
    return byteOffset / blockSize;
  }

  /** Returns the first file block past the sealed blocks ({@link Long#MAX_VALUE} if whole). */
  public long endBlock(int blockSize) {
    if (whole()) {
      return Long.MAX_VALUE;
    }
    long end = byteOffset + byteLength;
    return end / blockSize + (end % blockSize == 0 ? 0 : 1);
  }

  /**
   * True if a block-map change of file blocks {@code [fileBlock, fileBlock + blockCount)}
   * touches the sealed blocks.
   */
  public boolean touchesBlocks(long fileBlock, long blockCount, int blockSize) {
    if (blockCount <= 0) {
      return false;
    }
    long changeEnd = fileBlock + blockCount < 0 ? Long.MAX_VALUE : fileBlock + blockCount;
    return fileBlock < endBlock(blockSize) && firstBlock(blockSize) < changeEnd;
  }

  /**
   * True if setting the size from {@code oldSize} to {@code newSize} is refused: any size
   * change (even to the same size) for a whole-file seal, a new size below the range's end for
   * a range seal.
   */
  public boolean refusesSize(long oldSize, long newSize) {
    return whole() || (newSize < oldSize && newSize < byteEnd());
  }

  /** True if the range reaches past a file of {@code size} bytes. */
  public boolean pastEof(long size) {
    return !whole() && byteEnd() > size;
  }

  /** Returns the bytes this seal counts against its uid's seal_limit for a file of size. */
  public long chargedBytes(long size) {
    return whole() ? size : byteLength;
  }

  /** Returns {@code offset:length} as user.sealfs.holders prints it ({@code 0:0} if whole). */
  public String label() {
    return byteOffset + ":" + byteLength;
  }
}
