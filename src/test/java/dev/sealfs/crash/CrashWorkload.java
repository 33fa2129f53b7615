package dev.sealfs.crash;

import dev.sealfs.core.Caller;
import dev.sealfs.core.PathFs;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A seeded random workload through the core's path API (creates, writes, truncates, fallocate,
 * renames, unlinks, unlink-while-open, mkdir/rmdir, fsync, fdatasync, directory fsync, sync, a
 * remount), with a model of what each step made durable.
 *
 * <p>Durability model, as POSIX promises it: fsync of a file makes its content durable; fsync of
 * a directory makes its entries (and removals) durable; {@code syncAll} and a clean unmount make
 * everything durable. A {@link Promise} is written when both halves hold for a path, tagged with
 * the log position where the call returned. Every step that could change a path (or the file
 * behind it) is written down as a touch at the log position where it began: a crash state that
 * holds nothing issued after a touch cannot show it, so a promise is checked in a state when its
 * position is inside the state's durable prefix and no touch of its path lies between the promise
 * and the state's horizon. Every write puts bytes that name the file and the offset ({@link
 * #dataByte}), so the test can also tell that a file holds only its own data, promised or not.
 *
 * <p>Determinism: the test runs with the background committer off ({@code
 * -Dsealfs.committer=manual}, see {@code Durability.COMMITTER_PROPERTY}); the idle steps run one
 * committer tick on a thread of the committer's name, so the log is the same on every run of a
 * seed.
 */
final class CrashWorkload {
  /** What a promise says about its path. */
  enum Kind {
    /** A regular file with exactly {@link Promise#content}. */
    FILE,
    /** A directory. */
    DIR,
    /** Nothing. */
    ABSENT
  }

  /**
   * One durability promise.
   *
   * @param kind what the path must be
   * @param path the path
   * @param content the file's bytes (FILE only)
   * @param position the log position where the promising call returned
   */
  record Promise(Kind kind, String path, byte[] content, int position) {}

  /** One regular file of the model. */
  private static final class Node {
    /** The file's identity, which its bytes carry ({@link #dataByte}). */
    final int id;
    /** The file's bytes now. */
    byte[] data = new byte[0];
    /** True while nothing changed since its last fsync. */
    boolean synced;

    /** A new, empty file of identity {@code id}. */
    Node(int id) {
      this.id = id;
    }
  }

  /** Who runs the steps. */
  private static final Caller ME = Caller.ROOT;
  /** open(2) flag. */
  private static final int O_RDONLY = 0;
  /** open(2) flag. */
  private static final int O_RDWR = 2;
  /** fallocate(2) mode bit. */
  private static final int FALLOC_KEEP_SIZE = 0x01;
  /** fallocate(2) mode bit. */
  private static final int FALLOC_PUNCH_HOLE = 0x02;
  /** fallocate(2) mode bit. */
  private static final int FALLOC_ZERO_RANGE = 0x10;
  /** The directories files live in; made at the start, never renamed. */
  private static final List<String> FIXED = List.of("/", "/a", "/b");
  /** The thread name of the core's background committer. */
  private static final String COMMITTER = "sealfs-commit";

  /** The seeded source of every choice. */
  private final Random rnd;
  /** The device log, whose size is the position of each step. */
  private final RecordingChannel.Log log;
  /** The image, for the remount. */
  private final Path image;
  /** The mounted filesystem. */
  private PathFs fs;
  /** Regular files by path. */
  private final Map<String, Node> files = new LinkedHashMap<>();
  /** Empty directories (besides {@link #FIXED}) by path. */
  private final Set<String> dirs = new TreeSet<>();
  /** Every path ever used, for absence promises. */
  private final Set<String> everUsed = new TreeSet<>();
  /** Paths whose directory entry is durable. */
  private final Set<String> durableNames = new HashSet<>();
  /** Handles of files unlinked while open (orphans until released). */
  private final List<Long> orphans = new ArrayList<>();
  /** The promises made so far. */
  final List<Promise> promises = new ArrayList<>();
  /** Log positions where steps touching each path began. */
  final Map<String, List<Integer>> touches = new HashMap<>();
  /** Steps run, by name (for the test's report). */
  final Map<String, Integer> stepCounts = new TreeMap<>();
  /** What each step did, with the log position where it began. */
  private final List<String[]> trace = new ArrayList<>();
  /** The identities of every file made. */
  private final List<Integer> ids = new ArrayList<>();
  /** The number in the next new name. */
  private int nextName;

  /** Prepares a workload of {@code seed} on the open {@code fs} over {@code image}. */
  CrashWorkload(long seed, PathFs fs, Path image, RecordingChannel.Log log) {
    this.rnd = new Random(seed);
    this.fs = fs;
    this.image = image;
    this.log = log;
  }

  /** Returns the filesystem (a remount replaces it). */
  PathFs fs() {
    return fs;
  }

  /** Runs {@code steps} random steps. */
  void run(int steps) throws InterruptedException {
    int done = 0;
    while (done < steps) {
      PathFs current = fs;
      synchronized (current) {
        if (done == 0) {
          setup();
        }
        while (done < steps && fs == current) {
          if (done == steps / 2) {
            remount();
            stepCounts.merge("remount", 1, Integer::sum);
          } else {
            step();
          }
          done++;
        }
      }
    }
  }

  private void setup() {
    fs.mkdir("/a", 0755, ME);
    fs.mkdir("/b", 0755, ME);
    fs.syncAll();
    everythingDurable(log.size());
  }

  private void step() throws InterruptedException {
    int r = rnd.nextInt(100);
    String name;
    if (r < 10 || files.size() < 3) {
      name = "create";
      create();
    } else if (r < 26) {
      name = "write";
      write(pickFile());
    } else if (r < 31) {
      name = "truncate";
      truncate(pickFile());
    } else if (r < 37) {
      name = "fallocate";
      fallocate(pickFile());
    } else if (r < 53) {
      name = "fsync";
      fsync(pickFile());
    } else if (r < 63) {
      name = "fsyncdir";
      fsyncDir(FIXED.get(rnd.nextInt(FIXED.size())));
    } else if (r < 71) {
      name = "rename";
      rename(pickFile());
    } else if (r < 75) {
      name = "unlink";
      unlink(pickFile());
    } else if (r < 78) {
      name = "unlink-open";
      unlinkOpen(pickFile());
    } else if (r < 81) {
      name = "orphan-release";
      releaseOrphan();
    } else if (r < 86) {
      name = "mkdir";
      mkdir();
    } else if (r < 89) {
      name = "rmdir-or-rename-dir";
      rmdirOrRename();
    } else if (r < 92) {
      name = "sync";
      fs.syncAll();
      everythingDurable(log.size());
    } else if (r < 96) {
      name = "idle";
      idle();
    } else if (r < 99) {
      name = "write+fsync";
      String p = pickFile();
      write(p);
      fsync(p);
    } else {
      name = "remount";
      remount();
    }
    stepCounts.merge(name, 1, Integer::sum);
    note("(" + name + " done)");
  }

  private String pickFile() {
    List<String> paths = new ArrayList<>(files.keySet());
    return paths.get(rnd.nextInt(paths.size()));
  }

  private String newPath(String dir) {
    String p = (dir.equals("/") ? "" : dir) + "/f" + nextName++;
    everUsed.add(p);
    return p;
  }

  /** Returns what the steps did from log position {@code from} to {@code to}, one a line. */
  String trace(int from, int to) {
    StringBuilder b = new StringBuilder();
    for (String[] t : trace) {
      int at = Integer.parseInt(t[0]);
      if (at >= from && at <= to) {
        b.append("  @").append(t[0]).append(' ').append(t[1]).append('\n');
      }
    }
    return b.toString();
  }

  private void note(String what) {
    trace.add(new String[] {Integer.toString(log.size()), what});
  }

  private void touch(String... paths) {
    for (String p : paths) {
      touches.computeIfAbsent(p, k -> new ArrayList<>()).add(log.size());
      durableNames.remove(p);
    }
  }

  private void create() {
    String p = newPath(FIXED.get(rnd.nextInt(FIXED.size())));
    touch(p);
    Node n = new Node(nextName);
    files.put(p, n);
    ids.add(n.id);
    note("create " + p + " (file id " + n.id + ")");
    long fh = fs.create(p, 0644, O_RDWR, ME);
    for (int k = rnd.nextInt(3); k > 0; k--) {
      writeChunk(fh, n);
    }
    fs.release(fh);
  }

  private void write(String p) {
    touchContent(p);
    Node n = files.get(p);
    long fh = fs.open(p, O_RDWR, ME);
    for (int k = 1 + rnd.nextInt(2); k > 0; k--) {
      writeChunk(fh, n);
    }
    fs.release(fh);
  }

  private void writeChunk(long fh, Node n) {
    long off = rnd.nextInt(n.data.length + 8192);
    byte[] b = new byte[1 + rnd.nextInt(rnd.nextBoolean() ? 600 : 24_000)];
    for (int k = 0; k < b.length; k++) {
      b[k] = dataByte(n.id, off + k);
    }
    note("  write file id " + n.id + " [" + off + "," + (off + b.length) + ")");
    if (fs.write(fh, ByteBuffer.wrap(b), off) != b.length) {
      throw new AssertionError("short write");
    }
    if (off + b.length > n.data.length) {
      n.data = Arrays.copyOf(n.data, (int) off + b.length);
    }
    System.arraycopy(b, 0, n.data, (int) off, b.length);
  }

  /**
   * The byte every write of file {@code id} puts at {@code byteOffset}, never 0: a recovered file
   * holds only its own data if each byte is 0 (a hole, zeroed or never written) or this.
   */
  static byte dataByte(int id, long byteOffset) {
    long x = id * 0x9E3779B97F4A7C15L + byteOffset * 0xC2B2AE3D27D4EB4FL;
    x ^= x >>> 29;
    x *= 0xBF58476D1CE4E5B9L;
    x ^= x >>> 32;
    byte b = (byte) x;
    return b == 0 ? 1 : b;
  }

  /** Returns the identities of every file the workload made. */
  List<Integer> fileIds() {
    return new ArrayList<>(ids);
  }

  private void touchContent(String p) {
    touches.computeIfAbsent(p, k -> new ArrayList<>()).add(log.size());
    files.get(p).synced = false;
  }

  private void truncate(String p) {
    touchContent(p);
    Node n = files.get(p);
    int size = rnd.nextInt(n.data.length + 16_384);
    note("truncate " + p + " to " + size);
    fs.truncate(p, size);
    n.data = Arrays.copyOf(n.data, size);
  }

  private void fallocate(String p) {
    touchContent(p);
    Node n = files.get(p);
    int[] modes = {0, FALLOC_KEEP_SIZE, FALLOC_PUNCH_HOLE | FALLOC_KEEP_SIZE, FALLOC_ZERO_RANGE};
    int mode = modes[rnd.nextInt(modes.length)];
    int off = rnd.nextInt(n.data.length + 4096);
    int len = 1 + rnd.nextInt(20_000);
    note("fallocate " + p + " mode " + mode + " [" + off + "," + (off + len) + ")");
    long fh = fs.open(p, O_RDWR, ME);
    fs.fallocate(fh, mode, off, len);
    fs.release(fh);
    int end = off + len;
    if ((mode & FALLOC_KEEP_SIZE) == 0 && end > n.data.length) {
      n.data = Arrays.copyOf(n.data, end);
    }
    if ((mode & (FALLOC_PUNCH_HOLE | FALLOC_ZERO_RANGE)) != 0) {
      Arrays.fill(n.data, Math.min(off, n.data.length), Math.min(end, n.data.length), (byte) 0);
    }
  }

  private void fsync(String p) {
    note("fsync " + p);
    long fh = fs.open(p, rnd.nextBoolean() ? O_RDONLY : O_RDWR, ME);
    fs.fsync(fh, rnd.nextBoolean());
    fs.release(fh);
    Node n = files.get(p);
    n.synced = true;
    if (durableNames.contains(p)) {
      promises.add(new Promise(Kind.FILE, p, n.data.clone(), log.size()));
    }
  }

  private void fsyncDir(String dir) {
    note("fsyncdir " + dir);
    fs.fsyncdir(dir);
    dirDurable(dir, log.size());
  }

  private void rename(String from) {
    String to;
    if (rnd.nextInt(3) == 0 && files.size() > 1) {
      to = pickFile();
      if (to.equals(from)) {
        return;
      }
    } else {
      to = newPath(FIXED.get(rnd.nextInt(FIXED.size())));
    }
    touch(from, to);
    note("rename " + from + " " + to);
    fs.rename(from, to);
    files.put(to, files.remove(from));
  }

  private void unlink(String p) {
    note("unlink " + p);
    touch(p);
    fs.unlink(p);
    files.remove(p);
  }

  private void unlinkOpen(String p) {
    note("unlink while open " + p);
    touch(p);
    long fh = fs.open(p, O_RDWR, ME);
    fs.unlink(p);
    // the orphan's writes still carry its own bytes: they may land in blocks the crash state
    // still shows under the old name
    writeChunk(fh, files.remove(p));
    orphans.add(fh);
  }

  private void releaseOrphan() {
    if (!orphans.isEmpty()) {
      note("release an orphan");
      fs.release(orphans.remove(rnd.nextInt(orphans.size())));
    }
  }

  private void mkdir() {
    String p = FIXED.get(1 + rnd.nextInt(2)) + "/d" + nextName++;
    everUsed.add(p);
    touch(p);
    fs.mkdir(p, 0755, ME);
    dirs.add(p);
  }

  private void rmdirOrRename() {
    if (dirs.isEmpty()) {
      return;
    }
    List<String> all = new ArrayList<>(dirs);
    String p = all.get(rnd.nextInt(all.size()));
    if (rnd.nextBoolean()) {
      touch(p);
      fs.rmdir(p);
    } else {
      String to = FIXED.get(1 + rnd.nextInt(2)) + "/d" + nextName++;
      everUsed.add(to);
      touch(p, to);
      fs.rename(p, to);
      dirs.add(to);
    }
    dirs.remove(p);
  }

  /** Runs one tick of the background committer, on a thread of the committer's name. */
  private void idle() throws InterruptedException {
    PathFs current = fs;
    Thread t = new Thread(() -> current.core().commitTick(), COMMITTER);
    t.start();
    t.join();
  }

  /** Unmounts cleanly (releasing the orphans first) and mounts again over the same log. */
  private void remount() {
    for (long fh : orphans) {
      fs.release(fh);
    }
    orphans.clear();
    fs.close();
    everythingDurable(log.size());
    fs = PathFs.open(image, false);
  }

  private void everythingDurable(int position) {
    for (String d : FIXED) {
      dirDurable(d, position);
    }
    for (Node n : files.values()) {
      n.synced = true;
    }
    for (Map.Entry<String, Node> e : files.entrySet()) {
      promises.add(new Promise(Kind.FILE, e.getKey(), e.getValue().data.clone(), position));
    }
  }

  private void dirDurable(String dir, int position) {
    for (String p : everUsed) {
      if (!parent(p).equals(dir)) {
        continue;
      }
      Node n = files.get(p);
      if (n != null) {
        durableNames.add(p);
        if (n.synced) {
          promises.add(new Promise(Kind.FILE, p, n.data.clone(), position));
        }
      } else if (dirs.contains(p)) {
        durableNames.add(p);
        promises.add(new Promise(Kind.DIR, p, null, position));
      } else {
        promises.add(new Promise(Kind.ABSENT, p, null, position));
      }
    }
    if (!dir.equals("/")) {
      promises.add(new Promise(Kind.DIR, dir, null, position));
    }
  }

  private static String parent(String p) {
    int slash = p.lastIndexOf('/');
    return slash == 0 ? "/" : p.substring(0, slash);
  }

  /** Returns the promises a crash state with this durable prefix and horizon must keep. */
  List<Promise> promisesFor(int prefix, int horizon) {
    List<Promise> out = new ArrayList<>();
    for (Promise p : promises) {
      if (p.position() > prefix) {
        continue;
      }
      boolean touched = false;
      for (int t : touches.getOrDefault(p.path(), List.of())) {
        if (t >= p.position() && t < horizon) {
          touched = true;
          break;
        }
      }
      if (!touched) {
        out.add(p);
      }
    }
    return out;
  }
}
