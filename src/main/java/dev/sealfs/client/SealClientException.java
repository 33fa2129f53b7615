package dev.sealfs.client;

import dev.sealfs.core.Errno;
import java.io.IOException;
import java.util.Optional;

/** A failed system call of the sealfs client, carrying the errno it failed with. */
public final class SealClientException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The positive errno number. */
  private final int errno;
  /** What was being done, e.g. "seal /mnt/f". */
  private final String operation;

  /** Creates the exception for {@code operation} failing with {@code errno}. */
  public SealClientException(String operation, int errno) {
    super(operation + ": " + ErrnoText.message(errno));
    this.errno = errno;
    this.operation = operation;
  }

  /** Returns the positive errno number, e.g. 26. */
  public int errno() {
    return errno;
  }

  /** Returns the symbolic errno name, e.g. "ETXTBSY". */
  public String symbol() {
    return ErrnoText.symbol(errno);
  }

  /** Returns the strerror(3) text, e.g. "Text file busy". */
  public String reason() {
    return ErrnoText.message(errno);
  }

  /**
   * Returns the one-line CLI message {@code sealfs: cannot WHAT: REASON}, with a hint when the
   * file is not on a sealfs mount (ENOTTY: the ioctl is unknown there).
   */
  public String cliLine(String what) {
    return "sealfs: cannot " + what + ": " + reason()
        + (errno == Errno.ENOTTY.code ? " (not on a sealfs mount?)" : "");
  }

  /** Returns what was being done when the call failed. */
  public String operation() {
    return operation;
  }

  /** Returns the matching {@link Errno} constant, if the project's enum has one. */
  public Optional<Errno> toErrno() {
    for (Errno e : Errno.values()) {
      if (e.code == errno) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }
}
