package dev.sealfs.cli;

import dev.sealfs.core.Fsck;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sealfs fsck [-n] DEVICE}: checks (and unless -n, repairs) an unmounted filesystem. */
@Command(name = "fsck", mixinStandardHelpOptions = true,
    description = "Check (and unless -n, repair) an unmounted sealfs filesystem.",
    exitCodeListHeading = "Exit codes (fsck(8)):%n",
    exitCodeList = {"0:clean", "1:errors fixed", "4:errors left uncorrected",
        "8:operational error", "16:usage error"})
final class FsckCommand implements Callable<Integer> {

  /** fsck(8): operational error. */
  static final int EXIT_OPERATIONAL = 8;
  /** fsck(8): usage or syntax error. */
  static final int EXIT_USAGE = 16;

  /** Check only. */
  @Option(names = "-n", description = "no-modify: check only, never write")
  boolean noModify;

  /** Progress lines on stderr even when it is not a terminal (fsck.sealfs maps -C to it). */
  @Option(names = "--progress", description = "progress lines on stderr (default: only when"
      + " on a terminal)")
  boolean progress;

  /** The device or image file. */
  @Parameters(index = "0", paramLabel = "DEVICE", description = "image file or block device")
  Path device;

  /** Runs fsck; returns its fsck(8) exit code. */
  @Override
  public Integer call() {
    int code = progress
        ? Fsck.run(device, !noModify, System.out, System.err, true)
        : Fsck.run(device, !noModify, System.out, System.err);
    System.out.flush();
    return code;
  }
}
