package dev.sealfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code sealfs direct --breakable} options (the lease itself runs in fuse-tests). */
class DirectBreakableTest {
  /** Runs {@code args} and returns {exit status, stdout, stderr}. */
  private static Object[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Object[] {code, out.toString(), err.toString()};
  }

  /** --breakable is offered and explained in --help. */
  @Test
  void helpOffersBreakable() {
    Object[] r = run("direct", "--help");
    assertEquals(0, r[0]);
    assertTrue(((String) r[1]).contains("--breakable"), (String) r[1]);
  }

  /** A lease cannot be verified or attacked the way a hard seal is: usage error, one line. */
  @Test
  void breakableRefusesVerifyAndChaos() {
    for (String other : new String[] {"--verify", "--chaos"}) {
      Object[] r = run("direct", "/nonexistent/f", "--breakable", other);
      assertEquals(Main.EXIT_USAGE, r[0], (String) r[2]);
      assertEquals("sealfs: --breakable cannot be combined with --verify or --chaos",
          ((String) r[2]).strip());
    }
  }
}
