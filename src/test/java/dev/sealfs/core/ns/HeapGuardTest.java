package dev.sealfs.core.ns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import org.junit.jupiter.api.Test;

/** The heap guard refuses creates with ENOSPC once the old generation is over its threshold. */
class HeapGuardTest {
  @Test
  void aFullHeapRefusesCreatesWithEnospcAndAnEmptyOneDoesNot() {
    HeapGuard everything = new HeapGuard(1, 1);
    System.gc();
    assertEquals(Errno.ENOSPC,
        assertThrows(FsException.class, everything::checkCreate).errno());
    // the pools' thresholds are the JVM's own: a later guard replaces them; the collection
    // usage they are compared with is only renewed by a collection, so give it a few
    HeapGuard normal = new HeapGuard(HeapGuard.DEFAULT_PERCENT, -1);
    FsException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      System.gc();
      try {
        normal.checkCreate();
        return;
      } catch (FsException e) {
        last = e;
      }
    }
    fail("a heap below " + HeapGuard.DEFAULT_PERCENT + "% still refuses creates: " + last);
  }
}
