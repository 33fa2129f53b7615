package dev.sealfs.fuse;

import dev.sealfs.core.Caller;
import dev.sealfs.core.Errno;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.core.SealFs;
import dev.sealfs.core.SealResult;
import java.nio.ByteBuffer;

/**
 * The SPEC 4.1 seal ioctls served for either FUSE binding: decodes the argument with
 * {@link IoctlCodec}, calls the core by file handle and encodes the result in place.
 */
public final class SealIoctl {

  private SealIoctl() {}

  /** True if {@code cmd} is one of the five sealfs ioctls. */
  public static boolean known(int cmd) {
    return cmd == IoctlCodec.SEAL || cmd == IoctlCodec.UNSEAL || cmd == IoctlCodec.STATUS
        || cmd == IoctlCodec.LAYOUT || cmd == IoctlCodec.BREAK;
  }

  /**
   * Serves ioctl {@code cmd} on handle {@code fh}, reading and writing the argument in
   * {@code data} (at least {@link IoctlCodec#argSizeBytes} bytes; may be null for UNSEAL).
   * Returns 0 or {@code -errno}: ENOTTY for an unknown command, EINVAL on a directory.
   * Throws {@link dev.sealfs.core.FsException} for the core's refusals.
   */
  public static int serve(SealFs fs, long fh, int cmd, boolean onDirectory, ByteBuffer data,
      Caller caller) {
    if (!known(cmd)) {
      return -Errno.ENOTTY.code;
    }
    if (onDirectory) {
      return -Errno.EINVAL.code;
    }
    if (cmd == IoctlCodec.UNSEAL) {
      fs.unseal(fh);
      return 0;
    }
    if (data == null) {
      return -Errno.EINVAL.code;
    }
    switch (cmd) {
      case IoctlCodec.SEAL: {
        IoctlCodec.SealRequest req = IoctlCodec.decodeSeal(data);
        SealResult res = fs.seal(fh, req.flags(), req.offset(), req.length(), req.reserved(),
            caller);
        IoctlCodec.encodeSealResult(data, res);
        return 0;
      }
      case IoctlCodec.STATUS:
        IoctlCodec.encodeStatus(data, fs.sealStatus(fh), fs.sealStatusState(fh),
            fs.breakDeadlineMs(fh));
        return 0;
      case IoctlCodec.BREAK:
        fs.breakSeals(fh, IoctlCodec.decodeBreakFlags(data), caller);
        return 0;
      default: {
        LayoutPage page = fs.layout(fh, IoctlCodec.decodeLayoutStart(data));
        IoctlCodec.encodeLayout(data, page);
        return 0;
      }
    }
  }
}
