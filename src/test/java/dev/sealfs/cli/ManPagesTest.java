package dev.sealfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The man pages come from the same picocli model as --help. */
class ManPagesTest {
  private static Map<String, String> pages() {
    return ManPages.pages(Main.commandLine(new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter())));
  }

  @Test
  void onePagePerCommandAndLinksForTheHelpers() {
    Map<String, String> p = pages();
    for (String cmd : new String[] {"mkfs", "mount", "fsck", "seal", "layout", "status", "map"}) {
      assertTrue(p.containsKey("sealfs-" + cmd + ".8"), cmd);
    }
    assertTrue(p.get("sealfs.8").contains(".BR sealfs\\-map (8)"));
    assertEquals(".so man8/sealfs-mkfs.8\n", p.get("mkfs.sealfs.8"));
  }

  @Test
  void optionsAndExitCodesMatchTheAnnotations() {
    String fsck = pages().get("sealfs-fsck.8");
    assertTrue(fsck.startsWith(".\\\" Generated"), fsck);
    assertTrue(fsck.contains(".TH SEALFS-FSCK 8 "), fsck);
    assertTrue(fsck.contains("\\fB\\-n\\fR\nno\\-modify: check only, never write"), fsck);
    assertTrue(fsck.contains(".B 16\nusage error"), fsck);
    assertTrue(fsck.indexOf(".B 4\n") < fsck.indexOf(".B 16\n"), "codes sorted numerically");
  }

  @Test
  void escapesRoff() {
    assertEquals("\\&.x a\\-b \\e", ManPages.escape(".x a-b \\"));
  }
}
