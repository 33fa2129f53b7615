package dev.sealfs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.client.HandleStatus;
import dev.sealfs.client.SealAbi;
import dev.sealfs.core.SealStatus;
import org.junit.jupiter.api.Test;

/** The CLI side of SPEC 9, 10 and 12: --range parsing and status lines for breaks. */
final class SealBreakCliTest {

  /** OFFSET:LENGTH takes sizes with suffixes; no range is the whole file. */
  @Test
  void rangeParses() {
    assertArrayEquals(new long[] {0, 0}, SealCommand.parseRange(null));
    assertArrayEquals(new long[] {8192, 65536}, SealCommand.parseRange("8192:64K"));
    assertArrayEquals(new long[] {1 << 20, 0}, SealCommand.parseRange("1M:0"));
    assertThrows(IllegalArgumentException.class, () -> SealCommand.parseRange("4096"));
    assertThrows(IllegalArgumentException.class, () -> SealCommand.parseRange("x:1"));
  }

  /** A break under way prints its deadline; revoked holders are counted. */
  @Test
  void statusShowsBreakAndRevocations() {
    HandleStatus st = new HandleStatus(new SealStatus(true, false, 2, 9, 8192, 4096),
        SealAbi.STATUS_BREAKING, 1_000);
    String out = StatusCommand.format("/m/f", st, "off",
        "handle=1 pid=10 uid=0 mode=strict since=X range=0:4096 breakable=1 state=breaking\n"
            + "handle=2 pid=11 uid=0 mode=asis since=Y range=0:0 breakable=1 state=revoked\n");
    assertTrue(out.contains("break: under way, seals revoked at 1970-01-01T00:00:01Z"), out);
    assertTrue(out.contains("revoked holders: 1 "), out);
    assertTrue(out.contains("holder: handle=1 pid=10 uid=0 mode=strict since=X range=0:4096"),
        out);
    HandleStatus quiet = new HandleStatus(st.seal(), 0, 0);
    String none = StatusCommand.format("/m/f", quiet, "off", null);
    assertTrue(!none.contains("break:") && !none.contains("revoked"), none);
  }
}
