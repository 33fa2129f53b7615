package dev.sealfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.core.LayoutExtent;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The parts of {@code sealfs demo} that need no mount (the story itself runs in fuse-tests). */
class DemoCommandTest {

  /** Physical overlap counts only shared device bytes, across every pair of extents. */
  @Test
  void overlapBytesCountsSharedPhysicalRanges() {
    List<LayoutExtent> a = List.of(new LayoutExtent(0, 4096, 8192, 0),
        new LayoutExtent(8192, 65536, 4096, 0));
    List<LayoutExtent> b = List.of(new LayoutExtent(0, 8192, 8192, 0),
        new LayoutExtent(8192, 69632, 4096, 0));
    assertEquals(4096, DemoCommand.overlapBytes(a, b));
    assertEquals(0, DemoCommand.overlapBytes(a, List.of(new LayoutExtent(0, 0, 4096, 0))));
    assertEquals(12288, DemoCommand.overlapBytes(a, a));
  }

  /** The demo is a registered subcommand with its two options. */
  @Test
  void demoIsRegisteredWithKeepAndDir() {
    StringWriter out = new StringWriter();
    int code = Main.run(new String[] {"demo", "--help"}, new PrintWriter(out, true),
        new PrintWriter(new StringWriter(), true));
    assertEquals(0, code);
    assertTrue(out.toString().contains("--keep"), out.toString());
    assertTrue(out.toString().contains("--dir=DIR"), out.toString());
  }
}
