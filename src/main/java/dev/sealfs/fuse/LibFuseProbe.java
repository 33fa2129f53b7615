package dev.sealfs.fuse;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import jnr.ffi.LibraryLoader;

/** Checks that libfuse.so.2 (the library jnr-fuse binds) can be loaded, before mounting. */
final class LibFuseProbe {

  /** The one libfuse function the probe calls. */
  public interface Lib {
    /** Returns the library's FUSE_USE_VERSION-style version, e.g. 29 for 2.9. */
    int fuse_version();
  }

  /** The one-line advice for a missing library. */
  private static final String ADVICE = "cannot load libfuse.so.2 (the FUSE 2 library sealfs"
      + " uses): install it with: apt-get install libfuse2";

  private LibFuseProbe() {}

  /** Loads libfuse.so.2 and checks its version; throws {@link FsException} if unusable. */
  static int check() {
    int version;
    try {
      version = LibraryLoader.create(Lib.class).failImmediately().load("libfuse.so.2")
          .fuse_version();
    } catch (LinkageError | RuntimeException e) {
      throw failure(e);
    }
    if (version < 26) {
      throw new FsException(Errno.EIO, "libfuse.so.2 is version " + version
          + "; sealfs needs 2.6 or later: apt-get install libfuse2");
    }
    return version;
  }

  /** Returns the one-line failure for a library that would not load. */
  static FsException failure(Throwable cause) {
    return new FsException(Errno.EIO, ADVICE, cause);
  }
}
