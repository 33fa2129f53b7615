package dev.sealfs.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.core.commit.Loader;
import dev.sealfs.core.device.Device;
import dev.sealfs.core.journal.Superblock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shared extents (SPEC 11): copy_file_range sharing, copy on write, seals, frees, format. */
class SharedExtentsTest {
  private static final Caller ME = new Caller(0, 0, 7);
  private static final int BS = 4096;
  private static final int O_RDWR = 2;

  @TempDir Path dir;
  private Path img;
  private PathFs fs;

  @BeforeEach
  void mount() {
    img = dir.resolve("s.img");
    Mkfs.run(img, 32L << 20, BS, true, false);
    fs = PathFs.open(img, false);
  }

  @AfterEach
  void unmount() {
    if (fs != null) {
      fs.core().verifyForTest();
      fs.close();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertEquals(0, Fsck.run(img, false, new PrintStream(out), new PrintStream(out)),
          out::toString);
    }
  }

  private static byte[] pattern(int len, int seed) {
    byte[] b = new byte[len];
    new Random(seed).nextBytes(b);
    return b;
  }

  private long file(String path, byte[] data) {
    long fh = fs.create(path, 0644, O_RDWR, ME);
    if (data.length > 0) {
      assertEquals(data.length, fs.write(fh, ByteBuffer.wrap(data), 0));
    }
    return fh;
  }

  private byte[] contents(long fh) {
    int size = (int) fs.fgetattr(fh).size();
    ByteBuffer b = ByteBuffer.allocate(size);
    assertEquals(size, fs.read(fh, b, 0));
    return b.array();
  }

  private List<LayoutExtent> layout(long fh) {
    return new ArrayList<>(fs.layout(fh, 0).extents());
  }

  private long copy(long in, long offIn, long out, long offOut, long len) {
    return SealFsRandomTest.copyAll(fs, in, offIn, out, offOut, len);
  }

  private long freeBlocks() {
    fs.syncAll();
    return fs.statfs().freeBlocks();
  }

  private static Errno errno(Runnable r) {
    return assertThrows(FsException.class, r::run).errno();
  }

  @Test
  void alignedCopySharesTheSourceBlocksAndUsesNoSpace() {
    byte[] data = pattern(10 * BS, 1);
    long src = file("/src", data);
    long dst = fs.create("/dst", 0644, O_RDWR, ME);
    long free = freeBlocks();
    assertEquals(data.length, copy(src, 0, dst, 0, Long.MAX_VALUE));
    assertArrayEquals(data, contents(dst));
    assertEquals(free, freeBlocks(), "sharing takes no new block");
    List<LayoutExtent> s = layout(src);
    List<LayoutExtent> d = layout(dst);
    assertEquals(s.get(0).physical(), d.get(0).physical(), "same device blocks");
    assertEquals(LayoutExtent.SHARED, s.get(0).flags());
    assertEquals(LayoutExtent.SHARED, d.get(0).flags());
    String x = new String(fs.getxattr("/dst", "user.sealfs.layout"));
    assertTrue(x.contains("shared"), x);
  }

  @Test
  void theEofTailIsSharedAndUnalignedBytesAreCopied() {
    byte[] data = pattern(3 * BS + 100, 2);
    long src = file("/src", data);
    long dst = fs.create("/dst", 0644, O_RDWR, ME);
    assertEquals(data.length, copy(src, 0, dst, 0, Long.MAX_VALUE));
    assertEquals(1, layout(dst).size());
    assertEquals(4L * BS, layout(dst).get(0).length(), "the partial last block is shared too");
    long odd = fs.create("/odd", 0644, O_RDWR, ME);
    assertEquals(data.length - 1, copy(src, 1, odd, 0, Long.MAX_VALUE));
    assertArrayEquals(Arrays.copyOfRange(data, 1, data.length), contents(odd));
    assertEquals(0, layout(odd).get(0).flags(), "offsets unlike within a block: bytes copied");
    long mid = fs.create("/mid", 0644, O_RDWR, ME);
    assertEquals(2 * BS, copy(src, 100, mid, 100, 2 * BS));
    byte[] want = new byte[2 * BS + 100];
    System.arraycopy(data, 100, want, 100, 2 * BS);
    assertArrayEquals(want, contents(mid));
    assertTrue(layout(mid).stream().anyMatch(e -> e.flags() == LayoutExtent.SHARED),
        "the whole block inside is shared");
  }

  @Test
  void writesCopyOnWriteAndTheOtherSharerKeepsItsData() {
    byte[] data = pattern(8 * BS, 3);
    long src = file("/src", data);
    long dst = fs.create("/dst", 0644, O_RDWR, ME);
    copy(src, 0, dst, 0, Long.MAX_VALUE);
    long shared = layout(src).get(0).physical();
    byte[] patch = pattern(100, 4);
    assertEquals(100, fs.write(dst, ByteBuffer.wrap(patch), BS + 50));
    assertArrayEquals(data, contents(src), "the source keeps its bytes");
    byte[] want = data.clone();
    System.arraycopy(patch, 0, want, BS + 50, 100);
    assertArrayEquals(want, contents(dst));
    assertEquals(shared, layout(src).get(0).physical(), "the source's blocks stay");
    assertNotEquals(shared + BS, fs.layout(dst, BS).extents().get(0).physical(),
        "the written block moved");
    fs.ftruncate(src, BS + 10);
    fs.fallocate(dst, 3, 3 * BS + 7, 2 * BS);
    fs.fallocate(dst, 0x10, 6 * BS, BS + 1);
    Arrays.fill(want, 3 * BS + 7, 5 * BS + 7, (byte) 0);
    Arrays.fill(want, 6 * BS, 7 * BS + 1, (byte) 0);
    assertArrayEquals(want, contents(dst), "punch and zero range let go of shared blocks");
    assertArrayEquals(Arrays.copyOf(data, BS + 10), contents(src));
  }

  @Test
  void theLastSharerWritesInPlaceAndFreesWhenItGoes() {
    long before = freeBlocks();
    byte[] data = pattern(4 * BS, 5);
    long src = file("/src", data);
    long dst = fs.create("/dst", 0644, O_RDWR, ME);
    copy(src, 0, dst, 0, Long.MAX_VALUE);
    long at = layout(dst).get(0).physical();
    fs.release(src);
    fs.unlink("/src");
    assertEquals(before - 4, freeBlocks(), "the blocks stay while the copy maps them");
    fs.write(dst, ByteBuffer.wrap(new byte[] {1}), 0);
    assertEquals(at, layout(dst).get(0).physical(), "no copy: the copy maps them alone");
    assertEquals(0, layout(dst).get(0).flags());
    fs.release(dst);
    fs.unlink("/dst");
    assertEquals(before, freeBlocks(), "freed with the last sharer");
  }

  @Test
  void sealedFilesAreNeverSharedAndASealedDestinationRefuses() {
    byte[] data = pattern(4 * BS, 6);
    long src = file("/src", data);
    long dst = fs.create("/dst", 0644, O_RDWR, ME);
    fs.seal(src, 0, 0, 0, null, ME);
    assertEquals(data.length, copy(src, 0, dst, 0, Long.MAX_VALUE));
    assertArrayEquals(data, contents(dst));
    assertEquals(0, layout(src).get(0).flags(), "a sealed source copies bytes");
    assertNotEquals(layout(src).get(0).physical(), layout(dst).get(0).physical());
    fs.unseal(src);
    fs.seal(dst, SealFs.SEAL_ASIS, 0, 0, null, ME);
    assertEquals(Errno.ETXTBSY, errno(() -> fs.core().copyRange(src, 0, dst, 0, BS, () -> ME)));
    assertArrayEquals(data, contents(dst));
  }

  @Test
  void strictRefusesPrepareUnsharesAsisFreezes() {
    byte[] data = pattern(4 * BS, 7);
    long a = file("/a", data);
    long b = fs.create("/b", 0644, O_RDWR, ME);
    copy(a, 0, b, 0, Long.MAX_VALUE);
    long shared = layout(a).get(0).physical();
    assertEquals(Errno.EPERM, errno(() -> fs.seal(b, 0, 0, 0, null, ME)));
    fs.seal(b, SealFs.SEAL_PREPARE, 0, 0, null, ME);
    assertEquals(0, layout(b).get(0).flags(), "prepare unshares");
    assertNotEquals(shared, layout(b).get(0).physical());
    assertArrayEquals(data, contents(b));
    fs.unseal(b);
    long c = fs.create("/c", 0644, O_RDWR, ME);
    copy(a, 0, c, 0, Long.MAX_VALUE);
    fs.seal(c, SealFs.SEAL_ASIS, 0, 0, null, ME);
    long gen = fs.sealStatus(c).generation();
    assertEquals(Errno.ETXTBSY,
        errno(() -> fs.write(c, ByteBuffer.wrap(new byte[] {9}), 0)));
    assertEquals(LayoutExtent.SHARED, layout(c).get(0).flags(), "asis keeps them shared");
    fs.write(a, ByteBuffer.wrap(new byte[] {9}), 0); // the other sharer copies on write
    fs.release(a);
    fs.unlink("/a");
    assertEquals(shared, layout(c).get(0).physical(), "the sealed file's blocks stay");
    assertEquals(gen, fs.sealStatus(c).generation());
    assertArrayEquals(data, contents(c));
    fs.unseal(c);
    fs.seal(c, 0, 0, 0, null, ME); // strict: the sole sharer's extent is written in place
    assertEquals(shared, layout(c).get(0).physical());
    assertEquals(0, layout(c).get(0).flags());
  }

  @Test
  void sharesSurviveRemountAndCrashAndFsckCountsThem() {
    byte[] data = pattern(6 * BS, 8);
    long src = file("/src", data);
    long dst = fs.create("/dst", 0644, O_RDWR, ME);
    copy(src, 0, dst, 0, Long.MAX_VALUE);
    fs.fsync(dst, false);
    fs.crashForTest();
    fs = PathFs.open(img, false);
    fs.core().verifyForTest();
    long again = fs.open("/dst", O_RDWR, ME);
    assertArrayEquals(data, contents(again));
    assertEquals(LayoutExtent.SHARED, layout(again).get(0).flags());
    fs.release(again);
    fs.close();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, Fsck.run(img, false, new PrintStream(out), new PrintStream(out)));
    assertTrue(out.toString().contains("shared extents: 6 blocks, 12 references"),
        out::toString);
    fs = PathFs.open(img, false);
  }

  @Test
  void aVersionOneImageMountsAndBecomesVersionTwo() {
    long fh = file("/old", pattern(BS, 9));
    fs.release(fh);
    fs.close();
    fs = null;
    Superblock sb;
    try (Device d = Device.open(img, false)) {
      sb = Loader.readSuperblock(d);
      Superblock v1 = new Superblock(sb.blockSize(), sb.totalBlocks(), sb.journalStart(),
          sb.journalBlocks(), sb.dataStart(), sb.dataBlocks(), sb.uuid(), sb.seq(),
          sb.journalSeq(), sb.checkpointBytes(), sb.checkpointCrc(), sb.checkpointRuns(),
          sb.createdNs(), sb.reserveBlocks(), 1);
      d.write(ByteBuffer.wrap(v1.encode()), (sb.seq() % 2) * (long) sb.blockSize());
      d.force();
    }
    try (Device d = Device.open(img, true)) {
      assertEquals(1, Loader.readSuperblock(d).version());
    }
    fs = PathFs.open(img, false);
    long again = fs.open("/old", 0, ME);
    assertArrayEquals(pattern(BS, 9), contents(again));
    fs.release(again);
    try (Device d = Device.open(img, true)) {
      assertEquals(Superblock.VERSION, Loader.readSuperblock(d).version(),
          "a writable mount upgrades the format at once");
    }
  }
}
