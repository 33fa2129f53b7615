package dev.sealfs.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One line of {@code /proc/self/mountinfo}: where something is mounted, what and from where.
 *
 * @param majorMinor the st_dev of the mounted filesystem, "major:minor"
 * @param mountPoint the mount point, unescaped
 * @param fsType the filesystem type (for sealfs, {@code fuse.sealfs})
 * @param source the mount source (for FUSE, the fsname)
 */
public record MountInfo(String majorMinor, String mountPoint, String fsType, String source) {

  /** The kernel's list of this process's mounts. */
  private static final Path MOUNTINFO = Paths.get("/proc/self/mountinfo");

  /** Returns the most recent mount whose mount point is exactly {@code canonicalDir}. */
  public static Optional<MountInfo> find(Path canonicalDir) {
    String want = canonicalDir.toString();
    MountInfo found = null;
    for (MountInfo m : readAll()) {
      if (m.mountPoint.equals(want)) {
        found = m;
      }
    }
    return Optional.ofNullable(found);
  }

  /**
   * Returns the mount that holds {@code canonicalPath}: the deepest mount point at or above it
   * (the latest one where several are stacked), among those {@code filter} accepts.
   */
  public static Optional<MountInfo> holding(Path canonicalPath,
      java.util.function.Predicate<MountInfo> filter) {
    MountInfo best = null;
    int bestDepth = -1;
    for (MountInfo m : readAll()) {
      Path mp = Paths.get(m.mountPoint);
      if (filter.test(m) && canonicalPath.startsWith(mp) && mp.getNameCount() >= bestDepth) {
        best = m;
        bestDepth = mp.getNameCount();
      }
    }
    return Optional.ofNullable(best);
  }

  /** Returns true if something is mounted exactly at {@code canonicalDir}. */
  public static boolean isMounted(Path canonicalDir) {
    return find(canonicalDir).isPresent();
  }

  /** Returns all mounts of this process's mount namespace (empty if the file is unreadable). */
  public static List<MountInfo> readAll() {
    List<MountInfo> out = new ArrayList<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return out;
    }
    for (String line : lines) {
      MountInfo m = parse(line);
      if (m != null) {
        out.add(m);
      }
    }
    return out;
  }

  /** Parses one mountinfo line; null if it is malformed. */
  static MountInfo parse(String line) {
    String[] f = line.split(" ");
    int dash = -1;
    for (int i = 6; i < f.length; i++) {
      if (f[i].equals("-")) {
        dash = i;
        break;
      }
    }
    if (f.length < 7 || dash < 0 || dash + 2 >= f.length) {
      return null;
    }
    return new MountInfo(f[2], unescape(f[4]), f[dash + 1], unescape(f[dash + 2]));
  }

  /** Undoes the kernel's octal escaping of space, tab, newline and backslash. */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && isOctal(s, i + 1)) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** Returns true if three octal digits start at {@code at}. */
  private static boolean isOctal(String s, int at) {
    if (at + 3 > s.length()) {
      return false;
    }
    for (int i = at; i < at + 3; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '7') {
        return false;
      }
    }
    return true;
  }

  /** Returns the kernel dev_t number ({@code major << 20 | minor}) of this mount, or -1. */
  public long devNumber() {
    int colon = majorMinor.indexOf(':');
    if (colon < 0) {
      return -1;
    }
    try {
      long major = Long.parseLong(majorMinor.substring(0, colon));
      long minor = Long.parseLong(majorMinor.substring(colon + 1));
      return (major << 20) | minor;
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
