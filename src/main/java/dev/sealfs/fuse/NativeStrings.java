package dev.sealfs.fuse;

import dev.sealfs.core.SealFs;
import java.nio.charset.Charset;

/**
 * Conversions between the strings jnr-ffi makes of native {@code char*} (decoded with the JVM's
 * default charset), the core's byte strings ({@link SealFs#NAME_CHARSET}, one char per byte) and
 * Java's own path strings (sun.jnu.encoding). A mount daemon runs with
 * {@code -Dfile.encoding=ISO-8859-1}, so jnr-ffi's strings are byte strings and every name
 * round-trips; with another default charset, names valid in it still work.
 */
final class NativeStrings {

  /** The charset jnr-ffi (and, on Java 17, ProcessBuilder) use: the JVM's default. */
  static final Charset JNR_CHARSET = Charset.defaultCharset();
  /** True when jnr-ffi's strings are byte strings already. */
  static final boolean BYTE_STRINGS = JNR_CHARSET.equals(SealFs.NAME_CHARSET);
  /** The charset the JVM decodes file names and arguments with (sun.jnu.encoding). */
  static final Charset JNU_CHARSET = jnuCharset();

  private NativeStrings() {}

  /** Returns the charset named by sun.jnu.encoding, or the default charset. */
  private static Charset jnuCharset() {
    try {
      return Charset.forName(System.getProperty("sun.jnu.encoding"));
    } catch (RuntimeException e) {
      return Charset.defaultCharset();
    }
  }

  /** Returns a string jnr-ffi decoded from native memory as the core's byte string. */
  static String in(String s) {
    return s == null || BYTE_STRINGS ? s : new String(s.getBytes(JNR_CHARSET), SealFs.NAME_CHARSET);
  }

  /**
   * Returns a Java path string as jnr-ffi or ProcessBuilder must get it so that the native side
   * sees the bytes the JVM's file APIs would use.
   */
  static String toNative(String s) {
    return new String(s.getBytes(JNU_CHARSET), JNR_CHARSET);
  }
}
