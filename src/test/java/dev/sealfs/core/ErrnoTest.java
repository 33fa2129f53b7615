package dev.sealfs.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Guards {@link Errno}: the FUSE adapter returns {@code -code}, so codes must be sane. */
final class ErrnoTest {

  /** Every code is positive, so {@code -code} is a failure and never success or garbage. */
  @Test
  void everyCodeIsPositive() {
    for (Errno errno : Errno.values()) {
      assertTrue(errno.code > 0, errno + " has code " + errno.code);
    }
  }

  /** No two constants share a code, so a code maps back to one name. */
  @Test
  void codesAreUnique() {
    Map<Integer, Errno> byCode = new HashMap<>();
    for (Errno errno : Errno.values()) {
      Errno other = byCode.put(errno.code, errno);
      assertTrue(other == null, errno + " and " + other + " share code " + errno.code);
    }
  }
}
