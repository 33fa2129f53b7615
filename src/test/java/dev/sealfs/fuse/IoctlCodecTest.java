package dev.sealfs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.core.SealResult;
import dev.sealfs.core.SealStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Byte-exact checks of the SPEC 4.1 structures. */
class IoctlCodecTest {

  /** Returns a little-endian buffer of {@code n} bytes, every byte 0xAA (to catch unwritten). */
  private static ByteBuffer dirty(int n) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) 0xAA);
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  void requestCodesAndSizesMatchTheAbi() {
    assertEquals(0xC0407301, IoctlCodec.SEAL);
    assertEquals(0x00007302, IoctlCodec.UNSEAL);
    assertEquals(0x80407303, IoctlCodec.STATUS);
    assertEquals(0xD0007304, IoctlCodec.LAYOUT);
    assertEquals(64, IoctlCodec.SEAL_SIZE);
    assertEquals(64, IoctlCodec.STATUS_SIZE);
    assertEquals(4096, IoctlCodec.LAYOUT_SIZE);
    assertEquals(126, IoctlCodec.LAYOUT_MAX_EXTENTS);
    assertEquals(LayoutPage.MAX_EXTENTS, IoctlCodec.LAYOUT_MAX_EXTENTS);
    assertEquals(64, IoctlCodec.argSizeBytes(IoctlCodec.SEAL));
    assertEquals(0, IoctlCodec.argSizeBytes(IoctlCodec.UNSEAL));
    assertEquals(64, IoctlCodec.argSizeBytes(IoctlCodec.STATUS));
    assertEquals(4096, IoctlCodec.argSizeBytes(IoctlCodec.LAYOUT));
  }

  @Test
  void sealDecodesInputsAndWritesOnlyOutputs() {
    ByteBuffer b = dirty(64);
    b.putLong(0, 2).putLong(8, 3).putLong(16, 4).putLong(40, 5).putLong(48, 6).putLong(56, 7);
    IoctlCodec.SealRequest req = IoctlCodec.decodeSeal(b);
    assertEquals(2, req.flags());
    assertEquals(3, req.offset());
    assertEquals(4, req.length());
    assertArrayEquals(new long[] {5, 6, 7}, req.reserved());

    IoctlCodec.encodeSealResult(b, new SealResult(0x1122334455667788L, 3));
    assertEquals(0x88, b.get(24) & 0xFF);
    assertEquals(0x1122334455667788L, b.getLong(24));
    assertEquals(3, b.getLong(32));
    assertEquals(2, b.getLong(0));
    assertEquals(5, b.getLong(40));
    assertEquals(0, b.position());
  }

  @Test
  void statusFillsAllSixtyFourBytes() {
    ByteBuffer b = dirty(64);
    IoctlCodec.encodeStatus(b, new SealStatus(true, false, 2, 9, 8192, 4096));
    assertEquals(1, b.getInt(0));
    assertEquals(0, b.getInt(4));
    assertEquals(2, b.getLong(8));
    assertEquals(9, b.getLong(16));
    assertEquals(8192, b.getLong(24));
    assertEquals(4096, b.getLong(32));
    for (int i = 40; i < 64; i++) {
      assertEquals(0, b.get(i), "reserved byte " + i);
    }
  }

  @Test
  void statusBreakFieldsAtFortyAndFortyEight() {
    ByteBuffer b = dirty(64);
    IoctlCodec.encodeStatus(b, new SealStatus(true, true, 1, 3, 4096, 4096), 3,
        1_700_000_000_123L);
    assertEquals(3, b.getLong(40));
    assertEquals(1_700_000_000_123L, b.getLong(48));
    assertEquals(0, b.getLong(56));
  }

  @Test
  void breakIsIowFiveOfEightBytes() {
    assertEquals(0x40087305, IoctlCodec.BREAK);
    assertEquals(IoctlCodec.BREAK_SIZE, IoctlCodec.argSizeBytes(IoctlCodec.BREAK));
    ByteBuffer b = dirty(8);
    b.order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, 1);
    assertEquals(1, IoctlCodec.decodeBreakFlags(b));
  }

  @Test
  void layoutHeaderAndExtentsAtExactOffsets() {
    ByteBuffer b = dirty(4096);
    b.putLong(0, 12288);
    assertEquals(12288, IoctlCodec.decodeLayoutStart(b));
    List<LayoutExtent> ext = List.of(
        new LayoutExtent(0, 1 << 20, 8192, 0),
        new LayoutExtent(8192, 5 << 20, 4096, LayoutExtent.UNWRITTEN | LayoutExtent.SHARED));
    IoctlCodec.encodeLayout(b, new LayoutPage(77, 12288, true, true, 4096, 12288, ext));
    assertEquals(12288, b.getLong(0), "start is left as passed");
    assertEquals(77, b.getLong(8));
    assertEquals(12288, b.getLong(16));
    assertEquals(2, b.getInt(24));
    assertEquals(3, b.getInt(28));
    assertEquals(4096, b.getLong(32));
    assertEquals(12288, b.getLong(40));
    assertEquals(0, b.getLong(48));
    assertEquals(0, b.getLong(56));
    assertEquals(0, b.getLong(64));
    assertEquals(1 << 20, b.getLong(72));
    assertEquals(8192, b.getLong(80));
    assertEquals(0, b.getInt(88));
    assertEquals(0, b.getInt(92));
    assertEquals(8192, b.getLong(96));
    assertEquals(5 << 20, b.getLong(104));
    assertEquals(4096, b.getLong(112));
    assertEquals(3, b.getInt(120));
    assertEquals(0, b.getInt(124));
    for (int i = 128; i < 4096; i++) {
      assertEquals(0, b.get(i), "unused byte " + i);
    }
  }

  @Test
  void layoutFlagsAndFullPage() {
    List<LayoutExtent> ext = new ArrayList<>();
    for (int i = 0; i < 126; i++) {
      ext.add(new LayoutExtent(i * 4096L, (1000 + i) * 4096L, 4096, 0));
    }
    ByteBuffer b = dirty(4096);
    IoctlCodec.encodeLayout(b, new LayoutPage(1, 126 * 4096L, false, false, 4096, 1 << 30, ext));
    assertEquals(126, b.getInt(24));
    assertEquals(0, b.getInt(28));
    assertEquals(125 * 4096L, b.getLong(64 + 32 * 125));
    assertEquals(1125 * 4096L, b.getLong(64 + 32 * 125 + 8));
    ext.add(new LayoutExtent(0, 0, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> IoctlCodec.encodeLayout(dirty(4096),
        new LayoutPage(1, 0, true, false, 4096, 0, ext)));
  }

  @Test
  void timesAndIdsConvert() {
    assertEquals(-1, SealFuse.id(0xFFFFFFFFL));
    assertEquals(-1, SealFuse.id(-1));
    assertEquals(1000, SealFuse.id(1000));
    assertEquals(0, SealFuse.id(0));
    assertEquals(dev.sealfs.core.SealFs.UTIME_NOW, SealFuse.timeNs(5, (1L << 30) - 1));
    assertEquals(dev.sealfs.core.SealFs.UTIME_OMIT, SealFuse.timeNs(5, (1L << 30) - 2));
    assertEquals(5_000_000_123L, SealFuse.timeNs(5, 123));
  }

  @Test
  void initAsksForDirectoryIoctlsOnlyWhenTheKernelCan() {
    jnr.ffi.Pointer conn = jnr.ffi.Memory.allocateDirect(jnr.ffi.Runtime.getSystemRuntime(), 128);
    conn.putInt(SealFuse.CONN_CAPABLE, SealFuse.FUSE_CAP_IOCTL_DIR | 1);
    conn.putInt(SealFuse.CONN_WANT, 1 << 5);
    SealFuse.wantIoctlDir(conn);
    assertEquals((1 << 5) | SealFuse.FUSE_CAP_IOCTL_DIR, conn.getInt(SealFuse.CONN_WANT));
    conn.putInt(SealFuse.CONN_CAPABLE, 1);
    conn.putInt(SealFuse.CONN_WANT, 0);
    SealFuse.wantIoctlDir(conn);
    assertEquals(0, conn.getInt(SealFuse.CONN_WANT));
    SealFuse.wantIoctlDir(null);
  }

  @Test
  void refusedWritebackIsEio() {
    jnr.ffi.Pointer mem = jnr.ffi.Memory.allocateDirect(jnr.ffi.Runtime.getSystemRuntime(), 64);
    ru.serce.jnrfuse.struct.FuseFileInfo fi = ru.serce.jnrfuse.struct.FuseFileInfo.of(mem);
    mem.putLong(24, 77);
    assertEquals(77, fi.fh.get());        // libfuse 2.9 layout: fh at 24, writepage at 16
    assertEquals(false, SealFuse.isWritepage(fi));
    mem.putInt(SealFuse.FI_WRITEPAGE, 1);
    assertEquals(true, SealFuse.isWritepage(fi));
    int txtbsy = -dev.sealfs.core.Errno.ETXTBSY.code;
    int eio = -dev.sealfs.core.Errno.EIO.code;
    int nospc = -dev.sealfs.core.Errno.ENOSPC.code;
    assertEquals(eio, SealFuse.writebackErrno(txtbsy, true));
    assertEquals(txtbsy, SealFuse.writebackErrno(txtbsy, false));
    assertEquals(nospc, SealFuse.writebackErrno(nospc, true));
  }
}
