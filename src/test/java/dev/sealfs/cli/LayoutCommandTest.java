package dev.sealfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.core.SealStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The filefrag -v style output of {@code sealfs layout} and the shape of {@code status}. */
final class LayoutCommandTest {
  /** Joins lines with the platform separator, with a trailing one. */
  private static String lines(String... l) {
    String nl = System.lineSeparator();
    return String.join(nl, l) + nl;
  }

  /** One written extent of 256 blocks at physical block 34816, in blocks. */
  @Test
  void oneExtentInBlocks() {
    LayoutPage p = new LayoutPage(7, 1 << 20, true, true, 4096, 1 << 20,
        List.of(new LayoutExtent(0, 34816L * 4096, 256L * 4096, 0)));
    assertEquals(lines(
        "Filesystem block size: 4096, file size: 1048576, generation: 7, sealed: yes",
        " ext:     logical_offset:        physical_offset: length:   flags:",
        "   0:        0..     255:      34816..     35071:    256:   last,eof",
        "/m/f: 1 extent found"), LayoutCommand.format("/m/f", p, LayoutCommand.Units.BLOCKS));
  }

  /** A hole between two extents, an unwritten one, bytes as units, eof only on the end. */
  @Test
  void twoExtentsInBytes() {
    LayoutPage p = new LayoutPage(3, 16384, true, false, 4096, 16384,
        List.of(new LayoutExtent(0, 8192, 4096, 0),
            new LayoutExtent(8192, 65536, 8192, LayoutExtent.UNWRITTEN)));
    assertEquals(lines(
        "Filesystem block size: 4096, file size: 16384, generation: 3, sealed: no",
        " ext:     logical_offset:        physical_offset: length:   flags:",
        "   0:        0..    4095:       8192..     12287:   4096:   ",
        "   1:     8192..   16383:      65536..     73727:   8192:   unwritten,last,eof",
        "f: 2 extents found"), LayoutCommand.format("f", p, LayoutCommand.Units.BYTES));
  }

  /** An empty file prints the headers and zero extents. */
  @Test
  void emptyFile() {
    LayoutPage p = new LayoutPage(1, 0, true, false, 4096, 0, List.of());
    String out = LayoutCommand.format("e", p, LayoutCommand.Units.BLOCKS);
    assertEquals("e: 0 extents found", out.lines().reduce((a, b) -> b).orElseThrow());
  }

  /** Wide physical offsets widen the columns instead of breaking them. */
  @Test
  void wideNumbersWidenColumns() {
    LayoutPage p = new LayoutPage(1, 0, true, false, 1, 1L << 40,
        List.of(new LayoutExtent(0, 123456789012L, 1L << 40, 0)));
    String row = LayoutCommand.format("w", p, LayoutCommand.Units.BLOCKS).lines()
        .skip(2).findFirst().orElseThrow();
    assertEquals("   0:             0..1099511627775:  123456789012..1222968416787: "
        + "1099511627776:   last,eof", row);
  }

  /** Status prints one key: value line per field and one holder line per xattr record. */
  @Test
  void statusFormat() {
    String out = StatusCommand.format("/m/f", new SealStatus(true, false, 2, 9, 8192, 4096),
        "prepare", "handle=1 pid=10 uid=0 mode=prepare since=X\nhandle=2 pid=11 uid=0 mode=asis"
            + " since=Y\n");
    assertEquals(lines("file: /m/f", "state: sealed", "holders: 2", "generation: 9",
        "size: 8192", "block size: 4096", "seal on open: prepare",
        "holder: handle=1 pid=10 uid=0 mode=prepare since=X",
        "holder: handle=2 pid=11 uid=0 mode=asis since=Y"), out);
  }
}
