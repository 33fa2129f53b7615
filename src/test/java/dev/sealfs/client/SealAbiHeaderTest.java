package dev.sealfs.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keeps include/sealfs.h, examples/sealctl.c and the Java constants from drifting apart. */
final class SealAbiHeaderTest {
  /** The header, relative to the Maven base directory (surefire's working directory). */
  private static final Path HEADER = Path.of("include", "sealfs.h");

  /** What the Java side says every line of {@code sealctl abi} must be. */
  private static Map<String, String> javaAbi() {
    Map<String, String> m = new HashMap<>();
    m.put("SEALFS_IOC_SEAL", String.format("0x%08x", SealAbi.IOC_SEAL));
    m.put("SEALFS_IOC_UNSEAL", String.format("0x%08x", SealAbi.IOC_UNSEAL));
    m.put("SEALFS_IOC_STATUS", String.format("0x%08x", SealAbi.IOC_STATUS));
    m.put("SEALFS_IOC_LAYOUT", String.format("0x%08x", SealAbi.IOC_LAYOUT));
    m.put("SEALFS_IOC_BREAK", String.format("0x%08x", SealAbi.IOC_BREAK));
    m.put("SEALFS_SEAL_PREPARE", Long.toString(SealAbi.SEAL_PREPARE));
    m.put("SEALFS_SEAL_ASIS", Long.toString(SealAbi.SEAL_ASIS));
    m.put("SEALFS_SEAL_BREAKABLE", Long.toString(SealAbi.SEAL_BREAKABLE));
    m.put("SEALFS_STATUS_BREAKING", Long.toString(SealAbi.STATUS_BREAKING));
    m.put("SEALFS_STATUS_REVOKED", Long.toString(SealAbi.STATUS_REVOKED));
    m.put("SEALFS_BREAK_FORCE", Long.toString(SealAbi.BREAK_FORCE));
    m.put("sizeof_break", Integer.toString(SealAbi.BREAK_SIZE_BYTES));
    m.put("SEALFS_LAYOUT_LAST", Integer.toString(SealAbi.LAYOUT_LAST));
    m.put("SEALFS_LAYOUT_SEALED", Integer.toString(SealAbi.LAYOUT_SEALED));
    m.put("SEALFS_EXTENT_UNWRITTEN", Integer.toString(SealAbi.EXTENT_UNWRITTEN));
    m.put("SEALFS_EXTENT_SHARED", Integer.toString(SealAbi.EXTENT_SHARED));
    m.put("sizeof_seal", Integer.toString(SealAbi.SEAL_SIZE_BYTES));
    m.put("sizeof_status", Integer.toString(SealAbi.STATUS_SIZE_BYTES));
    m.put("sizeof_extent", Integer.toString(SealAbi.EXTENT_SIZE_BYTES));
    m.put("sizeof_layout", Integer.toString(SealAbi.LAYOUT_SIZE_BYTES));
    m.put("max_extents", Integer.toString(SealAbi.LAYOUT_MAX_EXTENTS));
    return m;
  }

  /** The header's _Static_asserts, flag #defines and xattr names equal the Java constants. */
  @Test
  void headerTextMatchesJava() throws IOException {
    String h = Files.readString(HEADER, StandardCharsets.UTF_8);
    Map<String, Long> asserted = new HashMap<>();
    Matcher m = Pattern.compile("STATIC_ASSERT\\((SEALFS_IOC_\\w+) == (0x[0-9A-Fa-f]+)u?,")
        .matcher(h);
    while (m.find()) {
      asserted.put(m.group(1), Long.parseLong(m.group(2).substring(2), 16));
    }
    assertEquals(SealAbi.IOC_SEAL, asserted.get("SEALFS_IOC_SEAL"));
    assertEquals(SealAbi.IOC_UNSEAL, asserted.get("SEALFS_IOC_UNSEAL"));
    assertEquals(SealAbi.IOC_STATUS, asserted.get("SEALFS_IOC_STATUS"));
    assertEquals(SealAbi.IOC_LAYOUT, asserted.get("SEALFS_IOC_LAYOUT"));
    assertEquals(SealAbi.IOC_BREAK, asserted.get("SEALFS_IOC_BREAK"));
    Map<String, String> defs = new HashMap<>();
    Matcher d = Pattern.compile("(?m)^#define (SEALFS_\\w+)\\s+(\\S.*)$").matcher(h);
    while (d.find()) {
      defs.put(d.group(1), d.group(2).trim());
    }
    Map<String, String> java = javaAbi();
    for (String k : new String[] {"SEALFS_SEAL_PREPARE", "SEALFS_SEAL_ASIS", "SEALFS_LAYOUT_LAST",
        "SEALFS_LAYOUT_SEALED", "SEALFS_EXTENT_UNWRITTEN", "SEALFS_EXTENT_SHARED",
        "SEALFS_SEAL_BREAKABLE", "SEALFS_STATUS_BREAKING", "SEALFS_STATUS_REVOKED",
        "SEALFS_BREAK_FORCE"}) {
      assertEquals(java.get(k), defs.get(k), k);
    }
    assertEquals(java.get("max_extents"), defs.get("SEALFS_LAYOUT_MAX_EXTENTS"));
    assertEquals('"' + SealAbi.XATTR_SEAL_ON_OPEN + '"', defs.get("SEALFS_XATTR_SEAL_ON_OPEN"));
    assertEquals('"' + SealAbi.XATTR_LAYOUT + '"', defs.get("SEALFS_XATTR_LAYOUT"));
    assertEquals('"' + SealAbi.XATTR_SEAL + '"', defs.get("SEALFS_XATTR_SEAL"));
    assertEquals('"' + SealAbi.XATTR_HOLDERS + '"', defs.get("SEALFS_XATTR_HOLDERS"));
    assertEquals('"' + SealAbi.XATTR_DEVICE + '"', defs.get("SEALFS_XATTR_DEVICE"));
    assertTrue(h.contains("_IOWR(SEALFS_IOC_MAGIC, 1, struct sealfs_seal)"));
    assertTrue(h.contains("_IOW(SEALFS_IOC_MAGIC, 5, uint64_t)"));
  }

  /** Compiled by gcc, sealctl's "abi" output equals the Java constants (skipped without gcc). */
  @Test
  void compiledHeaderMatchesJava(@TempDir Path tmp) throws Exception {
    Path exe = tmp.resolve("sealctl");
    ProcessBuilder cc = new ProcessBuilder("gcc", "-Wall", "-Werror", "-o", exe.toString(),
        "examples/sealctl.c", "-Iinclude").redirectErrorStream(true);
    Process p;
    try {
      p = cc.start();
    } catch (IOException e) {
      Assumptions.abort("gcc not available: " + e.getMessage());
      return;
    }
    String ccOut = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "gcc failed:\n" + ccOut);
    Process run = new ProcessBuilder(exe.toString(), "abi").redirectErrorStream(true).start();
    String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(run.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, run.exitValue(), out);
    Map<String, String> c = new HashMap<>();
    for (String line : out.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        c.put(line.substring(0, eq), line.substring(eq + 1).trim());
      }
    }
    assertEquals(javaAbi(), c);
  }
}
