package dev.sealfs.fuse;

import java.nio.file.Path;
import java.util.Optional;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;

/**
 * Recognises a FUSE mount whose daemon is gone, by errno and by the kernel's mount table.
 *
 * <p>Once the daemon's /dev/fuse descriptor is closed (it died, or the connection was aborted),
 * the kernel answers new requests with ENOTCONN ("Transport endpoint is not connected") and
 * requests that were already waiting for the daemon with ECONNABORTED ("Software caused
 * connection abort"), or, on a FUSE-over-io_uring connection, ECANCELED ("Operation canceled"):
 * right after {@code kill -9} any may come, and all mean the same. The
 * mount stays listed in /proc/self/mountinfo until {@code fusermount3 -u}. The errno comes from
 * a native stat(2), so no message text (which follows the locale) is matched.
 */
public final class DeadMount {
  /** ENOTCONN: a request on a FUSE connection that is already closed. */
  public static final int ENOTCONN = 107;
  /** ECONNABORTED: a request that was in flight when the FUSE connection was aborted. */
  public static final int ECONNABORTED = 103;
  /** ECANCELED: a request that was in an io_uring ring entry when the daemon went. */
  public static final int ECANCELED = 125;
  /** ENOENT. */
  static final int ENOENT = 2;
  /** Bytes reserved for a struct stat (144 on x86_64, 128 on aarch64). */
  private static final int STAT_BUFFER_BYTES = 256;
  /** glibc's English texts of those errnos, for when the native call is unavailable. */
  private static final String[] DEAD_TEXTS = {
    "Transport endpoint is not connected", "Software caused connection abort",
    "Operation canceled"};

  /** The one libc call this class needs. */
  public interface Lib {
    /** stat(2) (exported by glibc 2.33 and later); returns 0 or -1 with errno set. */
    @SaveError
    int stat(String path, Pointer statBuffer);
  }

  /** The libc binding, or null where stat cannot be bound. */
  private static final Lib LIB = load();

  private DeadMount() {}

  /** Loads the binding; null if this libc has no stat symbol. */
  private static Lib load() {
    try {
      return LibraryLoader.create(Lib.class).failImmediately().load("c");
    } catch (LinkageError | RuntimeException e) {
      return null;
    }
  }

  /** Returns true if {@code errno} means the daemon behind a FUSE mount is gone. */
  public static boolean isDeadDaemonErrno(int errno) {
    return errno == ENOTCONN || errno == ECONNABORTED || errno == ECANCELED;
  }

  /** Returns true if an exception's reason text is one of the dead-daemon errnos' texts. */
  static boolean isDeadDaemonReason(String reason) {
    for (String t : DEAD_TEXTS) {
      if (reason != null && reason.contains(t)) {
        return true;
      }
    }
    return false;
  }

  /** Returns 0 if stat(2) of {@code path} succeeds, its errno if not, -1 if it cannot be run. */
  public static int statErrno(Path path) {
    if (LIB == null) {
      return -1;
    }
    try {
      Pointer buf = Memory.allocate(jnr.ffi.Runtime.getRuntime(LIB), STAT_BUFFER_BYTES);
      if (LIB.stat(path.toString(), buf) == 0) {
        return 0;
      }
      return jnr.ffi.Runtime.getRuntime(LIB).getLastError();
    } catch (LinkageError | RuntimeException e) {
      return -1;
    }
  }

  /**
   * Returns the FUSE mount listed in the kernel's table that holds {@code abs} (the deepest one
   * at or above it), if any: the mount to clear when {@code abs} answers with a dead-daemon errno.
   */
  public static Optional<MountInfo> fuseMountHolding(Path abs) {
    return MountInfo.holding(abs, m -> m.fsType().startsWith("fuse"));
  }
}
