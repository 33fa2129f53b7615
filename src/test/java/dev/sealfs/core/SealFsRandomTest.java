package dev.sealfs.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Random operations on a few files, compared byte for byte with an in-memory model after every
 * step; with remounts and simulated daemon crashes right after an fsync (whatever was fsync'd
 * must be there, byte for byte, after journal replay).
 */
class SealFsRandomTest {
  private static final Caller ME = new Caller(0, 0, 1);
  private static final int FILES = 3;
  private static final int MAX = 300_000;

  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({"1, 1024", "2, 4096", "3, 4096", "4, 8192"})
  void randomOpsMatchModel(long seed, int bs) {
    Path img = dir.resolve("r.img");
    Mkfs.run(img, 24L << 20, bs, true, false);
    Random rnd = new Random(seed);
    byte[][] model = new byte[FILES][0];
    byte[][] durable = new byte[FILES][0];
    PathFs fs = PathFs.open(img, false);
    long[] fh = new long[FILES];
    for (int f = 0; f < FILES; f++) {
      fh[f] = fs.create("/f" + f, 0644, 2, ME);
    }
    fs.syncAll();
    String op = "";
    try {
      for (int step = 0; step < 1500; step++) {
        int f = rnd.nextInt(FILES);
        int kind = rnd.nextInt(100);
        byte[] m = model[f];
        if (kind < 40) {
          int off = rnd.nextInt(MAX);
          int len = 1 + rnd.nextInt(20_000);
          byte[] data = new byte[len];
          rnd.nextBytes(data);
          op = "pwrite " + off + " " + len;
          fs.write(fh[f], ByteBuffer.wrap(data), off);
          if (off + len > m.length) {
            m = Arrays.copyOf(m, off + len);
          }
          System.arraycopy(data, 0, m, off, len);
        } else if (kind < 50) {
          int size = rnd.nextInt(MAX);
          op = "truncate " + size;
          fs.ftruncate(fh[f], size);
          m = Arrays.copyOf(m, size);
        } else if (kind < 60) {
          int off = rnd.nextInt(MAX);
          int len = 1 + rnd.nextInt(50_000);
          op = "punch " + off + " " + len;
          fs.fallocate(fh[f], 3, off, len);
          Arrays.fill(m, Math.min(off, m.length), Math.min(off + len, m.length), (byte) 0);
        } else if (kind < 70) {
          int off = rnd.nextInt(MAX);
          int len = 1 + rnd.nextInt(50_000);
          boolean keep = rnd.nextBoolean();
          op = "zero " + off + " " + len + " keep=" + keep;
          fs.fallocate(fh[f], keep ? 0x11 : 0x10, off, len);
          if (!keep && off + len > m.length) {
            m = Arrays.copyOf(m, off + len);
          }
          Arrays.fill(m, Math.min(off, m.length), Math.min(off + len, m.length), (byte) 0);
        } else if (kind < 78) {
          int off = rnd.nextInt(MAX);
          int len = 1 + rnd.nextInt(50_000);
          boolean keep = rnd.nextBoolean();
          op = "falloc " + off + " " + len + " keep=" + keep;
          fs.fallocate(fh[f], keep ? 1 : 0, off, len);
          if (!keep && off + len > m.length) {
            m = Arrays.copyOf(m, off + len);
          }
        } else if (kind < 86) {
          op = "fsync";
          fs.fsync(fh[f], false);
          for (int g = 0; g < FILES; g++) {
            durable[g] = model[g] == m ? m.clone() : model[g].clone();
          }
          durable[f] = m.clone();
        } else if (kind < 93) {
          op = "remount";
          fs.close();
          fs = PathFs.open(img, false);
          for (int g = 0; g < FILES; g++) {
            fh[g] = fs.open("/f" + g, 2, ME);
          }
          for (int g = 0; g < FILES; g++) {
            durable[g] = (g == f ? m : model[g]).clone();
          }
        } else {
          op = "fsync+crash";
          fs.fsync(fh[f], true);
          model[f] = m;
          for (int g = 0; g < FILES; g++) {
            durable[g] = model[g].clone();
          }
          fs.crashForTest();
          fs = PathFs.open(img, false);
          for (int g = 0; g < FILES; g++) {
            fh[g] = fs.open("/f" + g, 2, ME);
            model[g] = durable[g].clone();
          }
          m = model[f];
        }
        model[f] = m;
        for (int g = 0; g < FILES; g++) {
          check(fs, fh[g], model[g], "seed " + seed + " step " + step + " file " + g + " " + op);
        }
      }
    } finally {
      fs.close();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, Fsck.run(img, false, new PrintStream(out), new PrintStream(out)),
        out::toString);
  }

  private static void check(PathFs fs, long fh, byte[] want, String where) {
    assertEquals(want.length, fs.fgetattr(fh).size(), where + ": size");
    ByteBuffer b = ByteBuffer.allocate(want.length + 10);
    int n = fs.read(fh, b, 0);
    if (n != want.length) {
      fail(where + ": read " + n + " of " + want.length);
    }
    assertArrayEquals(want, Arrays.copyOf(b.array(), n), where);
  }
}
