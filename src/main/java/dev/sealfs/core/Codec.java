package dev.sealfs.core;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Little-endian encoding of metadata: a growable {@link Writer} and a bounds-checked
 * {@link Reader} that turns any malformed input into EUCLEAN ("metadata damaged"), never an
 * unchecked exception or a huge allocation.
 */
final class Codec {
  private Codec() {}

  /** Returns the CRC32C of {@code len} bytes of {@code b} from {@code off}. */
  static int crc32c(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }

  /** A growable little-endian byte writer. */
  static final class Writer {
    /** The bytes written so far (capacity may exceed size). */
    private byte[] buf;
    /** Number of bytes written. */
    private int size;

    /** Creates a writer with the given initial capacity. */
    Writer(int capacity) {
      buf = new byte[Math.max(16, capacity)];
    }

    private void ensure(int more) {
      if (size + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
      }
    }

    /** Appends one byte. */
    Writer u8(int v) {
      ensure(1);
      buf[size++] = (byte) v;
      return this;
    }

    /** Appends a 16-bit value. */
    Writer u16(int v) {
      ensure(2);
      buf[size++] = (byte) v;
      buf[size++] = (byte) (v >>> 8);
      return this;
    }

    /** Appends a 32-bit value. */
    Writer u32(int v) {
      ensure(4);
      for (int i = 0; i < 4; i++) {
        buf[size++] = (byte) (v >>> (8 * i));
      }
      return this;
    }

    /** Appends a 64-bit value. */
    Writer u64(long v) {
      ensure(8);
      for (int i = 0; i < 8; i++) {
        buf[size++] = (byte) (v >>> (8 * i));
      }
      return this;
    }

    /** Appends a length-prefixed byte string. */
    Writer bytes(byte[] b) {
      u32(b.length);
      ensure(b.length);
      System.arraycopy(b, 0, buf, size, b.length);
      size += b.length;
      return this;
    }

    /** Appends a length-prefixed byte string (a name: one char per byte, SealFs.NAME_CHARSET). */
    Writer str(String s) {
      return bytes(s.getBytes(SealFs.NAME_CHARSET));
    }

    /** Appends raw bytes without a length. */
    Writer raw(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, buf, size, len);
      size += len;
      return this;
    }

    /** Overwrites a 32-bit value at {@code pos}. */
    void putU32At(int pos, int v) {
      for (int i = 0; i < 4; i++) {
        buf[pos + i] = (byte) (v >>> (8 * i));
      }
    }

    /** Returns the number of bytes written. */
    int size() {
      return size;
    }

    /** Returns the backing array (valid up to {@link #size()}). */
    byte[] array() {
      return buf;
    }

    /** Forgets everything written, keeping the capacity. */
    void reset() {
      size = 0;
    }

    /** Returns a copy of the bytes written. */
    byte[] toByteArray() {
      return Arrays.copyOf(buf, size);
    }
  }

  /** A bounds-checked little-endian reader over a byte range. */
  static final class Reader {
    /** The buffer read from. */
    private final ByteBuffer bb;
    /** What is being read, for error messages. */
    private final String what;

    /** Creates a reader over {@code len} bytes of {@code b} from {@code off}. */
    Reader(byte[] b, int off, int len, String what) {
      this.bb = ByteBuffer.wrap(b, off, len).slice().order(ByteOrder.LITTLE_ENDIAN);
      this.what = what;
    }

    private FsException damaged(String why) {
      return FsException.of(Errno.EUCLEAN, "metadata damaged: " + what + ": " + why);
    }

    /** Reads one unsigned byte. */
    int u8() {
      try {
        return bb.get() & 0xff;
      } catch (BufferUnderflowException e) {
        throw damaged("truncated");
      }
    }

    /** Reads a 32-bit value. */
    int u32() {
      try {
        return bb.getInt();
      } catch (BufferUnderflowException e) {
        throw damaged("truncated");
      }
    }

    /** Reads a 64-bit value. */
    long u64() {
      try {
        return bb.getLong();
      } catch (BufferUnderflowException e) {
        throw damaged("truncated");
      }
    }

    /** Reads a count that must be between 0 and {@code max}. */
    int count(int max) {
      int n = u32();
      if (n < 0 || n > max) {
        throw damaged("bad count " + n);
      }
      return n;
    }

    /** Reads a length-prefixed byte string (bounded by what remains). */
    byte[] bytes() {
      int n = count(bb.remaining());
      byte[] b = new byte[n];
      bb.get(b);
      return b;
    }

    /** Reads a length-prefixed byte string (a name: one char per byte, SealFs.NAME_CHARSET). */
    String str() {
      return new String(bytes(), SealFs.NAME_CHARSET);
    }

    /** Returns the number of unread bytes. */
    int remaining() {
      return bb.remaining();
    }

    /** Throws EUCLEAN with {@code why} if {@code ok} is false. */
    void check(boolean ok, String why) {
      if (!ok) {
        throw damaged(why);
      }
    }
  }
}
