package dev.sealfs.core.seal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.core.Caller;
import dev.sealfs.core.inode.Inode;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The break table: deadlines, revoked handles, and how a wait for a break ends. */
final class BreakTableTest {
  private static final Caller ME = new Caller(1000, 1000, 42);

  private static OpenFile handle(long fh, Inode i) {
    return new OpenFile(fh, i, 2, ME);
  }

  @Test
  void theFirstBreakSetsTheDeadlineAndLaterOnesJoinIt() {
    BreakTable t = new BreakTable();
    BreakTable.Deadline first = t.deadlineOrNew(7, 45_000);
    assertTrue(first.fresh());
    assertTrue(first.ms() >= System.currentTimeMillis() + 44_000);
    BreakTable.Deadline again = t.deadlineOrNew(7, 1);
    assertFalse(again.fresh());
    assertEquals(first.ms(), again.ms());
    assertEquals(first.ms(), t.deadline(7));
    assertEquals(0, t.deadline(8));
    t.endBreak(7);
    assertEquals(0, t.deadline(7));
  }

  @Test
  void revokedHandlesAreListedInOrderUntilAcknowledged() {
    BreakTable t = new BreakTable();
    Inode i = new Inode(5, Inode.S_IFREG | 0644);
    OpenFile a = handle(1, i);
    OpenFile b = handle(2, i);
    t.addRevoked(5, b);
    t.addRevoked(5, a);
    assertEquals(List.of(b, a), t.revokedHandles(5));
    t.removeRevoked(5, 2);
    assertEquals(List.of(a), t.revokedHandles(5));
    t.removeRevoked(5, 1);
    assertEquals(List.of(), t.revokedHandles(5));
  }

  @Test
  void aWaitEndsWhenTheTargetsLetGoAtTheDeadlineOrOnInterrupt() throws Exception {
    BreakTable t = new BreakTable();
    Inode i = new Inode(5, Inode.S_IFREG | 0644);
    OpenFile h = handle(1, i);
    assertEquals(BreakTable.Outcome.LET_GO, t.await(List.of(h), Long.MAX_VALUE));
    h.breaking = true;
    assertEquals(BreakTable.Outcome.EXPIRED, t.await(List.of(h), 0));
    assertFalse(t.interrupt(Thread.currentThread())); // not waiting: left alone

    CompletableFuture<BreakTable.Outcome> letGo = new CompletableFuture<>();
    Thread first = new Thread(() -> letGo.complete(t.await(List.of(h), Long.MAX_VALUE)));
    first.start();
    while (first.getState() != Thread.State.TIMED_WAITING) {
      Thread.onSpinWait(); // in the table's wait: the only timed wait of the thread
    }
    h.breaking = false;
    t.wakeWaiters();
    assertEquals(BreakTable.Outcome.LET_GO, letGo.get(30, TimeUnit.SECONDS));

    h.breaking = true;
    CompletableFuture<BreakTable.Outcome> cut = new CompletableFuture<>();
    Thread second = new Thread(() -> cut.complete(t.await(List.of(h), Long.MAX_VALUE)));
    second.start();
    while (!t.interrupt(second)) {
      Thread.onSpinWait(); // true only once it is listed as waiting
    }
    assertEquals(BreakTable.Outcome.INTERRUPTED, cut.get(30, TimeUnit.SECONDS));
  }
}
