package dev.sealfs.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Temporary entry point of the "client" branch running seal/layout/status until the lead's
 * {@code Main} registers them; dropped at merge.
 */
@Command(name = "sealfs", mixinStandardHelpOptions = true,
    subcommands = {SealCommand.class, LayoutCommand.class, StatusCommand.class},
    description = "sealfs client commands (temporary entry point).")
public final class ClientMain implements Runnable {
  /** Prints usage when no subcommand is given. */
  @Override
  public void run() {
    new CommandLine(this).usage(System.err);
  }

  /** Runs the command line and exits with the subcommand's status. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Returns the configured command line: one-line "sealfs: " errors, never a stack trace. */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new ClientMain());
    cl.setParameterExceptionHandler((ex, a) -> {
      String msg = String.valueOf(ex.getMessage()).replaceFirst("^Error: ", "");
      ex.getCommandLine().getErr().println("sealfs: " + msg);
      return 2;
    });
    cl.setExecutionExceptionHandler((ex, c, parsed) -> {
      c.getErr().println("sealfs: " + ex);
      return 1;
    });
    return cl;
  }
}
