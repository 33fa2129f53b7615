package dev.sealfs.cli;

import java.util.Locale;

/**
 * Draws a {@link DeviceMap} as an SVG picture: the same cells as {@link MapText}, as squares in
 * rows with the device offset on the left, then a legend. A file's written cells are its colour,
 * unwritten cells the same colour faded, shared cells striped; a sealed file's cells carry a dark
 * border and a dot; cells of no file are light grey.
 */
final class MapSvg {
  /** Fill colours the files cycle through (colour-blind-safe Okabe-Ito palette). */
  private static final String[] COLOURS = {"#e69f00", "#56b4e9", "#009e73", "#f0e442",
      "#0072b2", "#d55e00", "#cc79a7"};
  /** Side of one cell, px. */
  private static final int CELL = 12;
  /** Width of the offset column, px. */
  private static final int LABEL = 80;
  /** Height of one legend line, px. */
  private static final int LINE = 18;

  private MapSvg() {}

  /** Returns the SVG document for {@code map} in {@code width} cells per row, {@code rows} rows. */
  static String render(DeviceMap map, int width, int rows) {
    int cellCount = width * rows;
    long cellBytes = map.cellBytes(cellCount);
    DeviceMap.Cell[] cells = map.cells(cellCount);
    int rowCount = (cells.length + width - 1) / width;
    int top = 28;
    int legendTop = top + rowCount * CELL + 16;
    int height = legendTop + (map.files().size() + 2) * LINE;
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
        + " height=\"%d\" font-family=\"monospace\" font-size=\"12\">%n",
        LABEL + width * CELL + 8, height));
    s.append("<defs><pattern id=\"shared\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\""
        + " patternTransform=\"rotate(45)\"><rect width=\"2\" height=\"4\" fill=\"#333\"/>"
        + "</pattern></defs>\n");
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    s.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"16\">%s: %s, block size %d; one cell"
        + " = %s</text>%n", xml(map.devicePath()), DeviceMap.human(map.deviceBytes()),
        map.blockSize(), DeviceMap.human(cellBytes)));
    for (int row = 0; row < rowCount; row++) {
      int y = top + row * CELL;
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
          LABEL - 6, y + CELL - 2, DeviceMap.human((long) row * width * cellBytes)));
      for (int c = row * width; c < Math.min(cells.length, (row + 1) * width); c++) {
        s.append(cell(map, cells[c], LABEL + (c - row * width) * CELL, y));
      }
    }
    for (int f = 0; f < map.files().size(); f++) {
      DeviceMap.FileExtents file = map.files().get(f);
      int y = legendTop + f * LINE;
      s.append(cell(map, new DeviceMap.Cell(f, DeviceMap.Kind.WRITTEN), 4, y));
      int n = file.extents().size();
      s.append(String.format(Locale.ROOT, "<text x=\"22\" y=\"%d\">%s  %s in %d extent%s%s</text>%n",
          y + CELL - 2, xml(file.name()), DeviceMap.human(file.bytes()), n, n == 1 ? "" : "s",
          file.sealed() ? ", sealed" : ""));
    }
    int y = legendTop + map.files().size() * LINE;
    s.append(cell(map, new DeviceMap.Cell(-1, DeviceMap.Kind.NONE), 4, y));
    s.append(String.format(Locale.ROOT, "<text x=\"22\" y=\"%d\">no file: free %s (statfs); %d"
        + " blocks in use by no file shown</text>%n", y + CELL - 2,
        DeviceMap.human(map.freeBlocks() * map.blockSize()),
        Math.max(0, map.usedBlocks() - map.fileBlocks())));
    s.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%d\">faded: unwritten; striped:"
        + " shared; dark border and dot: sealed</text>%n", y + LINE + CELL - 2));
    s.append("</svg>\n");
    return s.toString();
  }

  /** Returns the SVG of one cell with its top left corner at (x, y). */
  private static String cell(DeviceMap map, DeviceMap.Cell cell, int x, int y) {
    int side = CELL - 1;
    if (cell.file() < 0) {
      return String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\""
          + " fill=\"#eeeeee\"/>%n", x, y, side, side);
    }
    String fill = COLOURS[cell.file() % COLOURS.length];
    boolean sealed = map.files().get(cell.file()).sealed();
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\""
        + " fill=\"%s\"%s%s/>%n", x, y, side, side, fill,
        cell.kind() == DeviceMap.Kind.UNWRITTEN ? " fill-opacity=\"0.35\"" : "",
        sealed ? " stroke=\"#000\" stroke-width=\"1\"" : ""));
    if (cell.kind() == DeviceMap.Kind.SHARED) {
      s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\""
          + " fill=\"url(#shared)\"/>%n", x, y, side, side));
    }
    if (sealed) {
      s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"#000\"/>%n",
          x + side / 2.0, y + side / 2.0));
    }
    return s.toString();
  }

  /** Escapes text for an XML text node or attribute. */
  static String xml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
