package dev.sealfs.fuse.kernel;

import dev.sealfs.core.Stat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's reply buffer: the 16-byte {@code fuse_out_header} followed by the op's out struct
 * and data, sent as one write(2) to the fd the request came from (or handed to a {@link Sink}:
 * the io_uring transport's ring entry). Handlers write the body at op-struct-relative offsets
 * and return its length; {@link #send} fills in the header.
 */
final class Reply {

  private static final Logger LOG = LoggerFactory.getLogger(Reply.class);

  /** Nanoseconds per second. */
  private static final long NS = 1_000_000_000L;

  /** The reply buffer (little-endian). */
  final ByteBuffer buf;
  /** The native address of {@link #buf}'s first byte. */
  private final long address;
  /** The /dev/fuse fd replies go to (unused with a sink). */
  private final int fd;
  /** Where a finished reply goes instead of write(2), or null. */
  private final Sink sink;

  /** Takes a finished reply: header and body, {@code length} bytes at {@code address}. */
  interface Sink {
    /** Takes the reply (called once per reply, on the worker's thread). */
    void take(long address, int length);
  }

  /** Wraps the reply buffer at {@code address}, replying on {@code fd}. */
  Reply(ByteBuffer buf, long address, int fd) {
    this(buf, address, fd, null);
  }

  /** Wraps the reply buffer at {@code address}, handing replies to {@code sink} (if not null). */
  Reply(ByteBuffer buf, long address, int fd, Sink sink) {
    this.buf = buf.order(ByteOrder.LITTLE_ENDIAN);
    this.address = address;
    this.fd = fd;
    this.sink = sink;
  }

  /** Bytes a body may have. */
  int capacity() {
    return buf.capacity() - FuseAbi.OUT_HEADER_SIZE;
  }

  /** Absolute buffer index of body byte {@code off}. */
  static int at(int off) {
    return FuseAbi.OUT_HEADER_SIZE + off;
  }

  /** Writes a u32 at body offset {@code off}. */
  void u32(int off, int v) {
    buf.putInt(at(off), v);
  }

  /** Writes a u16 at body offset {@code off}. */
  void u16(int off, int v) {
    buf.putShort(at(off), (short) v);
  }

  /** Writes a u64 at body offset {@code off}. */
  void u64(int off, long v) {
    buf.putLong(at(off), v);
  }

  /** Zeroes body bytes [from, to). */
  void zero(int from, int to) {
    int i = at(from);
    int end = at(to);
    for (; i + 8 <= end; i += 8) {
      buf.putLong(i, 0L);
    }
    for (; i < end; i++) {
      buf.put(i, (byte) 0);
    }
  }

  /** Writes a core byte string's bytes at body offset {@code off}; returns the count. */
  int string(int off, String s) {
    int base = at(off);
    for (int k = 0; k < s.length(); k++) {
      buf.put(base + k, (byte) s.charAt(k));
    }
    return s.length();
  }

  /** Writes {@code b} at body offset {@code off}. */
  void bytes(int off, byte[] b) {
    buf.put(at(off), b);
  }

  /** Writes a struct fuse_attr at body offset {@code off}. */
  void attr(int off, Stat s) {
    u64(off + FuseAbi.ATTR_INO, s.ino());
    u64(off + FuseAbi.ATTR_SIZE_BYTES, s.size());
    u64(off + FuseAbi.ATTR_BLOCKS, s.blocks512());
    u64(off + FuseAbi.ATTR_ATIME, Math.floorDiv(s.atimeNs(), NS));
    u64(off + FuseAbi.ATTR_MTIME, Math.floorDiv(s.mtimeNs(), NS));
    u64(off + FuseAbi.ATTR_CTIME, Math.floorDiv(s.ctimeNs(), NS));
    u32(off + FuseAbi.ATTR_ATIMENSEC, (int) Math.floorMod(s.atimeNs(), NS));
    u32(off + FuseAbi.ATTR_MTIMENSEC, (int) Math.floorMod(s.mtimeNs(), NS));
    u32(off + FuseAbi.ATTR_CTIMENSEC, (int) Math.floorMod(s.ctimeNs(), NS));
    u32(off + FuseAbi.ATTR_MODE, s.mode());
    u32(off + FuseAbi.ATTR_NLINK, (int) s.nlink());
    u32(off + FuseAbi.ATTR_UID, s.uid());
    u32(off + FuseAbi.ATTR_GID, s.gid());
    u32(off + FuseAbi.ATTR_RDEV, (int) s.rdev());
    u32(off + FuseAbi.ATTR_BLKSIZE, s.blockSize());
    zero(off + FuseAbi.ATTR_BLKSIZE + 4, off + FuseAbi.ATTR_SIZE);
  }

  /** Writes a struct fuse_entry_out for {@code nodeId} at body offset 0; returns its size. */
  int entry(long nodeId, Stat s, long entryValidNs) {
    return entryAt(0, nodeId, s, entryValidNs);
  }

  /** Writes a struct fuse_entry_out at body offset {@code off}; returns its size. */
  int entryAt(int off, long nodeId, Stat s, long entryValidNs) {
    u64(off + FuseAbi.ENTRY_OUT_NODEID, nodeId);
    u64(off + FuseAbi.ENTRY_OUT_GENERATION, 0);
    u64(off + FuseAbi.ENTRY_OUT_ENTRY_VALID, entryValidNs / NS);
    u64(off + FuseAbi.ENTRY_OUT_ATTR_VALID, 0);
    u32(off + FuseAbi.ENTRY_OUT_ENTRY_VALID_NSEC, (int) (entryValidNs % NS));
    u32(off + FuseAbi.ENTRY_OUT_ATTR_VALID_NSEC, 0);
    attr(off + FuseAbi.ENTRY_OUT_ATTR, s);
    return FuseAbi.ENTRY_OUT_SIZE;
  }

  /** Reads back the u64 at body offset {@code off} (what a handler wrote there). */
  long u64At(int off) {
    return buf.getLong(at(off));
  }

  /** Reads back the u32 at body offset {@code off}. */
  int u32At(int off) {
    return buf.getInt(at(off));
  }

  /**
   * Sends a successful reply with {@code bodyLength} body bytes to request {@code unique}; false
   * if the kernel did not take it (the request was interrupted or the connection is gone).
   */
  boolean send(long unique, int bodyLength) {
    int len = FuseAbi.OUT_HEADER_SIZE + bodyLength;
    buf.putInt(FuseAbi.OUT_LEN, len);
    buf.putInt(FuseAbi.OUT_ERROR, 0);
    buf.putLong(FuseAbi.OUT_UNIQUE, unique);
    return write(len, unique);
  }

  /** Sends an error reply ({@code errno} positive) to request {@code unique}. */
  void error(long unique, int errno) {
    buf.putInt(FuseAbi.OUT_LEN, FuseAbi.OUT_HEADER_SIZE);
    buf.putInt(FuseAbi.OUT_ERROR, -errno);
    buf.putLong(FuseAbi.OUT_UNIQUE, unique);
    write(FuseAbi.OUT_HEADER_SIZE, unique);
  }

  /**
   * One write(2) of the first {@code len} bytes (or the io_uring sink); returns false if the
   * kernel did not take it (ENOENT: the request was interrupted, which is normal).
   */
  private boolean write(int len, long unique) {
    if (sink != null) {
      sink.take(address, len);
      return true;
    }
    long n = Libc.api().write(fd, address, len);
    if (n != len) {
      int e = n < 0 ? Libc.errno() : 0;
      if (e != Libc.ENOENT && e != Libc.ENODEV) {
        LOG.warn("sealfs: reply to request {} not taken (wrote {} of {}, errno {})", unique, n,
            len, e);
      }
      return false;
    }
    return true;
  }
}
