package dev.sealfs.core.seal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.core.Caller;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.core.Mkfs;
import dev.sealfs.core.PathFs;
import dev.sealfs.core.SealFs;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SPEC 9, 10 and 12 through the core: range seals, breakable seals, limits and revocation. */
final class RangeAndBreakTest {
  private static final Caller ME = new Caller(1000, 1000, 42);
  private static final int O_RDWR = 2;
  private static final int BS = 4096;
  private static final long BREAKABLE = 4;
  private static final int PUNCH = 0x01 | 0x02;

  @TempDir Path dir;

  private PathFs mount() {
    Path img = dir.resolve("fs.img");
    Mkfs.run(img, 32L << 20, BS, true, false);
    return PathFs.open(img, false);
  }

  private static void write(PathFs fs, long fh, int len, long off) {
    assertEquals(len, fs.write(fh, ByteBuffer.wrap(new byte[len]), off));
  }

  private static Errno errno(Runnable r) {
    return assertThrows(FsException.class, r::run).errno();
  }

  private static String xattr(PathFs fs, String path, String name) {
    return new String(fs.getxattr(path, name), StandardCharsets.UTF_8);
  }

  /** SPEC 9: changes of the sealed blocks are refused, everything outside is allowed. */
  @Test
  void rangeSealRefusesOnlyItsBlocks() {
    try (PathFs fs = mount()) {
      long fh = fs.create("/log", 0644, O_RDWR, ME);
      write(fs, fh, 3 * BS, 0);
      LayoutPage before = fs.layout(fh, 0);
      fs.seal(fh, 0, BS, BS, null, ME);
      assertEquals(Errno.ETXTBSY, errno(() -> fs.fallocate(fh, PUNCH, BS, BS)));
      assertEquals(Errno.ETXTBSY, errno(() -> fs.fallocate(fh, PUNCH, 0, 3 * BS)));
      assertEquals(Errno.ETXTBSY, errno(() -> fs.ftruncate(fh, BS + 100)));
      fs.fallocate(fh, PUNCH, 2 * BS, BS);          // outside: allowed
      write(fs, fh, 10 * BS, 3 * BS);                // growing and allocating elsewhere
      fs.ftruncate(fh, 2 * BS);                      // shrinking to the range's end
      write(fs, fh, 100, BS);                        // in place inside the range
      LayoutExtent sealed = fs.layout(fh, BS).extents().get(0);
      assertEquals(before.extents().get(0).physical() + BS, sealed.physical());
      String holders = xattr(fs, "/log", "user.sealfs.holders");
      assertTrue(holders.contains(" range=4096:4096 breakable=0 state=held"), holders);
      fs.unseal(fh);
      fs.ftruncate(fh, 0);
    }
  }

  /** SPEC 9: past EOF: strict EPERM, PREPARE allocates without changing the size, ASIS keeps holes. */
  @Test
  void rangePastEof() {
    try (PathFs fs = mount()) {
      long fh = fs.create("/f", 0644, O_RDWR, ME);
      write(fs, fh, 100, 0);
      assertEquals(Errno.EPERM, errno(() -> fs.seal(fh, 0, 0, 4 * BS, null, ME)));
      fs.seal(fh, SealFs.SEAL_PREPARE, 0, 4 * BS, null, ME);
      assertEquals(100, fs.getattr("/f").size());
      assertEquals(4 * BS, fs.layout(fh, 0).extents().stream()
          .mapToLong(LayoutExtent::length).sum());
      write(fs, fh, 2 * BS, 100);                    // a growing log inside its sealed blocks
      assertEquals(100 + 2 * BS, fs.getattr("/f").size());
      long fh2 = fs.create("/g", 0644, O_RDWR, ME);
      fs.seal(fh2, SealFs.SEAL_ASIS, 0, 2 * BS, null, ME);
      assertEquals(Errno.ETXTBSY, errno(() -> write(fs, fh2, 10, 0)));
      write(fs, fh2, 10, 2 * BS);                     // outside the range
      assertEquals(Errno.EBUSY, errno(() -> fs.seal(fh2, SealFs.SEAL_ASIS, 0, BS, null, ME)));
      fs.seal(fh2, SealFs.SEAL_ASIS, 0, 2 * BS, null, ME); // same seal again: nothing changes
    }
  }

  /** SPEC 9: overlapping seals of several handles each keep their own range. */
  @Test
  void overlappingHolders() {
    try (PathFs fs = mount()) {
      long a = fs.create("/f", 0644, O_RDWR, ME);
      write(fs, a, 4 * BS, 0);
      long b = fs.open("/f", O_RDWR, ME);
      fs.seal(a, 0, 0, 2 * BS, null, ME);
      fs.seal(b, 0, BS, 2 * BS, null, ME);
      fs.unseal(a);
      assertEquals(Errno.ETXTBSY, errno(() -> fs.fallocate(a, PUNCH, BS, BS)));
      fs.fallocate(a, PUNCH, 0, BS);
      fs.unseal(b);
      fs.fallocate(a, PUNCH, BS, BS);
    }
  }

  /** SPEC 12: seal_limit per uid, root exempt, whole-file seals count the size. */
  @Test
  void sealLimit() {
    try (PathFs fs = mount()) {
      fs.core().configureSeals(3 * BS, 45);
      long a = fs.create("/a", 0644, O_RDWR, ME);
      write(fs, a, 2 * BS, 0);
      fs.seal(a, 0, 0, 0, null, ME);
      long b = fs.create("/b", 0644, O_RDWR, ME);
      write(fs, b, 2 * BS, 0);
      assertEquals(Errno.EDQUOT, errno(() -> fs.seal(b, 0, 0, 2 * BS, null, ME)));
      fs.seal(b, 0, 0, BS, null, ME);
      long rootHandle = fs.open("/b", O_RDWR, Caller.ROOT);
      fs.seal(rootHandle, 0, 0, 2 * BS, null, Caller.ROOT);
      fs.unseal(a);
      long c = fs.open("/a", O_RDWR, ME);
      fs.seal(c, 0, 0, 2 * BS, null, ME);
    }
  }

  /** SPEC 10: a conflicting op waits while the holder lets go, then proceeds; hard seals refuse. */
  @Test
  void breakableSealYields() throws Exception {
    try (PathFs fs = mount()) {
      long fh = fs.create("/f", 0644, O_RDWR, ME);
      write(fs, fh, 2 * BS, 0);
      fs.seal(fh, BREAKABLE, 0, 0, null, ME);
      long other = fs.open("/f", O_RDWR, ME);
      CompletableFuture<Void> trunc = CompletableFuture.runAsync(() -> fs.ftruncate(other, 0));
      waitFor(() -> (fs.core().sealStatusState(fh) & 1) != 0);
      assertTrue(fs.core().breakDeadlineMs(fh) > System.currentTimeMillis());
      assertTrue(xattr(fs, "/f", "user.sealfs.seal").contains(" breaking deadline="));
      assertTrue(xattr(fs, "/f", "user.sealfs.holders").contains("state=breaking"));
      assertFalse(trunc.isDone());
      fs.unseal(fh);
      trunc.get(30, TimeUnit.SECONDS);
      assertEquals(0, fs.getattr("/f").size());
      assertEquals(0, fs.core().sealStatusState(fh));
      long hard = fs.open("/f", O_RDWR, ME);
      fs.seal(hard, 0, 0, 0, null, ME);
      fs.seal(fh, BREAKABLE, 0, 0, null, ME);
      assertEquals(Errno.ETXTBSY, errno(() -> fs.ftruncate(other, 10)));
      assertEquals(0, fs.core().sealStatusState(fh), "a hard refusal begins no break");
    }
  }

  /** SPEC 10: at the deadline the holder is revoked: ESTALE, quarantine, UNSEAL acknowledges. */
  @Test
  void revocationAndQuarantine() throws Exception {
    try (PathFs fs = mount()) {
      fs.core().configureSeals(0, 0);
      long fh = fs.create("/f", 0644, O_RDWR, ME);
      write(fs, fh, 4 * BS, 0);
      long physical = fs.layout(fh, 0).extents().get(0).physical();
      fs.seal(fh, BREAKABLE, 0, 0, null, ME);
      long usedBefore = fs.statfs().freeBlocks();
      long other = fs.open("/f", O_RDWR, ME);
      fs.ftruncate(other, 0);                          // break_time 0: revoked at once
      assertEquals(0, fs.getattr("/f").size());
      assertEquals(2, fs.core().sealStatusState(fh));
      assertEquals(Errno.ESTALE, errno(() -> fs.layout(fh, 0)));
      assertEquals(Errno.ESTALE, errno(() -> fs.seal(fh, 0, 0, 0, null, ME)));
      assertEquals(4, fs.core().quarantinedBlocks());
      assertEquals(usedBefore, fs.statfs().freeBlocks(), "quarantined blocks count as used");
      assertTrue(xattr(fs, "/f", "user.sealfs.holders").contains("state=revoked"));
      long g = fs.create("/g", 0644, O_RDWR, ME);
      write(fs, g, 8 * BS, 0);
      for (LayoutExtent e : fs.layout(g, 0).extents()) {
        assertTrue(e.physical() + e.length() <= physical || e.physical() >= physical + 4 * BS,
            "a quarantined block was given to another file: " + e);
      }
      fs.unseal(fh);
      assertEquals(0, fs.core().quarantinedBlocks());
      assertEquals(0, fs.core().sealStatusState(fh));
      fs.layout(fh, 0);
    }
  }

  /** SPEC 12: BREAK waits for breakable holders; FORCE is root only and revokes hard seals too. */
  @Test
  void breakIoctl() throws Exception {
    try (PathFs fs = mount()) {
      long fh = fs.create("/f", 0644, O_RDWR, ME);
      write(fs, fh, BS, 0);
      fs.seal(fh, BREAKABLE, 0, 0, null, ME);
      long q = fs.open("/f", 0, ME);
      CompletableFuture<Void> br = CompletableFuture.runAsync(() -> fs.core().breakSeals(q, 0, ME));
      waitFor(() -> (fs.core().sealStatusState(fh) & 1) != 0);
      fs.release(fh);
      br.get(30, TimeUnit.SECONDS);
      long hard = fs.open("/f", O_RDWR, ME);
      fs.seal(hard, 0, 0, 0, null, ME);
      fs.core().breakSeals(q, 0, ME);                  // hard seals stay
      assertEquals(1, fs.sealStatus(q).holders());
      assertEquals(Errno.EPERM, errno(() -> fs.core().breakSeals(q, 1, ME)));
      assertEquals(Errno.EOPNOTSUPP, errno(() -> fs.core().breakSeals(q, 2, ME)));
      fs.core().breakSeals(q, 1, Caller.ROOT);
      assertEquals(0, fs.sealStatus(q).holders());
      assertEquals(2, fs.core().sealStatusState(hard));
      fs.ftruncate(hard, 0);
    }
  }

  /** Polls {@code cond} every 10 ms for up to 30 s. */
  private static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!cond.getAsBoolean()) {
      assertTrue(System.nanoTime() < end, "condition not reached in 30 s");
      Thread.sleep(10);
    }
  }
}
