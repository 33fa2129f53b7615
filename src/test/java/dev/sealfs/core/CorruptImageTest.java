package dev.sealfs.core;

import dev.sealfs.core.commit.Loader;
import dev.sealfs.core.device.Device;
import dev.sealfs.core.journal.Superblock;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzz: corrupt the metadata of a real image at random, hundreds of times; mount and fsck must
 * answer (a clean open, or a one-line error; an fsck(8) exit code) and never crash or hang.
 */
class CorruptImageTest {
  private static final Caller ME = new Caller(0, 0, 1);

  @TempDir Path dir;

  private Path pristine() {
    Path img = dir.resolve("base.img");
    Mkfs.run(img, 8L << 20, 1024, true, false);
    PathFs fs = PathFs.open(img, false);
    for (int d = 0; d < 5; d++) {
      fs.mkdir("/d" + d, 0755, ME);
      for (int f = 0; f < 8; f++) {
        long fh = fs.create("/d" + d + "/f" + f, 0644, 2, ME);
        fs.write(fh, ByteBuffer.wrap(new byte[3000 + f * 700]), f * 5000L);
        fs.setxattr("/d" + d + "/f" + f, "user.x", new byte[] {1, 2}, 0);
        fs.release(fh);
      }
    }
    fs.close();
    fs = PathFs.open(img, false);
    for (int d = 0; d < 5; d++) {
      fs.rename("/d" + d + "/f1", "/d" + d + "/g1");
      fs.unlink("/d" + d + "/f2");
    }
    fs.syncAll();
    fs.crashForTest();
    return img;
  }

  @Test
  void randomMetadataCorruptionNeverCrashesOrHangs() throws Exception {
    Path base = pristine();
    Superblock sb;
    try (Device d = Device.open(base, true)) {
      sb = Loader.readSuperblock(d);
    }
    long metaEnd = (sb.dataStart() + 64) * sb.blockSize();
    Random rnd = new Random(20261123);
    int refused = 0;
    int opened = 0;
    for (int round = 0; round < 300; round++) {
      Path img = dir.resolve("fuzz.img");
      Files.copy(base, img, StandardCopyOption.REPLACE_EXISTING);
      byte[] all = Files.readAllBytes(img);
      int flips = 1 + rnd.nextInt(8);
      for (int k = 0; k < flips; k++) {
        long where = rnd.nextInt(4) == 0 ? rnd.nextInt(2 * sb.blockSize())
            : (long) (rnd.nextDouble() * metaEnd);
        all[(int) where] = (byte) rnd.nextInt(256);
      }
      Files.write(img, all);
      String label = "round " + round;
      boolean ok = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
        try (PathFs fs = PathFs.open(img, false)) {
          fs.readdir("/");
          return true;
        } catch (FsException e) {
          assertFalse(e.getMessage().contains("\n"), label + ": multi-line " + e.getMessage());
          return false;
        }
      }, label);
      if (ok) {
        opened++;
      } else {
        refused++;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int code = assertTimeoutPreemptively(Duration.ofSeconds(20),
          () -> Fsck.run(img, false, new PrintStream(out), new PrintStream(out)), label);
      if (code != 0 && code != 1 && code != 4 && code != 8) {
        fail(label + ": fsck exit " + code + "\n" + out);
      }
      assertFalse(out.toString().contains("\tat "), label + ": stack trace\n" + out);
    }
    assertTrue(refused > 0 && opened > 0, "refused " + refused + ", opened " + opened);
  }
}
