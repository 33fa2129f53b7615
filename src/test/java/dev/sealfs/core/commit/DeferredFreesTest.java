package dev.sealfs.core.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sealfs.core.alloc.Allocator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The deferred frees: counted until released, released to the allocator, put back in order. */
final class DeferredFreesTest {
  @Test
  void runsStayCountedUntilReleasedAndThenAreFree() {
    Allocator alloc = new Allocator(100, 50);
    Allocator.Run a = alloc.allocate(100, 10);
    DeferredFrees frees = new DeferredFrees(alloc);
    frees.add(a.devBlock(), 4);
    frees.add(a.devBlock() + 4, 6);
    assertEquals(10, frees.blockCount());
    List<Allocator.Run> taken = frees.take();
    assertEquals(2, taken.size());
    assertEquals(List.of(), frees.runs()); // taken, not yet released
    assertEquals(10, frees.blockCount()); // still counted: not free before the force
    assertEquals(40, alloc.freeBlocks());
    frees.release(taken);
    assertEquals(0, frees.blockCount());
    assertEquals(50, alloc.freeBlocks());
  }

  @Test
  void putBackGoesInFrontOfNewerRuns() {
    Allocator alloc = new Allocator(0, 100);
    alloc.allocate(0, 30);
    DeferredFrees frees = new DeferredFrees(alloc);
    frees.add(0, 10);
    List<Allocator.Run> taken = frees.take();
    frees.add(10, 5);
    frees.putBack(taken);
    assertEquals(List.of(new Allocator.Run(0, 10), new Allocator.Run(10, 5)), frees.runs());
    assertEquals(15, frees.blockCount());
  }
}
