package dev.sealfs.cli;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.SealFs;
import dev.sealfs.core.seal.LayoutGate;
import java.util.Iterator;
import java.util.List;

/**
 * The seal mount options (SPEC 10, 12), which are sealfs' own and never reach the FUSE layer:
 * {@code seal_limit=SIZE} (bytes one non-root uid may hold sealed; sizes like 64M) and
 * {@code break_time=SECONDS} (how long a break waits before revoking; default 45).
 *
 * @param sealLimitBytes the limit in bytes, 0 for none
 * @param breakTimeSeconds the break time in seconds
 */
record SealOptions(long sealLimitBytes, int breakTimeSeconds) {
  /** The seal_limit option's prefix. */
  static final String SEAL_LIMIT = "seal_limit=";
  /** The break_time option's prefix. */
  static final String BREAK_TIME = "break_time=";

  /**
   * Removes the seal options from {@code opts} and returns their values (the last one wins);
   * EINVAL for a bad value.
   */
  static SealOptions take(List<String> opts) {
    long limit = 0;
    int breakTime = LayoutGate.DEFAULT_BREAK_TIME_SECONDS;
    for (Iterator<String> it = opts.iterator(); it.hasNext(); ) {
      String o = it.next();
      try {
        if (o.startsWith(SEAL_LIMIT)) {
          limit = Sizes.parseBytes(o.substring(SEAL_LIMIT.length()));
          it.remove();
        } else if (o.startsWith(BREAK_TIME)) {
          breakTime = Integer.parseInt(o.substring(BREAK_TIME.length()));
          if (breakTime < 0) {
            throw new IllegalArgumentException("break_time must not be negative");
          }
          it.remove();
        }
      } catch (IllegalArgumentException e) {
        throw new FsException(Errno.EINVAL, "bad mount option " + o + ": " + e.getMessage());
      }
    }
    return new SealOptions(limit, breakTime);
  }

  /** Applies the options to a freshly opened filesystem. */
  void applyTo(SealFs fs) {
    fs.configureSeals(sealLimitBytes, breakTimeSeconds);
  }
}
