package dev.sealfs.core;

/** An operation failed with a POSIX errno; the message says why, for logs and CLI output. */
public final class FsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The errno this failure maps to. */
  private final Errno errno;

  /** Creates a failure with the given errno and message. */
  public FsException(Errno errno, String message) {
    super(message, null, false, false);
    this.errno = errno;
  }

  /** Creates a failure with the given errno, message and cause. */
  public FsException(Errno errno, String message, Throwable cause) {
    super(message, cause, false, false);
    this.errno = errno;
  }

  /** Returns the errno this failure maps to. */
  public Errno errno() {
    return errno;
  }

  /** Shorthand: a new exception with errno {@code e} and message {@code msg}. */
  public static FsException of(Errno e, String msg) {
    return new FsException(e, msg);
  }
}
