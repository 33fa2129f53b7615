package dev.sealfs.cli;

import java.util.Locale;
import picocli.CommandLine;

/** Parses byte sizes like {@code 4096}, {@code 4k}, {@code 256M}, {@code 1G}, {@code 2T}. */
public final class Sizes implements CommandLine.ITypeConverter<Long> {

  /** Converts a command-line value for picocli. */
  @Override
  public Long convert(String value) {
    try {
      return parseBytes(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }

  /**
   * Returns the number of bytes in {@code s}: digits with an optional suffix K, M, G or T (powers
   * of 1024, any case, optionally followed by "B" or "iB").
   */
  public static long parseBytes(String s) {
    String t = s.trim();
    String u = t.toUpperCase(Locale.ROOT);
    if (u.endsWith("IB")) {
      u = u.substring(0, u.length() - 2);
    } else if (u.endsWith("B")) {
      u = u.substring(0, u.length() - 1);
    }
    int shift = 0;
    if (!u.isEmpty()) {
      switch (u.charAt(u.length() - 1)) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        case 'T': shift = 40; break;
        default: shift = -1; break;
      }
      if (shift >= 0) {
        u = u.substring(0, u.length() - 1);
      } else {
        shift = 0;
      }
    }
    if (u.isEmpty() || !u.chars().allMatch(Character::isDigit) || u.length() > 19) {
      throw new IllegalArgumentException("invalid size '" + s + "' (use e.g. 4096, 64K, 256M, 1G)");
    }
    long n = Long.parseLong(u);
    if (n > (Long.MAX_VALUE >> shift)) {
      throw new IllegalArgumentException("size '" + s + "' is too large");
    }
    return n << shift;
  }
}
