package dev.sealfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.core.LayoutExtent;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/** The cells and the text and SVG drawings of {@code sealfs map}, on a made-up device. */
class MapRenderTest {
  /** 64 KiB device, 1 KiB blocks: a written file, a sealed one, unwritten and shared blocks. */
  private static DeviceMap sample() {
    int kib = 1024;
    return new DeviceMap("/srv/x.img", 64 * kib, kib, 60, 40, List.of(
        new DeviceMap.FileExtents("/a", false, List.of(
            new LayoutExtent(0, 8 * kib, 8 * kib, 0),
            new LayoutExtent(8 * kib, 24 * kib, 4 * kib, LayoutExtent.UNWRITTEN))),
        new DeviceMap.FileExtents("/b", true, List.of(new LayoutExtent(0, 16 * kib, 8 * kib, 0))),
        new DeviceMap.FileExtents("/c", false, List.of(
            new LayoutExtent(0, 32 * kib, 4 * kib, LayoutExtent.SHARED))),
        new DeviceMap.FileExtents("/d", false, List.of(
            new LayoutExtent(0, 32 * kib, 4 * kib, LayoutExtent.SHARED)))));
  }

  @Test
  void plainTextShowsEachKindInItsCells() {
    String text = MapText.render(sample(), 16, 1, false);
    String[] lines = text.split("\n");
    assertEquals("/srv/x.img: 64 KiB, block size 1024; one cell = 4 KiB", lines[0]);
    // 16 cells of 4 KiB: 2 free, a a, B B, : (unwritten a), free, = (shared c/d), 7 free
    assertEquals("        0 ..aaBB:.=.......", lines[1]);
    assertEquals("  a /a  12 KiB in 2 extents", lines[2]);
    assertEquals("  B /b  8 KiB in 1 extent, sealed", lines[3]);
    assertTrue(lines[6].contains("free 40 KiB (statfs); 0 blocks in use by no file shown"),
        lines[6]);
  }

  @Test
  void cellsShowTheFileWithTheMostBytesInThem() {
    DeviceMap m = new DeviceMap("/d", 8192, 1024, 8, 4, List.of(
        new DeviceMap.FileExtents("/x", false, List.of(new LayoutExtent(0, 0, 1024, 0))),
        new DeviceMap.FileExtents("/y", false, List.of(new LayoutExtent(0, 4096, 3072, 0),
            new LayoutExtent(3072, 3072, 1024, LayoutExtent.UNWRITTEN))),
        new DeviceMap.FileExtents("/z", false, List.of(new LayoutExtent(0, 5120, 1024, 0)))));
    DeviceMap.Cell[] cells = m.cells(4);
    assertEquals(new DeviceMap.Cell(0, DeviceMap.Kind.WRITTEN), cells[0], "1 KiB of 2 is enough");
    assertEquals(new DeviceMap.Cell(1, DeviceMap.Kind.UNWRITTEN), cells[1]);
    assertEquals(new DeviceMap.Cell(1, DeviceMap.Kind.WRITTEN), cells[2], "/y has 2 KiB, /z 1");
    assertEquals(new DeviceMap.Cell(1, DeviceMap.Kind.WRITTEN), cells[3]);
    assertEquals(5, m.fileBlocks(), "/z's block inside /y's counted once");
    assertEquals(4, m.usedBlocks());
  }

  @Test
  void colourUsesBlocksAndLettersOnColourForSealed() {
    String text = MapText.render(sample(), 16, 1, true);
    assertTrue(text.contains("\033[31m█"), "written cell of /a in red");
    assertTrue(text.contains("\033[31m░"), "unwritten cell of /a");
    assertTrue(text.contains("\033[1;30;42mB"), "sealed /b: its letter on green");
    assertTrue(text.contains("\033[33m▓"), "shared cell");
  }

  @Test
  void svgIsWellFormedWithOneRectPerCell() throws Exception {
    String svg = MapSvg.render(sample(), 16, 1);
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    int rects = doc.getElementsByTagName("rect").getLength();
    // background, the pattern's stripe, 16 cells, the stripes over the shared cell, then the
    // legend: one written sample per file and the "no file" sample
    assertEquals(1 + 1 + 16 + 1 + 4 + 1, rects, svg);
    assertEquals(2 + 1, doc.getElementsByTagName("circle").getLength(), "dots on /b's cells and legend");
    assertTrue(svg.contains("/b  8 KiB in 1 extent, sealed"));
  }

  @Test
  void humanSizes() {
    assertEquals("0", DeviceMap.human(0));
    assertEquals("512 B", DeviceMap.human(512));
    assertEquals("1.5 MiB", DeviceMap.human(3 << 19));
    assertEquals("2 GiB", DeviceMap.human(2L << 30));
  }
}
