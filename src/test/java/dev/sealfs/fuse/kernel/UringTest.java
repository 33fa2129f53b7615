package dev.sealfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@link Uring} on a real io_uring instance, no FUSE needed: IORING_OP_NOP round trips through
 * the mapped SQ and CQ rings, enough of them to wrap the ring indexes many times, one at a time
 * and in full batches, so the head/tail bookkeeping and its acquire/release accesses are what
 * carries every completion back. Skipped where the kernel refuses io_uring (ENOSYS, or EPERM
 * from kernel.io_uring_disabled).
 */
final class UringTest {

  /** Opens a ring of {@code entries} or skips the test if io_uring is not available. */
  private static Uring openOrSkip(int entries, boolean sqe128) {
    try {
      return Uring.open(entries, sqe128);
    } catch (Uring.UringException e) {
      Assumptions.assumeTrue(e.errno != 38 && e.errno != 1, "no io_uring here: " + e.getMessage());
      throw e;
    }
  }

  /** Publishes one NOP carrying {@code userData}. */
  private static void nop(Uring ring, long userData) {
    int at = ring.nextSqe();
    assertTrue(at >= 0, "a free SQE");
    ring.sqes().put(at + UringAbi.SQE_OPCODE, (byte) UringAbi.OP_NOP);
    ring.sqes().putLong(at + UringAbi.SQE_USER_DATA, userData);
    ring.publish();
  }

  /** Submits everything published and waits for {@code n} completions. */
  private static void submitAndWait(Uring ring, int n) {
    int submitted = ring.enter(ring.unsubmitted(), n, true);
    assertTrue(submitted >= 0, "io_uring_enter: errno " + -submitted);
    assertEquals(0, ring.unsubmitted(), "the kernel consumed every published SQE");
  }

  /** One NOP at a time, 100 times through a 4-entry ring: each comes back with its user_data. */
  @Test
  void nopRoundTripsOneByOne() {
    try (Uring ring = openOrSkip(4, true)) {
      assertEquals(4, ring.sqEntries);
      assertEquals(UringAbi.SQE128_SIZE, ring.sqeBytes);
      assertFalse(ring.reap(), "a new ring has no completions");
      for (long k = 1; k <= 100; k++) {
        nop(ring, k * 1000 + 7);
        submitAndWait(ring, 1);
        assertTrue(ring.reap(), "completion of NOP " + k);
        assertEquals(k * 1000 + 7, ring.cqeUserData);
        assertEquals(0, ring.cqeRes);
        assertFalse(ring.reap(), "exactly one completion for one NOP");
      }
    }
  }

  /** Full batches: the SQ ring fills (nextSqe says so), then all come back, 25 rounds. */
  @Test
  void nopBatchesFillTheRing() {
    try (Uring ring = openOrSkip(8, false)) {
      assertEquals(UringAbi.SQE_SIZE, ring.sqeBytes);
      long next = 1;
      for (int round = 0; round < 25; round++) {
        Set<Long> sent = new HashSet<>();
        for (int i = 0; i < ring.sqEntries; i++) {
          nop(ring, next);
          sent.add(next++);
        }
        assertEquals(-1, ring.nextSqe(), "no free SQE while the ring is full and unsubmitted");
        assertEquals(ring.sqEntries, ring.unsubmitted());
        submitAndWait(ring, ring.sqEntries);
        Set<Long> back = new HashSet<>();
        while (ring.reap()) {
          assertEquals(0, ring.cqeRes);
          back.add(ring.cqeUserData);
        }
        assertEquals(sent, back, "round " + round + ": every NOP completed once");
      }
    }
  }

  /** The ring's fd is what the kernel calls an io_uring (what uring-transport.sh looks for). */
  @Test
  void fdIsAnIoUring() throws Exception {
    Uring ring = openOrSkip(2, true);
    try {
      assertEquals("anon_inode:[io_uring]",
          Files.readSymbolicLink(Path.of("/proc/self/fd/" + ring.fd)).toString());
    } finally {
      ring.close();
      ring.close(); // a second close does nothing
    }
  }
}
