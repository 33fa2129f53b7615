package dev.sealfs.core.seal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SPEC 9's arithmetic: sealed blocks, the size rule, SEAL's range arguments; and SPEC 12's limit. */
final class SealRangeTest {
  private static final int BS = 4096;

  @Test
  void rangeWidensToWholeBlocks() {
    SealRange r = SealRange.of(5000, 100);
    assertEquals(1, r.firstBlock(BS));
    assertEquals(2, r.endBlock(BS));
    assertTrue(r.touchesBlocks(1, 1, BS));
    assertFalse(r.touchesBlocks(0, 1, BS));
    assertFalse(r.touchesBlocks(2, 10, BS));
    assertTrue(r.touchesBlocks(0, Long.MAX_VALUE, BS));
    assertEquals(2, SealRange.of(4096, 4096).endBlock(BS));
    assertTrue(SealRange.WHOLE.touchesBlocks(1L << 40, 1, BS));
  }

  @Test
  void sizeRule() {
    SealRange r = SealRange.of(0, 8192);
    assertFalse(r.refusesSize(8192, 100_000), "growing is allowed");
    assertFalse(r.refusesSize(100_000, 8192), "shrinking to the range's end is allowed");
    assertTrue(r.refusesSize(100_000, 8191), "shrinking below the end is refused");
    assertTrue(SealRange.WHOLE.refusesSize(10, 10), "a whole-file seal refuses even the same size");
    assertTrue(r.pastEof(4096));
    assertFalse(r.pastEof(8192));
  }

  @Test
  void sealArguments() {
    assertEquals(SealRange.WHOLE, SealRange.of(0, 0));
    assertEquals(Errno.EINVAL, assertThrows(FsException.class, () -> SealRange.of(4096, 0))
        .errno());
    assertEquals(Errno.EINVAL, assertThrows(FsException.class,
        () -> SealRange.of(Long.MAX_VALUE - 10, 100)).errno());
    assertEquals(Errno.EINVAL, assertThrows(FsException.class, () -> SealRange.of(0, -1))
        .errno());
    assertEquals("4096:100", SealRange.of(4096, 100).label());
    assertEquals("0:0", SealRange.WHOLE.label());
  }

  @Test
  void mapChangeConflicts() {
    SealRange r = SealRange.of(8192, 4096);
    assertTrue(MapChange.blocks("w", 2, 3).conflictsWith(r, BS));
    assertFalse(MapChange.blocks("w", 3, 10).conflictsWith(r, BS));
    assertFalse(new MapChange("t", List.of(), false, 0, 0).withSize(20000, 12288)
        .conflictsWith(r, BS));
    assertTrue(new MapChange("t", List.of(), false, 0, 0).withSize(20000, 12287)
        .conflictsWith(r, BS));
    assertTrue(MapChange.whole("x").conflictsWith(r, BS));
  }

  @Test
  void limitPerUidRootExempt() {
    SealLimits l = new SealLimits(10_000);
    l.charge(1000, 6000);
    assertEquals(Errno.EDQUOT, assertThrows(FsException.class, () -> l.charge(1000, 5000))
        .errno());
    l.charge(1001, 10_000);
    l.charge(0, 1L << 40);
    l.discharge(1000, 6000);
    l.charge(1000, 10_000);
    assertEquals(10_000, l.heldBytes(1000));
  }

  @Test
  void quarantineWaitsForEveryRevokedHandle() {
    Quarantine q = new Quarantine();
    assertFalse(q.hold(7, 100, 4), "no revoked handle: freed as usual");
    q.revoke(7, 1);
    q.revoke(7, 2);
    assertTrue(q.hold(7, 100, 4));
    assertEquals(4, q.blockCount());
    assertTrue(q.contains(103));
    assertEquals(List.of(), q.acknowledge(7, 1));
    assertEquals(List.of(new Quarantine.Freed(100, 4)), q.acknowledge(7, 2));
    assertEquals(0, q.blockCount());
    assertFalse(q.hasRevoked(7));
  }
}
