package dev.sealfs.core.commit;

/**
 * Thrown by an operation that ran short of space while frees wait for their commit: the
 * facade releases the operation's locks, commits durably (releasing the frees) and runs the
 * operation once more. The operation must have changed nothing yet (allocation comes first).
 */
public final class CommitAndRetry extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the signal (no stack trace: it is control flow). */
  public CommitAndRetry() {
    super("commit and retry", null, false, false);
  }
}
