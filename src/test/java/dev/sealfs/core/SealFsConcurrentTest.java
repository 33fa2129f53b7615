package dev.sealfs.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The random-operation test on many threads at once. Each thread owns a few files and runs
 * random copy_file_ranges between them (shared blocks, copy on write), writes, truncates, punches, zero ranges, preallocations, fsyncs and seal checks on
 * them against its own model (byte for byte after every step); all threads also churn one
 * shared directory (create, write, unlink, rename, link, mkdir, rmdir) where they race on the
 * same names. After each run: every file equals its model, no device block has two owners
 * (shared blocks: the live counts equal what the maps say),
 * owned plus free blocks is the whole data area, fsck is clean, and after a remount the same.
 */
class SealFsConcurrentTest {
  private static final Caller ME = new Caller(0, 0, 1);
  private static final int FILES = 2;
  private static final int MAX = 200_000;
  private static final int STEPS = 400;
  /** Answers the shared-directory races may give. */
  private static final Set<Errno> RACES = Set.of(Errno.EEXIST, Errno.ENOENT, Errno.ENOTEMPTY,
      Errno.EISDIR, Errno.ENOTDIR);

  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({"1, 4, 4096", "2, 8, 4096", "3, 4, 1024", "4, 8, 8192"})
  void concurrentRandomOpsMatchTheModel(long seed, int threads, int bs) throws Exception {
    Path img = dir.resolve("c.img");
    Mkfs.run(img, 96L << 20, bs, true, false);
    PathFs fs = PathFs.open(img, false);
    fs.mkdir("/shared", 0755, ME);
    byte[][][] models = new byte[threads][FILES][];
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int me = t;
      Thread w = new Thread(() -> {
        try {
          start.await();
          models[me] = work(fs, me, new Random(seed * 1000 + me));
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }, "worker-" + t);
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join();
    }
    if (failure.get() != null) {
      throw new AssertionError("a worker failed", failure.get());
    }
    checkAll(fs, models, threads, "after the run");
    fs.core().verifyForTest();
    fs.close();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, Fsck.run(img, false, new PrintStream(out), new PrintStream(out)),
        out::toString);
    try (PathFs again = PathFs.open(img, false)) {
      checkAll(again, models, threads, "after a remount");
      again.core().verifyForTest();
    }
  }

  /** One worker's run: its own files against its model, plus shared-directory churn. */
  private static byte[][] work(PathFs fs, int me, Random rnd) {
    byte[][] model = new byte[FILES][0];
    long[] fh = new long[FILES];
    for (int f = 0; f < FILES; f++) {
      fh[f] = fs.create(path(me, f), 0644, 2, ME);
    }
    for (int step = 0; step < STEPS; step++) {
      int f = rnd.nextInt(FILES);
      int kind = rnd.nextInt(100);
      byte[] m = model[f];
      String op;
      if (kind < 8) {
        int g = rnd.nextInt(FILES);
        byte[] from = g == f ? m : model[g];
        int offIn = rnd.nextInt(MAX / 4096) * 4096;
        int offOut = rnd.nextInt(MAX / 4096) * 4096 + (rnd.nextInt(4) == 0 ? 512 : 0);
        long len = rnd.nextBoolean() ? Math.max(1, MAX - offOut) : 1 + rnd.nextInt(60_000);
        int n = (int) Math.max(0, Math.min(len, from.length - (long) offIn));
        op = "copy_file_range f" + g + " " + offIn + " -> " + offOut + " " + len;
        if (g != f || n == 0 || offIn >= offOut + n || offOut >= offIn + n) {
          byte[] bytes = Arrays.copyOfRange(from, Math.min(offIn, from.length),
              Math.min(offIn, from.length) + n);
          assertEquals(n, SealFsRandomTest.copyAll(fs, fh[g], offIn, fh[f], offOut, len), op);
          if (n > 0) {
            m = Arrays.copyOf(m, Math.max(m.length, offOut + n));
            System.arraycopy(bytes, 0, m, offOut, n);
          }
        }
      } else if (kind < 35) {
        int off = rnd.nextInt(MAX);
        byte[] data = new byte[1 + rnd.nextInt(20_000)];
        rnd.nextBytes(data);
        op = "pwrite " + off + " " + data.length;
        assertEquals(data.length, fs.write(fh[f], ByteBuffer.wrap(data), off), op);
        if (off + data.length > m.length) {
          m = Arrays.copyOf(m, off + data.length);
        }
        System.arraycopy(data, 0, m, off, data.length);
      } else if (kind < 43) {
        int size = rnd.nextInt(MAX);
        op = "truncate " + size;
        fs.ftruncate(fh[f], size);
        m = Arrays.copyOf(m, size);
      } else if (kind < 50) {
        int off = rnd.nextInt(MAX);
        int len = 1 + rnd.nextInt(50_000);
        op = "punch " + off + " " + len;
        fs.fallocate(fh[f], 3, off, len);
        Arrays.fill(m, Math.min(off, m.length), Math.min(off + len, m.length), (byte) 0);
      } else if (kind < 56) {
        int off = rnd.nextInt(MAX);
        int len = 1 + rnd.nextInt(50_000);
        op = "zero " + off + " " + len;
        fs.fallocate(fh[f], 0x10, off, len);
        if (off + len > m.length) {
          m = Arrays.copyOf(m, off + len);
        }
        Arrays.fill(m, off, off + len, (byte) 0);
      } else if (kind < 61) {
        int off = rnd.nextInt(MAX);
        int len = 1 + rnd.nextInt(50_000);
        op = "falloc keep " + off + " " + len;
        fs.fallocate(fh[f], 1, off, len);
      } else if (kind < 65) {
        op = "fsync";
        fs.fsync(fh[f], rnd.nextBoolean());
      } else if (kind < 69) {
        op = "seal asis, truncate refused, unseal";
        fs.seal(fh[f], SealFs.SEAL_ASIS, 0, 0, null, ME);
        Errno e = SealFsRandomTest.errno(() -> fs.ftruncate(fh[f], 0));
        if (e != Errno.ETXTBSY) {
          fail(op + ": truncate of a sealed file answered " + e);
        }
        fs.unseal(fh[f]);
      } else {
        op = "shared";
        shared(fs, me, rnd);
      }
      model[f] = m;
      check(fs, fh[f], m, "thread " + me + " step " + step + " file " + f + " " + op);
    }
    for (int f = 0; f < FILES; f++) {
      fs.release(fh[f]);
    }
    return model;
  }

  /** One racing change in the shared directory; the answers of a lost race are allowed. */
  private static void shared(PathFs fs, int me, Random rnd) {
    String a = "/shared/n" + rnd.nextInt(12);
    String b = "/shared/n" + rnd.nextInt(12);
    String d = "/shared/d" + rnd.nextInt(4);
    try {
      switch (rnd.nextInt(7)) {
        case 0 -> {
          long h = fs.create(a, 0644, 2 | 0100, ME);
          byte[] data = new byte[1 + rnd.nextInt(30_000)];
          fs.write(h, ByteBuffer.wrap(data), rnd.nextInt(50_000));
          fs.release(h);
        }
        case 1 -> fs.unlink(a);
        case 2 -> fs.rename(a, b);
        case 3 -> fs.link(a, b);
        case 4 -> fs.mkdir(d, 0755, ME);
        case 5 -> fs.rmdir(d);
        default -> fs.rename(a, d + "/x" + me);
      }
    } catch (FsException e) {
      if (!RACES.contains(e.errno())) {
        throw e;
      }
    }
  }

  private static String path(int thread, int file) {
    return "/t" + thread + "f" + file;
  }

  private static void checkAll(PathFs fs, byte[][][] models, int threads, String when) {
    for (int t = 0; t < threads; t++) {
      for (int f = 0; f < FILES; f++) {
        long h = fs.open(path(t, f), 0, ME);
        try {
          check(fs, h, models[t][f], when + ": " + path(t, f));
        } finally {
          fs.release(h);
        }
      }
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
