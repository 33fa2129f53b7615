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
   * Allocates every block of the first {@code bytes} of {@code abs} that is not allocated yet
   * (keeping the content); EINVAL with one line if the host cannot (no space, or no support).
   */
  static void reserve(Path abs, long bytes) {
    Api c = api();
    byte[] raw = abs.toString().getBytes(StandardCharsets.UTF_8);
    byte[] path = java.util.Arrays.copyOf(raw, raw.length + 1);
    int fd = c.open(path, O_RDWR_CLOEXEC);
    if (fd < 0) {
      throw FsException.of(Errno.EINVAL, "device_io=mmap: " + abs + ": cannot open to reserve"
          + " its blocks");
    }
    int err;
    try {
      err = c.posix_fallocate(fd, 0, bytes);
    } finally {
      c.close(fd);
    }
    if (err != 0) {
      throw FsException.of(Errno.EINVAL, "device_io=mmap: cannot reserve the " + bytes
          + " bytes of " + abs + " on the host (" + c.strerror(err) + "); a store into an"
          + " unreserved hole could not report that error; use device_io=buffered");
    }
  }
}
