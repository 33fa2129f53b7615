package dev.sealfs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The break race of issue 12 through the core (SPEC 9, 10, 12), without a mount and without
 * timing assertions.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>Round after round, until at least {@link #BREAKS} breaks have been told: a file is laid
 * out afresh (written blocks and a hole), one to three handles seal ranges of it breakable (or
 * the whole file), and one or two worker threads run truncates, punches, zero ranges,
 * preallocations, writes into the hole and extending writes against it. Ops that conflict
 * park; the gate tells the holders (the break listener, POLLPRI on a mount) and this thread,
 * playing every holder, answers as each holder was dealt: let go by UNSEAL, by close, or UNSEAL
 * and seal again at once (so the parked op is told to wait once more), or never. A holder that
 * never lets go is revoked at the deadline ({@code break_time} 0 rounds) or by a root
 * {@code SEALFS_IOC_BREAK} with FORCE. Some rounds add a hard holder: the op is ETXTBSY at once
 * and nobody is told.
 *
 * <p>What is checked, every time: a told holder is one whose range the op conflicts with (an
 * oracle written from SPEC 9, not the gate's own code); whenever a holder lets go, and at the
 * end of the round for every holder still live, its sealed blocks map to the same device blocks
 * as at its SEAL and the size never fell below its range (whole-file: same generation and
 * size), so no conflicting op succeeded while its seal was live; every parked op completes once
 * the holders are gone; after a revocation each sealed block the ops freed is quarantined (no
 * file maps it, not even after another file fills the device) until the revoked handle
 * acknowledges, after which the quarantine is empty; block ownership holds every round and
 * fsck is clean at the end, and after a remount.
 */
class BreakRaceTest {
  /** Breaks to tell before the test stops. */
  private static final int BREAKS = 1_000;
  /** Most rounds before the test gives up reaching {@link #BREAKS}. */
  private static final int MAX_ROUNDS = 20_000;
  /** Block size of the image. */
  private static final int BS = 4096;
  /** The files the rounds use in turn. */
  private static final int FILES = 3;
  /** Most written blocks of a round's file. */
  private static final int MAX_FILE_BLOCKS = 24;
  /** The owner of the files and the holders. */
  private static final Caller ME = new Caller(1000, 1000, 42);
  /** open(2) O_RDWR. */
  private static final int O_RDWR = 2;
  /** SEALFS_SEAL_ASIS: freezes the range as it is (holes included). */
  private static final long ASIS = SealFs.SEAL_ASIS;
  /** SEALFS_SEAL_BREAKABLE. */
  private static final long BREAKABLE = 4;
  /** FALLOC_FL_KEEP_SIZE. */
  private static final int KEEP_SIZE = 0x01;
  /** FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE. */
  private static final int PUNCH = 0x03;
  /** FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE. */
  private static final int ZERO = 0x11;
  /** SEALFS_IOC_BREAK flag FORCE. */
  private static final long BREAK_FORCE = 1;
  /** Marks an unwritten block in the device-block arrays (a change of state is a map change). */
  private static final long UNWRITTEN_BIT = 1L << 62;
  /** Hang detector of every wait (not a timing assertion: only a stuck run reaches it). */
  private static final long HANG_SECONDS = 120;

  @TempDir Path dir;

  /** How a holder answers when it is told that its seal is breaking. */
  private enum Answer { UNSEAL, CLOSE, RESEAL, NEVER }

  /** What kind of round: who ends the holders that never let go. */
  private enum Kind { YIELD, DEADLINE, FORCE, HARD }

  /** One conflicting (or not) operation of a round and what SPEC 9 says it may break. */
  private record Op(String name, int kind, long a, long b) {
    /** Runs the operation through handle {@code fh}. */
    void run(PathFs fs, long fh) {
      switch (kind) {
        case 0 -> fs.ftruncate(fh, a);
        case 1 -> fs.fallocate(fh, PUNCH, a * BS, (b - a) * BS);
        case 2 -> fs.fallocate(fh, ZERO, a * BS, (b - a) * BS);
        case 3 -> fs.fallocate(fh, KEEP_SIZE, a * BS, (b - a) * BS);
        default -> assertEquals((int) b, fs.write(fh, ByteBuffer.wrap(new byte[(int) b]), a));
      }
    }

    /**
     * True if the op may conflict with a seal of {@code [off, off + len)} ({@code len} 0:
     * whole file): a superset of SPEC 9's rule (any map or size change breaks a whole-file
     * seal; a range seal only changes of its blocks and shrinks below its end).
     */
    boolean mayConflict(long off, long len) {
      if (len == 0) {
        return true;
      }
      long first = off / BS;
      long end = (off + len + BS - 1) / BS;
      if (kind == 0) {
        return a < off + len;
      }
      long opFirst = kind == 4 ? a / BS : a;
      long opEnd = kind == 4 ? (a + b + BS - 1) / BS : b;
      return opFirst < end && first < opEnd;
    }
  }

  /** One holder handle and what it saw at its SEAL. */
  private static final class Holder {
    /** Its handle (re-opened after a close). */
    long fh;
    /** Sealed bytes: offset and length (0: whole file). */
    final long off;
    /** Sealed length in bytes, 0 for the whole file. */
    final long len;
    /** Its answer to a break. */
    final Answer answer;
    /** Re-seals left for a RESEAL holder. */
    int resealsLeft;
    /** True while its seal is held. */
    boolean live;
    /** True once revoked and not yet acknowledged. */
    boolean revoked;
    /** Whether a NEVER holder has been told (the FORCE round waits for that). */
    boolean toldAndStays;
    /** Device block (or -1) of each sealed file block at SEAL, whole file for whole seals. */
    long[] sealedDevBlocks;
    /** File size at SEAL. */
    long sizeAtSeal;
    /** Generation at SEAL. */
    long generationAtSeal;

    /** Deals a holder of {@code [off, off + len)} that answers {@code answer}. */
    Holder(long off, long len, Answer answer, int reseals) {
      this.off = off;
      this.len = len;
      this.answer = answer;
      this.resealsLeft = reseals;
    }

    /** First sealed file block. */
    long firstBlock() {
      return len == 0 ? 0 : off / BS;
    }

    /** Sealed range as text. */
    String label() {
      return "handle " + fh + " range " + off + ":" + len + " (" + answer + ")";
    }
  }

  /** The race: see the class comment. */
  @Test
  void thousandBreaksAgainstHoldersAndParkedOps() throws Exception {
    Path img = dir.resolve("race.img");
    Mkfs.run(img, 8L << 20, BS, true, false);
    SplittableRandom rnd = new SplittableRandom(12);
    LinkedBlockingQueue<Long> told = new LinkedBlockingQueue<>();
    ExecutorService workers = Executors.newFixedThreadPool(2);
    int breaks = 0;
    int revocations = 0;
    int quarantineChecks = 0;
    int refusals = 0;
    int rounds = 0;
    try (PathFs fs = PathFs.open(img, false)) {
      fs.core().onBreakBegun(told::add);
      long[] files = new long[FILES];
      for (int f = 0; f < FILES; f++) {
        files[f] = fs.create("/f" + f, 0644, O_RDWR, ME);
      }
      long filler = fs.create("/filler", 0644, O_RDWR, ME);
      for (; breaks < BREAKS; rounds++) {
        assertTrue(rounds < MAX_ROUNDS, "only " + breaks + " breaks in " + rounds + " rounds");
        int f = rounds % FILES;
        String path = "/f" + f;
        long obs = files[f];
        Kind kind = pickKind(rnd);
        fs.core().configureSeals(0, kind == Kind.DEADLINE ? 0 : 600);
        long blocks = layOut(fs, obs, rnd);
        long size = fs.fgetattr(obs).size();
        List<Holder> holders = new ArrayList<>();
        int n = 1 + rnd.nextInt(3);
        for (int k = 0; k < n; k++) {
          Holder h = pickHolder(rnd, blocks, kind);
          h.fh = fs.open(path, O_RDWR, ME);
          seal(fs, obs, h, BREAKABLE | ASIS);
          holders.add(h);
        }
        long hardFh = -1;
        if (kind == Kind.HARD) {
          hardFh = fs.open(path, O_RDWR, ME);
          fs.seal(hardFh, ASIS, 0, 0, null, ME);
        }
        List<Op> ops = new ArrayList<>();
        int opCount = kind == Kind.HARD ? 1 : 1 + rnd.nextInt(2);
        for (int k = 0; k < opCount; k++) {
          ops.add(pickOp(rnd, blocks, size, k == 0 ? holders.get(0) : null, kind == Kind.HARD));
        }
        if (kind == Kind.HARD) {
          Op op = ops.get(0);
          FsException e = expectThrows(() -> op.run(fs, obs));
          assertEquals(Errno.ETXTBSY, e.errno(), op.name());
          assertTrue(told.isEmpty(), "a hard refusal told someone: " + told);
          refusals++;
          fs.release(hardFh);
          finishRound(fs, obs, holders, ops, "hard round " + rounds);
          continue;
        }
        Map<Long, Holder> byFh = new HashMap<>();
        for (Holder h : holders) {
          byFh.put(h.fh, h);
        }
        List<Future<?>> running = new ArrayList<>();
        for (Op op : ops) {
          running.add(workers.submit(() -> op.run(fs, obs)));
        }
        long hangAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANG_SECONDS);
        while (!allDone(running)) {
          assertTrue(System.nanoTime() < hangAt, "round " + rounds + " hangs: " + ops);
          Long fh = told.poll(5, TimeUnit.MILLISECONDS);
          if (fh == null) {
            if (kind == Kind.FORCE && toldStayer(holders)) {
              fs.core().breakSeals(obs, BREAK_FORCE, Caller.ROOT);   // the eviction of SPEC 12
              for (Holder h : holders) {
                if (h.live) {
                  h.live = false;
                  h.revoked = true;
                  revocations++;
                }
              }
            }
            continue;
          }
          breaks++;
          Holder h = byFh.get(fh);
          assertTrue(h != null, "told a handle that is no holder of this round: " + fh);
          assertTrue(conflicts(ops, h), "told a holder no op conflicts with: " + h.label()
              + " " + ops);
          if (kind == Kind.DEADLINE || !h.live) {
            continue;    // revoked at once (checked below) or already evicted
          }
          checkIntact(fs, obs, h, "told, round " + rounds);
          switch (h.answer) {
            case UNSEAL -> letGo(fs, h, false);
            case CLOSE -> {
              byFh.remove(h.fh);
              letGo(fs, h, true);
            }
            case RESEAL -> {
              letGo(fs, h, false);
              if (h.resealsLeft-- > 0) {
                seal(fs, obs, h, BREAKABLE | ASIS);
              }
            }
            default -> h.toldAndStays = true;
          }
        }
        for (Future<?> r : running) {
          r.get();      // a parked op completed: it must have succeeded
        }
        for (Long fh; (fh = told.poll()) != null; ) {   // told just before its op went on
          breaks++;
          Holder h = byFh.get(fh);
          assertTrue(h != null && conflicts(ops, h), "told a handle that no op conflicts with");
          assertTrue(kind == Kind.DEADLINE || !h.live,
              "an op completed while a holder it broke still holds: " + h.label());
        }
        if (kind == Kind.DEADLINE) {
          for (Holder h : holders) {
            if ((fs.core().sealStatusState(h.fh) & 2) != 0) {
              assertTrue(conflicts(ops, h), "revoked a holder no op conflicts with: " + h.label());
              h.live = false;
              h.revoked = true;
              revocations++;
            }
          }
        }
        for (Holder h : holders) {
          if (h.revoked) {
            assertEquals(2, fs.core().sealStatusState(h.fh) & 2, "not revoked: " + h.label());
          }
        }
        if (revokedAny(holders)) {
          quarantineChecks += checkQuarantine(fs, obs, holders, files, filler,
              quarantineChecks % 10 == 0, rnd);
        }
        finishRound(fs, obs, holders, ops, "round " + rounds + " " + kind);
      }
      assertTrue(revocations > 0 && quarantineChecks > 0 && refusals > 0,
          "every path ran: revocations " + revocations + " quarantine checks "
              + quarantineChecks + " hard refusals " + refusals);
    } finally {
      workers.shutdownNow();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, Fsck.run(img, false, new PrintStream(out), new PrintStream(out)),
        out::toString);
    try (PathFs again = PathFs.open(img, false)) {
      again.core().verifyForTest();
    }
    System.out.printf("break race: %d rounds, %d breaks, %d revocations, %d quarantine checks,"
        + " %d hard refusals%n", rounds, breaks, revocations, quarantineChecks, refusals);
  }

  /** Picks the round kind: mostly holders that yield, some deadlines, evictions, hard seals. */
  private static Kind pickKind(SplittableRandom rnd) {
    int k = rnd.nextInt(100);
    return k < 60 ? Kind.YIELD : k < 80 ? Kind.DEADLINE : k < 95 ? Kind.FORCE : Kind.HARD;
  }

  /** Lays {@code obs}'s file out afresh: written blocks with one hole; returns the blocks. */
  private static long layOut(PathFs fs, long obs, SplittableRandom rnd) {
    fs.ftruncate(obs, 0);
    int blocks = 4 + rnd.nextInt(MAX_FILE_BLOCKS - 3);
    byte[] data = new byte[blocks * BS];
    rnd.nextBytes(data);
    assertEquals(data.length, fs.write(obs, ByteBuffer.wrap(data), 0));
    int tail = rnd.nextInt(BS);
    if (tail > 0) {
      assertEquals(tail, fs.write(obs, ByteBuffer.wrap(new byte[tail]), (long) blocks * BS));
    }
    long hole = 1 + rnd.nextInt(blocks - 2);
    fs.fallocate(obs, PUNCH, hole * BS, BS);
    return blocks + (tail > 0 ? 1 : 0);
  }

  /** Deals a holder: a range (past EOF at times) or the whole file, and its answer. */
  private static Holder pickHolder(SplittableRandom rnd, long blocks, Kind kind) {
    Answer[] answers = kind == Kind.FORCE ? Answer.values()
        : new Answer[] {Answer.UNSEAL, Answer.CLOSE, Answer.RESEAL};
    Answer a = answers[rnd.nextInt(answers.length)];
    int reseals = a == Answer.RESEAL ? 1 + rnd.nextInt(2) : 0;
    if (rnd.nextInt(4) == 0) {
      return new Holder(0, 0, a, reseals);
    }
    long off = rnd.nextLong(blocks * BS);
    long len = 1 + rnd.nextLong((blocks + 2) * BS - off);
    return new Holder(off, len, a, reseals);
  }

  /**
   * Picks an op (a truncate if {@code truncate}); the first of a round aims at {@code target}'s
   * range so that breaks happen.
   */
  private static Op pickOp(SplittableRandom rnd, long blocks, long size, Holder target,
      boolean truncate) {
    long lo = 0;
    long hi = blocks;
    if (target != null && target.len != 0) {
      lo = target.off / BS;
      hi = Math.min(blocks + 2, (target.off + target.len + BS - 1) / BS);
    }
    long a = lo + rnd.nextLong(Math.max(1, hi - lo));
    long b = a + 1 + rnd.nextLong(3);
    return switch (truncate ? 0 : rnd.nextInt(6)) {
      case 0 -> new Op("truncate", 0, Math.min(size - 1, a * BS + rnd.nextInt(BS)), 0);
      case 1 -> new Op("punch", 1, a, b);
      case 2 -> new Op("zero range", 2, a, b);
      case 3 -> new Op("preallocate", 3, a, b);
      case 4 -> new Op("write", 4, a * BS + rnd.nextInt(BS / 2), 1 + rnd.nextInt(2 * BS));
      default -> new Op("extending write", 4, size, 1 + rnd.nextInt(2 * BS));
    };
  }

  /** Seals {@code h} and records what its sealed blocks map to now. */
  private static void seal(PathFs fs, long obs, Holder h, long flags) {
    SealResult r = fs.seal(h.fh, flags, h.off, h.len, null, ME);
    h.live = true;
    h.generationAtSeal = r.generation();
    h.sizeAtSeal = fs.fgetattr(obs).size();
    h.sealedDevBlocks = devBlocks(fs, obs, h.firstBlock(), sealedEnd(h, h.sizeAtSeal));
  }

  /** First file block past {@code h}'s sealed blocks (for a whole seal, past EOF). */
  private static long sealedEnd(Holder h, long size) {
    long end = h.len == 0 ? size : h.off + h.len;
    return (end + BS - 1) / BS;
  }

  /** Fails unless {@code h}'s sealed blocks, size and (whole seals) generation are as at SEAL. */
  private static void checkIntact(PathFs fs, long obs, Holder h, String when) {
    long size = fs.fgetattr(obs).size();
    long[] now = devBlocks(fs, obs, h.firstBlock(), h.firstBlock() + h.sealedDevBlocks.length);
    for (int k = 0; k < now.length; k++) {
      if (now[k] != h.sealedDevBlocks[k]) {
        fail(when + ": sealed block " + (h.firstBlock() + k) + " of " + h.label()
            + " moved from " + h.sealedDevBlocks[k] + " to " + now[k] + " while held");
      }
    }
    if (h.len == 0) {
      assertEquals(h.sizeAtSeal, size, when + ": size of a whole-file seal changed");
      assertEquals(h.generationAtSeal, fs.layout(obs, 0).generation(),
          when + ": the map of a whole-file seal changed: " + h.label());
    } else {
      assertTrue(size >= Math.min(h.sizeAtSeal, h.off + h.len),
          when + ": size " + size + " fell below the range of " + h.label());
    }
  }

  /** Lets go of {@code h}'s seal (checked intact first): UNSEAL, or close and re-open. */
  private static void letGo(PathFs fs, Holder h, boolean close) {
    h.live = false;
    if (close) {
      fs.release(h.fh);
      h.fh = -1;
    } else {
      fs.unseal(h.fh);
    }
  }

  /** True if a live holder was told and will never let go (the op waits for the eviction). */
  private static boolean toldStayer(List<Holder> holders) {
    for (Holder h : holders) {
      if (h.live && h.toldAndStays) {
        return true;
      }
    }
    return false;
  }

  /** True if some op of the round may conflict with {@code h}'s range. */
  private static boolean conflicts(List<Op> ops, Holder h) {
    for (Op op : ops) {
      if (op.mayConflict(h.off, h.len)) {
        return true;
      }
    }
    return false;
  }

  /** True if a holder of the round was revoked. */
  private static boolean revokedAny(List<Holder> holders) {
    for (Holder h : holders) {
      if (h.revoked) {
        return true;
      }
    }
    return false;
  }

  /**
   * The quarantine check: the revoked holders' sealed blocks that the ops freed are mapped by
   * no file, even after {@code filler} takes every free block ({@code fill}) or some; each
   * acknowledgement (UNSEAL or close) then gives them back, and the quarantine ends empty.
   * Returns 1.
   */
  private static int checkQuarantine(PathFs fs, long obs, List<Holder> holders, long[] files,
      long filler, boolean fill, SplittableRandom rnd) {
    Set<Long> mapped = new HashSet<>();
    for (long fh : files) {
      for (long b : devBlocks(fs, fh, 0, (fs.fgetattr(fh).size() + BS - 1) / BS)) {
        mapped.add(b & ~UNWRITTEN_BIT);
      }
    }
    Set<Long> freed = new HashSet<>();
    for (Holder h : holders) {
      if (h.revoked) {
        for (long b : h.sealedDevBlocks) {
          if (b >= 0 && !mapped.contains(b & ~UNWRITTEN_BIT)) {
            freed.add(b & ~UNWRITTEN_BIT);
          }
        }
      }
    }
    assertTrue(fs.core().quarantinedBlocks() >= freed.size(),
        "freed sealed blocks " + freed.size() + " but quarantined "
            + fs.core().quarantinedBlocks());
    long chunk = 16L * BS;
    long wrote = 0;
    long want = fill ? Long.MAX_VALUE : (freed.size() + 8L) * BS;
    try {
      while (wrote < want) {
        wrote += fs.write(filler, ByteBuffer.wrap(new byte[(int) chunk]), wrote);
      }
    } catch (FsException e) {
      assertEquals(Errno.ENOSPC, e.errno(), "filling the device");
    }
    for (long b : devBlocks(fs, filler, 0, (wrote + BS - 1) / BS)) {
      assertTrue(b < 0 || !freed.contains(b & ~UNWRITTEN_BIT), "quarantined block " + b
          + " was given to another file before its acknowledgement");
    }
    fs.ftruncate(filler, 0);
    for (Holder h : holders) {
      if (h.revoked) {
        if (rnd.nextBoolean()) {
          fs.unseal(h.fh);
          assertEquals(0, fs.core().sealStatusState(h.fh) & 2, "UNSEAL acknowledges");
        } else {
          fs.release(h.fh);
          h.fh = -1;
        }
        h.revoked = false;
      }
    }
    assertEquals(0, fs.core().quarantinedBlocks(), "quarantine after every acknowledgement");
    return 1;
  }

  /** Ends a round: live holders checked and unsealed, handles closed, ownership verified. */
  private static void finishRound(PathFs fs, long obs, List<Holder> holders, List<Op> ops,
      String when) {
    for (Holder h : holders) {
      if (h.live) {
        checkIntact(fs, obs, h, when + " end, ops " + ops);
        fs.unseal(h.fh);
        h.live = false;
      }
      if (h.fh >= 0) {
        fs.release(h.fh);
      }
    }
    assertEquals(0, fs.sealStatus(obs).holders(), when + ": holders left");
    assertEquals(0, fs.core().quarantinedBlocks(), when + ": quarantine left");
    verifyOwnership(fs, when + ", ops " + ops);
  }

  /**
   * Block ownership (no block owned twice, owned + free = all). The check stops every operation
   * but not the background committer, which holds a group's frees in neither the pending list
   * nor the allocator between its cut and the device force; such a transient "leak" is gone
   * after a durable commit, a real one stays. So: commit, check, and on a miss commit and check
   * again, a few times.
   */
  private static void verifyOwnership(PathFs fs, String when) {
    for (int attempt = 0; ; attempt++) {
      fs.syncAll();
      try {
        fs.core().verifyForTest();
        return;
      } catch (AssertionError e) {
        if (attempt == 4) {
          throw new AssertionError(when + ": " + e.getMessage(), e);
        }
      }
    }
  }

  /** Device block of each file block in {@code [first, end)} of {@code fh}'s file, -1 if none. */
  private static long[] devBlocks(PathFs fs, long fh, long first, long end) {
    long[] out = new long[(int) Math.max(0, end - first)];
    java.util.Arrays.fill(out, -1);
    long start = 0;
    while (true) {
      LayoutPage p = fs.layout(fh, start);
      for (LayoutExtent e : p.extents()) {
        for (long lb = e.logical() / BS; lb < (e.logical() + e.length()) / BS; lb++) {
          if (lb >= first && lb < end) {
            long unwritten = (e.flags() & LayoutExtent.UNWRITTEN) != 0 ? UNWRITTEN_BIT : 0;
            out[(int) (lb - first)] = (e.physical() / BS + lb - e.logical() / BS) | unwritten;
          }
        }
      }
      if (p.last()) {
        return out;
      }
      start = p.next();
    }
  }

  /** True if every future is done. */
  private static boolean allDone(List<Future<?>> fs) {
    for (Future<?> f : fs) {
      if (!f.isDone()) {
        return false;
      }
    }
    return true;
  }

  /** Runs {@code r} and returns the FsException it throws (fails if it throws none). */
  private static FsException expectThrows(Runnable r) {
    try {
      r.run();
    } catch (FsException e) {
      return e;
    }
    throw new AssertionError("expected an FsException");
  }
}
