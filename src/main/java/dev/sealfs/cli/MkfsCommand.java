package dev.sealfs.cli;

import dev.sealfs.core.Mkfs;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sealfs mkfs [-b BLOCK] [-s SIZE] [-f] [-N] DEVICE}: creates a filesystem. */
@Command(name = "mkfs", mixinStandardHelpOptions = true,
    description = "Create a sealfs filesystem on DEVICE (an image file is created sparse).")
final class MkfsCommand implements Callable<Integer> {

  /** This command's model, injected by picocli. */
  @Spec
  CommandSpec spec;

  /** Block size in bytes. */
  @Option(names = "-b", paramLabel = "BLOCK", converter = Sizes.class,
      description = "block size, a power of two from 1K to 64K (default: 4096)")
  long blockSizeBytes = 4096;

  /** Filesystem size in bytes, or null for the default. */
  @Option(names = "-s", paramLabel = "SIZE", converter = Sizes.class,
      description = "size, e.g. 256M, 1G (default: the device's size, or 1G for a new image)")
  Long sizeBytes;

  /** Overwrite an existing filesystem. */
  @Option(names = "-f", description = "overwrite an existing filesystem or data")
  boolean force;

  /** Print the geometry only. */
  @Option(names = "-N", description = "dry run: print the geometry, write nothing")
  boolean dryRun;

  /** The device or image file. */
  @Parameters(index = "0", paramLabel = "DEVICE", description = "image file or block device")
  Path device;

  /** Runs mkfs and prints its geometry; 0 on success. */
  @Override
  public Integer call() {
    if (blockSizeBytes > Integer.MAX_VALUE) {
      throw new ParameterException(spec.commandLine(), "block size " + blockSizeBytes
          + " is too large");
    }
    long size = sizeBytes == null ? 0 : sizeBytes;
    String geometry = Mkfs.run(device, size, (int) blockSizeBytes, force, dryRun);
    PrintWriter out = spec.commandLine().getOut();
    out.print(geometry.endsWith("\n") ? geometry : geometry + "\n");
    out.flush();
    return 0;
  }
}
