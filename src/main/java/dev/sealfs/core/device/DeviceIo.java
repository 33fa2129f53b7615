package dev.sealfs.core.device;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;

/**
 * How file data reaches the device (mount option {@code device_io=}, like qemu's
 * {@code cache=}): through the host page cache by pwrite or by stores into a shared mapping, or
 * around it with O_DIRECT. Metadata, journal and superblock I/O are buffered in every mode; see
 * {@link Device}, {@link DirectData} and {@link MappedData}.
 */
public enum DeviceIo {
  /** File data is written with buffered pwrites (the default). */
  BUFFERED,
  /** File data is written through a second, O_DIRECT channel of the device. */
  DIRECT,
  /** File data is stored through a shared mapping of the image file (no host inode lock). */
  MMAP;

  /** The mount option's name. */
  public static final String OPTION = "device_io";

  /** The values the option takes, for messages. */
  public static final String VALUES = "buffered, direct or mmap";

  /** Returns the mode named {@code value} ({@code buffered}, {@code direct}, {@code mmap}). */
  public static DeviceIo parse(String value) {
    switch (value) {
      case "buffered":
        return BUFFERED;
      case "direct":
        return DIRECT;
      case "mmap":
        return MMAP;
      default:
        throw FsException.of(Errno.EINVAL,
            "bad mount option " + OPTION + "=" + value + ": must be " + VALUES);
    }
  }

  /** Returns the option value naming this mode. */
  public String optionValue() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
