package dev.sealfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Computes C constant expressions with gcc: a program with the given prologue (includes and
 * declarations) prints each named expression; the test's Java constants are compared with what
 * it prints. Aborts the calling test (skip) if gcc is not installed.
 */
final class CProbe {

  private CProbe() {}

  /** Returns each expression's value by name, computed by a program compiled in {@code tmp}. */
  static Map<String, Long> values(Path tmp, String prologue, Map<String, String> expressions)
      throws IOException, InterruptedException {
    StringBuilder c = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n#include <stdint.h>\n")
        .append(prologue).append("\nint main(void) {\n");
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

  /** Returns the static int and long constants of {@code c} by name. */
  static Map<String, Long> constants(Class<?> c) throws IllegalAccessException {
    Map<String, Long> m = new TreeMap<>();
    for (Field f : c.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) && (f.getType() == int.class
          || f.getType() == long.class)) {
        f.setAccessible(true);
        m.put(f.getName(), ((Number) f.get(null)).longValue());
      }
    }
    return m;
  }
}
