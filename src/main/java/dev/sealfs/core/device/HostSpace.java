package dev.sealfs.core.device;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;

/**
 * Reserves an image file's blocks on the host filesystem (posix_fallocate, which Java lacks,
 * through jnr-ffi), so that no later store into a hole of a sparse image can find the host full.
 * {@link MappedData} needs it: there a full host is a SIGBUS, not an errno (see there).
 */
final class HostSpace {
  /** The libc calls used, as jnr-ffi binds them. */
  public interface Api {
    /** open(2). */
    int open(@In byte[] path, int flags);

    /** posix_fallocate(3): returns 0 or the error number (it does not set errno). */
    int posix_fallocate(int fd, long offset, long len);

    /** close(2). */
    int close(int fd);

    /** strerror(3). */
    String strerror(int errnum);
  }

  /** O_RDWR | O_CLOEXEC on Linux. */
  private static final int O_RDWR_CLOEXEC = 02 | 02000000;

  /** The bound library, loaded on first use. */
  private static volatile Api api;

  private HostSpace() {}

  /** Returns the bound libc. */
  private static Api api() {
    Api a = api;
    if (a == null) {
      a = LibraryLoader.create(Api.class).failImmediately().load("c");
      api = a;
    }
    return a;
  }

  /**
   * Opens {@code abs} read-write for {@link #reserve} and returns the descriptor; EINVAL with one
   * line if it cannot. The caller keeps it open until it closes the device: on Linux, closing
   * any descriptor of a file drops every fcntl lock the process holds on it, and the device's
   * lock (the one that keeps a second sealfs off the image) is such a lock.
   */
  static int open(Path abs) {
    byte[] raw = abs.toString().getBytes(StandardCharsets.UTF_8);
    int fd = api().open(java.util.Arrays.copyOf(raw, raw.length + 1), O_RDWR_CLOEXEC);
    if (fd < 0) {
      throw FsException.of(Errno.EINVAL, "device_io=mmap: " + abs + ": cannot open to reserve"
          + " its blocks");
    }
    return fd;
  }

  /**
   * Allocates every block of the first {@code bytes} of the file open as {@code fd} (named
   * {@code abs} in messages) that is not allocated yet, keeping the content; EINVAL with one line
   * if the host cannot (no space, or no support).
   */
  static void reserve(int fd, Path abs, long bytes) {
    int err = api().posix_fallocate(fd, 0, bytes);
    if (err != 0) {
      throw FsException.of(Errno.EINVAL, "device_io=mmap: cannot reserve the " + bytes
          + " bytes of " + abs + " on the host (" + api().strerror(err) + "); a store into an"
          + " unreserved hole could not report that error; use device_io=buffered");
    }
  }

  /** Closes {@code fd} (when the device closes, its lock released anyway). */
  static void close(int fd) {
    api().close(fd);
  }
}
