package dev.sealfs.core.inode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The shared blocks' reference counts against a per-block array model. */
class ShareCountsTest {
  private static final int BLOCKS = 200;

  @Test
  void releaseReturnsUnsharedAndLastReferenceBlocks() {
    ShareCounts c = new ShareCounts();
    c.add(10, 5);
    c.add(12, 5);
    assertEquals("[10+2 x1, 12+3 x2, 15+2 x1]", c.toString());
    List<long[]> free = c.release(8, 6);
    assertEquals(1, free.size());
    assertArrayEquals(new long[] {8, 4}, free.get(0), "unshared 8, 9 and last refs 10, 11");
    assertEquals("[12+2 x1, 14+1 x2, 15+2 x1]", c.toString());
    assertEquals(1, c.sharedBlocks());
    c.forget(12, 2);
    assertEquals("[14+1 x2, 15+2 x1]", c.toString());
  }

  @Test
  void randomChangesMatchTheModelAndStayCanonical() {
    Random rnd = new Random(5);
    ShareCounts c = new ShareCounts();
    int[] model = new int[BLOCKS];
    for (int step = 0; step < 5000; step++) {
      int start = rnd.nextInt(BLOCKS - 1);
      int n = 1 + rnd.nextInt(Math.min(20, BLOCKS - start));
      if (rnd.nextBoolean()) {
        c.add(start, n);
        for (int b = start; b < start + n; b++) {
          model[b]++;
        }
      } else {
        boolean[] freed = new boolean[BLOCKS];
        for (long[] r : c.release(start, n)) {
          for (long b = r[0]; b < r[0] + r[1]; b++) {
            freed[(int) b] = true;
          }
        }
        for (int b = start; b < start + n; b++) {
          boolean wasFreed = model[b] <= 1;
          model[b] = Math.max(0, model[b] - 1);
          assertEquals(wasFreed, freed[b], "step " + step + " block " + b);
        }
      }
      for (long[] p : c.counts(0, BLOCKS)) {
        for (long b = p[0]; b < p[0] + p[1]; b++) {
          assertEquals(model[(int) b], p[2], "step " + step + " block " + b);
        }
      }
      ShareCounts rebuilt = new ShareCounts();
      for (int b = 0; b < BLOCKS; b++) {
        for (int k = 0; k < model[b]; k++) {
          rebuilt.add(b, 1);
        }
      }
      assertEquals(rebuilt.toString(), c.toString(), "canonical at step " + step);
    }
  }
}
