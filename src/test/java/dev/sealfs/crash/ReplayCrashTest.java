package dev.sealfs.crash;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sealfs.core.Caller;
import dev.sealfs.core.device.DeviceChannels;
import dev.sealfs.core.DirEntry;
import dev.sealfs.core.Errno;
import dev.sealfs.core.Fsck;
import dev.sealfs.core.FsException;
import dev.sealfs.core.Mkfs;
import dev.sealfs.core.PathFs;
import dev.sealfs.core.Stat;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Power cuts replayed from a recorded device (the CrashMonkey / ALICE method): a seeded workload
 * runs through the core over an image file whose channel logs every write and force; then every
 * state a power cut could leave ({@link CrashStates}: each force boundary, and random page-level
 * subsets of the writes in flight between forces) is rebuilt in memory and must pass: {@code fsck
 * -n} clean on the crashed image, the mount recovers, every promise of the workload's durability
 * model holds ({@link CrashWorkload}: fsync'd files have exactly their content, durable names and
 * directories exist, durable removals stay removed), and {@code fsck -n} is clean after the
 * unmount. A failure names the seed, the state and what was wrong; {@code
 * -Dsealfs.crash.seeds=A,B,...}, {@code -Dsealfs.crash.steps=N} and {@code
 * -Dsealfs.crash.subsets=N} pick other and bigger runs.
 */
class ReplayCrashTest {
  /** The workload runs the committer's ticks itself: the same device log on every run. */
  @BeforeAll
  static void manualCommitter() {
    System.setProperty("sealfs.committer", "manual");
  }

  /** Gives the other test classes their background committer back. */
  @AfterAll
  static void backgroundCommitter() {
    System.clearProperty("sealfs.committer");
  }

  /** Steps of the workload per seed. */
  private static final int STEPS = Integer.getInteger("sealfs.crash.steps", 90);
  /** Random subsets per gap between forces (the gap after the last force gets 4x). */
  private static final int SUBSETS = Integer.getInteger("sealfs.crash.subsets", 3);

  @TempDir Path dir;

  /** The seeds to run: {@code -Dsealfs.crash.seeds=4,5,6} picks others (default 1, 2, 3). */
  static LongStream seeds() {
    return Arrays.stream(System.getProperty("sealfs.crash.seeds", "1,2,3").split(","))
        .mapToLong(v -> Long.parseLong(v.trim()));
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyPowerCutStateRecovers(long seed) throws Exception {
    Path image = dir.resolve("fs.img");
    Mkfs.run(image, 8L << 20, 4096, true, false);
    byte[] base = Files.readAllBytes(image);
    RecordingChannel.Log log = new RecordingChannel.Log();
    CrashWorkload w;
    try (AutoCloseable seam = DeviceChannels.interpose(image, ch -> new RecordingChannel(ch, log))) {
      PathFs fs = PathFs.open(image, false);
      w = new CrashWorkload(seed, fs, image, log);
      try {
        w.run(STEPS);
      } finally {
        // a clean unmount: its commit and checkpoint are the log's last gaps and forces
        w.fs().close();
      }
    }
    List<RecordingChannel.Entry> entries = log.entries();
    List<CrashStates.State> states = CrashStates.of(entries, seed, SUBSETS, 4 * SUBSETS);
    Path replay = dir.resolve("replay.img");
    Files.write(replay, new byte[0]);
    int checked = 0;
    for (int n = 0; n < states.size(); n++) {
      CrashStates.State s = states.get(n);
      List<CrashWorkload.Promise> promises = w.promisesFor(s.prefix(), s.horizon());
      String problem = check(replay, CrashStates.image(base, entries, s), promises,
          w.fileIds());
      if (problem != null) {
        fail("seed " + seed + ", state " + n + " of " + states.size() + " (" + s.what() + "; "
            + entries.size() + " log entries, steps " + w.stepCounts + "): " + problem
            + "\nthe log around it:\n" + around(entries, s) + "the steps around it:\n"
            + w.trace(s.prefix() - 6, s.horizon() + 2));
      }
      checked += promises.size();
    }
    System.out.printf("replay seed %d: %d log entries (shape %08x), %d crash states, %d promise"
        + " checks, steps %s%n", seed, entries.size(), shape(entries), states.size(), checked,
        w.stepCounts);
    assertTrue(states.size() > 50, "too few crash states: " + states.size());
    assertTrue(checked > 500, "too few promises checked: " + checked);
  }

  /**
   * A write into fallocated (unwritten) blocks turns them written; the commit that says so must
   * not reach the disk before the bytes, or the file shows what the blocks held before, here a
   * deleted file's data (found by seed 5 with 300 steps; this is the short form).
   */
  @Test
  void writesIntoFallocatedBlocksAreOrderedBeforeTheirCommit() throws Exception {
    Path image = dir.resolve("fs.img");
    Mkfs.run(image, 8L << 20, 4096, true, false);
    byte[] base = Files.readAllBytes(image);
    RecordingChannel.Log log = new RecordingChannel.Log();
    int len = 256 << 10;
    try (AutoCloseable seam = DeviceChannels.interpose(image, ch -> new RecordingChannel(ch, log));
        PathFs fs = PathFs.open(image, false)) {
      synchronized (fs) {
        long a = fs.create("/old", 0644, 2, Caller.ROOT);
        fs.write(a, ByteBuffer.wrap(bytesOf(1, len)), 0);
        fs.fsync(a, false);
        fs.release(a);
        fs.unlink("/old");
        fs.syncAll();
        long b = fs.create("/new", 0644, 2, Caller.ROOT);
        fs.fallocate(b, 0, 0, len);
        fs.fsync(b, false);
        fs.write(b, ByteBuffer.wrap(bytesOf(2, len)), 0);
        fs.fsyncdir("/");
        fs.release(b);
      }
    }
    List<RecordingChannel.Entry> entries = log.entries();
    List<CrashStates.State> states = CrashStates.of(entries, 1, 12, 12);
    Path replay = dir.resolve("replay.img");
    Files.write(replay, new byte[0]);
    for (int n = 0; n < states.size(); n++) {
      CrashStates.State s = states.get(n);
      String problem = check(replay, CrashStates.image(base, entries, s), List.of(), List.of(1, 2));
      if (problem != null) {
        fail("state " + n + " (" + s.what() + "): " + problem + "\nthe log around it:\n"
            + around(entries, s));
      }
    }
  }

  private static byte[] bytesOf(int id, int len) {
    byte[] b = new byte[len];
    for (int k = 0; k < len; k++) {
      b[k] = CrashWorkload.dataByte(id, k);
    }
    return b;
  }

  /** Returns a hash of the log's shape (offsets, lengths, threads): equal on every run of a seed. */
  private static int shape(List<RecordingChannel.Entry> entries) {
    int h = 1;
    for (RecordingChannel.Entry e : entries) {
      h = 31 * h + Long.hashCode(e.byteOffset());
      h = 31 * h + (e.isForce() ? -1 : e.bytes().length);
      h = 31 * h + e.thread().hashCode();
    }
    return h;
  }

  /** Describes the log entries near the end of {@code s}, one a line. */
  private static String around(List<RecordingChannel.Entry> entries, CrashStates.State s) {
    StringBuilder b = new StringBuilder();
    for (int i = Math.max(0, s.prefix() - 4); i < Math.min(entries.size(), s.horizon() + 4); i++) {
      RecordingChannel.Entry e = entries.get(i);
      b.append(String.format("  %4d %-14s %s%n", i, e.thread(), e.isForce() ? "force"
          : "write " + e.bytes().length + " bytes at " + e.byteOffset()));
    }
    return b.toString();
  }

  /** Checks one crash state; returns what was wrong, or null. */
  private static String check(Path replay, byte[] bytes, List<CrashWorkload.Promise> promises,
      List<Integer> ids) throws Exception {
    MemoryChannel.Image img = new MemoryChannel.Image(bytes);
    try (AutoCloseable seam = DeviceChannels.interpose(replay, ch -> new MemoryChannel(img, ch))) {
      String fsck = fsck(replay);
      if (fsck != null) {
        return "fsck -n of the crashed image: " + fsck;
      }
      try (PathFs fs = PathFs.open(replay, false)) {
        for (CrashWorkload.Promise p : promises) {
          String wrong = broken(fs, p);
          if (wrong != null) {
            return "after recovery, " + p.path() + " (promised at log position " + p.position()
                + "): " + wrong;
          }
        }
        String foreign = ownDataOnly(fs, "/", ids);
        if (foreign != null) {
          return "after recovery, " + foreign;
        }
      } catch (FsException e) {
        return "mount failed: " + e.getMessage();
      }
      fsck = fsck(replay);
      return fsck == null ? null : "fsck -n after recovery and unmount: " + fsck;
    }
  }

  /**
   * Walks the tree under {@code dir}: every regular file must hold only bytes of one file the
   * workload made (or zeros); returns what is wrong, or null.
   */
  private static String ownDataOnly(PathFs fs, String dir, List<Integer> ids) {
    for (DirEntry e : fs.readdir(dir)) {
      if (e.name().equals(".") || e.name().equals("..")) {
        continue;
      }
      String path = (dir.equals("/") ? "" : dir) + "/" + e.name();
      int type = e.mode() & 0170000;
      if (type == 0040000) {
        String wrong = ownDataOnly(fs, path, ids);
        if (wrong != null) {
          return wrong;
        }
      } else if (type == 0100000) {
        byte[] data = readAll(fs, path);
        if (owner(data, ids) < 0) {
          return path + " (" + data.length + " bytes) holds bytes of no single workload file"
              + " (another file's blocks, or stale ones): " + misfit(data, ids);
        }
      }
    }
    return null;
  }

  /** Returns the id whose bytes {@code data} holds (0 for all zeros), or -1 if none. */
  private static int owner(byte[] data, List<Integer> ids) {
    int first = 0;
    while (first < data.length && data[first] == 0) {
      first++;
    }
    if (first == data.length) {
      return 0;
    }
    for (int id : ids) {
      if (CrashWorkload.dataByte(id, first) != data[first]) {
        continue;
      }
      boolean all = true;
      for (int at = first; at < data.length && all; at++) {
        all = data[at] == 0 || data[at] == CrashWorkload.dataByte(id, at);
      }
      if (all) {
        return id;
      }
    }
    return -1;
  }

  /** Describes where {@code data} stops matching the file whose bytes it starts with. */
  private static String misfit(byte[] data, List<Integer> ids) {
    StringBuilder b = new StringBuilder();
    for (int id : ids) {
      int first = -1;
      int bad = -1;
      int badEnd = -1;
      for (int at = 0; at < data.length; at++) {
        if (data[at] == 0) {
          continue;
        }
        boolean mine = data[at] == CrashWorkload.dataByte(id, at);
        if (mine && first < 0) {
          first = at;
        }
        if (!mine && bad < 0) {
          bad = at;
        }
        if (!mine) {
          badEnd = at + 1;
        }
      }
      if (first >= 0) {
        b.append(String.format("file id %d from offset %d, foreign bytes in [%d,%d); ", id,
            first, bad, badEnd));
      }
    }
    return b.toString();
  }

  private static byte[] readAll(PathFs fs, String path) {
    long size = fs.getattr(path).size();
    long fh = fs.open(path, 0, Caller.ROOT);
    try {
      ByteBuffer got = ByteBuffer.allocate(Math.toIntExact(size));
      while (got.hasRemaining() && fs.read(fh, got, got.position()) > 0) {
        // read on
      }
      return got.array();
    } finally {
      fs.release(fh);
    }
  }

  private static String fsck(Path image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    int rc = Fsck.run(image, false, ps, ps);
    return rc == Fsck.CLEAN ? null : "exit " + rc + ": " + out.toString(StandardCharsets.UTF_8);
  }

  private static String broken(PathFs fs, CrashWorkload.Promise p) {
    Stat st;
    try {
      st = fs.getattr(p.path());
    } catch (FsException e) {
      if (e.errno() == Errno.ENOENT && p.kind() == CrashWorkload.Kind.ABSENT) {
        return null;
      }
      return "expected " + p.kind() + ", got " + e.errno();
    }
    int type = st.mode() & 0170000;
    switch (p.kind()) {
      case ABSENT:
        return "expected absent, but it exists (mode " + Integer.toOctalString(st.mode()) + ")";
      case DIR:
        return type == 0040000 ? null : "expected a directory, mode " + Integer.toOctalString(
            st.mode());
      default:
        if (type != 0100000) {
          return "expected a regular file, mode " + Integer.toOctalString(st.mode());
        }
        byte[] want = p.content();
        if (st.size() != want.length) {
          return "size " + st.size() + ", fsync'd " + want.length;
        }
        int at = Arrays.mismatch(want, readAll(fs, p.path()));
        return at < 0 ? null : "content differs from the fsync'd bytes at offset " + at;
    }
  }
}
