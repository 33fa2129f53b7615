package dev.sealfs.fuse.kernel;

import dev.sealfs.core.Caller;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.SealFs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Supplier;

/**
 * A typed view of the one request in a worker's receive buffer: the {@code fuse_in_header}
 * fields, and the op struct's fields read by their {@link FuseAbi} offsets (relative to the op
 * struct, which starts after the 40-byte header). Reused for every request the worker reads;
 * nothing here allocates except the name strings of namespace operations. The request starts at
 * buffer index {@link #base}: 0 for a request read from /dev/fuse, where the io_uring transport
 * puts it for a ring entry (header and op struct copied just in front of the payload).
 */
final class Request {

  /** The receive buffer (little-endian), owned by one worker. */
  final ByteBuffer buf;
  /** The native address of {@link #buf}'s first byte. */
  final long address;
  /** The bytes read for the current request. */
  private int length;
  /** Buffer index of the current request's first byte (its fuse_in_header). */
  private int base;
  /** The caller of the current request, built only when the core asks for it. */
  final Supplier<Caller> lazyCaller = this::caller;

  /** Wraps the receive buffer at {@code address}. */
  Request(ByteBuffer buf, long address) {
    this.buf = buf.order(ByteOrder.LITTLE_ENDIAN);
    this.address = address;
  }

  /** Takes the next request, {@code n} bytes long; false if it is shorter than its header. */
  boolean reset(int n) {
    return reset(0, n);
  }

  /** Takes the next request, {@code n} bytes at buffer index {@code from}; false if malformed. */
  boolean reset(int from, int n) {
    base = from;
    length = n;
    return n >= FuseAbi.IN_HEADER_SIZE && from + n <= buf.capacity()
        && buf.getInt(from + FuseAbi.IN_LEN) == n;
  }

  /** The request's opcode. */
  int opcode() {
    return buf.getInt(base + FuseAbi.IN_OPCODE);
  }

  /** The request's unique id (what the reply must carry). */
  long unique() {
    return buf.getLong(base + FuseAbi.IN_UNIQUE);
  }

  /** The node the request is about. */
  long nodeId() {
    return buf.getLong(base + FuseAbi.IN_NODEID);
  }

  /** The calling process's identity. */
  Caller caller() {
    return new Caller(buf.getInt(base + FuseAbi.IN_UID), buf.getInt(base + FuseAbi.IN_GID),
        buf.getInt(base + FuseAbi.IN_PID));
  }

  /** Bytes of op struct and payload after the header. */
  int bodyLength() {
    return length - FuseAbi.IN_HEADER_SIZE;
  }

  /** Throws EINVAL unless the body holds at least {@code bytes}. */
  void need(long bytes) {
    if (bodyLength() < bytes) {
      throw FsException.of(Errno.EINVAL, "request " + opcode() + " too short");
    }
  }

  /** Reads a u32 (as int) at {@code off} in the op struct. */
  int u32(int off) {
    return buf.getInt(at(off));
  }

  /** Reads a u64 at {@code off} in the op struct. */
  long u64(int off) {
    return buf.getLong(at(off));
  }

  /** Absolute buffer index of byte {@code off} of the op struct. */
  int at(int off) {
    return base + FuseAbi.IN_HEADER_SIZE + off;
  }

  /**
   * Reads the NUL-terminated name starting at {@code off} in the op struct as the core's byte
   * string; EINVAL if it is not terminated inside the request.
   */
  String name(int off) {
    int from = at(off);
    int end = nulAfter(from);
    return bytesString(from, end);
  }

  /** Returns the offset (op-struct relative) just past the name that starts at {@code off}. */
  int afterName(int off) {
    return nulAfter(at(off)) + 1 - at(0);
  }

  /** Index of the NUL at or after absolute index {@code from}. */
  private int nulAfter(int from) {
    for (int i = from; i < base + length; i++) {
      if (buf.get(i) == 0) {
        return i;
      }
    }
    throw FsException.of(Errno.EINVAL, "unterminated name");
  }

  /** Returns bytes [from, to) of the buffer as a one-char-per-byte string. */
  private String bytesString(int from, int to) {
    byte[] b = new byte[to - from];
    buf.get(from, b);
    return new String(b, SealFs.NAME_CHARSET);
  }

  /** Copies {@code n} bytes at {@code off} of the op struct into a new array. */
  byte[] bytes(int off, int n) {
    if (at(off) + n > base + length) {
      throw FsException.of(Errno.EINVAL, "payload past the request");
    }
    byte[] b = new byte[n];
    buf.get(at(off), b);
    return b;
  }
}
