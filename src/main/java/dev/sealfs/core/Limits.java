package dev.sealfs.core;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/** The limits and encodings every floor of the core shares (part of the API vocabulary). */
public final class Limits {
  private Limits() {}

  /**
   * Names, symlink targets and xattr names are byte strings, as in the kernel: each char of such
   * a String is one byte (ISO-8859-1), so any byte sequence round-trips and lengths are bytes.
   */
  public static final Charset NAME_CHARSET = StandardCharsets.ISO_8859_1;
  /** Longest name in bytes. */
  public static final int NAME_MAX = 255;
  /** Longest symlink target in bytes. */
  public static final int PATH_MAX = 4096;
  /** Largest file size in bytes (sparse files may exceed the device). */
  public static final long MAX_FILE_BYTES = 1L << 52;
  /** {@code utimens} value: set this time to now. */
  public static final long UTIME_NOW = (1L << 30) - 1;
  /** {@code utimens} value: leave this time unchanged. */
  public static final long UTIME_OMIT = (1L << 30) - 2;

  /** Returns the wall-clock time in nanoseconds since the epoch. */
  public static long nowNs() {
    java.time.Instant t = java.time.Instant.now();
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
