package dev.sealfs.core.ns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
    HeapGuard normal = new HeapGuard(HeapGuard.DEFAULT_PERCENT, -1);
    System.gc();
    normal.checkCreate();
  }
}
