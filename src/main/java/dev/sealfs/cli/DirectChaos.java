package dev.sealfs.cli;

import dev.sealfs.client.DirectSession;
import dev.sealfs.client.SealClientException;
import dev.sealfs.core.LayoutPage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code --chaos} side of {@code sealfs direct}: other processes (truncate, fallocate,
 * xfs_io, python, ln/rm) attack the file while it is held. Operations the seal must refuse have
 * to fail with "Text file busy"; the allowed ones (unlink + relink through a hard link, touch)
 * have to succeed; after each one the layout seen through the holder must be the one taken at
 * seal time. Anything else is a violation.
 */
final class DirectChaos implements Runnable {
  /** strerror(ETXTBSY), as the tools print it. */
  static final String ETXTBSY_TEXT = "Text file busy";
  /** How long one attacking process may take before it counts as unexpected. */
  private static final long OP_TIMEOUT_SECONDS = 30;

  /** One attacking command line, and whether the seal must refuse it. */
  record Op(String name, boolean mustRefuse, List<String> argv, String needs) {}

  /** The file under attack. */
  private final Path file;
  /** The holder's session (for layout re-checks). */
  private final DirectSession session;
  /** The operations, in round-robin order. */
  private final List<Op> ops;
  /** Set by the workload when it is done; chaos then finishes its current round. */
  private volatile boolean stop;
  /** Full rounds completed. */
  private int rounds;
  /** Operations refused with ETXTBSY, as they must be. */
  private int refused;
  /** Allowed operations that succeeded, as they must. */
  private int allowed;
  /** Operations skipped because their tool is missing. */
  private int skipped;
  /** Violations: refused ops that succeeded, unexpected failures, layout changes. */
  private int violations;
  /** One line per violation, for the report (first few only). */
  private final List<String> notes = new ArrayList<>();

  /** Creates the attacker for {@code file}, held through {@code session}. */
  DirectChaos(Path file, DirectSession session) {
    this.file = file.toAbsolutePath();
    this.session = session;
    this.ops = ops(this.file, session.sizeBytes());
  }

  /** Returns the attacking operations for a file of {@code sizeBytes}. */
  static List<Op> ops(Path f, long sizeBytes) {
    String p = f.toString();
    String py = "python3";
    String link = p + ".chaos-link";
    List<Op> l = new ArrayList<>();
    l.add(new Op("truncate-shrink", true, List.of("truncate", "-s", "0", p), "truncate"));
    l.add(new Op("truncate-grow", true, List.of("truncate", "-s", "+1M", p), "truncate"));
    l.add(new Op("truncate-same", true, List.of("truncate", "-s", Long.toString(sizeBytes), p),
        "truncate"));
    l.add(new Op("fallocate-extend", true,
        List.of("fallocate", "-o", Long.toString(sizeBytes), "-l", "1M", p), "fallocate"));
    l.add(new Op("fallocate-punch", true, List.of("fallocate", "-p", "-o", "0", "-l", "4096", p),
        "fallocate"));
    l.add(new Op("xfs_io-falloc", true, List.of("xfs_io", "-c", "falloc 0 4096", p), "xfs_io"));
    l.add(new Op("xfs_io-fpunch", true, List.of("xfs_io", "-c", "fpunch 0 4096", p), "xfs_io"));
    l.add(new Op("xfs_io-fzero", true, List.of("xfs_io", "-c", "fzero 0 4096", p), "xfs_io"));
    l.add(new Op("xfs_io-truncate", true, List.of("xfs_io", "-c", "truncate 4096", p), "xfs_io"));
    l.add(new Op("python-append", true, List.of(py, "-c",
        "import os,sys; fd=os.open(sys.argv[1], os.O_WRONLY|os.O_APPEND); os.write(fd, b'x')", p),
        py));
    l.add(new Op("python-pwrite-eof", true, List.of(py, "-c",
        "import os,sys; fd=os.open(sys.argv[1], os.O_WRONLY); "
            + "os.pwrite(fd, b'x' * 4096, os.fstat(fd).st_size)", p), py));
    l.add(new Op("python-open-trunc", true, List.of(py, "-c",
        "import os,sys; os.open(sys.argv[1], os.O_WRONLY|os.O_TRUNC)", p), py));
    l.add(new Op("unlink-relink", false, List.of("sh", "-c",
        "set -e; rm -f \"$2\"; ln \"$1\" \"$2\"; rm \"$1\"; ln \"$2\" \"$1\"; rm \"$2\"", "sh", p,
        link), "ln"));
    l.add(new Op("touch", false, List.of("touch", p), "touch"));
    return l;
  }

  /** Asks the attacker to finish the round it is in. */
  void stop() {
    stop = true;
  }

  /** Runs rounds of all operations until {@link #stop} (at least one full round). */
  @Override
  public void run() {
    do {
      for (Op op : ops) {
        runOne(op);
      }
      rounds++;
    } while (!stop);
  }

  /** Runs one operation and scores it. */
  private void runOne(Op op) {
    if (!onPath(op.needs())) {
      skipped++;
      return;
    }
    int rc;
    String output;
    try {
      Process p = new ProcessBuilder(op.argv()).redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(OP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        violation(op, "timed out");
        return;
      }
      rc = p.exitValue();
      output = new String(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      skipped++;
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (op.mustRefuse()) {
      // xfs_io exits 0 even when its command failed; its message is what tells.
      if (output.contains(ETXTBSY_TEXT)) {
        refused++;
      } else if (rc == 0) {
        violation(op, "succeeded on a sealed file");
      } else {
        violation(op, "failed without ETXTBSY (exit " + rc + "): " + firstLine(output));
      }
    } else if (rc == 0) {
      allowed++;
    } else {
      violation(op, "allowed operation failed (exit " + rc + "): " + firstLine(output));
    }
    checkLayout(op);
  }

  /** Compares the layout seen now through the holder with the one taken at seal time. */
  private void checkLayout(Op op) {
    try {
      LayoutPage now = session.handle().layoutAll();
      LayoutPage then = session.layout();
      if (now.generation() != then.generation() || now.size() != then.size()
          || !now.extents().equals(then.extents()) || !now.sealed()) {
        violation(op, "layout changed: generation " + then.generation() + " -> "
            + now.generation() + ", size " + then.size() + " -> " + now.size() + ", extents "
            + then.extents().size() + " -> " + now.extents().size());
      }
    } catch (SealClientException e) {
      violation(op, "layout re-check failed: " + e.getMessage());
    }
  }

  /** Records one violation. */
  private void violation(Op op, String what) {
    violations++;
    if (notes.size() < 20) {
      notes.add(op.name() + ": " + what);
    }
  }

  /** Returns true if {@code cmd} is an executable on PATH. */
  private static boolean onPath(String cmd) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, cmd))) {
        return true;
      }
    }
    return false;
  }

  /** Returns the first non-blank line of {@code s}, or the last line of a traceback. */
  private static String firstLine(String s) {
    String[] lines = s.strip().split("\n");
    return lines.length == 0 ? "" : lines[lines.length - 1].strip();
  }

  /** Returns full rounds completed. */
  int rounds() {
    return rounds;
  }

  /** Returns the number of operations per round. */
  int opsPerRound() {
    return ops.size();
  }

  /** Returns ETXTBSY refusals counted. */
  int refused() {
    return refused;
  }

  /** Returns allowed operations that succeeded. */
  int allowed() {
    return allowed;
  }

  /** Returns operations skipped for a missing tool. */
  int skipped() {
    return skipped;
  }

  /** Returns the violations counted. */
  int violations() {
    return violations;
  }

  /** Returns descriptions of the first violations. */
  List<String> notes() {
    return notes;
  }
}
