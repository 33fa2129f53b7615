package dev.sealfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.client.SealClientException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file that is not on a sealfs mount is named as such by seal, status and layout. */
class SealfsFileTest {
  @TempDir
  Path tmp;

  @Test
  void aFileElsewhereIsNotOnSealfs() throws Exception {
    Path f = Files.writeString(tmp.resolve("f"), "x");
    String why = SealfsFile.notOnSealfs(f).orElseThrow();
    assertTrue(why.startsWith("not on a sealfs mount (it is on "), why);
    assertTrue(SealfsFile.notOnSealfs(tmp.resolve("missing")).isEmpty());
    String enotty = SealfsFile.cliLine(new SealClientException("seal", 25), "seal " + f, f);
    assertEquals("sealfs: cannot seal " + f + ": " + why, enotty);
    assertEquals("sealfs: cannot seal " + f + ": Text file busy",
        SealfsFile.cliLine(new SealClientException("seal", 26), "seal " + f, f));
  }

  @Test
  void sealStatusAndLayoutSaySo() throws Exception {
    Path f = Files.writeString(tmp.resolve("f"), "x");
    for (String cmd : new String[] {"seal", "status", "layout"}) {
      StringWriter err = new StringWriter();
      int code = Main.run(new String[] {cmd, f.toString()},
          new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
      assertEquals(1, code, cmd);
      String line = err.toString().strip();
      assertTrue(line.startsWith("sealfs: cannot ") && line.contains(f + ": not on a sealfs mount"),
          cmd + ": " + line);
      assertTrue(!line.contains("Inappropriate ioctl") && !line.contains("\n"), line);
    }
  }
}
