package dev.sealfs.core.data;

import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.device.Device;
import dev.sealfs.core.inode.Extent;
import dev.sealfs.core.inode.ExtentState;
import dev.sealfs.core.inode.Inode;
import java.nio.ByteBuffer;

/**
 * Byte I/O through one file's extent map: reads that turn holes and unwritten extents into
 * zeros, writes into written extents, and zeroing of device ranges. Changes no map; the caller
 * holds the inode's lock (shared for reads, exclusive for writes).
 */
public final class ExtentIo {
  /** A block of zeros for zero-filling reads and device ranges. */
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 17);

  /** The device. */
  private final Device device;
  /** Where device writes are noted (fsync forces). */
  private final Durability dur;
  /** Block size in bytes. */
  private final int bs;

  /** Creates the extent I/O unit. */
  public ExtentIo(Device device, Durability dur, int blockSize) {
    this.device = device;
    this.dur = dur;
    this.bs = blockSize;
  }

  /** Writes zeros to file data device bytes {@code [devByte, devByte + bytes)}. */
  public void zeroDevice(long devByte, long bytes) {
    long pos = devByte;
    long left = bytes;
    while (left > 0) {
      int n = (int) Math.min(left, ZEROS.capacity());
      device.writeData(ZEROS.duplicate().limit(n), pos);
      pos += n;
      left -= n;
    }
    dur.noteWritten();
  }

  /** Copies device bytes {@code [fromDevByte, +bytes)} to {@code toDevByte} (copy-on-write). */
  void copyDevice(long fromDevByte, long toDevByte, long bytes) {
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(bytes, 1 << 20));
    long done = 0;
    while (done < bytes) {
      int n = (int) Math.min(bytes - done, buf.capacity());
      buf.clear().limit(n);
      device.read(buf, fromDevByte + done);
      buf.flip();
      device.writeData(buf, toDevByte + done);
      done += n;
    }
    dur.noteWritten();
  }

  /** Puts {@code bytes} zeros into {@code dst}. */
  static void zeroFill(ByteBuffer dst, long bytes) {
    long left = bytes;
    while (left > 0) {
      int n = (int) Math.min(left, ZEROS.capacity());
      dst.put(ZEROS.duplicate().limit(n));
      left -= n;
    }
  }

  /** Returns true if blocks {@code [fileBlock, fileBlock + count)} are all written extents. */
  public static boolean allWritten(Inode i, long fileBlock, long count) {
    long fb = fileBlock;
    long end = fileBlock + count;
    while (fb < end) {
      Extent e = i.extents.find(fb);
      if (e == null || e.state() != ExtentState.WRITTEN) {
        return false;
      }
      fb = e.fileEnd();
    }
    return true;
  }

  /** Zeroes on the device the bytes of {@code [from, to)} that lie in written extents. */
  void zeroWrittenBytes(Inode i, long from, long to) {
    long pos = from;
    while (pos < to) {
      Extent e = i.extents.ceiling(pos / bs);
      if (e == null) {
        return;
      }
      long start = Math.max(pos, e.fileBlock() * bs);
      long stop = Math.min(to, e.fileEnd() * bs);
      if (start >= to) {
        return;
      }
      if (e.state() == ExtentState.WRITTEN) {
        zeroDevice(e.devBlockAt(start / bs) * (long) bs + start % bs, stop - start);
      }
      pos = stop;
    }
  }

  /** Reads file bytes {@code [offset, offset + len)} into {@code dst} (holes read as zeros). */
  void read(Inode i, ByteBuffer dst, long offset, int len) {
    long pos = offset;
    long end = offset + len;
    while (pos < end) {
      long fb = pos / bs;
      Extent e = i.extents.ceiling(fb);
      if (e == null || e.fileBlock() > fb) {
        long holeEnd = e == null ? end : Math.min(end, e.fileBlock() * bs);
        zeroFill(dst, holeEnd - pos);
        pos = holeEnd;
        continue;
      }
      long to = Math.min(end, e.fileEnd() * bs);
      int n = (int) (to - pos);
      if (e.state() == ExtentState.UNWRITTEN) {
        zeroFill(dst, n);
      } else {
        ByteBuffer part = dst.slice(dst.position(), n);
        device.read(part, e.devBlockAt(fb) * (long) bs + pos % bs);
        dst.position(dst.position() + n);
      }
      pos = to;
    }
  }

  /** Writes {@code src} at file byte {@code offset}; every block it touches is written. */
  void write(Inode i, ByteBuffer src, long offset) {
    long pos = offset;
    long end = offset + src.remaining();
    while (pos < end) {
      long fb = pos / bs;
      Extent e = i.extents.find(fb);
      long to = Math.min(end, e.fileEnd() * bs);
      int n = (int) (to - pos);
      ByteBuffer part = src.slice(src.position(), n);
      device.writeData(part, e.devBlockAt(fb) * (long) bs + pos % bs);
      src.position(src.position() + n);
      pos = to;
    }
    dur.noteWritten();
  }
}
