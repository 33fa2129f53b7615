package dev.sealfs.cli;

import dev.sealfs.client.HandleStatus;
import dev.sealfs.client.SealAbi;
import dev.sealfs.client.SealClient;
import dev.sealfs.client.SealClientException;
import dev.sealfs.client.SealHandle;
import dev.sealfs.core.SealStatus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sealfs status FILE}: seal state, holders, generation, size, the break under way (SPEC
 * 10), and the holders list with each holder's range, breakable flag and state (held, breaking,
 * revoked).
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"Print FILE's seal state, holder count, generation, size, the break under",
        "way if any, and its holders with their ranges, breakable flags and states."})
public final class StatusCommand implements Callable<Integer> {
  /** The file to describe. */
  @Parameters(index = "0", paramLabel = "FILE", description = "File on a sealfs mount.")
  Path file;

  /** picocli's model of this command, for its output streams. */
  @Spec
  CommandSpec spec;

  /** Queries FILE and prints one "key: value" line per field. */
  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Optional<String> elsewhere = SealfsFile.refusal(file, "read the seal status of " + file);
    if (elsewhere.isPresent()) {
      err.println(elsewhere.get());
      err.flush();
      return 1;
    }
    HandleStatus st;
    try (SealHandle h = SealClient.openForQuery(file)) {
      st = h.handleStatus();
    } catch (SealClientException e) {
      err.println(SealfsFile.cliLine(e, "read the seal status of " + file, file));
      err.flush();
      return 1;
    }
    String onOpen = readXattr(SealAbi.XATTR_SEAL_ON_OPEN).map(String::trim).orElse("off");
    Optional<String> holders = readXattr(SealAbi.XATTR_HOLDERS);
    out.print(format(file.toString(), st, onOpen, holders.orElse(null)));
    out.flush();
    return 0;
  }

  /** Renders a status without break state; {@code holdersXattr} may be null. */
  public static String format(String fileLabel, SealStatus st, String sealOnOpen,
      String holdersXattr) {
    return format(fileLabel, new HandleStatus(st, 0, 0), sealOnOpen, holdersXattr);
  }

  /**
   * Renders the status: the fields, a "break:" line while a break runs, a count of revoked
   * holders when there are any, and one "holder:" line per record of {@code holdersXattr}
   * (which may be null when it could not be read).
   */
  public static String format(String fileLabel, HandleStatus full, String sealOnOpen,
      String holdersXattr) {
    SealStatus st = full.seal();
    StringBuilder sb = new StringBuilder();
    String nl = System.lineSeparator();
    sb.append("file: ").append(fileLabel).append(nl);
    sb.append("state: ").append(st.sealed() ? "sealed" : "unsealed").append(nl);
    sb.append("holders: ").append(Long.toUnsignedString(st.holders())).append(nl);
    sb.append("generation: ").append(Long.toUnsignedString(st.generation())).append(nl);
    sb.append("size: ").append(Long.toUnsignedString(st.size())).append(nl);
    sb.append("block size: ").append(Long.toUnsignedString(st.blockSize())).append(nl);
    sb.append("seal on open: ").append(sealOnOpen.isEmpty() ? "off" : sealOnOpen).append(nl);
    if (full.breaking()) {
      sb.append("break: under way, seals revoked at ")
          .append(Instant.ofEpochMilli(full.breakDeadlineMs())).append(nl);
    }
    if (holdersXattr != null) {
      int revoked = 0;
      StringBuilder lines = new StringBuilder();
      for (String line : holdersXattr.split("\n")) {
        if (!line.isBlank()) {
          lines.append("holder: ").append(line.trim()).append(nl);
          revoked += line.contains(" state=revoked") ? 1 : 0;
        }
      }
      if (revoked > 0) {
        sb.append("revoked holders: ").append(revoked)
            .append(" (their blocks stay quarantined until they acknowledge)").append(nl);
      }
      sb.append(lines);
    }
    return sb.toString();
  }

  /** Returns xattr {@code name} of FILE, or empty if it is unset or unreadable. */
  private Optional<String> readXattr(String name) {
    try {
      return SealClient.getXattr(file, name);
    } catch (SealClientException e) {
      return Optional.empty();
    }
  }
}
