package dev.sealfs.cli;

import dev.sealfs.client.SealAbi;
import dev.sealfs.client.SealClient;
import dev.sealfs.client.SealClientException;
import dev.sealfs.client.SealHandle;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sealfs break [--force] FILE}: SEALFS_IOC_BREAK (SPEC 12). Without --force it breaks
 * FILE's breakable seals and exits once they are gone (hard seals stay); with --force (root
 * only) it revokes every seal of FILE at once.
 */
@Command(name = "break", mixinStandardHelpOptions = true,
    description = {"Break FILE's breakable seals and wait until they are gone (SPEC 12);",
        "with --force (root only), revoke every seal of FILE at once, hard ones too."})
public final class BreakCommand implements Callable<Integer> {
  /** Whether to revoke every seal at once. */
  @Option(names = "--force", description = "Revoke every seal now, hard ones too (root only).")
  boolean force;

  /** The file whose seals to break. */
  @Parameters(index = "0", paramLabel = "FILE", description = "File on a sealfs mount.")
  Path file;

  /** picocli's model of this command, for its output streams. */
  @Spec
  CommandSpec spec;

  /** Opens FILE (read-only if allowed), calls SEALFS_IOC_BREAK and reports the outcome. */
  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    long startNanos = System.nanoTime();
    try (SealHandle h = SealClient.openForQuery(file)) {
      h.breakSeals(force ? SealAbi.BREAK_FORCE : 0);
    } catch (SealClientException e) {
      err.println(e.cliLine("break the seals of " + file));
      err.flush();
      return 1;
    }
    long tookMs = (System.nanoTime() - startNanos) / 1_000_000;
    err.println("sealfs: " + (force ? "revoked the seals of " : "broke the seals of ") + file
        + " in " + tookMs + " ms");
    err.flush();
    return 0;
  }
}
