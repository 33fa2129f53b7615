import dev.sealfs.core.Caller;
import dev.sealfs.core.Mkfs;
import dev.sealfs.core.SealFs;
import dev.sealfs.core.device.DeviceIo;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.LongAdder;

/**
 * The core benchmark (issue 10): 4 KiB writes and 4 KiB reads at random offsets, each thread on
 * its own file, in-process over a real image file, on 1, 2 and 4 threads. Prints ops/s and the
 * speedup over one thread. Files are filled first, so the timed writes change no block map
 * (the data path proper: inode lock, device write, dirty mark).
 *
 * <p>Usage: {@code java -cp target/sealfs.jar:bench/core CoreBench DIR [SECONDS] [FILE_MIB]}
 * (bench/core.sh compiles and runs it). Environment: BENCH_DEVICE (a block device instead of an
 * image file in DIR), BENCH_DEVICE_IO (buffered, the default, direct or mmap: the mount option
 * device_io), BENCH_OPS (default "write read"), BENCH_THREADS (default "1 2 4").
 */
public final class CoreBench {
  private static final int IO = 4096;

  private CoreBench() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    long fileBytes = (args.length > 2 ? Long.parseLong(args[2]) : 64) << 20;
    int[] threadCounts = java.util.Arrays.stream(
        System.getenv().getOrDefault("BENCH_THREADS", "1 2 4").trim().split("\\s+"))
        .mapToInt(Integer::parseInt).toArray();
    String[] opNames = System.getenv().getOrDefault("BENCH_OPS", "write read").trim()
        .split("\\s+");
    DeviceIo io = DeviceIo.parse(System.getenv().getOrDefault("BENCH_DEVICE_IO", "buffered"));
    String devicePath = System.getenv("BENCH_DEVICE");
    Path img = devicePath != null ? Path.of(devicePath) : dir.resolve("core-bench.img");
    if (devicePath == null) {
      Files.deleteIfExists(img);
    }
    Mkfs.run(img, 4 * fileBytes * 2 + (256L << 20), 4096, true, false);
    try (SealFs fs = SealFs.open(img, false, io)) {
      long[] fh = new long[4];
      ByteBuffer fill = ByteBuffer.allocateDirect(1 << 20);
      for (int f = 0; f < fh.length; f++) {
        fh[f] = fs.create(SealFs.ROOT_INO, "f" + f, 0644, 2, Caller.ROOT).fh();
        for (long off = 0; off < fileBytes; off += fill.capacity()) {
          fs.write(fh[f], fill.clear(), off);
        }
      }
      fs.syncAll();
      System.out.printf("device_io=%s%n", io.optionValue());
      System.out.printf("%-6s %8s %12s %8s%n", "op", "threads", "ops/s", "speedup");
      for (String op : opNames) {
        double base = 0;
        for (int n : threadCounts) {
          double rate = run(fs, fh, n, op.equals("write"), seconds, fileBytes);
          if (base == 0) { // the first thread count (1 by default) is the base
            base = rate;
          }
          System.out.printf("%-6s %8d %12.0f %7.2fx%n", op, n, rate, rate / base);
        }
      }
      for (long h : fh) {
        fs.release(h);
      }
    }
    if (devicePath == null) {
      Files.deleteIfExists(img);
    }
  }

  /** Runs {@code n} threads, thread k on file k, for {@code seconds}; returns total ops/s. */
  private static double run(SealFs fs, long[] fh, int n, boolean write, int seconds,
      long fileBytes) throws Exception {
    LongAdder ops = new LongAdder();
    CyclicBarrier start = new CyclicBarrier(n + 1);
    long[] deadline = new long[1];
    List<Thread> threads = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      long h = fh[k];
      Thread t = new Thread(() -> {
        ByteBuffer buf = ByteBuffer.allocateDirect(IO);
        Random rnd = new Random(h);
        long blocks = fileBytes / IO;
        try {
          start.await();
          long count = 0;
          while ((count & 63) != 0 || System.nanoTime() < deadline[0]) {
            long off = (long) rnd.nextInt((int) blocks) * IO;
            buf.clear();
            if (write) {
              fs.write(h, buf, off);
            } else {
              fs.read(h, buf, off);
            }
            count++;
          }
          ops.add(count);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      threads.add(t);
      t.start();
    }
    long t0 = System.nanoTime();
    deadline[0] = t0 + seconds * 1_000_000_000L;
    start.await();
    for (Thread t : threads) {
      t.join();
    }
    return ops.sum() / ((System.nanoTime() - t0) / 1e9);
  }
}
