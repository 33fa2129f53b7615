package dev.sealfs.client;

import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.core.SealResult;
import dev.sealfs.core.SealStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The SPEC 4.1 ioctl ABI: request codes, flag bits and the little-endian encoding of the three
 * structures and the SEALFS_IOC_BREAK flags word; pure byte work, no native calls, so it is unit-testable offset by offset.
 */
public final class SealAbi {
  /** {@code SEALFS_IOC_SEAL = _IOWR('s', 1, struct sealfs_seal)}. */
  public static final long IOC_SEAL = 0xC0407301L;
  /** {@code SEALFS_IOC_UNSEAL = _IO('s', 2)}. */
  public static final long IOC_UNSEAL = 0x00007302L;
  /** {@code SEALFS_IOC_STATUS = _IOR('s', 3, struct sealfs_status)}. */
  public static final long IOC_STATUS = 0x80407303L;
  /** {@code SEALFS_IOC_LAYOUT = _IOWR('s', 4, struct sealfs_layout)}. */
  public static final long IOC_LAYOUT = 0xD0007304L;
  /** {@code SEALFS_IOC_BREAK = _IOW('s', 5, u64)}: break the file's seals (SPEC 12). */
  public static final long IOC_BREAK = 0x40087305L;

  /** Seal flag: fill holes, convert unwritten and unshare shared extents first. */
  public static final long SEAL_PREPARE = 1;
  /** Seal flag: freeze the map exactly as it is, holes included. */
  public static final long SEAL_ASIS = 2;
  /** Seal flag: a lease that is broken instead of refusing (SPEC 10). */
  public static final long SEAL_BREAKABLE = 4;
  /** Status state bit: a break of the inode's seals is under way. */
  public static final long STATUS_BREAKING = 1;
  /** Status state bit: this handle's seal was revoked. */
  public static final long STATUS_REVOKED = 2;
  /** Break flag: revoke every seal at once, hard ones too (root only). */
  public static final long BREAK_FORCE = 1;
  /** Size in bytes of the SEALFS_IOC_BREAK argument (one u64 of flags). */
  public static final int BREAK_SIZE_BYTES = 8;
  /** Layout header flag: nothing follows these extents. */
  public static final int LAYOUT_LAST = LayoutPage.FLAG_LAST;
  /** Layout header flag: the inode is sealed. */
  public static final int LAYOUT_SEALED = LayoutPage.FLAG_SEALED;
  /** Extent flag: allocated but reads as zeros. */
  public static final int EXTENT_UNWRITTEN = LayoutExtent.UNWRITTEN;
  /** Extent flag: blocks used by more than one file. */
  public static final int EXTENT_SHARED = LayoutExtent.SHARED;

  /** Size in bytes of struct sealfs_seal. */
  public static final int SEAL_SIZE_BYTES = 64;
  /** Size in bytes of struct sealfs_status. */
  public static final int STATUS_SIZE_BYTES = 64;
  /** Size in bytes of struct sealfs_layout (header plus 126 extents). */
  public static final int LAYOUT_SIZE_BYTES = 4096;
  /** Size in bytes of the struct sealfs_layout header. */
  public static final int LAYOUT_HEADER_SIZE_BYTES = 64;
  /** Size in bytes of one struct sealfs_extent. */
  public static final int EXTENT_SIZE_BYTES = 32;
  /** Extents one struct sealfs_layout carries. */
  public static final int LAYOUT_MAX_EXTENTS = LayoutPage.MAX_EXTENTS;

  /** The read-only virtual xattr listing the extents. */
  public static final String XATTR_LAYOUT = "user.sealfs.layout";
  /** The read-only virtual xattr with the seal state. */
  public static final String XATTR_SEAL = "user.sealfs.seal";
  /** The read-only virtual xattr listing the holders. */
  public static final String XATTR_HOLDERS = "user.sealfs.holders";
  /** The read-only virtual xattr naming the device. */
  public static final String XATTR_DEVICE = "user.sealfs.device";
  /** The persistent xattr that makes every writable open take a seal. */
  public static final String XATTR_SEAL_ON_OPEN = "user.sealfs.seal_on_open";

  private SealAbi() {}

  /** Returns a little-endian buffer of {@code sizeBytes} zero bytes. */
  private static ByteBuffer zeroed(int sizeBytes) {
    return ByteBuffer.allocate(sizeBytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Encodes a struct sealfs_seal asking for a whole-file seal with {@code flags}. */
  public static byte[] encodeSeal(long flags) {
    return encodeSeal(flags, 0, 0);
  }

  /**
   * Encodes a struct sealfs_seal asking for a seal with {@code flags} of the bytes
   * {@code [byteOffset, byteOffset + byteLength)}; a length of 0 is the whole file.
   */
  public static byte[] encodeSeal(long flags, long byteOffset, long byteLength) {
    ByteBuffer b = zeroed(SEAL_SIZE_BYTES);
    b.putLong(0, flags);
    b.putLong(8, byteOffset);
    b.putLong(16, byteLength);
    // generation (24), holders (32), reserved[3] (40..63) stay zero.
    return b.array();
  }

  /** Encodes the SEALFS_IOC_BREAK argument: one little-endian u64 of flags. */
  public static byte[] encodeBreak(long flags) {
    ByteBuffer b = zeroed(BREAK_SIZE_BYTES);
    b.putLong(0, flags);
    return b.array();
  }

  /** Decodes the out fields (generation at 24, holders at 32) of a struct sealfs_seal. */
  public static SealResult decodeSeal(byte[] bytes) {
    ByteBuffer b = wrap(bytes, SEAL_SIZE_BYTES);
    return new SealResult(b.getLong(24), b.getLong(32));
  }

  /** Decodes a struct sealfs_status. */
  public static SealStatus decodeStatus(byte[] bytes) {
    ByteBuffer b = wrap(bytes, STATUS_SIZE_BYTES);
    return new SealStatus(b.getInt(0) != 0, b.getInt(4) != 0, b.getLong(8), b.getLong(16),
        b.getLong(24), b.getLong(32));
  }

  /** Decodes a struct sealfs_status with its break fields (state at 40, deadline at 48). */
  public static HandleStatus decodeHandleStatus(byte[] bytes) {
    ByteBuffer b = wrap(bytes, STATUS_SIZE_BYTES);
    return new HandleStatus(decodeStatus(bytes), b.getLong(40), b.getLong(48));
  }

  /** Encodes a struct sealfs_layout request listing from logical byte {@code start}. */
  public static byte[] encodeLayout(long start) {
    ByteBuffer b = zeroed(LAYOUT_SIZE_BYTES);
    b.putLong(0, start);
    return b.array();
  }

  /** Decodes a filled-in struct sealfs_layout; rejects a count above 126. */
  public static LayoutPage decodeLayout(byte[] bytes) {
    ByteBuffer b = wrap(bytes, LAYOUT_SIZE_BYTES);
    long generation = b.getLong(8);
    long next = b.getLong(16);
    int count = b.getInt(24);
    int flags = b.getInt(28);
    long blockSize = b.getLong(32);
    long size = b.getLong(40);
    if (count < 0 || count > LAYOUT_MAX_EXTENTS) {
      throw new IllegalArgumentException("layout count out of range: " + Integer.toUnsignedString(
          count));
    }
    List<LayoutExtent> extents = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int at = LAYOUT_HEADER_SIZE_BYTES + i * EXTENT_SIZE_BYTES;
      extents.add(new LayoutExtent(b.getLong(at), b.getLong(at + 8), b.getLong(at + 16),
          b.getInt(at + 24)));
    }
    return new LayoutPage(generation, next, (flags & LAYOUT_LAST) != 0,
        (flags & LAYOUT_SEALED) != 0, blockSize, size, List.copyOf(extents));
  }

  /** Encodes a filled-in struct sealfs_layout (the server side; used by tests and the core). */
  public static byte[] encodeLayoutReply(long start, LayoutPage page) {
    if (page.extents().size() > LAYOUT_MAX_EXTENTS) {
      throw new IllegalArgumentException("too many extents: " + page.extents().size());
    }
    ByteBuffer b = zeroed(LAYOUT_SIZE_BYTES);
    b.putLong(0, start);
    b.putLong(8, page.generation());
    b.putLong(16, page.next());
    b.putInt(24, page.extents().size());
    b.putInt(28, (page.last() ? LAYOUT_LAST : 0) | (page.sealed() ? LAYOUT_SEALED : 0));
    b.putLong(32, page.blockSize());
    b.putLong(40, page.size());
    for (int i = 0; i < page.extents().size(); i++) {
      LayoutExtent e = page.extents().get(i);
      int at = LAYOUT_HEADER_SIZE_BYTES + i * EXTENT_SIZE_BYTES;
      b.putLong(at, e.logical());
      b.putLong(at + 8, e.physical());
      b.putLong(at + 16, e.length());
      b.putInt(at + 24, e.flags());
    }
    return b.array();
  }

  /** Returns the seal flags for a mode given as booleans; both set is the caller's EINVAL. */
  public static long sealFlags(boolean prepare, boolean asis) {
    return (prepare ? SEAL_PREPARE : 0) | (asis ? SEAL_ASIS : 0);
  }

  /** Returns {@link #sealFlags(boolean, boolean)} plus SEAL_BREAKABLE if {@code breakable}. */
  public static long sealFlags(boolean prepare, boolean asis, boolean breakable) {
    return sealFlags(prepare, asis) | (breakable ? SEAL_BREAKABLE : 0);
  }

  /** Wraps {@code bytes} little-endian after checking it is at least {@code sizeBytes} long. */
  private static ByteBuffer wrap(byte[] bytes, int sizeBytes) {
    if (bytes.length < sizeBytes) {
      throw new IllegalArgumentException("need " + sizeBytes + " bytes, got " + bytes.length);
    }
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }
}
