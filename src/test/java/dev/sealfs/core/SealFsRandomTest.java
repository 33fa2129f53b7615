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
 * step, copy_file_range among them (so blocks are shared, copied on write, let go and freed, with
 * the share counts checked against the maps every 25 steps); with remounts and simulated daemon crashes right after an fsync (whatever was fsync'd
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
        if (kind < 12) {
          int g = rnd.nextInt(FILES);
          byte[] from = g == f ? m : model[g];
          boolean aligned = rnd.nextInt(3) > 0;
          int offIn = aligned ? rnd.nextInt(MAX / bs) * bs + (rnd.nextBoolean() ? 0 : 100)
              : rnd.nextInt(MAX);
          int offOut = aligned ? rnd.nextInt(MAX / bs) * bs + offIn % bs : rnd.nextInt(MAX);
          // "to EOF" (the most a caller asks) or a piece, kept inside MAX so files stay bounded
          long len = rnd.nextBoolean() ? Math.max(1, MAX - offOut) : 1 + rnd.nextInt(60_000);
          int n = (int) Math.max(0, Math.min(len, from.length - (long) offIn));
          op = "copy_file_range f" + g + " " + offIn + " -> " + offOut + " " + len;
          if (g == f && n > 0 && offIn < offOut + n && offOut < offIn + n) {
            SealFs core = fs.core();
            assertEquals(Errno.EINVAL, errno(() -> core.copyRange(fh[g], offIn, fh[f],
                offOut, len, () -> ME)), op);
          } else {
            byte[] bytes = Arrays.copyOfRange(from, Math.min(offIn, from.length),
                Math.min(offIn, from.length) + n);
            assertEquals(n, copyAll(fs, fh[g], offIn, fh[f], offOut, len), op);
            if (n > 0) {
              m = Arrays.copyOf(m, Math.max(m.length, offOut + n));
              System.arraycopy(bytes, 0, m, offOut, n);
            }
          }
        } else if (kind < 40) {
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
        if (step % 25 == 0) {
          fs.core().verifyForTest(); // no block referenced more than its count, free count right
        }
      }
    } finally {
      fs.close();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, Fsck.run(img, false, new PrintStream(out), new PrintStream(out)),
        out::toString);
  }

  /**
   * copy_file_range of {@code len} bytes or up to the source's EOF as it was at the start, looping
   * on short counts as a caller does (cp knows the size it copies); returns bytes copied.
   */
  static long copyAll(PathFs fs, long fhIn, long offIn, long fhOut, long offOut, long len) {
    long want = Math.max(0, Math.min(len, fs.fgetattr(fhIn).size() - offIn));
    long done = 0;
    while (done < want) {
      long n = fs.core().copyRange(fhIn, offIn + done, fhOut, offOut + done, want - done,
          () -> ME);
      if (n == 0) {
        break;
      }
      done += n;
    }
    return done;
  }

  /** Runs {@code r}; returns the errno it failed with, or null if it did not fail. */
  static Errno errno(Runnable r) {
    try {
      r.run();
      return null;
    } catch (FsException e) {
      return e.errno();
    }
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
