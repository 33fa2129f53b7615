package dev.sealfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Computes C expressions (sizeof, offsetof, macros) with gcc: one program that includes
 * {@code prelude} and prints each expression; the ABI pinning tests compare the values with
 * their Java constants. Aborts the test (skipped) when gcc is not installed.
 */
final class CProbe {

  private CProbe() {}

  /** Returns the value of each of {@code expressions} (by name), compiled in {@code tmp}. */
  static Map<String, Long> values(Path tmp, String prelude, Map<String, String> expressions)
      throws IOException, InterruptedException {
    StringBuilder c = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n"
        + "#include <stdint.h>\n").append(prelude).append("int main(void) {\n");
    for (Map.Entry<String, String> e : expressions.entrySet()) {
      c.append("  printf(\"").append(e.getKey()).append("=%llu\\n\", (unsigned long long)(")
          .append(e.getValue()).append("));\n");
    }
    c.append("  return 0;\n}\n");
    Path src = tmp.resolve("probe.c");
    Files.writeString(src, c.toString(), StandardCharsets.UTF_8);
    Path exe = tmp.resolve("probe");
    Process cc;
    try {
      cc = new ProcessBuilder("gcc", "-Wall", "-Werror", "-o", exe.toString(), src.toString())
          .redirectErrorStream(true).start();
    } catch (IOException e) {
      Assumptions.abort("gcc not available: " + e.getMessage());
      return Map.of();
    }
    String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(cc.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, cc.exitValue(), "gcc failed:\n" + ccOut);
    Process run = new ProcessBuilder(exe.toString()).redirectErrorStream(true).start();
    String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(run.waitFor(30, TimeUnit.SECONDS));
    Map<String, Long> values = new TreeMap<>();
    for (String line : out.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        values.put(line.substring(0, eq), Long.parseUnsignedLong(line.substring(eq + 1).trim()));
      }
    }
    return values;
  }
}
