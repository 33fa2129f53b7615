package dev.sealfs.cli;

import dev.sealfs.core.FsException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code sealfs} command: mkfs, mount, fsck (and the client commands), with one-line errors.
 *
 * <p>Exit codes: 0 success, 1 failure ({@code sealfs: <message>}), 2 usage error; fsck follows
 * fsck(8) instead (8 operational error, 16 usage error). Also runs as a mount helper: when the
 * first argument is neither a subcommand nor an option and at least two are given, the
 * arguments are those of {@code mount} ({@code mount.fuse3} runs {@code sealfs SOURCE MNT -o
 * OPTS} for fstab type {@code fuse.sealfs}).
 */
@Command(name = "sealfs", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "A FUSE filesystem with userspace block-map sealing.",
    footerHeading = "%n",
    footer = {"As a filesystem type (with the Debian package): mkfs -t sealfs DEVICE",
        "[BLOCKS], mount -t fuse.sealfs DEVICE MOUNTPOINT, fsck -t sealfs DEVICE, and",
        "fstab lines such as: /srv/sealfs.img /mnt/sealfs fuse.sealfs defaults 0 2.",
        "mkfs.sealfs takes BLOCKS in KiB; fsck.sealfs repairs with -a, -p or -y and",
        "only checks with -n."},
    subcommands = {
        MkfsCommand.class,
        MountCommand.class,
        FsckCommand.class,
        SealCommand.class,
        BreakCommand.class,
        LayoutCommand.class,
        StatusCommand.class,
        MapCommand.class,
        StatsCommand.class,
        DirectCommand.class,
        DemoCommand.class,
    })
public final class Main implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  /** The version reported by --version. */
  public static final String VERSION = "0.1.0-SNAPSHOT";
  /** Exit code of a failed command. */
  public static final int EXIT_FAILURE = 1;
  /** Exit code of a usage error. */
  public static final int EXIT_USAGE = 2;

  /** This command's model, injected by picocli. */
  @Spec
  CommandSpec spec;

  /** Supplies --version. */
  static final class Version implements CommandLine.IVersionProvider {
    /** Returns the version lines. */
    @Override
    public String[] getVersion() {
      return new String[] {"sealfs " + VERSION};
    }
  }

  /** Runs the command line and exits the JVM with its exit code. */
  public static void main(String[] args) {
    int code = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    System.out.flush();
    System.err.flush();
    System.exit(code);
  }

  /** Runs the command line with the given streams; returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    try {
      CommandLine cl = commandLine(out, err);
      return cl.execute(rewriteMountHelperArgs(cl, args));
    } catch (Throwable t) {
      return internalError(err, t);
    }
  }

  /** Returns the configured picocli command line (handlers, streams). */
  static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler(Main::handleUsageError);
    cl.setExecutionExceptionHandler(Main::handleFailure);
    return cl;
  }

  /** Without a subcommand: a usage error. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(),
        "missing command (mkfs, mount, fsck, ...)");
  }

  /**
   * Returns {@code args} with "mount" in front when sealfs was called the mount-helper way
   * ({@code sealfs SOURCE MOUNTPOINT [-o OPTS]}); otherwise {@code args} unchanged.
   */
  static String[] rewriteMountHelperArgs(CommandLine cl, String[] args) {
    Set<String> commands = cl.getSubcommands().keySet();
    if (args.length < 2 || args[0].startsWith("-") || commands.contains(args[0])) {
      return args;
    }
    List<String> out = new ArrayList<>(List.of("mount"));
    out.addAll(List.of(args));
    return out.toArray(new String[0]);
  }

  /** Prints a usage error as one line; returns 2 (16 for fsck, as fsck(8) has it). */
  private static int handleUsageError(ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    String msg = String.valueOf(e.getMessage()).replace('\n', ' ').trim();
    String name = cl.getCommandSpec().qualifiedName();
    cl.getErr().println("sealfs: " + msg + " (see: " + name + " --help)");
    cl.getErr().flush();
    return cl.getCommand() instanceof FsckCommand ? FsckCommand.EXIT_USAGE : EXIT_USAGE;
  }

  /** Prints a command's failure as one line; returns 1 (8 for fsck). */
  private static int handleFailure(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
    int code = cl.getCommand() instanceof FsckCommand ? FsckCommand.EXIT_OPERATIONAL
        : EXIT_FAILURE;
    if (e instanceof FsException) {
      LOG.debug("command failed", e);
      cl.getErr().println("sealfs: " + oneLine(e.getMessage()));
      cl.getErr().flush();
      return code;
    }
    internalError(cl.getErr(), e);
    return code;
  }

  /**
   * Reports an unexpected failure: one line on {@code err}, the stack trace to the log (at
   * debug level) and to a file named in that line. Returns 1.
   */
  static int internalError(PrintWriter err, Throwable t) {
    LOG.debug("internal error", t);
    String where = "";
    try {
      Path f = Paths.get(System.getProperty("java.io.tmpdir"),
          "sealfs-internal-error-" + ProcessHandle.current().pid() + ".txt");
      StringWriter trace = new StringWriter();
      t.printStackTrace(new PrintWriter(trace));
      Files.writeString(f, trace.toString(), StandardCharsets.UTF_8);
      where = " (stack trace in " + f + ")";
    } catch (IOException | RuntimeException ignored) {
      // no trace file; the one line still goes out
    }
    String msg = t.getMessage() != null ? t.getMessage() : t.getClass().getName();
    err.println("sealfs: internal error: " + oneLine(msg) + where);
    err.flush();
    return EXIT_FAILURE;
  }

  /** Returns the first line of {@code s}. */
  static String oneLine(String s) {
    if (s == null) {
      return "(no message)";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }
}
