package dev.sealfs.cli;

import dev.sealfs.client.SealAbi;
import dev.sealfs.client.SealClient;
import dev.sealfs.client.SealClientException;
import dev.sealfs.client.SealHandle;
import dev.sealfs.core.LayoutPage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sealfs map MOUNTPOINT [FILE...]}: draws the device as a bar of cells (free space, each
 * file's extents, sealed and shared blocks), from what the mount offers only: the tree (walked
 * without following symlinks), LAYOUT of each regular file, statfs, and user.sealfs.device for
 * the device's path and block size; the image itself is never read.
 */
@Command(name = "map", mixinStandardHelpOptions = true,
    description = {"Draw the device behind MOUNTPOINT as a bar of cells: free space, each file's",
        "extents (all regular files, or only FILE...), sealed, unwritten and shared blocks.",
        "In colour on a terminal, plain characters otherwise; --svg writes a picture."})
public final class MapCommand implements Callable<Integer> {
  /** The mount point of a sealfs filesystem. */
  @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "a sealfs mount point")
  Path mountPoint;

  /** The files to draw; every regular file under the mount point when empty. */
  @Parameters(index = "1..*", paramLabel = "FILE", description = "files to draw (default: all)")
  List<Path> files = new ArrayList<>();

  /** Cells per row. */
  @Option(names = {"-w", "--width"}, paramLabel = "CELLS",
      description = "cells per row (default: ${DEFAULT-VALUE})")
  int width = 64;

  /** Rows at most. */
  @Option(names = {"-r", "--rows"}, paramLabel = "ROWS",
      description = "rows at most; each cell then covers device/(CELLS*ROWS) (default:"
          + " ${DEFAULT-VALUE})")
  int rows = 8;

  /** Plain characters even on a terminal. */
  @Option(names = "--no-color", description = "plain characters, no ANSI colours")
  boolean noColour;

  /** Where to write an SVG picture, or null. */
  @Option(names = "--svg", paramLabel = "FILE", description = "also write the map as SVG to FILE")
  Path svg;

  /** Most files drawn (the letters and colours run out, and so does a reader). */
  static final int MAX_FILES = 36;

  /** picocli's model of this command, for its output streams. */
  @Spec
  CommandSpec spec;

  /** Collects the map from the mount and draws it; 0, or 1 with a one-line error. */
  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (width < 1 || rows < 1 || (long) width * rows > 1_000_000) {
      err.println("sealfs: map: --width and --rows must be at least 1 (and make at most 1000000"
          + " cells)");
      err.flush();
      return Main.EXIT_USAGE;
    }
    DeviceMap map;
    try {
      map = collect(mountPoint, files);
    } catch (SealClientException e) {
      err.println(e.cliLine("map " + mountPoint));
      err.flush();
      return Main.EXIT_FAILURE;
    } catch (IOException | RuntimeException e) {
      err.println("sealfs: map " + mountPoint + ": " + Main.oneLine(String.valueOf(e.getMessage())));
      err.flush();
      return Main.EXIT_FAILURE;
    }
    boolean colour = !noColour && System.console() != null && System.getenv("NO_COLOR") == null;
    out.print(MapText.render(map, width, rows, colour));
    out.flush();
    if (svg != null) {
      try {
        Files.writeString(svg, MapSvg.render(map, width, rows), StandardCharsets.UTF_8);
      } catch (IOException e) {
        err.println("sealfs: map: cannot write " + svg + ": " + e.getMessage());
        err.flush();
        return Main.EXIT_FAILURE;
      }
    }
    return 0;
  }

  /** Reads the map of the mount at {@code mnt}: the given files, or every regular file. */
  static DeviceMap collect(Path mnt, List<Path> only) throws IOException, SealClientException {
    String dev = SealClient.getXattr(mnt, SealAbi.XATTR_DEVICE).orElseThrow(() ->
        new IOException("not a sealfs mount (no " + SealAbi.XATTR_DEVICE + ")"));
    String v = dev.trim();
    int bsAt = v.lastIndexOf(" block_size=");
    if (!v.startsWith("path=") || bsAt < 0) {
      throw new IOException("unexpected " + SealAbi.XATTR_DEVICE + " '" + v + "'");
    }
    String devicePath = v.substring("path=".length(), bsAt);
    int blockSize = Integer.parseInt(v.substring(bsAt + " block_size=".length()).trim());
    List<Path> paths = new ArrayList<>();
    if (only.isEmpty()) {
      try (Stream<Path> walk = Files.walk(mnt)) {
        walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted()
            .forEach(paths::add);
      }
    } else {
      paths.addAll(only);
    }
    if (paths.size() > MAX_FILES) {
      throw new IOException(paths.size() + " files: name at most " + MAX_FILES + " FILEs");
    }
    List<DeviceMap.FileExtents> fileMaps = new ArrayList<>();
    long end = 0;
    for (Path p : paths) {
      LayoutPage all;
      try (SealHandle h = SealClient.openForQuery(p)) {
        all = h.layoutAll();
      }
      Path rel = p.toAbsolutePath().startsWith(mnt.toAbsolutePath())
          ? mnt.toAbsolutePath().relativize(p.toAbsolutePath()) : p;
      fileMaps.add(new DeviceMap.FileExtents("/" + rel, all.sealed(), all.extents()));
      for (var e : all.extents()) {
        end = Math.max(end, e.physical() + e.length());
      }
    }
    FileStore store = Files.getFileStore(mnt);
    long deviceBytes = end;
    try {
      deviceBytes = Math.max(end, Files.size(Path.of(devicePath)));
    } catch (IOException | SecurityException e) {
      // the device is not visible here (another namespace): draw up to the last extent
    }
    long total = store.getTotalSpace() / blockSize;
    long free = store.getUnallocatedSpace() / blockSize;
    return new DeviceMap(devicePath, deviceBytes, blockSize, total, free, fileMaps);
  }
}
