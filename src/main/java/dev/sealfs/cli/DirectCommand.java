package dev.sealfs.cli;

import dev.sealfs.client.DirectSession;
import dev.sealfs.client.SealAbi;
import dev.sealfs.client.SealClientException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.zip.CRC32C;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sealfs direct FILE}: the SPEC 5 direct path end to end. Seals FILE (PREPARE), reads its
 * layout, opens the device and runs block I/O on the device at the file's extents; prints
 * throughput and latency percentiles. {@code --verify} checks the coherence promises of SPEC 5
 * (device writes are what a later open + read of the mount returns; a mount write + fsync is on
 * the device at the layout's offset); {@code --chaos} has other processes attack the file while
 * it is held. {@code --breakable} takes the seal as a lease (SPEC 10): a
 * {@link DirectBreakWatch} waits for POLLPRI (and reads STATUS), and when the seal begins to
 * break the I/O loop stops before its next device I/O, the seal is released, and the command
 * reports how long stopping and releasing took after it was told. Prints {@code violations=N}
 * last and exits 1 if N is not 0. The seal is always released (finally block and shutdown
 * hook).
 */
@Command(name = "direct", mixinStandardHelpOptions = true,
    description = {"Seal FILE, then read/write the device at its extents (the direct path);",
        "prints MB/s, IOPS, latency p50/p99/p999 and violations=N (exit 1 if N > 0)."})
public final class DirectCommand implements Callable<Integer> {
  /** Chunk size of the whole-file comparisons. */
  private static final int CHUNK_BYTES = 1 << 20;
  /** Blocks written through the mount by the mount-to-device check. */
  private static final int MOUNT_WRITE_SAMPLES = 16;
  /** Most I/Os one run does (the latency array holds one long per I/O). */
  private static final long MAX_OPS = 100_000_000L;

  /** The I/O mix; default mixed. */
  static final class Mix {
    /** Only reads. */
    @Option(names = "--read", description = "Only device reads.")
    boolean read;
    /** Only writes. */
    @Option(names = "--write", description = "Only device writes.")
    boolean write;
    /** Half reads, half writes (the default). */
    @Option(names = "--mixed", description = "Half reads, half writes (default).")
    boolean mixed;
  }

  /** The file to seal and drive. */
  @Parameters(index = "0", paramLabel = "FILE", description = "File on a sealfs mount.")
  Path file;

  /** Number of I/Os. */
  @Option(names = "--ops", paramLabel = "N",
      description = "Number of I/Os (default ${DEFAULT-VALUE}).")
  long ops = 10_000;

  /** Bytes per I/O. */
  @Option(names = "--block", paramLabel = "BYTES", converter = Sizes.class,
      description = "Bytes per I/O, e.g. 4096 or 1M (default 4096).")
  long blockBytes = 4096;

  /** The read/write mix. */
  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Mix mix;

  /** Sequential offsets instead of random ones. */
  @Option(names = "--seq", description = "Sequential offsets (wrapping) instead of random.")
  boolean sequential;

  /** Time bound of the I/O loop. */
  @Option(names = "--time", paramLabel = "SECONDS",
      description = "Stop the I/O loop after SECONDS even if --ops are not done (0: no bound).")
  double timeSeconds;

  /** Creates or grows the file first. */
  @Option(names = "--size", paramLabel = "SIZE", converter = Sizes.class,
      description = "Create FILE or grow it to SIZE (through the mount) before sealing.")
  Long sizeBytes;

  /** Seed of the random offsets and the mix. */
  @Option(names = "--seed", description = "Random seed (default ${DEFAULT-VALUE}).")
  long seed = 1;

  /** Run the coherence checks. */
  @Option(names = "--verify", description = "Check device/mount coherence (SPEC 5).")
  boolean verify;

  /** Run the attacking processes. */
  @Option(names = "--chaos",
      description = "Run truncate/fallocate/xfs_io/python/ln+rm against FILE while it is held.")
  boolean chaos;

  /** Take the seal as a lease that lets go when told. */
  @Option(names = "--breakable",
      description = {"Seal breakable (a lease): when a conflicting operation begins a break",
          "(POLLPRI, or STATUS), stop device I/O, release the seal and report how long it took."})
  boolean breakable;

  /** picocli's model, for the output streams. */
  @Spec
  CommandSpec spec;

  /** Per-I/O latencies in nanoseconds, filled by the loop. */
  private long[] latNs;
  /** Sequence number of the last write of each I/O block; 0 if never written. */
  private long[] lastSeq;
  /** CRC32C of each I/O block before the run (with --verify). */
  private int[] initialCrc;
  /** Violations found by the checks. */
  private long violations;
  /** Random filler the write patterns are cut from (twice the block, so any shift fits). */
  private byte[] noise;

  /** Runs the command; see the class comment. */
  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (blockBytes <= 0 || blockBytes > (64 << 20)) {
      err.println("sealfs: --block must be between 1 and 64M");
      err.flush();
      return Main.EXIT_USAGE;
    }
    if (ops < 0) {
      err.println("sealfs: --ops must not be negative");
      err.flush();
      return Main.EXIT_USAGE;
    }
    if (breakable && (verify || chaos)) {
      err.println("sealfs: --breakable cannot be combined with --verify or --chaos");
      err.flush();
      return Main.EXIT_USAGE;
    }
    try {
      if (sizeBytes != null) {
        grow(file, sizeBytes);
      }
    } catch (IOException e) {
      err.println("sealfs: cannot size " + file + ": " + e.getMessage());
      err.flush();
      return Main.EXIT_FAILURE;
    }
    DirectSession s;
    try {
      s = DirectSession.open(file, SealAbi.SEAL_PREPARE
          | (breakable ? SealAbi.SEAL_BREAKABLE : 0));
    } catch (SealClientException e) {
      err.println("sealfs: cannot seal " + file + " for direct access: " + e.getMessage()
          + (e.errno() == 25 ? " (not on a sealfs mount?)" : ""));
      err.flush();
      return Main.EXIT_FAILURE;
    } catch (IOException e) {
      err.println("sealfs: cannot open the device of " + file + ": " + e.getMessage());
      err.flush();
      return Main.EXIT_FAILURE;
    }
    Thread hook = new Thread(() -> closeQuietly(s, err), "sealfs-direct-release");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return run(s, out, err);
    } catch (IOException | RuntimeException e) {
      err.println("sealfs: direct I/O on " + file + " failed: " + e.getMessage());
      err.flush();
      return Main.EXIT_FAILURE;
    } finally {
      closeQuietly(s, err);
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs close() too; it is idempotent
      }
    }
  }

  /** The body: workload (with chaos alongside), checks, release, report. */
  private int run(DirectSession s, PrintWriter out, PrintWriter err) throws IOException {
    long size = s.sizeBytes();
    int block = (int) blockBytes;
    long units = size / block;
    out.printf("direct: file=%s device=%s generation=%d holders=%d extents=%d size=%d%n", file,
        s.devicePath(), s.sealResult().generation(), s.sealResult().holders(),
        s.layout().extents().size(), size);
    out.flush();
    if (units == 0) {
      err.println("sealfs: " + file + " is smaller than one --block (" + block
          + " bytes); use --size");
      err.flush();
      return Main.EXIT_FAILURE;
    }
    noise = new byte[2 * block];
    new SplittableRandom(seed ^ 0x5EA1F5L).nextBytes(noise);
    lastSeq = new long[(int) Math.min(units, Integer.MAX_VALUE - 8)];
    if (verify) {
      initialPass(s, block);
    }
    DirectChaos attacker = chaos ? new DirectChaos(file, s) : null;
    Thread chaosThread = null;
    if (attacker != null) {
      chaosThread = new Thread(attacker, "sealfs-direct-chaos");
      chaosThread.start();
    }
    DirectBreakWatch watch = breakable ? new DirectBreakWatch(s.handle()) : null;
    Thread watchThread = null;
    if (watch != null) {
      watchThread = new Thread(watch, "sealfs-direct-lease");
      watchThread.setDaemon(true);
      watchThread.start();
    }
    long t0 = System.nanoTime();
    long[] counts = workload(s, block, units, watch);
    long elapsedNs = System.nanoTime() - t0;
    if (watch != null) {
      watch.stop();
      joinUninterruptibly(watchThread); // at most one poll timeout: no poll on a closed fd
      if (watch.told()) {
        return letGo(s, watch, counts, t0, elapsedNs, block, out, err);
      }
    }
    if (attacker != null) {
      attacker.stop();
      joinUninterruptibly(chaosThread);
    }
    report(out, counts, elapsedNs, block);
    if (verify) {
      verifyHeld(s, block);
    }
    if (attacker != null) {
      out.printf("direct: chaos rounds=%d ops_per_round=%d refused_etxtbsy=%d allowed_ok=%d "
          + "skipped=%d chaos_violations=%d%n", attacker.rounds(), attacker.opsPerRound(),
          attacker.refused(), attacker.allowed(), attacker.skipped(), attacker.violations());
      for (String n : attacker.notes()) {
        out.println("direct: chaos violation: " + n);
      }
      violations += attacker.violations();
    }
    closeQuietly(s, err);
    if (verify) {
      verifyAfterRelease(out, block);
    }
    out.println("violations=" + violations);
    out.flush();
    if (violations != 0) {
      err.println("sealfs: " + violations + " violation(s) of the direct-access contract");
      err.flush();
      return Main.EXIT_FAILURE;
    }
    return 0;
  }

  /**
   * A breakable holder was told (the I/O loop has stopped): releases the seal, then reports the
   * run and how long stopping device I/O and releasing took after the break was seen. Exit 1 if
   * the seal had been revoked before this holder let go.
   */
  private int letGo(DirectSession s, DirectBreakWatch watch, long[] counts, long startNs,
      long elapsedNs, int block, PrintWriter out, PrintWriter err) {
    long stoppedNs = startNs + elapsedNs; // the I/O loop ended here
    closeQuietly(s, err);
    long releasedNs = System.nanoTime();
    long leftMs = watch.deadlineMs() == 0 ? 0 : watch.deadlineMs() - System.currentTimeMillis();
    report(out, counts, elapsedNs, block);
    out.printf("direct: break told_via=%s pollpri=%d after_io_seconds=%.3f io_stopped_ms=%.1f "
        + "released_ms=%.1f deadline_left_ms=%d%n", watch.toldVia(), watch.pollPriSeen() ? 1 : 0,
        (watch.toldNanos() - startNs) / 1e9, (stoppedNs - watch.toldNanos()) / 1e6,
        (releasedNs - watch.toldNanos()) / 1e6, Math.max(0, leftMs));
    if (watch.revokedWhenTold()) {
      out.println("direct: the seal had been revoked before this holder let go");
      violations++;
    } else {
      out.println("direct: let go of the seal before its deadline; no device I/O once told");
    }
    out.println("violations=" + violations);
    out.flush();
    return violations == 0 ? 0 : Main.EXIT_FAILURE;
  }

  /**
   * The timed I/O loop; stops before the next I/O once {@code watch} (if any) was told.
   * Returns {reads, writes, ops done}.
   */
  private long[] workload(DirectSession s, int block, long units, DirectBreakWatch watch)
      throws IOException {
    boolean doRead = mix == null || mix.mixed || mix.read;
    boolean doWrite = mix == null || mix.mixed || mix.write;
    SplittableRandom rnd = new SplittableRandom(seed);
    ByteBuffer buf = ByteBuffer.allocateDirect(block);
    long maxOps = Math.min(ops, MAX_OPS);
    latNs = new long[(int) Math.min(maxOps, 1 << 20)];
    long deadline = timeSeconds > 0 ? System.nanoTime() + (long) (timeSeconds * 1e9)
        : Long.MAX_VALUE;
    long reads = 0;
    long writes = 0;
    long n = 0;
    for (; n < maxOps; n++) {
      if ((n & 63) == 0 && System.nanoTime() > deadline) {
        break;
      }
      if (watch != null && watch.told()) {
        break; // SPEC 10: no device I/O once the break is known
      }
      long u = sequential ? n % units : rnd.nextLong(units);
      boolean write = doWrite && (!doRead || rnd.nextBoolean());
      long seq = n + 1;
      buf.clear();
      if (write && verify) {
        fillPattern(buf, u, seq, block);
      }
      long a = System.nanoTime();
      if (write) {
        s.write(buf, u * block);
      } else {
        s.read(buf, u * block);
      }
      long took = System.nanoTime() - a;
      if (n == latNs.length) {
        latNs = Arrays.copyOf(latNs, (int) Math.min(maxOps, 2L * latNs.length));
      }
      latNs[(int) n] = took;
      if (watch != null && n == 0) {
        PrintWriter out = spec.commandLine().getOut();
        out.println("direct: lease held, device I/O running (waiting for POLLPRI)");
        out.flush();
      }
      if (write) {
        writes++;
        if (u < lastSeq.length) {
          lastSeq[(int) u] = seq;
        }
      } else {
        reads++;
      }
    }
    return new long[] {reads, writes, n};
  }

  /** Prints throughput and latency lines. */
  private void report(PrintWriter out, long[] counts, long elapsedNs, int block) {
    long n = counts[2];
    double secs = Math.max(elapsedNs, 1) / 1e9;
    long[] lat = Arrays.copyOf(latNs, (int) n);
    Arrays.sort(lat);
    String mode = mix == null || mix.mixed ? "mixed" : mix.read ? "read" : "write";
    out.printf("direct: mode=%s pattern=%s block=%d ops=%d reads=%d writes=%d seconds=%.3f "
        + "MB/s=%.1f IOPS=%.0f%n", mode, sequential ? "seq" : "rand", block, n, counts[0],
        counts[1], secs, n * (double) block / secs / 1e6, n / secs);
    out.printf("direct: latency_us p50=%.1f p99=%.1f p999=%.1f max=%.1f%n", pct(lat, 0.50) / 1e3,
        pct(lat, 0.99) / 1e3, pct(lat, 0.999) / 1e3, n == 0 ? 0.0 : lat[(int) n - 1] / 1e3);
    out.flush();
  }

  /** Returns the {@code q} quantile of sorted {@code v} (nearest rank), 0 if empty. */
  static double pct(long[] v, double q) {
    if (v.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(q * v.length) - 1;
    return v[Math.max(0, Math.min(v.length - 1, i))];
  }

  // -------------------------------------------------------------------------------------------
  // --verify

  /**
   * Before the workload: reads the whole file through the mount (which also fills the kernel's
   * page cache with the old bytes, so the later check proves it is dropped at open) and through
   * the device, compares them, and records each block's CRC.
   */
  private void initialPass(DirectSession s, int block) throws IOException {
    initialCrc = new int[lastSeq.length];
    long mismatched = compareMountAndDevice(s, block, true);
    if (mismatched != 0) {
      spec.commandLine().getOut().println("direct: verify: before the run " + mismatched
          + " byte(s) differ between the mount and the device");
    }
    violations += mismatched;
  }

  /** While held: device writes visible through a fresh open; mount write + fsync on device. */
  private void verifyHeld(DirectSession s, int block) throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    long differ = compareMountAndDevice(s, block, false);
    long wrongBlocks = checkExpected(block);
    // mount write + fsync -> device at the layout's offset
    SplittableRandom rnd = new SplittableRandom(seed * 31 + 7);
    long mountDiffer = 0;
    ByteBuffer want = ByteBuffer.allocate(block);
    ByteBuffer got = ByteBuffer.allocateDirect(block);
    long seqBase = MAX_OPS + 1L;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      int samples = (int) Math.min(MOUNT_WRITE_SAMPLES, lastSeq.length);
      long[] picked = new long[samples];
      for (int k = 0; k < samples; k++) {
        long u = k == 0 ? 0 : k == 1 ? lastSeq.length - 1 : rnd.nextLong(lastSeq.length);
        picked[k] = u;
        long seq = seqBase + k;
        want.clear();
        fillPattern(want, u, seq, block);
        writeFully(ch, want, u * block);
        lastSeq[(int) u] = seq;
      }
      ch.force(true);
      for (long u : picked) {
        want.clear();
        fillPattern(want, u, lastSeq[(int) u], block);
        got.clear();
        s.read(got, u * block);
        got.flip();
        mountDiffer += differingBytes(want, got);
      }
    }
    out.printf("direct: verify held: mount_vs_device_bytes_differ=%d blocks_not_as_written=%d "
        + "mount_write_fsync_not_on_device_bytes=%d%n", differ, wrongBlocks, mountDiffer);
    violations += differ + wrongBlocks + mountDiffer;
  }

  /** After release: a fresh open still reads every block as last written. */
  private void verifyAfterRelease(PrintWriter out, int block) throws IOException {
    long wrong = checkExpected(block);
    out.printf("direct: verify released: blocks_not_as_written=%d%n", wrong);
    violations += wrong;
  }

  /**
   * Reads the file through a fresh mount descriptor and through the device, chunk by chunk;
   * returns the number of differing bytes. With {@code recordCrc}, stores each block's CRC.
   */
  private long compareMountAndDevice(DirectSession s, int block, boolean recordCrc)
      throws IOException {
    long size = s.sizeBytes();
    int chunk = Math.max(block, (CHUNK_BYTES / block) * block);
    ByteBuffer m = ByteBuffer.allocateDirect(chunk);
    ByteBuffer d = ByteBuffer.allocateDirect(chunk);
    long differ = 0;
    CRC32C crc = new CRC32C();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      for (long pos = 0; pos < size; pos += chunk) {
        int n = (int) Math.min(chunk, size - pos);
        m.clear().limit(n);
        d.clear().limit(n);
        readFully(ch, m, pos);
        s.read(d, pos);
        m.flip();
        d.flip();
        differ += differingBytes(m, d);
        if (recordCrc) {
          for (int off = 0; off + block <= n; off += block) {
            long u = (pos + off) / block;
            if (u < initialCrc.length) {
              crc.reset();
              crc.update(m.duplicate().position(off).limit(off + block));
              initialCrc[(int) u] = (int) crc.getValue();
            }
          }
        }
      }
    }
    return differ;
  }

  /** Reads every block through a fresh mount open; returns blocks not holding what is expected. */
  private long checkExpected(int block) throws IOException {
    long wrong = 0;
    ByteBuffer got = ByteBuffer.allocateDirect(block);
    ByteBuffer want = ByteBuffer.allocate(block);
    CRC32C crc = new CRC32C();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      for (int u = 0; u < lastSeq.length; u++) {
        got.clear();
        readFully(ch, got, (long) u * block);
        got.flip();
        if (lastSeq[u] != 0) {
          want.clear();
          fillPattern(want, u, lastSeq[u], block);
          if (differingBytes(want, got) != 0) {
            wrong++;
          }
        } else {
          crc.reset();
          crc.update(got);
          if ((int) crc.getValue() != initialCrc[u]) {
            wrong++;
          }
        }
      }
    }
    return wrong;
  }

  /** Fills {@code buf} (position 0, {@code block} bytes) with the pattern of block u, write seq. */
  private void fillPattern(ByteBuffer buf, long u, long seq, int block) {
    int shift = (int) Math.floorMod(seq * 8 + u * 24, (long) block);
    buf.put(noise, shift, block);
    if (block >= 16) {
      buf.putLong(0, u);
      buf.putLong(8, seq);
    }
    buf.flip();
  }

  /** Returns the number of positions where {@code a} and {@code b} differ (remaining bytes). */
  static long differingBytes(ByteBuffer a, ByteBuffer b) {
    int n = Math.min(a.remaining(), b.remaining());
    long differ = Math.abs(a.remaining() - b.remaining());
    int first = a.duplicate().limit(a.position() + n).mismatch(b.duplicate().limit(b.position()
        + n));
    if (first < 0) {
      return differ;
    }
    for (int i = first; i < n; i++) {
      if (a.get(a.position() + i) != b.get(b.position() + i)) {
        differ++;
      }
    }
    return differ;
  }

  /** Positional read of all of {@code dst}; short files read as an error. */
  private static void readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
    long p = pos;
    while (dst.hasRemaining()) {
      int k = ch.read(dst, p);
      if (k < 0) {
        throw new IOException("unexpected end of file at " + p);
      }
      p += k;
    }
  }

  /** Positional write of all of {@code src}. */
  private static void writeFully(FileChannel ch, ByteBuffer src, long pos) throws IOException {
    long p = pos;
    while (src.hasRemaining()) {
      p += ch.write(src, p);
    }
  }

  // -------------------------------------------------------------------------------------------
  // helpers

  /** Creates {@code f} or grows it to {@code bytes} (never shrinks it). */
  static void grow(Path f, long bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE)) {
      if (ch.size() < bytes) {
        ch.write(ByteBuffer.wrap(new byte[1]), bytes - 1);
      }
    }
    if (Files.size(f) < bytes) {
      throw new IOException("size is " + Files.size(f) + " after growing to " + bytes);
    }
  }

  /** Releases the session, reporting (not throwing) a failure. */
  private static void closeQuietly(DirectSession s, PrintWriter err) {
    try {
      s.close();
    } catch (IOException e) {
      err.println("sealfs: warning: releasing the seal: " + e.getMessage()
          + " (the descriptor is closed, which drops it)");
      err.flush();
    }
  }

  /** Waits for {@code t} to end, ignoring interrupts. */
  private static void joinUninterruptibly(Thread t) {
    boolean interrupted = false;
    while (t.isAlive()) {
      try {
        t.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
