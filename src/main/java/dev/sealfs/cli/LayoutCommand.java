package dev.sealfs.cli;

import dev.sealfs.client.SealClient;
import dev.sealfs.client.SealClientException;
import dev.sealfs.client.SealHandle;
import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code sealfs layout FILE [--units bytes|blocks]}: the extents, like {@code filefrag -v}. */
@Command(name = "layout", mixinStandardHelpOptions = true,
    description = "Print FILE's extents (logical and physical ranges) in the spirit of filefrag -v.")
public final class LayoutCommand implements Callable<Integer> {
  /** Units the offsets and lengths are printed in. */
  public enum Units {
    /** Filesystem blocks (the default, as filefrag). */
    BLOCKS,
    /** Bytes. */
    BYTES
  }

  /** Parses "bytes" or "blocks", in any case. */
  static final class UnitsConverter implements ITypeConverter<Units> {
    /** Returns the units named by {@code value}. */
    @Override
    public Units convert(String value) {
      for (Units u : Units.values()) {
        if (u.name().equalsIgnoreCase(value)) {
          return u;
        }
      }
      throw new TypeConversionException("--units must be bytes or blocks, not '" + value + "'");
    }
  }

  /** The file to describe. */
  @Parameters(index = "0", paramLabel = "FILE", description = "File on a sealfs mount.")
  Path file;

  /** Units of the offset and length columns. */
  @Option(names = "--units", defaultValue = "blocks", paramLabel = "UNITS",
      converter = UnitsConverter.class,
      description = "bytes or blocks (default: ${DEFAULT-VALUE}).")
  Units units = Units.BLOCKS;

  /** picocli's model of this command, for its output streams. */
  @Spec
  CommandSpec spec;

  /** Reads every layout page of FILE and prints it. */
  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Optional<String> elsewhere = SealfsFile.refusal(file, "read the layout of " + file);
    if (elsewhere.isPresent()) {
      err.println(elsewhere.get());
      err.flush();
      return 1;
    }
    LayoutPage all;
    try (SealHandle h = SealClient.openForQuery(file)) {
      all = h.layoutAll();
    } catch (SealClientException e) {
      err.println(SealfsFile.cliLine(e, "read the layout of " + file, file));
      err.flush();
      return 1;
    }
    out.print(format(file.toString(), all, units));
    out.flush();
    return 0;
  }

  /** Renders {@code all} (every extent, header of the last page) as filefrag -v would. */
  public static String format(String fileLabel, LayoutPage all, Units units) {
    long bs = all.blockSize() > 0 ? all.blockSize() : 1;
    long unit = units == Units.BLOCKS ? bs : 1;
    List<long[]> rows = new ArrayList<>();
    int logicalWidth = 8;
    int physicalWidth = 10;
    int lengthWidth = 6;
    for (LayoutExtent e : all.extents()) {
      long count = ceilDiv(e.length(), unit);
      long lStart = e.logical() / unit;
      long pStart = e.physical() / unit;
      long[] r = {lStart, lStart + Math.max(count, 1) - 1, pStart, pStart + Math.max(count, 1) - 1,
          count};
      rows.add(r);
      logicalWidth = Math.max(logicalWidth, Long.toString(r[1]).length());
      physicalWidth = Math.max(physicalWidth, Long.toString(r[3]).length());
      lengthWidth = Math.max(lengthWidth, Long.toString(r[4]).length());
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("Filesystem block size: %d, file size: %d, generation: %s, sealed: %s%n",
        all.blockSize(), all.size(), Long.toUnsignedString(all.generation()),
        all.sealed() ? "yes" : "no"));
    sb.append(String.format(" ext: %" + (logicalWidth * 2 + 3) + "s %" + (physicalWidth * 2 + 3)
        + "s %" + (lengthWidth + 1) + "s   flags:%n", "logical_offset:", "physical_offset:",
        "length:"));
    String rowFormat = "%4d: %" + logicalWidth + "d..%" + logicalWidth + "d: %" + physicalWidth
        + "d..%" + physicalWidth + "d: %" + lengthWidth + "d:   %s%n";
    for (int i = 0; i < rows.size(); i++) {
      LayoutExtent e = all.extents().get(i);
      long[] r = rows.get(i);
      sb.append(String.format(rowFormat, i, r[0], r[1], r[2], r[3], r[4],
          flags(e, i == rows.size() - 1 && all.last(), all.size())));
    }
    int n = rows.size();
    sb.append(fileLabel).append(": ").append(n).append(n == 1 ? " extent found" : " extents found")
        .append(System.lineSeparator());
    return sb.toString();
  }

  /** Returns the flags column of one extent: unwritten, shared, last, eof, comma-separated. */
  static String flags(LayoutExtent e, boolean last, long sizeBytes) {
    List<String> f = new ArrayList<>();
    if ((e.flags() & LayoutExtent.UNWRITTEN) != 0) {
      f.add("unwritten");
    }
    if ((e.flags() & LayoutExtent.SHARED) != 0) {
      f.add("shared");
    }
    if (last) {
      f.add("last");
    }
    if (e.logical() + e.length() >= sizeBytes) {
      f.add("eof");
    }
    return String.join(",", f);
  }

  /** Returns {@code a / b} rounded up, for non-negative operands. */
  private static long ceilDiv(long a, long b) {
    return a / b + (a % b == 0 ? 0 : 1);
  }
}
