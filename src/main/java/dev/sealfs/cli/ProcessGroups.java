package dev.sealfs.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** Reads process-group membership from /proc (Java's ProcessHandle does not expose it). */
final class ProcessGroups {
  /** Where the kernel lists processes. */
  private static final Path PROC = Paths.get("/proc");

  private ProcessGroups() {}

  /** Returns the pids of the live (not zombie) processes whose process group is {@code pgid}. */
  static List<Long> members(long pgid) {
    List<Long> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(PROC, "[0-9]*")) {
      for (Path d : ds) {
        long[] st = stat(d.resolve("stat"));
        if (st != null && st[1] == pgid) {
          out.add(st[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // an unreadable /proc: nothing known
    }
    return out;
  }

  /** Returns {pid, pgrp} from a /proc/PID/stat file, or null if gone or a zombie. */
  static long[] stat(Path statFile) {
    String line;
    try {
      line = Files.readString(statFile, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return null;
    }
    return parseStat(line);
  }

  /** Parses "PID (COMM) STATE PPID PGRP ..." into {pid, pgrp}; null for a zombie or garbage. */
  static long[] parseStat(String line) {
    int close = line.lastIndexOf(')');
    int open = line.indexOf(" (");
    if (close < 0 || open < 0) {
      return null;
    }
    String[] f = line.substring(close + 2).trim().split(" ");
    if (f.length < 3 || f[0].equals("Z") || f[0].equals("X")) {
      return null;
    }
    try {
      return new long[] {Long.parseLong(line.substring(0, open).trim()), Long.parseLong(f[2])};
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
