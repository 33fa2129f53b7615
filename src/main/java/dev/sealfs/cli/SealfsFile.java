package dev.sealfs.cli;

import dev.sealfs.client.SealClientException;
import dev.sealfs.core.Errno;
import dev.sealfs.fuse.MountInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether a file the CLI is asked to seal or describe is on a sealfs mount, so that a file
 * elsewhere gets "not on a sealfs mount" instead of the ioctl's ENOTTY text.
 */
final class SealfsFile {
  /** The filesystem type of a sealfs mount in /proc/self/mountinfo. */
  static final String FS_TYPE = "fuse.sealfs";

  private SealfsFile() {}

  /**
   * Returns why {@code file} is not a sealfs file, e.g. "not on a sealfs mount (it is on ext4,
   * mounted at /)", when the kernel's mount table says so; empty when it is on a sealfs mount or
   * that cannot be told (the file is missing, or the table unreadable: then the call decides).
   */
  static Optional<String> notOnSealfs(Path file) {
    Path real;
    try {
      real = file.toRealPath();
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
    return MountInfo.holding(real, m -> true)
        .filter(m -> !m.fsType().equals(FS_TYPE))
        .map(m -> "not on a sealfs mount (it is on " + m.fsType() + ", mounted at "
            + m.mountPoint() + ")");
  }

  /**
   * Returns the one-line CLI message for {@code e} while trying to {@code what}: for ENOTTY (the
   * sealfs ioctls are unknown to the file's filesystem) it says the file is not on sealfs.
   */
  static String cliLine(SealClientException e, String what, Path file) {
    if (e.errno() == Errno.ENOTTY.code) {
      return "sealfs: cannot " + what + ": " + notOnSealfs(file)
          .orElse("not on a sealfs mount (the sealfs ioctls are unknown there)");
    }
    return "sealfs: cannot " + what + ": " + e.reason();
  }

  /** Returns the one-line message for a file the mount table puts elsewhere, if so. */
  static Optional<String> refusal(Path file, String what) {
    return notOnSealfs(file).map(r -> "sealfs: cannot " + what + ": " + r);
  }
}
