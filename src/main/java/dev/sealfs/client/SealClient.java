package dev.sealfs.client;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/** Entry points of the sealfs client library: opening handles and reading sealfs' xattrs. */
public final class SealClient {
  /** getxattr's "no such attribute" errno (ENODATA on Linux). */
  private static final int ENODATA = 61;
  /** getxattr's "buffer too small" errno. */
  private static final int ERANGE = 34;
  /** Largest xattr value Linux allows. */
  private static final int XATTR_SIZE_MAX_BYTES = 65536;

  private SealClient() {}

  /** Opens {@code file} for the seal ioctls: O_RDWR if {@code forWrite}, else O_RDONLY. */
  public static SealHandle open(Path file, boolean forWrite) throws SealClientException {
    return SealHandle.open(file, forWrite);
  }

  /**
   * Opens {@code file} for the read-only ioctls (status, layout): read-only first, so that a
   * {@code user.sealfs.seal_on_open} attribute does not make the query itself a holder, and
   * read-write if reading is not permitted.
   */
  public static SealHandle openForQuery(Path file) throws SealClientException {
    try {
      return SealHandle.open(file, false);
    } catch (SealClientException e) {
      if (e.errno() != 13) {
        throw e;
      }
      return SealHandle.open(file, true);
    }
  }

  /** Returns xattr {@code name} of {@code file} as UTF-8 text; empty if it is not set. */
  public static Optional<String> getXattr(Path file, String name) throws SealClientException {
    LibC libc = LibC.get();
    String path = file.toString();
    for (int attempt = 0; attempt < 4; attempt++) {
      long len = libc.getxattr(path, name, null, 0);
      if (len < 0) {
        int errno = LibC.lastErrno();
        if (errno == ENODATA) {
          return Optional.empty();
        }
        throw new SealClientException("getxattr " + name + " " + file, errno);
      }
      int cap = (int) Math.min(Math.max(len, 1), XATTR_SIZE_MAX_BYTES);
      Pointer mem = Memory.allocateDirect(Runtime.getRuntime(libc), cap, true);
      long got = libc.getxattr(path, name, mem, cap);
      if (got < 0) {
        int errno = LibC.lastErrno();
        if (errno == ERANGE) {
          continue; // the value grew between the two calls
        }
        if (errno == ENODATA) {
          return Optional.empty();
        }
        throw new SealClientException("getxattr " + name + " " + file, errno);
      }
      byte[] out = new byte[(int) got];
      mem.get(0, out, 0, out.length);
      return Optional.of(new String(out, StandardCharsets.UTF_8));
    }
    throw new SealClientException("getxattr " + name + " " + file, ERANGE);
  }
}
