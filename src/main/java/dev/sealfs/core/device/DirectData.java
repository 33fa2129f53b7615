package dev.sealfs.core.device;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The O_DIRECT data channel of a device mounted with {@code device_io=direct}: file data writes
 * go around the host page cache, in whole aligned blocks.
 *
 * <p>Theory of operation. O_DIRECT (Java: {@code ExtendedOpenOption.DIRECT}) wants the device
 * position, the length and the buffer's address to be multiples of the alignment, which Java
 * takes from the host filesystem's fragment size ({@link FileStore#getBlockSize()}; 4096 on ext4
 * and XFS and for a device node on devtmpfs). {@link #write} copies the caller's bytes into a
 * per-thread aligned bounce buffer ({@link #BOUNCE_BYTES}, allocated once per thread, so the hot
 * path allocates nothing) covering the aligned blocks the range touches. A range that does not
 * start or end on an alignment boundary is a read-modify-write: the first and/or last covering
 * block is read from the device into the bounce buffer first (with O_DIRECT too), the new bytes
 * are put over it, and the whole span is written back, so the bytes around the range are
 * rewritten with what they held.
 *
 * <p>Why two read-modify-writes of one device block cannot interleave (which would lose one of
 * them): every caller of {@link Device#writeData} holds the exclusive lock of the inode whose
 * blocks it writes ({@code Ops.onHandle}/{@code onInode}/{@code onHandles} with exclusive=true:
 * write, truncate, fallocate, copy_file_range and the seal break's copy-on-write; ExtentIo's
 * contract); a device block of file data belongs to one inode at a time (a shared block is
 * copied before it is written, CopyOnWrite); and the alignment divides the sealfs block size
 * ({@link #requireBlockSize}, checked at mount), so an aligned block never spans two sealfs
 * blocks, of two files or of a file and metadata.
 *
 * <p>Why ext4 scales this and not buffered writes: ext4 takes an image's i_rwsem exclusively for
 * every buffered write, but shared for an O_DIRECT write that is an aligned overwrite of
 * allocated (even unwritten) blocks inside i_size, which the timed writes to a filled sealfs file
 * are (docs/performance.md, "Core scaling").
 *
 * <p>A memory-backed host filesystem (tmpfs, ramfs) may accept O_DIRECT (tmpfs does since Linux
 * 6.6) but serves it from the page cache all the same; {@link #open} refuses an image there
 * rather than pretend, as it refuses a filesystem that rejects O_DIRECT. The test seam
 * ({@link DeviceChannels}) wraps only the buffered channel.
 */
final class DirectData implements AutoCloseable {
  /** The bounce buffer's size: the most bytes one direct pwrite carries. */
  static final int BOUNCE_BYTES = 256 << 10;
  /** Host filesystems whose O_DIRECT is the page cache (memory-backed). */
  private static final java.util.Set<String> MEMORY_FS = java.util.Set.of("tmpfs", "ramfs");

  /** The device's path, for messages. */
  private final Path path;
  /** The O_DIRECT channel. */
  private final FileChannel channel;
  /** The alignment of positions, lengths and buffer addresses, in bytes. */
  private final int alignBytes;
  /** Each thread's aligned bounce buffer of {@link #BOUNCE_BYTES}. */
  private final ThreadLocal<ByteBuffer> bounce;

  private DirectData(Path path, FileChannel channel, int alignBytes) {
    this.path = path;
    this.channel = channel;
    this.alignBytes = alignBytes;
    this.bounce = ThreadLocal.withInitial(
        () -> ByteBuffer.allocateDirect(BOUNCE_BYTES + alignBytes).alignedSlice(alignBytes));
  }

  /**
   * Opens {@code abs} (which exists) with O_DIRECT; EINVAL with one line if its filesystem
   * rejects O_DIRECT or is memory-backed.
   */
  static DirectData open(Path abs, boolean readOnly) {
    String refused = "device_io=direct: " + abs;
    int align;
    try {
      FileStore store = Files.getFileStore(abs);
      if (Files.isRegularFile(abs) && MEMORY_FS.contains(store.type())) {
        throw FsException.of(Errno.EINVAL, refused + " is on " + store.type()
            + ", which has no device under its page cache (O_DIRECT would not bypass it);"
            + " use device_io=buffered");
      }
      align = alignmentOf(store);
    } catch (IOException e) {
      throw new FsException(Errno.EINVAL, refused + ": cannot stat its filesystem: "
          + e.getMessage(), e);
    }
    if (align > BOUNCE_BYTES || Integer.bitCount(align) != 1) {
      throw FsException.of(Errno.EINVAL, refused + ": unusable direct I/O alignment " + align);
    }
    try {
      FileChannel ch = readOnly
          ? FileChannel.open(abs, StandardOpenOption.READ,
              com.sun.nio.file.ExtendedOpenOption.DIRECT)
          : FileChannel.open(abs, StandardOpenOption.READ, StandardOpenOption.WRITE,
              com.sun.nio.file.ExtendedOpenOption.DIRECT);
      return new DirectData(abs, ch, align);
    } catch (IOException | UnsupportedOperationException e) {
      throw new FsException(Errno.EINVAL, refused + ": its filesystem refuses O_DIRECT ("
          + e.getMessage() + "); use device_io=buffered", e);
    }
  }

  /** Returns the alignment Java enforces for O_DIRECT on {@code store} (4096 if unknown). */
  private static int alignmentOf(FileStore store) throws IOException {
    try {
      long b = store.getBlockSize();
      return b <= 0 || b > Integer.MAX_VALUE ? 4096 : (int) b;
    } catch (UnsupportedOperationException e) {
      return 4096;
    }
  }

  /** Returns the alignment in bytes. */
  int alignBytes() {
    return alignBytes;
  }

  /** EINVAL unless the alignment divides the filesystem's {@code blockSize} (see the top). */
  void requireBlockSize(int blockSize) {
    if (blockSize % alignBytes != 0) {
      throw FsException.of(Errno.EINVAL, "device_io=direct: " + path + " needs a sealfs block"
          + " size that is a multiple of " + alignBytes + " bytes (its direct I/O alignment);"
          + " this filesystem has " + blockSize + "-byte blocks; use device_io=buffered");
    }
  }

  /** Writes all of {@code src} at device byte {@code byteOffset} (read-modify-write at ends). */
  void write(ByteBuffer src, long byteOffset) throws IOException {
    ByteBuffer b = bounce.get();
    long pos = byteOffset;
    while (src.hasRemaining()) {
      long spanStart = pos - pos % alignBytes;
      int head = (int) (pos - spanStart);
      int n = Math.min(src.remaining(), BOUNCE_BYTES - head);
      long end = pos + n;
      long spanEnd = (end + alignBytes - 1) / alignBytes * alignBytes;
      int span = (int) (spanEnd - spanStart);
      if (head != 0) {
        readBlock(b, 0, spanStart);
      }
      if (end != spanEnd && (head == 0 || span > alignBytes)) {
        readBlock(b, span - alignBytes, spanEnd - alignBytes);
      }
      b.clear().position(head);
      b.put(src.slice(src.position(), n));
      src.position(src.position() + n);
      b.position(0).limit(span);
      long at = spanStart;
      while (b.hasRemaining()) {
        at += channel.write(b, at);
      }
      pos = end;
    }
  }

  /** Reads the aligned block at {@code devByte} into {@code b} at {@code at} (past EOF: 0). */
  private void readBlock(ByteBuffer b, int at, long devByte) throws IOException {
    ByteBuffer blk = b.duplicate().clear().position(at).limit(at + alignBytes);
    channel.read(blk, devByte);
    while (blk.hasRemaining()) { // a short read is the end of the device: zeros, as Device.read
      blk.put((byte) 0);
    }
  }

  /** Closes the channel. */
  @Override
  public void close() throws IOException {
    channel.close();
  }
}
