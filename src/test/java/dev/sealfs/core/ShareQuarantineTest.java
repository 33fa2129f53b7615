package dev.sealfs.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: a revoked holder's blocks that another file shares (SPEC 10, 11). A file A shares
 * its blocks with B (copy_file_range); a holder of A is revoked; then B is written, other files
 * fill the device, A lets go of its blocks: until the holder acknowledges, no block of its old
 * layout may be in any file's map but A's, B's bytes stay B's, the blocks A let go of are
 * quarantined (counted as used), and the acknowledgement frees them exactly once.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>Each case builds A (random blocks) and B (a copy of A sharing every block), seals A
 * breakable through a holder handle and records the holder's layout, then runs a conflicting
 * operation with {@code break_time} 0, so the holder is revoked at once and the operation
 * proceeds. {@link #assertOnlyA} is the check of the issue: the layout's blocks are in no map
 * but A's, looked at after the revocation, after B's own write and after a filler file took every
 * free block. Without the move at revocation B keeps the blocks (ASIS case: A's truncate drops
 * only one reference; COW case: A copies away and B keeps the old ones), and that check fails.
 */
class ShareQuarantineTest {
  private static final Caller ME = new Caller(1000, 1000, 42);
  private static final int BS = 4096;
  private static final int O_RDWR = 2;
  /** Blocks of A. */
  private static final int BLOCKS = 16;
  private static final long ASIS = SealFs.SEAL_ASIS;
  private static final long BREAKABLE = 4;
  private static final long BREAK_FORCE = 1;
  /** SEALFS_IOC_STATUS state bit REVOKED. */
  private static final long REVOKED = 2;

  @TempDir Path dir;
  private Path img;
  private PathFs fs;
  /** A's original bytes. */
  private byte[] original;
  /** Handles: A's holder, another handle of A, B. */
  private long holder;
  private long a;
  private long b;
  /** The holder's layout: A's device blocks at its SEAL. */
  private Set<Long> layout;

  @BeforeEach
  void mount() {
    img = dir.resolve("q.img");
    Mkfs.run(img, 8L << 20, BS, true, false);
    fs = PathFs.open(img, false);
    fs.core().configureSeals(0, 0);                   // break_time 0: revoked at once
  }

  @AfterEach
  void unmount() {
    if (fs != null) {
      verifyOwnership();
      fs.close();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertEquals(0, Fsck.run(img, false, new PrintStream(out), new PrintStream(out)),
          out::toString);
    }
  }

  /** A with random blocks, B sharing all of them, A sealed through {@code holder}. */
  private void shareAndSeal(long flags) {
    original = new byte[BLOCKS * BS];
    new Random(12).nextBytes(original);
    a = fs.create("/a", 0644, O_RDWR, ME);
    assertEquals(original.length, fs.write(a, ByteBuffer.wrap(original), 0));
    b = fs.create("/b", 0644, O_RDWR, ME);
    assertEquals(original.length, SealFsRandomTest.copyAll(fs, a, 0, b, 0, original.length));
    assertEquals(devBlocks(a), devBlocks(b), "B shares every block of A");
    holder = fs.open("/a", O_RDWR, ME);
    fs.seal(holder, flags, 0, 0, null, ME);
    layout = devBlocks(holder);
    assertEquals(BLOCKS, layout.size());
  }

  /** ASIS freezes the shared blocks; A's truncate breaks the seal; B's data and map are kept. */
  @Test
  void asisSharedBlocksTruncatedAfterRevocation() {
    shareAndSeal(ASIS | BREAKABLE);
    fs.ftruncate(a, 0);                              // breaks, revokes, proceeds
    assertEquals(REVOKED, fs.core().sealStatusState(holder) & REVOKED);
    assertEquals(0, fs.fgetattr(a).size());
    assertOnlyA("after the revocation");
    assertEquals(BLOCKS, fs.core().quarantinedBlocks(), "A let go of its blocks: quarantined");
    writeIntoB();
    fillAndCheck();
    acknowledge(BLOCKS);
  }

  /** The break makes A copy on write: it keeps its blocks, B does not get them either. */
  @Test
  void breakThatMakesACopyOnWrite() {
    shareAndSeal(ASIS | BREAKABLE);
    byte[] x = new byte[100];
    Arrays.fill(x, (byte) 0x5a);
    assertEquals(x.length, fs.write(a, ByteBuffer.wrap(x), 2L * BS + 7)); // into a shared block
    assertEquals(REVOKED, fs.core().sealStatusState(holder) & REVOKED);
    assertOnlyA("after the revocation and A's write");
    writeIntoB();
    fs.ftruncate(b, BS);                              // B lets go first (the other direction)
    fillAndCheck();
    fs.ftruncate(a, 0);
    assertOnlyA("after A let go");
    assertEquals(BLOCKS, fs.core().quarantinedBlocks());
    fillAndCheck();
    acknowledge(BLOCKS);
  }

  /** Until it acknowledges, a revoked holder's file is copied, not shared from. */
  @Test
  void revokedFileIsNoSourceOfSharing() {
    shareAndSeal(ASIS | BREAKABLE);
    fs.fallocate(a, 0x01, BLOCKS * BS, BS);          // keep-size preallocation: breaks
    assertEquals(REVOKED, fs.core().sealStatusState(holder) & REVOKED);
    long d = fs.create("/d", 0644, O_RDWR, ME);
    assertEquals(original.length, SealFsRandomTest.copyAll(fs, a, 0, d, 0, original.length));
    assertArrayEquals(original, contents(d));
    assertOnlyA("after a copy from A");
    fs.unseal(holder);
    long e = fs.create("/e", 0644, O_RDWR, ME);
    assertEquals(original.length, SealFsRandomTest.copyAll(fs, a, 0, e, 0, original.length));
    assertEquals(devBlocks(a, BLOCKS), devBlocks(e), "acknowledged: A is shared from again");
  }

  /** FORCE revokes a hard seal the same way: B moves off first. */
  @Test
  void forcedRevocationMovesTheSharers() {
    shareAndSeal(ASIS);
    fs.core().breakSeals(a, BREAK_FORCE, Caller.ROOT);
    assertEquals(REVOKED, fs.core().sealStatusState(holder) & REVOKED);
    assertOnlyA("after the forced revocation");
    writeIntoB();
    fs.ftruncate(a, 0);
    assertEquals(BLOCKS, fs.core().quarantinedBlocks());
    fillAndCheck();
    acknowledge(BLOCKS);
  }

  /** A sharer whose own seal covers the blocks keeps them: its seal wins (the exception). */
  @Test
  void sealedSharerKeepsItsBlocks() {
    shareAndSeal(ASIS | BREAKABLE);
    long bHolder = fs.open("/b", O_RDWR, ME);
    fs.seal(bHolder, ASIS, 0, 2L * BS, null, ME);     // B's first two blocks, hard
    Set<Long> bSealed = devBlocks(bHolder, 2);
    fs.ftruncate(a, 0);
    assertEquals(REVOKED, fs.core().sealStatusState(holder) & REVOKED);
    assertEquals(bSealed, devBlocks(bHolder, 2), "B's sealed blocks did not move");
    Set<Long> inB = new HashSet<>(devBlocks(b));
    inB.retainAll(layout);
    assertEquals(bSealed, inB, "only B's sealed blocks stay in the revoked layout");
    assertArrayEquals(original, contents(b));
    fs.unseal(bHolder);
    fs.release(bHolder);
    acknowledge(BLOCKS - 2);
  }

  /** B writes bytes of its own into one of the blocks it shared and reads them back. */
  private void writeIntoB() {
    byte[] y = new byte[300];
    Arrays.fill(y, (byte) 0xb0);
    assertEquals(y.length, fs.write(b, ByteBuffer.wrap(y), 5L * BS + 11));
    System.arraycopy(y, 0, original, 5 * BS + 11, y.length);
    assertArrayEquals(original, contents(b), "B reads its own bytes");
    assertOnlyA("after B's write");
  }

  /**
   * A filler file takes every free block (ENOSPC), the layout's blocks stay out of every map
   * but A's, B's bytes are intact, and the filler goes again.
   */
  private void fillAndCheck() {
    long filler = fs.create("/filler", 0644, O_RDWR, ME);
    byte[] chunk = new byte[16 * BS];
    long wrote = 0;
    try {
      while (true) {
        wrote += fs.write(filler, ByteBuffer.wrap(chunk), wrote);
      }
    } catch (FsException e) {
      assertEquals(Errno.ENOSPC, e.errno(), "filling the device");
    }
    assertTrue(wrote > 0);
    assertOnlyA("with the device full");
    byte[] bNow = contents(b);
    assertArrayEquals(Arrays.copyOf(original, bNow.length), bNow, "B's bytes");
    fs.release(filler);
    fs.unlink("/filler");
  }

  /**
   * The holder acknowledges (UNSEAL): the quarantine empties, exactly {@code quarantined}
   * blocks become free, and ownership holds after a durable commit.
   */
  private void acknowledge(long quarantined) {
    assertEquals(quarantined, fs.core().quarantinedBlocks());
    fs.syncAll();
    fs.syncAll();
    long free = fs.statfs().freeBlocks();
    fs.unseal(holder);
    assertEquals(0, fs.core().sealStatusState(holder) & REVOKED, "UNSEAL acknowledges");
    assertEquals(0, fs.core().quarantinedBlocks());
    for (int attempt = 0; attempt < 5 && fs.statfs().freeBlocks() != free + quarantined;
        attempt++) {
      fs.syncAll();       // the frees become free once their commit is durable
    }
    assertEquals(free + quarantined, fs.statfs().freeBlocks(),
        "the quarantined blocks were counted as used and are freed once");
    verifyOwnership();
  }

  /** Fails if a block of the revoked layout is in the map of any file but A. */
  private void assertOnlyA(String when) {
    for (DirEntry d : fs.readdir("/")) {
      String name = d.name();
      if (name.equals("a") || name.equals(".") || name.equals("..")) {
        continue;
      }
      long fh = fs.open("/" + name, 0, ME);
      try {
        Set<Long> in = devBlocks(fh);
        in.retainAll(layout);
        assertTrue(in.isEmpty(), when + ": blocks " + in + " of the revoked layout of /a are in /"
            + name + "'s map");
      } finally {
        fs.release(fh);
      }
    }
  }

  /** Ownership (no block owned twice, owned + free = all) after a durable commit. */
  private void verifyOwnership() {
    for (int attempt = 0; ; attempt++) {
      fs.syncAll();
      try {
        fs.core().verifyForTest();
        return;
      } catch (AssertionError e) {
        if (attempt == 4) {
          throw e;
        }
      }
    }
  }

  /** Returns the bytes of the file open as {@code fh}. */
  private byte[] contents(long fh) {
    int size = (int) fs.fgetattr(fh).size();
    ByteBuffer buf = ByteBuffer.allocate(size);
    assertEquals(size, fs.read(fh, buf, 0));
    return buf.array();
  }

  /** Returns the device blocks the file open as {@code fh} maps. */
  private Set<Long> devBlocks(long fh) {
    return devBlocks(fh, Long.MAX_VALUE);
  }

  /** Returns the device blocks of the first {@code fileBlocks} blocks of {@code fh}'s file. */
  private Set<Long> devBlocks(long fh, long fileBlocks) {
    Set<Long> out = new HashSet<>();
    long start = 0;
    while (true) {
      LayoutPage p = fs.layout(fh, start);
      for (LayoutExtent e : p.extents()) {
        long first = e.logical() / BS;
        for (long k = 0; k < e.length() / BS; k++) {
          if (first + k < fileBlocks) {
            out.add(e.physical() / BS + k);
          }
        }
      }
      if (p.last()) {
        return out;
      }
      start = p.next();
    }
  }
}
