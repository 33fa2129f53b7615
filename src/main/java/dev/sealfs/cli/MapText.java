package dev.sealfs.cli;

import java.util.Locale;

/**
 * Draws a {@link DeviceMap} for a terminal: rows of cells, each row headed by its device offset,
 * then a legend. In colour (ANSI), every file has its colour: its written blocks are {@code █},
 * unwritten {@code ░}, shared {@code ▓}, and a sealed file's cells show its letter on its colour;
 * cells of no file are a dim {@code ·}. Plain (not a terminal, or --no-color), the same cells
 * are characters only: a file's letter (lower case, upper case when sealed), {@code :} for
 * unwritten, {@code =} for shared, {@code .} for none.
 */
final class MapText {
  /** ANSI foreground colours the files cycle through (red, green, yellow, blue, magenta, cyan). */
  private static final int[] COLOURS = {31, 32, 33, 34, 35, 36};
  /** ANSI reset. */
  private static final String RESET = "\033[0m";

  private MapText() {}

  /** Returns the letter of file {@code index}: a..z, then A..Z would clash, so digits after z. */
  static char letter(int index) {
    if (index < 26) {
      return (char) ('a' + index);
    }
    return index < 36 ? (char) ('0' + index - 26) : '+';
  }

  /** Returns the map drawn in {@code width} cells per row, {@code rows} rows at most. */
  static String render(DeviceMap map, int width, int rows, boolean colour) {
    int cellCount = width * rows;
    long cellBytes = map.cellBytes(cellCount);
    DeviceMap.Cell[] cells = map.cells(cellCount);
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%s: %s, block size %d; one cell = %s%n",
        map.devicePath(), DeviceMap.human(map.deviceBytes()), map.blockSize(),
        DeviceMap.human(cellBytes)));
    for (int row = 0; row * width < cells.length; row++) {
      sb.append(String.format(Locale.ROOT, "%9s ", DeviceMap.human((long) row * width * cellBytes)));
      for (int c = row * width; c < Math.min(cells.length, (row + 1) * width); c++) {
        sb.append(glyph(map, cells[c], colour));
      }
      sb.append(System.lineSeparator());
    }
    for (int f = 0; f < map.files().size(); f++) {
      DeviceMap.FileExtents file = map.files().get(f);
      int n = file.extents().size();
      String sample = glyph(map, new DeviceMap.Cell(f, DeviceMap.Kind.WRITTEN), colour);
      sb.append(String.format(Locale.ROOT, "  %s %s  %s in %d extent%s%s%n", sample,
          file.name(), DeviceMap.human(file.bytes()), n, n == 1 ? "" : "s",
          file.sealed() ? ", sealed" : ""));
    }
    String none = glyph(map, new DeviceMap.Cell(-1, DeviceMap.Kind.NONE), colour);
    sb.append(String.format(Locale.ROOT, "  %s no file: free %s (statfs); %d blocks in use"
        + " by no file shown (metadata, reserve, quarantine)%n", none,
        DeviceMap.human(map.freeBlocks() * map.blockSize()),
        Math.max(0, map.usedBlocks() - map.fileBlocks())));
    sb.append(colour
        ? "  █ written  ░ unwritten  ▓ shared  letter on colour: sealed" + System.lineSeparator()
        : "  a written  A sealed  : unwritten  = shared  . no file" + System.lineSeparator());
    return sb.toString();
  }

  /** Returns one cell as text (with its ANSI colour when {@code colour}). */
  static String glyph(DeviceMap map, DeviceMap.Cell cell, boolean colour) {
    if (cell.file() < 0) {
      return colour ? "\033[2m·" + RESET : ".";
    }
    boolean sealed = map.files().get(cell.file()).sealed();
    char letter = letter(cell.file());
    if (!colour) {
      return switch (cell.kind()) {
        case UNWRITTEN -> ":";
        case SHARED -> "=";
        default -> String.valueOf(sealed ? Character.toUpperCase(letter) : letter);
      };
    }
    int fg = COLOURS[cell.file() % COLOURS.length];
    if (sealed) {
      return "\033[1;30;" + (fg + 10) + "m" + Character.toUpperCase(letter) + RESET;
    }
    String g = switch (cell.kind()) {
      case UNWRITTEN -> "░";
      case SHARED -> "▓";
      default -> "█";
    };
    return "\033[" + fg + "m" + g + RESET;
  }
}
