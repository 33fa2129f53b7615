package dev.sealfs.core.device;

import dev.sealfs.core.CoreStats;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.LongConsumer;

/**
 * The one device sealfs lives on: an image file or a block device, addressed by byte offset.
 *
 * <p>Reads past the end of a (sparse, short) image return zeros. Not synchronized: positional
 * channel I/O is thread-safe, and callers hold the filesystem lock for anything that must be
 * ordered.
 *
 * <p>Three I/O modes ({@link DeviceIo}, mount option {@code device_io=}). Buffered (the default):
 * everything goes through one channel and the host page cache. Direct: file data writes
 * ({@link #writeData}: file writes, copy-on-write and copy_file_range block copies, zeroing of
 * file blocks) go through a second channel opened with O_DIRECT ({@link DirectData}); metadata,
 * journal, checkpoint and superblock I/O and all reads stay on the buffered channel. The two
 * touch one device (one inode for an image file) in disjoint regions at any time (a file data
 * block is never a journal, checkpoint or superblock block while it is a file's), and where a
 * region changes hands (a freed data block reused for a checkpoint blob, or back), the kernel
 * keeps the two coherent: an O_DIRECT write first writes back and afterwards invalidates the
 * page-cache pages of its range (so a later buffered read sees the direct write and no dirty
 * buffered page can later overwrite it), and an O_DIRECT read writes back the range's dirty pages
 * first. Reads stay buffered: a read hit in the host page cache is a memory copy where a direct
 * read is a device round trip, buffered reads take no inode lock (they already scale), and the
 * invalidation above keeps them coherent with direct writes. {@link #force} (fdatasync) is
 * unchanged: it syncs the inode, whichever descriptor wrote, and flushes the device's cache, so
 * it covers the direct channel's writes as well. Mmap: file data writes are stores into a shared
 * mapping of the image file ({@link MappedData}, which says why that is coherent with the
 * channel and made durable by the same fdatasync); everything else is as buffered.
 */
public final class Device implements AutoCloseable {
  /** Where {@link #force} reports its latency (metrics); {@link CoreStats#NONE} by default. */
  private volatile CoreStats stats = CoreStats.NONE;
  /** The device's absolute path. */
  private final Path path;
  /** The open channel. */
  private final FileChannel channel;
  /** The advisory lock that keeps a second sealfs off this device, or null if not taken. */
  private FileLock lock;
  /** Counts the bytes read for a progress line (fsck), or null. */
  private LongConsumer readMeter;
  /** The O_DIRECT data channel in {@link DeviceIo#DIRECT} mode, else null. */
  private final DirectData direct;
  /** The shared mapping for data writes in {@link DeviceIo#MMAP} mode (read-write), else null. */
  private final MappedData mapped;
  /** The I/O mode asked for at open. */
  private final DeviceIo io;

  private Device(Path path, FileChannel channel, DirectData direct, MappedData mapped,
      DeviceIo io) {
    this.path = path;
    this.channel = channel;
    this.direct = direct;
    this.mapped = mapped;
    this.io = io;
  }

  /** Opens the device at {@code path}, buffered; a missing file is ENOENT with one line. */
  public static Device open(Path path, boolean readOnly) {
    return open(path, readOnly, DeviceIo.BUFFERED);
  }

  /**
   * Opens the device at {@code path} in I/O mode {@code io}; a missing file is ENOENT, a device
   * that cannot do direct I/O (for {@link DeviceIo#DIRECT}) or be mapped (for
   * {@link DeviceIo#MMAP}: not a regular file) EINVAL, each with one line. Read-only, the mmap
   * mode maps nothing (it only changes writes).
   */
  public static Device open(Path path, boolean readOnly, DeviceIo io) {
    Path abs = path.toAbsolutePath().normalize();
    if (io == DeviceIo.MMAP && Files.exists(abs)) {
      MappedData.requireRegularFile(abs);
    }
    FileChannel ch;
    try {
      ch = readOnly
          ? FileChannel.open(abs, StandardOpenOption.READ)
          : FileChannel.open(abs, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (NoSuchFileException e) {
      throw FsException.of(Errno.ENOENT, abs + ": no such file or device");
    } catch (IOException e) {
      throw new FsException(Errno.EIO, abs + ": cannot open: " + e.getMessage(), e);
    }
    DirectData direct = null;
    if (io == DeviceIo.DIRECT) {
      try {
        direct = DirectData.open(abs, readOnly);
      } catch (RuntimeException e) {
        closeQuietly(ch);
        throw e;
      }
    }
    MappedData mapped = null;
    if (io == DeviceIo.MMAP) {
      try {
        if (!readOnly) { // read-only, nothing is written, so nothing is mapped or reserved
          mapped = MappedData.open(abs);
        }
      } catch (RuntimeException e) {
        closeQuietly(ch);
        throw e;
      }
    }
    return new Device(abs, DeviceChannels.wrap(abs, ch), direct, mapped, io);
  }

  /** Closes {@code ch}, ignoring a failure (another one is being reported). */
  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // already failing
    }
  }

  /** Returns the I/O mode of file data writes. */
  public DeviceIo io() {
    return io;
  }

  /**
   * EINVAL with one line if this device is in direct mode and its direct I/O alignment does not
   * divide the filesystem's {@code blockSize} (see {@link DirectData}); a no-op when buffered.
   */
  public void requireBlockSize(int blockSize) {
    if (direct != null) {
      direct.requireBlockSize(blockSize);
    }
  }

  /** Reports the latency of every later {@link #force} to {@code hook}. */
  public void reportTo(CoreStats hook) {
    stats = hook;
  }

  /** Returns the device's absolute path. */
  public Path path() {
    return path;
  }

  /**
   * Takes the exclusive advisory lock; EBUSY if another process (another sealfs) holds it. In
   * mmap mode then reserves the image's blocks on the host (EINVAL if it cannot; MappedData).
   */
  public void lockExclusive(boolean shared) {
    try {
      lock = channel.tryLock(0, Long.MAX_VALUE, shared);
    } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      throw FsException.of(Errno.EBUSY,
          path + " is in use by another sealfs process (mounted or being checked)");
    }
    if (mapped != null) {
      mapped.reserve(); // mmap mode: no store may meet a hole the host cannot fill (MappedData)
    }
  }

  /** Returns the device size in bytes (block devices via sysfs when the channel says 0). */
  public long sizeBytes() {
    try {
      long size = channel.size();
      if (size == 0 && !Files.isRegularFile(path)) {
        Path real = path.toRealPath();
        Path sys = Path.of("/sys/class/block", real.getFileName().toString(), "size");
        if (Files.exists(sys)) {
          size = Long.parseLong(Files.readString(sys).trim()) * 512L;
        }
      }
      return size;
    } catch (IOException e) {
      throw new FsException(Errno.EIO, path + ": cannot get size: " + e.getMessage(), e);
    }
  }

  /**
   * Reports the bytes of every later read to {@code meter} (in slices of 4 MiB, for a progress
   * line), or stops with null.
   */
  public void meterReads(LongConsumer meter) {
    readMeter = meter;
  }

  /** Reads {@code dst.remaining()} bytes at {@code byteOffset}; bytes past the end read as 0. */
  public void read(ByteBuffer dst, long byteOffset) {
    try {
      long pos = byteOffset;
      while (dst.hasRemaining()) {
        int n = readMeter == null ? channel.read(dst, pos) : meteredRead(dst, pos);
        if (n < 0) {
          while (dst.hasRemaining()) {
            dst.put((byte) 0);
          }
          return;
        }
        pos += n;
      }
    } catch (IOException e) {
      throw new FsException(Errno.EIO, path + ": read at " + byteOffset + ": " + e.getMessage(), e);
    }
  }

  /** One read of at most 4 MiB, counted into the meter; returns what channel.read does. */
  private int meteredRead(ByteBuffer dst, long pos) throws IOException {
    int limit = dst.limit();
    dst.limit(dst.position() + Math.min(dst.remaining(), 4 << 20));
    try {
      int n = channel.read(dst, pos);
      readMeter.accept(Math.max(0, n));
      return n;
    } finally {
      dst.limit(limit);
    }
  }

  /** Writes all of {@code src} at {@code byteOffset}. */
  public void write(ByteBuffer src, long byteOffset) {
    try {
      long pos = byteOffset;
      while (src.hasRemaining()) {
        pos += channel.write(src, pos);
      }
    } catch (IOException e) {
      throw new FsException(Errno.EIO, path + ": write at " + byteOffset + ": " + e.getMessage(),
          e);
    }
  }

  /**
   * The largest single pwrite of file data, in bytes. A host filesystem with large folios (ext4
   * and XFS on recent kernels) sizes an image file's page-cache folios by the writes that create
   * them; a later 4 KiB write into a 1 MiB folio dirties all of it, and random 4 KiB writes into
   * regions laid out by 1 MiB writes ran at a sixth of the rate of regions laid out by 4 KiB
   * writes (fio on this project's ext4 host: 73k against 463k IOPS; 64 KiB: 218k). 64 KiB pieces
   * were also the fastest sequential writes measured there (2.8 GB/s, against 1.1 GB/s in 1 MiB
   * writes). docs/performance.md has the figures.
   */
  public static final int DATA_WRITE_CHUNK_BYTES = 64 << 10;

  /**
   * Writes all of file data {@code src} at {@code byteOffset}: buffered, in pwrites of at most
   * {@link #DATA_WRITE_CHUNK_BYTES} (see there why); in direct mode through {@link DirectData}
   * (whose read-modify-write needs the caller to hold the exclusive lock of the file the bytes
   * belong to, as every caller does; see there); in mmap mode as stores into {@link MappedData}.
   */
  public void writeData(ByteBuffer src, long byteOffset) {
    if (mapped != null) {
      try {
        mapped.write(src, byteOffset);
      } catch (IOException e) {
        throw new FsException(Errno.EIO, path + ": mapped write at " + byteOffset + ": "
            + e.getMessage(), e);
      }
      return;
    }
    if (direct != null) {
      try {
        direct.write(src, byteOffset);
      } catch (IOException e) {
        throw new FsException(Errno.EIO, path + ": direct write at " + byteOffset + ": "
            + e.getMessage(), e);
      }
      return;
    }
    int limit = src.limit();
    long pos = byteOffset;
    try {
      while (src.remaining() > DATA_WRITE_CHUNK_BYTES) {
        int start = src.position();
        src.limit(start + DATA_WRITE_CHUNK_BYTES);
        write(src, pos);
        pos += DATA_WRITE_CHUNK_BYTES;
        src.limit(limit);
      }
    } finally {
      src.limit(limit);
    }
    write(src, pos);
  }

  /**
   * Makes every write so far durable (fdatasync; per inode, so the direct channel's writes and
   * the mapping's stores too);
   * reports how long it took to {@link #stats}.
   */
  public void force() {
    try {
      long startNs = System.nanoTime();
      channel.force(false);
      stats.forced(System.nanoTime() - startNs);
    } catch (IOException e) {
      throw new FsException(Errno.EIO, path + ": flush: " + e.getMessage(), e);
    }
  }

  /** Sets the length of an image file (creating it sparse). */
  public void setLength(long bytes) {
    try {
      if (channel.size() > bytes) {
        channel.truncate(bytes);
      } else if (channel.size() < bytes) {
        channel.write(ByteBuffer.allocate(1), bytes - 1);
      }
    } catch (IOException e) {
      throw new FsException(Errno.EIO, path + ": cannot size: " + e.getMessage(), e);
    }
  }

  /** Releases the lock and closes the channels. */
  @Override
  public void close() {
    try {
      if (lock != null && lock.isValid()) {
        lock.release();
      }
      if (direct != null) {
        direct.close();
      }
      if (mapped != null) {
        mapped.close();
      }
      channel.close();
    } catch (IOException e) {
      throw new FsException(Errno.EIO, path + ": close: " + e.getMessage(), e);
    }
  }
}
