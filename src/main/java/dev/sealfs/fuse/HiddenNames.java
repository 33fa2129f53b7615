package dev.sealfs.fuse;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.PathFs;
import dev.sealfs.core.SealFs;
import dev.sealfs.core.Stat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * libfuse 2.9's {@code .fuse_hidden} convention, kept out of the core: without
 * {@code hard_remove}, libfuse renames a file that is unlinked while open to
 * {@code .fuse_hiddenNNN} and unlinks that name at release.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>Such a rename is the unlink it stands for: the real name leaves the directory, the link
 * count drops (to 0 for the last name) and the inode becomes an orphan. The hidden name is only
 * a private alias held here, so the kernel's path-based {@code fstat} of the open file still
 * works while {@code readdir} and {@code rmdir} never see it. The alias holds one kernel lookup
 * reference on the inode ({@link SealFs#lookup}), which keeps it alive until libfuse unlinks the
 * hidden name; that unlink drops the reference ({@link SealFs#forget}), freeing the orphan once
 * its handles are closed too. Aliases are keyed by the last name only, as libfuse makes them
 * unique per mount.
 *
 * <p>Thread-safe (a concurrent map); the check and the unlink of a hidden rename are two core
 * calls, which is enough for libfuse, which holds its own tree lock around the rename.
 */
final class HiddenNames implements PathFs.Aliases {
  /** The prefix of the names libfuse 2.9 gives unlinked-but-open files. */
  static final String PREFIX = ".fuse_hidden";

  /** The inode-addressed filesystem. */
  private final SealFs fs;
  /** The path view that resolves these aliases first. */
  private final PathFs paths;
  /** Hidden name to inode number. */
  private final Map<String, Long> names = new ConcurrentHashMap<>();

  /** Creates the convention over {@code fs}. */
  HiddenNames(SealFs fs) {
    this.fs = fs;
    this.paths = new PathFs(fs, this);
  }

  /** Returns the path view of the filesystem that knows the hidden names. */
  PathFs paths() {
    return paths;
  }

  @Override
  public long resolve(String path) {
    if (names.isEmpty() || !path.contains(PREFIX)) {
      return 0;
    }
    Long ino = names.get(lastName(path));
    return ino == null ? 0 : ino;
  }

  private static String lastName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** Renames {@code from} to {@code to}; a rename to a free hidden name is an unlink. */
  void rename(String from, String to) {
    PathFs.Parent dst = paths.parentOf(to);
    if (dst.name().startsWith(PREFIX)) {
      PathFs.Parent src = paths.parentOf(from);
      if (fs.find(src.dirIno(), src.name()) == 0) {
        throw FsException.of(Errno.ENOENT, from + ": no such file or directory");
      }
      if (fs.find(dst.dirIno(), dst.name()) == 0) {
        Stat st = fs.lookup(src.dirIno(), src.name());
        if ((st.mode() & 0170000) != 0040000) {
          try {
            fs.unlink(src.dirIno(), src.name());
          } catch (FsException e) {
            fs.forget(st.ino(), 1);
            throw e;
          }
          names.put(dst.name(), st.ino());
          return;
        }
        fs.forget(st.ino(), 1);
      }
    }
    paths.rename(from, to);
  }

  /** Unlinks {@code path}; a hidden name drops its alias and the reference it held. */
  void unlink(String path) {
    if (path != null && !names.isEmpty()) {
      Long ino = names.remove(lastName(path));
      if (ino != null) {
        fs.forget(ino, 1);
        return;
      }
    }
    paths.unlink(path);
  }
}
