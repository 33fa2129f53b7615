package dev.sealfs.core.device;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The shared mapping through which a device mounted with {@code device_io=mmap} takes its file
 * data writes: a store into the host page cache with no system call and no host lock.
 *
 * <p>Theory of operation. ext4 and XFS take an image file's inode lock (i_rwsem) exclusively for
 * every buffered pwrite, so writes of two threads to one image run one at a time in the host
 * kernel, however independent they are in sealfs (docs/performance.md, "The core on 1, 2 and 4
 * threads"). A store through a {@code MAP_SHARED} mapping of the same file takes no inode lock:
 * the first store to a clean page faults once ({@code page_mkwrite}, which marks the page dirty
 * and takes only shared locks), later stores until its writeback are plain memory copies. So
 * {@link #write} copies file data into the mapping, and everything else stays as it is:
 *
 * <pre>
 *   file data writes ──► MappedData ──► mapping (MAP_SHARED) ──┐
 *   metadata, journal, checkpoint,                             ├─► the image's page cache ─► disk
 *   superblock writes, all reads ──► Device's channel ─────────┘         ▲
 *   Device.force ──► fdatasync(image) ───────────────────────────────────┘ writes back both
 * </pre>
 *
 * <p>Why this is coherent and durable without msync: on Linux a shared file mapping and pread /
 * pwrite of the same file use the same page-cache pages, so a read through the channel sees a
 * store at once; and a store marks its page dirty in that page cache (at the write fault: a
 * page is mapped read-only again whenever writeback cleans it), so the fdatasync of
 * {@link Device#force} writes it back with the channel's writes and flushes the device cache, as
 * msync(MS_SYNC) would (which the kernel implements as that same fsync of the range).
 *
 * <p>The mapping is cut into windows of {@link #WINDOW_BYTES} (a Java buffer indexes with an
 * int), each mapped on first use and kept; a write that crosses windows is split, and a byte at
 * or past the image's size at open (which sealfs never writes: the image does not grow while
 * mounted) goes through the channel. Windows are unmapped by the garbage collector, never
 * explicitly: an explicit unmap racing a late store would crash the JVM, a lingering mapping costs
 * only address space.
 *
 * <p>Failures. A store the host cannot back is a SIGBUS, not an errno, and the JVM delivers it as
 * an {@link InternalError} at a later point of the storing thread that Java code cannot pin
 * down (a catch around the store does not see it: measured on Java 17). So mmap mode removes
 * the causes it can: {@link #reserve} allocates every block of the image on the host once the
 * device is locked ({@link HostSpace}, posix_fallocate), so a full host filesystem refuses the
 * mount with one line instead of faulting a later store into a hole. What remains is a host I/O error under a
 * mapped page or the image truncated by another process: the FUSE handler that meets the
 * InternalError answers EIO, and the write that faulted may already have been answered OK;
 * buffered and direct mode report such a write's own error. The mode is therefore opt-in and
 * documented so (docs/design.md, "Device I/O mode"). Only regular
 * files are mapped: Java sizes a mapping by the file's size, which is 0 for a block device (use
 * buffered or direct there; a block device already has no per-file write lock of this kind). The
 * test seam ({@link DeviceChannels}) wraps only the channel, so a recording device does not see
 * these stores: the crash replay tests run buffered.
 */
final class MappedData {
  /** The bytes one mapping window covers. */
  static final long WINDOW_BYTES = 1L << 30;

  /** The bytes each window of this mapping covers ({@link #WINDOW_BYTES}, smaller in tests). */
  private final long windowBytes;
  /** The image's path. */
  private final Path path;
  /** True once the image's blocks are reserved on the host ({@link #reserve}). */
  private volatile boolean reserved;
  /** The descriptor {@link #reserve} used, kept open until {@link #close} (see HostSpace), or -1. */
  private int reserveFd = -1;
  /** The channel the windows are mapped from (read-write). */
  private final FileChannel channel;
  /** The image's size when opened: bytes from here on are written through the channel. */
  private final long mappedBytes;
  /** Window i maps bytes [i * WINDOW_BYTES, ...); null until first used. */
  private final AtomicReferenceArray<MappedByteBuffer> windows;

  private MappedData(Path path, FileChannel channel, long mappedBytes, long windowBytes) {
    this.path = path;
    this.channel = channel;
    this.mappedBytes = mappedBytes;
    this.windowBytes = windowBytes;
    this.windows = new AtomicReferenceArray<>((int) ((mappedBytes + windowBytes - 1)
        / windowBytes));
  }

  /**
   * Opens the mapping of image file {@code abs} (which exists) for writing; EINVAL with one line
   * if it is not a regular file. Nothing is mapped or reserved yet ({@link #reserve}).
   */
  static MappedData open(Path abs) {
    return open(abs, WINDOW_BYTES);
  }

  /** As {@link #open(Path)}, with windows of {@code windowBytes} (a test seam). */
  static MappedData open(Path abs, long windowBytes) {
    requireRegularFile(abs);
    try {
      FileChannel ch = FileChannel.open(abs, StandardOpenOption.READ, StandardOpenOption.WRITE);
      return new MappedData(abs, ch, ch.size(), windowBytes);
    } catch (IOException e) {
      throw new FsException(Errno.EINVAL, "device_io=mmap: " + abs + ": cannot open: "
          + e.getMessage(), e);
    }
  }

  /** EINVAL with one line unless {@code abs} is a regular file (only an image can be mapped). */
  static void requireRegularFile(Path abs) {
    if (!Files.isRegularFile(abs)) {
      throw FsException.of(Errno.EINVAL, "device_io=mmap: " + abs + " is not a regular file"
          + " (only an image file can be mapped); use device_io=buffered or device_io=direct");
    }
  }

  /** Returns the bytes covered by mapping windows (the image's size at open). */
  long mappedBytes() {
    return mappedBytes;
  }

  /** Writes all of {@code src} at device byte {@code byteOffset}: stores into the mapping. */
  void write(ByteBuffer src, long byteOffset) throws IOException {
    long pos = byteOffset;
    while (src.hasRemaining()) {
      if (pos >= mappedBytes) {
        while (src.hasRemaining()) {
          pos += channel.write(src, pos);
        }
        return;
      }
      int index = (int) (pos / windowBytes);
      int inWindow = (int) (pos % windowBytes);
      MappedByteBuffer w = window(index);
      int n = (int) Math.min(src.remaining(), w.capacity() - inWindow);
      w.put(inWindow, src, src.position(), n); // a host fault here: see "Failures" above
      src.position(src.position() + n);
      pos += n;
    }
  }

  /**
   * Reserves every block of the image on the host (once; {@link Device#lockExclusive} calls it
   * as soon as the device is this process's, and the first mapping does if nobody did); EINVAL
   * with one line if the host cannot. Not before the lock: on a host filesystem without
   * fallocate, posix_fallocate writes a zero into every block that reads as zero, which would
   * race with another process's writes.
   */
  void reserve() {
    if (reserved) {
      return;
    }
    synchronized (windows) {
      if (!reserved) {
        if (reserveFd < 0) {
          reserveFd = HostSpace.open(path);
        }
        HostSpace.reserve(reserveFd, path, mappedBytes);
        reserved = true;
      }
    }
  }

  /** Returns window {@code index}, mapping it on first use. */
  private MappedByteBuffer window(int index) throws IOException {
    MappedByteBuffer w = windows.get(index);
    if (w != null) {
      return w;
    }
    reserve();
    synchronized (windows) {
      w = windows.get(index);
      if (w == null) {
        long start = index * windowBytes;
        w = channel.map(FileChannel.MapMode.READ_WRITE, start,
            Math.min(windowBytes, mappedBytes - start));
        windows.set(index, w);
      }
      return w;
    }
  }

  /** Closes the channel and the reservation's descriptor (the windows stay mapped; the top). */
  void close() throws IOException {
    synchronized (windows) {
      if (reserveFd >= 0) {
        HostSpace.close(reserveFd);
        reserveFd = -1;
      }
    }
    channel.close();
  }
}
