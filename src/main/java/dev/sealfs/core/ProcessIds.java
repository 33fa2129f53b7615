package dev.sealfs.core;

import java.nio.file.Files;
import java.nio.file.Path;

/** The current process's real uid and gid, read from /proc (0 if unreadable). */
final class ProcessIds {
  private ProcessIds() {}

  private static int field(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key + ":")) {
          return Integer.parseInt(line.substring(key.length() + 1).trim().split("\\s+")[0]);
        }
      }
    } catch (Exception e) {
      return 0;
    }
    return 0;
  }

  /** Returns the real uid. */
  static int uid() {
    return field("Uid");
  }

  /** Returns the real gid. */
  static int gid() {
    return field("Gid");
  }
}
