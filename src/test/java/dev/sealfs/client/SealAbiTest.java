package dev.sealfs.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.core.SealResult;
import dev.sealfs.core.SealStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Exact offsets, sizes and byte order of the SPEC 4.1 structures. */
final class SealAbiTest {
  /** Returns a little-endian view of {@code b}. */
  private static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The request codes are the _IOC encodings the SPEC lists. */
  @Test
  void requestCodesMatchIocEncoding() {
    assertEquals(0xC0407301L, ioc(3, 's', 1, 64));
    assertEquals(SealAbi.IOC_SEAL, ioc(3, 's', 1, SealAbi.SEAL_SIZE_BYTES));
    assertEquals(SealAbi.IOC_UNSEAL, ioc(0, 's', 2, 0));
    assertEquals(SealAbi.IOC_STATUS, ioc(2, 's', 3, SealAbi.STATUS_SIZE_BYTES));
    assertEquals(SealAbi.IOC_LAYOUT, ioc(3, 's', 4, SealAbi.LAYOUT_SIZE_BYTES));
    assertTrue(SealAbi.IOC_SEAL > 0, "codes are positive longs, not sign-extended ints");
  }

  /** Linux asm-generic _IOC(dir, type, nr, size). */
  private static long ioc(int dir, char type, int nr, int size) {
    return ((long) dir << 30) | ((long) size << 16) | ((long) type << 8) | nr;
  }

  /** struct sealfs_seal is 64 bytes with flags at 0 and every other in-field zero. */
  @Test
  void encodeSealPutsFlagsAtZero() {
    byte[] b = SealAbi.encodeSeal(SealAbi.SEAL_ASIS);
    assertEquals(64, b.length);
    assertEquals(2L, le(b).getLong(0));
    assertEquals(2, b[0]);
    for (int i = 1; i < 64; i++) {
      assertEquals(0, b[i], "byte " + i);
    }
  }

  /** generation is read from offset 24 and holders from 32. */
  @Test
  void decodeSealReadsGenerationAndHolders() {
    byte[] b = new byte[64];
    le(b).putLong(24, 0x0102030405060708L).putLong(32, 3);
    assertEquals(new SealResult(0x0102030405060708L, 3), SealAbi.decodeSeal(b));
    assertThrows(IllegalArgumentException.class, () -> SealAbi.decodeSeal(new byte[63]));
  }

  /** struct sealfs_status: u32 sealed @0, u32 held_by_me @4, then u64s from 8. */
  @Test
  void decodeStatusOffsets() {
    byte[] b = new byte[64];
    le(b).putInt(0, 1).putInt(4, 0).putLong(8, 2).putLong(16, 77).putLong(24, 1 << 20)
        .putLong(32, 4096).putLong(40, -1).putLong(48, -1).putLong(56, -1);
    assertEquals(new SealStatus(true, false, 2, 77, 1 << 20, 4096), SealAbi.decodeStatus(b));
    le(b).putInt(0, 0).putInt(4, 1);
    SealStatus s = SealAbi.decodeStatus(b);
    assertFalse(s.sealed());
    assertTrue(s.heldByMe());
  }

  /** The break fields of struct sealfs_status: u64 state @40, u64 break_deadline_ms @48. */
  @Test
  void decodeHandleStatusBreakFields() {
    byte[] b = new byte[64];
    le(b).putInt(0, 1).putLong(8, 1).putLong(40, SealAbi.STATUS_BREAKING).putLong(48, 12345);
    HandleStatus h = SealAbi.decodeHandleStatus(b);
    assertTrue(h.breaking());
    assertFalse(h.revoked());
    assertEquals(12345, h.breakDeadlineMs());
    assertTrue(h.seal().sealed());
    le(b).putLong(40, SealAbi.STATUS_REVOKED);
    assertTrue(SealAbi.decodeHandleStatus(b).revoked());
  }

  /** A range seal puts flags @0, offset @8 and length @16; a break is one u64 of flags. */
  @Test
  void encodeRangeSealAndBreak() {
    byte[] b = SealAbi.encodeSeal(SealAbi.SEAL_ASIS | SealAbi.SEAL_BREAKABLE, 8192, 4096);
    assertEquals(6, le(b).getLong(0));
    assertEquals(8192, le(b).getLong(8));
    assertEquals(4096, le(b).getLong(16));
    for (int i = 24; i < 64; i++) {
      assertEquals(0, b[i], "byte " + i);
    }
    assertEquals(8, SealAbi.encodeBreak(SealAbi.BREAK_FORCE).length);
    assertEquals(1, le(SealAbi.encodeBreak(SealAbi.BREAK_FORCE)).getLong(0));
    assertEquals(6, SealAbi.sealFlags(false, true, true));
  }

  /** The layout request is 4096 bytes with start at 0 and the rest zero. */
  @Test
  void encodeLayoutRequest() {
    byte[] b = SealAbi.encodeLayout(8192);
    assertEquals(4096, b.length);
    assertEquals(8192L, le(b).getLong(0));
    for (int i = 8; i < 4096; i++) {
      assertEquals(0, b[i], "byte " + i);
    }
  }

  /** Header fields at 8/16/24/28/32/40 and extents of 32 bytes from 64. */
  @Test
  void decodeLayoutOffsets() {
    byte[] b = new byte[4096];
    ByteBuffer bb = le(b);
    bb.putLong(0, 0).putLong(8, 9).putLong(16, 1 << 20).putInt(24, 2)
        .putInt(28, SealAbi.LAYOUT_LAST | SealAbi.LAYOUT_SEALED).putLong(32, 4096)
        .putLong(40, 12288);
    bb.putLong(64, 0).putLong(72, 40960).putLong(80, 8192).putInt(88, 0).putInt(92, 0xdead);
    bb.putLong(96, 8192).putLong(104, 4096).putLong(112, 4096).putInt(120, 1);
    bb.putLong(128, 999); // a third extent beyond count must be ignored
    LayoutPage p = SealAbi.decodeLayout(b);
    assertEquals(9, p.generation());
    assertEquals(1 << 20, p.next());
    assertTrue(p.last());
    assertTrue(p.sealed());
    assertEquals(4096, p.blockSize());
    assertEquals(12288, p.size());
    assertEquals(List.of(new LayoutExtent(0, 40960, 8192, 0),
        new LayoutExtent(8192, 4096, 4096, LayoutExtent.UNWRITTEN)), p.extents());
  }

  /** A count above 126 is a malformed reply, not an index error. */
  @Test
  void decodeLayoutRejectsBadCount() {
    byte[] b = new byte[4096];
    le(b).putInt(24, 127);
    assertThrows(IllegalArgumentException.class, () -> SealAbi.decodeLayout(b));
    le(b).putInt(24, -1);
    assertThrows(IllegalArgumentException.class, () -> SealAbi.decodeLayout(b));
  }

  /** A full page of 126 extents fills exactly the 4096 bytes and round-trips. */
  @Test
  void fullPageRoundTrips() {
    List<LayoutExtent> ex = new ArrayList<>();
    for (int i = 0; i < 126; i++) {
      ex.add(new LayoutExtent(i * 4096L, (1000 + 2 * i) * 4096L, 4096, i % 3));
    }
    LayoutPage p = new LayoutPage(5, 126 * 4096L, false, false, 4096, 1 << 30, ex);
    byte[] b = SealAbi.encodeLayoutReply(0, p);
    assertEquals(4096, b.length);
    assertEquals(p, SealAbi.decodeLayout(b));
    assertEquals(125 * 4096L, le(b).getLong(64 + 125 * 32));
    assertArrayEquals(b, SealAbi.encodeLayoutReply(0, SealAbi.decodeLayout(b)));
  }

  /** Mode booleans map to the flag bits. */
  @Test
  void sealFlags() {
    assertEquals(0, SealAbi.sealFlags(false, false));
    assertEquals(1, SealAbi.sealFlags(true, false));
    assertEquals(2, SealAbi.sealFlags(false, true));
    assertEquals(3, SealAbi.sealFlags(true, true));
  }

  /** errno texts are glibc's, independent of the locale. */
  @Test
  void errnoText() {
    assertEquals("Text file busy", ErrnoText.message(26));
    assertEquals("ETXTBSY", ErrnoText.symbol(26));
    assertEquals("Operation not supported", ErrnoText.message(95));
    assertEquals("Unknown error 4242", ErrnoText.message(4242));
    SealClientException e = new SealClientException("seal /m/f", 26);
    assertEquals("seal /m/f: Text file busy", e.getMessage());
    assertEquals(dev.sealfs.core.Errno.ETXTBSY, e.toErrno().orElseThrow());
  }
}
