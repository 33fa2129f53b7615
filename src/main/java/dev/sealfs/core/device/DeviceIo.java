package dev.sealfs.core.device;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;

/**
 * How file data reaches the device (mount option {@code device_io=}, like qemu's
 * {@code cache=}): through the host page cache, or around it with O_DIRECT. Metadata, journal
 * and superblock I/O are buffered in both modes; see {@link Device} and {@link DirectData}.
 */
public enum DeviceIo {
  /** File data is written with buffered pwrites (the default). */
  BUFFERED,
  /** File data is written through a second, O_DIRECT channel of the device. */
  DIRECT;

  /** The mount option's name. */
  public static final String OPTION = "device_io";

  /** Returns the mode named {@code value} ({@code buffered} or {@code direct}); EINVAL else. */
  public static DeviceIo parse(String value) {
    switch (value) {
      case "buffered":
        return BUFFERED;
      case "direct":
        return DIRECT;
      default:
        throw FsException.of(Errno.EINVAL,
            "bad mount option " + OPTION + "=" + value + ": must be buffered or direct");
    }
  }

  /** Returns the option value naming this mode ({@code buffered} or {@code direct}). */
  public String optionValue() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
