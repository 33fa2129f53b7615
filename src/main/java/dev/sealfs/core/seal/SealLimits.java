package dev.sealfs.core.seal;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@code seal_limit=SIZE} mount option (SPEC 12): the most bytes one uid other than root may
 * hold sealed on the mount, summed over its holders' charged bytes
 * ({@link SealRange#chargedBytes}). A SEAL past the limit is EDQUOT.
 *
 * <p>Locks: every method is synchronized; callers charge before a seal is visible and discharge
 * exactly what they charged when it goes (UNSEAL, release, revocation).
 */
public final class SealLimits {
  /** The limit in bytes per uid; {@link Long#MAX_VALUE} when the option is not given. */
  private final long limitBytes;
  /** Bytes held sealed, by uid. */
  private final Map<Integer, Long> heldBytes = new HashMap<>();

  /** Creates the accounting for a limit of {@code limitBytes} (0 or less: no limit). */
  public SealLimits(long limitBytes) {
    this.limitBytes = limitBytes <= 0 ? Long.MAX_VALUE : limitBytes;
  }

  /** Returns the limit in bytes ({@link Long#MAX_VALUE} if none). */
  public long limitBytes() {
    return limitBytes;
  }

  /** Adds {@code bytes} to {@code uid}'s sealed bytes; EDQUOT past the limit (root exempt). */
  public synchronized void charge(int uid, long bytes) {
    long now = heldBytes.getOrDefault(uid, 0L);
    if (uid != 0 && (bytes > limitBytes || now > limitBytes - bytes)) {
      throw FsException.of(Errno.EDQUOT, "uid " + uid + " would hold " + (now + bytes)
          + " bytes sealed, past seal_limit=" + limitBytes);
    }
    heldBytes.put(uid, now + bytes);
  }

  /** Gives back {@code bytes} charged to {@code uid}. */
  public synchronized void discharge(int uid, long bytes) {
    long left = heldBytes.getOrDefault(uid, 0L) - bytes;
    if (left <= 0) {
      heldBytes.remove(uid);
    } else {
      heldBytes.put(uid, left);
    }
  }

  /** Returns the bytes {@code uid} holds sealed now. */
  public synchronized long heldBytes(int uid) {
    return heldBytes.getOrDefault(uid, 0L);
  }
}
