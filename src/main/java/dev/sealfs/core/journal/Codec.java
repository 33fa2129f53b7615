package dev.sealfs.core.journal;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.Limits;
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
public final class Codec {
  private Codec() {}

  /** Returns the CRC32C of {@code len} bytes of {@code b} from {@code off}. */
  public static int crc32c(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }

  /** A growable little-endian byte writer. */
  public static final class Writer {
    /** The bytes written so far (capacity may exceed size). */
    private byte[] buf;
    /** Number of bytes written. */
    private int size;

    /** Creates a writer with the given initial capacity. */
    public Writer(int capacity) {
      buf = new byte[Math.max(16, capacity)];
    }

    private void ensure(int more) {
      if (size + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
      }
    }

    /** Appends one byte. */
    public Writer u8(int v) {
      ensure(1);
      buf[size++] = (byte) v;
      return this;
    }

    /** Appends a 16-bit value. */
    public Writer u16(int v) {
      ensure(2);
      buf[size++] = (byte) v;
      buf[size++] = (byte) (v >>> 8);
      return this;
    }

    /** Appends a 32-bit value. */
    public Writer u32(int v) {
      ensure(4);
      for (int i = 0; i < 4; i++) {
        buf[size++] = (byte) (v >>> (8 * i));
      }
      return this;
    }

    /** Appends a 64-bit value. */
    public Writer u64(long v) {
      ensure(8);
      for (int i = 0; i < 8; i++) {
        buf[size++] = (byte) (v >>> (8 * i));
      }
      return this;
    }

    /** Appends a length-prefixed byte string. */
    public Writer bytes(byte[] b) {
      u32(b.length);
      ensure(b.length);
      System.arraycopy(b, 0, buf, size, b.length);
      size += b.length;
      return this;
    }

    /** Appends a length-prefixed byte string (a name: one char per byte, Limits.NAME_CHARSET). */
    public Writer str(String s) {
      return bytes(s.getBytes(Limits.NAME_CHARSET));
    }

    /** Appends raw bytes without a length. */
    public Writer raw(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, buf, size, len);
      size += len;
      return this;
    }

    /** Overwrites a 32-bit value at {@code pos}. */
    public void putU32At(int pos, int v) {
      for (int i = 0; i < 4; i++) {
        buf[pos + i] = (byte) (v >>> (8 * i));
      }
    }

    /** Returns the number of bytes written. */
    public int size() {
      return size;
    }

    /** Returns the backing array (valid up to {@link #size()}). */
    public byte[] array() {
      return buf;
    }

    /** Forgets everything written, keeping the capacity. */
    public void reset() {
      size = 0;
    }

    /** Returns a copy of the bytes written. */
    public byte[] toByteArray() {
      return Arrays.copyOf(buf, size);
    }
  }

  /** A bounds-checked little-endian reader over a byte range. */
  public static final class Reader {
    /** The buffer read from. */
    private final ByteBuffer bb;
    /** What is being read, for error messages. */
    private final String what;

    /** Creates a reader over {@code len} bytes of {@code b} from {@code off}. */
    public Reader(byte[] b, int off, int len, String what) {
      this.bb = ByteBuffer.wrap(b, off, len).slice().order(ByteOrder.LITTLE_ENDIAN);
      this.what = what;
    }

    private FsException damaged(String why) {
      return FsException.of(Errno.EUCLEAN, "metadata damaged: " + what + ": " + why);
    }

    /** Reads one unsigned byte. */
    public int u8() {
      try {
        return bb.get() & 0xff;
      } catch (BufferUnderflowException e) {
        throw damaged("truncated");
      }
    }

    /** Reads a 32-bit value. */
    public int u32() {
      try {
        return bb.getInt();
      } catch (BufferUnderflowException e) {
        throw damaged("truncated");
      }
    }

    /** Reads a 64-bit value. */
    public long u64() {
      try {
        return bb.getLong();
      } catch (BufferUnderflowException e) {
        throw damaged("truncated");
      }
    }

    /** Reads a count that must be between 0 and {@code max}. */
    public int count(int max) {
      int n = u32();
      if (n < 0 || n > max) {
        throw damaged("bad count " + n);
      }
      return n;
    }

    /** Reads a length-prefixed byte string (bounded by what remains). */
    public byte[] bytes() {
      int n = count(bb.remaining());
      byte[] b = new byte[n];
      bb.get(b);
      return b;
    }

    /** Reads a length-prefixed byte string (a name: one char per byte, Limits.NAME_CHARSET). */
    public String str() {
      return new String(bytes(), Limits.NAME_CHARSET);
    }

    /** Returns the number of unread bytes. */
    public int remaining() {
      return bb.remaining();
    }

    /** Throws EUCLEAN with {@code why} if {@code ok} is false. */
    public void check(boolean ok, String why) {
      if (!ok) {
        throw damaged(why);
      }
    }
  }
}
