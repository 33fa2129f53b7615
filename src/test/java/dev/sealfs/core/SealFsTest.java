package dev.sealfs.core;

import dev.sealfs.core.commit.Loader;
import dev.sealfs.core.device.Device;
import dev.sealfs.core.journal.Superblock;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The core without FUSE: files, persistence, crash recovery and the seal rules. */
class SealFsTest {
  private static final Caller ME = new Caller(1000, 1000, 42);
  private static final int O_RDWR = 2;

  @TempDir Path dir;

  private Path image(int blockSize, long size) {
    Path img = dir.resolve("fs.img");
    Mkfs.run(img, size, blockSize, true, false);
    return img;
  }

  private static byte[] pattern(int len, int seed) {
    byte[] b = new byte[len];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static void write(PathFs fs, long fh, byte[] data, long off) {
    assertEquals(data.length, fs.write(fh, ByteBuffer.wrap(data), off));
  }

  private static byte[] read(PathFs fs, long fh, long off, int len) {
    ByteBuffer b = ByteBuffer.allocate(len);
    int n = fs.read(fh, b, off);
    return Arrays.copyOf(b.array(), n);
  }

  private static Errno errno(Runnable r) {
    return assertThrows(FsException.class, r::run).errno();
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, 4096, 65536})
  void dataSurvivesUnmountAndMount(int bs) {
    Path img = image(bs, 32L << 20);
    byte[] data = pattern(300_000, bs);
    try (PathFs fs = PathFs.open(img, false)) {
      fs.mkdir("/d", 0755, ME);
      long fh = fs.create("/d/f", 0644, O_RDWR, ME);
      write(fs, fh, data, 12345);
      fs.setxattr("/d/f", "user.k", "v".getBytes(), 0);
      fs.symlink("f", "/d/l", ME);
      fs.link("/d/f", "/d/g");
      fs.release(fh);
    }
    try (PathFs fs = PathFs.open(img, false)) {
      long fh = fs.open("/d/g", 0, ME);
      assertArrayEquals(data, read(fs, fh, 12345, data.length));
      assertArrayEquals(new byte[12345], read(fs, fh, 0, 12345));
      assertEquals(2, fs.getattr("/d/f").nlink());
      assertEquals(1000, fs.getattr("/d/f").uid());
      assertEquals("f", fs.readlink("/d/l"));
      assertArrayEquals("v".getBytes(), fs.getxattr("/d/f", "user.k"));
      fs.release(fh);
    }
  }

  @Test
  void fsyncedDataSurvivesACrash() {
    Path img = image(4096, 32L << 20);
    byte[] data = pattern(50_000, 7);
    PathFs fs = PathFs.open(img, false);
    long fh = fs.create("/a", 0644, O_RDWR, ME);
    write(fs, fh, data, 0);
    fs.fsync(fh, false);
    fs.crashForTest();
    try (PathFs again = PathFs.open(img, false)) {
      long h = again.open("/a", 0, ME);
      assertArrayEquals(data, read(again, h, 0, data.length));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, Fsck.run(img, false, new PrintStream(out), new PrintStream(out)), out::toString);
  }

  @Test
  void sparseFilesUseNoSpaceAndTruncateFrees() {
    Path img = image(4096, 64L << 20);
    try (PathFs fs = PathFs.open(img, false)) {
      long free0 = fs.statfs().freeBlocks();
      long fh = fs.create("/s", 0644, O_RDWR, ME);
      fs.ftruncate(fh, 1L << 30);
      write(fs, fh, new byte[] {1}, (1L << 30) - 1);
      assertEquals(8, fs.getattr("/s").blocks512());
      write(fs, fh, new byte[1 << 20], 0);
      assertEquals(free0 - 257, fs.statfs().freeBlocks());
      fs.ftruncate(fh, 0);
      assertEquals(free0, fs.statfs().freeBlocks());
      assertEquals(0, fs.getattr("/s").blocks512());
    }
  }

  @Test
  void punchAndZeroRangeReadZeros() {
    Path img = image(4096, 32L << 20);
    try (PathFs fs = PathFs.open(img, false)) {
      long fh = fs.create("/p", 0644, O_RDWR, ME);
      byte[] data = pattern(65536, 3);
      write(fs, fh, data, 0);
      fs.fallocate(fh, SealFs.FALLOC_FL_PUNCH_HOLE | SealFs.FALLOC_FL_KEEP_SIZE, 1000, 10000);
      fs.fallocate(fh, SealFs.FALLOC_FL_ZERO_RANGE, 30000, 5000);
      byte[] want = data.clone();
      Arrays.fill(want, 1000, 11000, (byte) 0);
      Arrays.fill(want, 30000, 35000, (byte) 0);
      assertArrayEquals(want, read(fs, fh, 0, 65536));
      assertEquals(65536, fs.getattr("/p").size());
    }
  }

  @Test
  void sealRefusesEveryMapChangeAndAllowsInPlaceWrites() {
    Path img = image(4096, 32L << 20);
    try (PathFs fs = PathFs.open(img, false)) {
      long fh = fs.create("/f", 0644, O_RDWR, ME);
      fs.ftruncate(fh, 40960);
      assertEquals(Errno.EPERM, errno(() -> fs.seal(fh, 0, 0, 0, null, ME)));
      SealResult r = fs.seal(fh, SealFs.SEAL_PREPARE, 0, 0, null, ME);
      assertEquals(1, r.holders());
      assertEquals(r, fs.seal(fh, SealFs.SEAL_PREPARE, 0, 0, null, ME));
      assertEquals(Errno.ETXTBSY, errno(() -> fs.ftruncate(fh, 40960)));
      assertEquals(Errno.ETXTBSY, errno(() -> fs.truncate("/f", 0)));
      for (int mode : new int[] {0, 1, 3, 0x10, 0x11, 0x8, 0x20}) {
        assertEquals(Errno.ETXTBSY, errno(() -> fs.fallocate(fh, mode, 0, 4096)));
      }
      assertEquals(Errno.ETXTBSY, errno(() -> write(fs, fh, new byte[10], 40955)));
      assertEquals(40960, fs.getattr("/f").size());
      write(fs, fh, pattern(4096, 1), 4096);
      assertEquals(r.generation(), fs.sealStatus(fh).generation());
      LayoutPage page = fs.layout(fh, 0);
      assertTrue(page.last() && page.sealed());
      assertEquals(40960, page.extents().stream().mapToLong(LayoutExtent::length).sum());
      assertEquals(Errno.EINVAL, errno(() -> fs.seal(fh, 3, 0, 0, null, ME)));
      assertEquals(Errno.EOPNOTSUPP, errno(() -> fs.seal(fh, 8, 0, 0, null, ME)));
      assertEquals(Errno.EBUSY, errno(() -> fs.seal(fh, 4, 0, 0, null, ME)));
      assertEquals(Errno.EINVAL, errno(() -> fs.seal(fh, 0, 1, 0, null, ME)));
      assertEquals(Errno.EACCES, errno(() -> fs.seal(fh, 0, 0, 0, null, new Caller(7, 7, 1))));
      fs.unseal(fh);
      fs.ftruncate(fh, 0);
      assertTrue(fs.sealStatus(fh).generation() > r.generation());
    }
  }

  @Test
  void layoutStartIsUnsigned() {
    Path img = image(4096, 32L << 20);
    try (PathFs fs = PathFs.open(img, false)) {
      long fh = fs.create("/f", 0644, O_RDWR, ME);
      write(fs, fh, pattern(8192, 3), 0);
      assertEquals(1, fs.layout(fh, 0).extents().size());
      for (long start : new long[] {-6, Long.MIN_VALUE, 1L << 40}) {
        LayoutPage page = fs.layout(fh, start);
        assertTrue(page.last(), "start " + Long.toUnsignedString(start));
        assertEquals(0, page.extents().size(), "start " + Long.toUnsignedString(start));
      }
      fs.release(fh);
    }
  }

  @Test
  void sealedOrphanKeepsItsBlocksUntilRelease() {
    Path img = image(4096, 32L << 20);
    try (PathFs fs = PathFs.open(img, false)) {
      long free0 = fs.statfs().freeBlocks();
      long fh = fs.create("/o", 0644, O_RDWR, ME);
      write(fs, fh, pattern(1 << 20, 5), 0);
      fs.seal(fh, 0, 0, 0, null, ME);
      fs.unlink("/o");
      fs.syncAll();
      assertEquals(free0 - 256, fs.statfs().freeBlocks());
      long other = fs.create("/fill", 0644, O_RDWR, ME);
      Errno e = null;
      for (long off = 0; e == null; off += 1 << 20) {
        try {
          write(fs, other, new byte[1 << 20], off);
        } catch (FsException x) {
          e = x.errno();
        }
      }
      assertEquals(Errno.ENOSPC, e);
      assertArrayEquals(pattern(1 << 20, 5), read(fs, fh, 0, 1 << 20));
      fs.release(fh);
      fs.release(other);
      fs.unlink("/fill");
      fs.syncAll();
      assertEquals(free0, fs.statfs().freeBlocks());
    }
  }

  @Test
  void foreignAndDamagedImagesAreRefusedWithOneLine() throws Exception {
    Path junk = dir.resolve("junk.img");
    Files.write(junk, new byte[1 << 20]);
    FsException e = assertThrows(FsException.class, () -> PathFs.open(junk, false));
    assertTrue(e.getMessage().contains("not a sealfs filesystem"), e.getMessage());
    Path img = image(4096, 16L << 20);
    assertThrows(FsException.class, () -> Mkfs.run(img, 0, 4096, false, false));
    byte[] all = Files.readAllBytes(img);
    all[100] ^= 1;
    all[4096 + 100] ^= 1;
    Files.write(img, all);
    FsException d = assertThrows(FsException.class, () -> PathFs.open(img, false));
    assertEquals(Errno.EUCLEAN, d.errno());
    assertTrue(!d.getMessage().contains("\n"));
  }

  @Test
  void renameFollowsPosixRules() {
    Path img = image(4096, 16L << 20);
    try (PathFs fs = PathFs.open(img, false)) {
      fs.mkdir("/a", 0755, ME);
      fs.mkdir("/a/b", 0755, ME);
      fs.mkdir("/c", 0755, ME);
      fs.release(fs.create("/c/x", 0644, O_RDWR, ME));
      fs.release(fs.create("/f", 0644, O_RDWR, ME));
      assertEquals(Errno.EINVAL, errno(() -> fs.rename("/a", "/a/b/z")));
      assertEquals(Errno.ENOTEMPTY, errno(() -> fs.rename("/a", "/c")));
      assertEquals(Errno.ENOTDIR, errno(() -> fs.rename("/a", "/f")));
      assertEquals(Errno.EISDIR, errno(() -> fs.rename("/f", "/a")));
      assertEquals(4, fs.getattr("/").nlink());
      fs.rename("/a/b", "/c/b");
      assertEquals(2, fs.getattr("/a").nlink());
      assertEquals(3, fs.getattr("/c").nlink());
      fs.rename("/f", "/c/x");
      assertEquals(Errno.ENOENT, errno(() -> fs.getattr("/f")));
      assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.mkdir("/" + "n".repeat(256), 0755, ME)));
      fs.mkdir("/" + "n".repeat(255), 0755, ME);
    }
  }

  @Test
  void damagedJournalRecordBeforeCommittedGroupsIsRefusedAndRepairable() throws Exception {
    Path img = image(4096, 16L << 20);
    PathFs fs = PathFs.open(img, false);
    for (int n = 0; n < 3; n++) {
      fs.release(fs.create("/f" + n, 0644, O_RDWR, ME));
      fs.syncAll();
    }
    fs.crashForTest();
    Superblock sb;
    try (Device d = Device.open(img, true)) {
      sb = Loader.readSuperblock(d);
    }
    byte[] all = Files.readAllBytes(img);
    all[(int) (sb.journalStart() * 4096) + 30] ^= 0x55;
    Files.write(img, all);
    FsException e = assertThrows(FsException.class, () -> PathFs.open(img, false));
    assertTrue(e.getMessage().contains("journal"), e.getMessage());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(4, Fsck.run(img, false, new PrintStream(out), new PrintStream(out)),
        out::toString);
    assertEquals(1, Fsck.run(img, true, new PrintStream(out), new PrintStream(out)),
        out::toString);
    assertEquals(0, Fsck.run(img, false, new PrintStream(out), new PrintStream(out)),
        out::toString);
    try (PathFs again = PathFs.open(img, false)) {
      again.readdir("/");
    }
  }

  @Test
  void mkfsOverAnOldFilesystemLeavesNoJournalBehind() {
    Path img = image(4096, 16L << 20);
    for (int round = 0; round < 8; round++) {
      PathFs fs = PathFs.open(img, false);
      for (int n = 0; n < 5; n++) {
        fs.release(fs.create("/f" + n, 0644, O_RDWR, ME));
        fs.syncAll();
      }
      fs.crashForTest();
      Mkfs.run(img, 0, 4096, true, false);
      try (PathFs fresh = PathFs.open(img, false)) {
        assertEquals(2, fresh.readdir("/").size());
      }
    }
  }

  @Test
  void modifyingAFileDropsSetuidAndGroupExecutableSetgidForNonRootCallers() {
    Path img = image(4096, 8L << 20);
    try (PathFs fs = PathFs.open(img, false)) {
      long fh = fs.create("/f", 0644, O_RDWR, ME);
      fs.chmod("/f", 06755);
      write(fs, fh, pattern(10, 1), 0);
      assertEquals(06755, fs.getattr("/f").mode() & 07777, "a root write keeps the bits");
      fs.write(fh, ByteBuffer.wrap(pattern(10, 2)), 5, () -> ME);
      assertEquals(0755, fs.getattr("/f").mode() & 07777, "a non-root write drops both");

      fs.chmod("/f", 06745);
      fs.ftruncate(fh, 3, ME);
      assertEquals(02745, fs.getattr("/f").mode() & 07777, "setgid without g+x stays (in group)");
      fs.ftruncate(fh, 3, new Caller(1000, 1001, 1));
      assertEquals(0745, fs.getattr("/f").mode() & 07777, "...unless outside the group");

      fs.chmod("/f", 06755);
      fs.truncate("/f", 2, Caller.ROOT);
      assertEquals(06755, fs.getattr("/f").mode() & 07777, "a root truncate keeps the bits");
      fs.truncate("/f", 1, ME);
      assertEquals(0755, fs.getattr("/f").mode() & 07777, "a non-root truncate drops both");

      fs.chmod("/f", 06755);
      fs.fallocate(fh, 0, 0, 8192, ME);
      assertEquals(0755, fs.getattr("/f").mode() & 07777, "a non-root fallocate drops both");

      fs.chmod("/f", 06755);
      fs.chown("/f", -1, 7);
      assertEquals(0755, fs.getattr("/f").mode() & 07777, "chown drops both, even by root");
      fs.release(fh);

      fs.mkdir("/d", 0755, ME);
      fs.chmod("/d", 06755);
      fs.chown("/d", 5, 5);
      assertEquals(06755, fs.getattr("/d").mode() & 07777, "directories keep them");
    }
    try (PathFs fs = PathFs.open(img, false)) {
      assertEquals(0755, fs.getattr("/f").mode() & 07777, "the dropped bits stay dropped");
    }
  }

  @Test
  void aRefusedTruncateKeepsThePrivilegeBits() {
    Path img = image(4096, 8L << 20);
    try (PathFs fs = PathFs.open(img, false)) {
      fs.mkdir("/d", 0755, ME);
      fs.chmod("/d", 06755);
      assertEquals(Errno.EISDIR, errno(() -> fs.truncate("/d", 0, ME)));
      assertEquals(06755, fs.getattr("/d").mode() & 07777);
    }
  }

  @Test
  void readlinkUpdatesAtimeLikeRelatime() {
    Path img = image(4096, 16L << 20);
    try (PathFs fs = PathFs.open(img, false)) {
      fs.symlink("target", "/l", ME);
      fs.utimens("/l", 1_000L, 2_000L);
      assertEquals("target", fs.readlink("/l"));
      long atime = fs.getattr("/l").atimeNs();
      assertTrue(atime > 2_000L, "atime older than mtime is updated by readlink");
      assertEquals("target", fs.readlink("/l"));
      assertEquals(atime, fs.getattr("/l").atimeNs(), "a second readlink leaves atime alone");
    }
  }

  @Test
  void namesAreByteStringsAndSurviveRemount() {
    Path img = image(4096, 16L << 20);
    String latin1 = "caf\u00e9";                      // the single byte 0xE9: not UTF-8
    String utf8 = "caf\u00c3\u00a9";                  // the two bytes of UTF-8 e-acute
    String highBytes = "\u00ff".repeat(255);          // 255 bytes, each 0xFF
    String target = "\u00e9".repeat(SealFs.PATH_MAX - 1);
    try (PathFs fs = PathFs.open(img, false)) {
      fs.release(fs.create("/" + latin1, 0644, O_RDWR, ME));
      fs.release(fs.create("/" + utf8, 0644, O_RDWR, ME));
      fs.mkdir("/" + highBytes, 0755, ME);
      fs.symlink(target, "/l", ME);
      assertEquals(SealFs.PATH_MAX - 1, fs.getattr("/l").size());
      assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.mkdir("/" + highBytes + "x", 0755, ME)));
      assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.symlink(target + "x", "/m", ME)));
      fs.setxattr("/l", "user.\u00ff", new byte[] {1}, 0);
    }
    try (PathFs fs = PathFs.open(img, false)) {
      fs.getattr("/" + latin1);
      fs.getattr("/" + utf8);
      fs.getattr("/" + highBytes);
      assertEquals(target, fs.readlink("/l"));
      assertArrayEquals(new byte[] {1}, fs.getxattr("/l", "user.\u00ff"));
      assertEquals(6, fs.readdir("/").size());
    }
  }
}
