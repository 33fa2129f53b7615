package dev.sealfs.cli;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.device.DeviceIo;
import java.util.Iterator;
import java.util.List;

/**
 * The device mount option, sealfs' own (it never reaches the FUSE layer):
 * {@code device_io=buffered|direct|mmap}, how file data reaches the device (docs/design.md).
 */
final class DeviceOptions {
  /** The option's prefix. */
  static final String DEVICE_IO = DeviceIo.OPTION + "=";

  private DeviceOptions() {}

  /**
   * Removes the device_io options from {@code opts} and returns the mode (the last one wins;
   * {@link DeviceIo#BUFFERED} if none); EINVAL for a bad value.
   */
  static DeviceIo take(List<String> opts) {
    DeviceIo io = DeviceIo.BUFFERED;
    for (Iterator<String> it = opts.iterator(); it.hasNext(); ) {
      String o = it.next();
      if (o.startsWith(DEVICE_IO)) {
        io = DeviceIo.parse(o.substring(DEVICE_IO.length()));
        it.remove();
      } else if (o.equals(DeviceIo.OPTION)) {
        throw FsException.of(Errno.EINVAL,
            "bad mount option " + o + ": must be device_io=VALUE, VALUE " + DeviceIo.VALUES);
      }
    }
    return io;
  }
}
