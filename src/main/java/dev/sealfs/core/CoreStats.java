package dev.sealfs.core;

/**
 * The core's statistics hook: the few events only the core sees (an ETXTBSY refusal, a journal
 * commit, a device force), reported to whoever watches (the metrics of {@code -o metrics}).
 * Called from request threads, possibly under an inode lock, so an implementation must be quick,
 * thread-safe and must not call
 * back into the filesystem. {@link #NONE} ignores everything.
 */
public interface CoreStats {

  /** The hook that records nothing (the default). */
  CoreStats NONE = new CoreStats() { };

  /** An operation named {@code op} (e.g. "truncate") was refused with ETXTBSY. */
  default void refused(String op) { }

  /** A journal group was committed. */
  default void committed() { }

  /** The device was forced (fdatasync), which took {@code nanos}. */
  default void forced(long nanos) { }
}
