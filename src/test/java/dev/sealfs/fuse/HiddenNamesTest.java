package dev.sealfs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sealfs.core.Caller;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.Mkfs;
import dev.sealfs.core.PathFs;
import dev.sealfs.core.SealFs;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** libfuse's .fuse_hidden convention, as the jnr-fuse adapter keeps it over the core. */
class HiddenNamesTest {
  private static final Caller ME = new Caller(1000, 1000, 42);
  private static final String HIDDEN = "/d/.fuse_hidden0000000200000001";

  @TempDir Path dir;

  private static byte[] pattern(int len, int seed) {
    byte[] b = new byte[len];
    new Random(seed).nextBytes(b);
    return b;
  }

  private SealFs mount() {
    Path img = dir.resolve("fs.img");
    Mkfs.run(img, 16L << 20, 4096, true, false);
    return SealFs.open(img, false);
  }

  private static Errno errno(Runnable r) {
    return assertThrows(FsException.class, r::run).errno();
  }

  @Test
  void hiddenRenameActsAsUnlinkOfAnOpenFile() {
    try (SealFs core = mount()) {
      HiddenNames hidden = new HiddenNames(core);
      PathFs fs = hidden.paths();
      fs.mkdir("/d", 0755, ME);
      long fh = fs.create("/d/f", 0644, 2, ME);
      assertEquals(10000, fs.write(fh, ByteBuffer.wrap(pattern(10000, 9)), 0));
      hidden.rename("/d/f", HIDDEN);
      assertEquals(0, fs.getattr(HIDDEN).nlink());
      assertEquals(2, fs.readdir("/d").size());
      fs.rmdir("/d");
      assertEquals(0, fs.getattr(HIDDEN).nlink());
      ByteBuffer b = ByteBuffer.allocate(10000);
      assertEquals(10000, fs.read(fh, b, 0));
      assertArrayEquals(pattern(10000, 9), Arrays.copyOf(b.array(), 10000));
      long before = fs.statfs().freeBlocks();
      fs.release(fh);
      hidden.unlink(HIDDEN);
      assertEquals(Errno.ENOENT, errno(() -> fs.getattr(HIDDEN)));
      assertEquals(before + 3, fs.statfs().freeBlocks());
      assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.getattr("/" + "x".repeat(256))));
    }
  }

  @Test
  void renameOfADirectoryOrOntoAnExistingHiddenNameIsARealRename() {
    try (SealFs core = mount()) {
      HiddenNames hidden = new HiddenNames(core);
      PathFs fs = hidden.paths();
      fs.mkdir("/d", 0755, ME);
      fs.mkdir("/d/sub", 0755, ME);
      hidden.rename("/d/sub", HIDDEN);
      assertEquals(3, fs.readdir("/d").size());
      assertEquals(2, fs.getattr(HIDDEN).nlink());
      assertEquals(Errno.ENOENT, errno(() -> hidden.rename("/d/none", "/d/.fuse_hiddenX")));
    }
  }
}
