package dev.sealfs.fuse;

import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.core.SealResult;
import dev.sealfs.core.SealStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Encodes and decodes the SPEC 4.1 ioctl structures on a little-endian {@link ByteBuffer}.
 *
 * <p>Pure (no FUSE, no native memory): every method reads or writes at absolute indexes, so the
 * buffer's position and limit are never used or changed. Offsets are the C struct offsets.
 */
public final class IoctlCodec {

  /** {@code _IOWR('s', 1, 64)}: seal the handle (struct sealfs_seal). */
  public static final int SEAL = (int) 0xC0407301L;
  /** {@code _IO('s', 2)}: drop the handle's seal (no argument). */
  public static final int UNSEAL = 0x00007302;
  /** {@code _IOR('s', 3, 64)}: seal status of the handle (struct sealfs_status). */
  public static final int STATUS = (int) 0x80407303L;
  /** {@code _IOWR('s', 4, 4096)}: one page of the layout (struct sealfs_layout). */
  public static final int LAYOUT = (int) 0xD0007304L;
  /** {@code _IOW('s', 5, 8)}: break the file's seals (u64 flags, SPEC 12). */
  public static final int BREAK = 0x40087305;

  /** Size in bytes of struct sealfs_seal. */
  public static final int SEAL_SIZE = 64;
  /** Size in bytes of struct sealfs_status. */
  public static final int STATUS_SIZE = 64;
  /** Size in bytes of the SEALFS_IOC_BREAK argument (u64 flags). */
  public static final int BREAK_SIZE = 8;
  /** Size in bytes of struct sealfs_layout (header plus 126 extents). */
  public static final int LAYOUT_SIZE = 4096;
  /** Size in bytes of the struct sealfs_layout header. */
  public static final int LAYOUT_HEADER_SIZE = 64;
  /** Size in bytes of one struct sealfs_extent. */
  public static final int EXTENT_SIZE = 32;
  /** Extents one struct sealfs_layout carries. */
  public static final int LAYOUT_MAX_EXTENTS = (LAYOUT_SIZE - LAYOUT_HEADER_SIZE) / EXTENT_SIZE;

  private IoctlCodec() {}

  /**
   * The input fields of struct sealfs_seal.
   *
   * @param flags SEALFS_SEAL_* bits
   * @param offset range start in bytes (SPEC 9; 0 with length 0 = whole file)
   * @param length range length in bytes (0 = whole file)
   * @param reserved the three reserved words (must be 0)
   */
  public record SealRequest(long flags, long offset, long length, long[] reserved) {}

  /** Returns {@code _IOC_SIZE(cmd)}: the argument size in bytes encoded in a request code. */
  public static int argSizeBytes(int cmd) {
    return (cmd >>> 16) & 0x3FFF;
  }

  /** Returns {@code buf} switched to little-endian (the ABI's byte order). */
  public static ByteBuffer le(ByteBuffer buf) {
    return buf.order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Reads the input fields of struct sealfs_seal. */
  public static SealRequest decodeSeal(ByteBuffer buf) {
    le(buf);
    long[] reserved = {buf.getLong(40), buf.getLong(48), buf.getLong(56)};
    return new SealRequest(buf.getLong(0), buf.getLong(8), buf.getLong(16), reserved);
  }

  /** Writes the output fields of struct sealfs_seal (generation at 24, holders at 32). */
  public static void encodeSealResult(ByteBuffer buf, SealResult result) {
    le(buf);
    buf.putLong(24, result.generation());
    buf.putLong(32, result.holders());
  }

  /** Writes a whole struct sealfs_status with no break state, reserved words zeroed. */
  public static void encodeStatus(ByteBuffer buf, SealStatus status) {
    encodeStatus(buf, status, 0, 0);
  }

  /**
   * Writes a whole struct sealfs_status: {@code state} (BREAKING 1, REVOKED 2) at 40 and
   * {@code breakDeadlineMs} at 48 (SPEC 10), the last reserved word zeroed.
   */
  public static void encodeStatus(ByteBuffer buf, SealStatus status, long state,
      long breakDeadlineMs) {
    le(buf);
    buf.putInt(0, status.sealed() ? 1 : 0);
    buf.putInt(4, status.heldByMe() ? 1 : 0);
    buf.putLong(8, status.holders());
    buf.putLong(16, status.generation());
    buf.putLong(24, status.size());
    buf.putLong(32, status.blockSize());
    buf.putLong(40, state);
    buf.putLong(48, breakDeadlineMs);
    zero(buf, 56, STATUS_SIZE);
  }

  /** Reads the SEALFS_IOC_BREAK argument: the u64 flags word. */
  public static long decodeBreakFlags(ByteBuffer buf) {
    return le(buf).getLong(0);
  }

  /** Reads struct sealfs_layout.start, the logical byte offset to list from. */
  public static long decodeLayoutStart(ByteBuffer buf) {
    return le(buf).getLong(0);
  }

  /**
   * Writes a layout page: the header (leaving {@code start} as the caller passed it) and the
   * extents; unused extent slots and reserved fields are zeroed.
   */
  public static void encodeLayout(ByteBuffer buf, LayoutPage page) {
    le(buf);
    List<LayoutExtent> extents = page.extents();
    if (extents.size() > LAYOUT_MAX_EXTENTS) {
      throw new IllegalArgumentException("too many extents for one page: " + extents.size());
    }
    int flags = (page.last() ? LayoutPage.FLAG_LAST : 0)
        | (page.sealed() ? LayoutPage.FLAG_SEALED : 0);
    buf.putLong(8, page.generation());
    buf.putLong(16, page.next());
    buf.putInt(24, extents.size());
    buf.putInt(28, flags);
    buf.putLong(32, page.blockSize());
    buf.putLong(40, page.size());
    zero(buf, 48, LAYOUT_HEADER_SIZE);
    int at = LAYOUT_HEADER_SIZE;
    for (LayoutExtent e : extents) {
      buf.putLong(at, e.logical());
      buf.putLong(at + 8, e.physical());
      buf.putLong(at + 16, e.length());
      buf.putInt(at + 24, e.flags());
      buf.putInt(at + 28, 0);
      at += EXTENT_SIZE;
    }
    zero(buf, at, LAYOUT_SIZE);
  }

  /** Zeroes bytes {@code [from, to)} of {@code buf}, eight at a time where possible. */
  private static void zero(ByteBuffer buf, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      buf.putLong(i, 0L);
    }
    for (; i < to; i++) {
      buf.put(i, (byte) 0);
    }
  }
}
