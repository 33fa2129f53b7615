package dev.sealfs.core.inode;

/**
 * The state of an extent's blocks: holding data, allocated but reading as zeros, or holding data
 * that other extents (of this or another file) may map too (SPEC 11, copy_file_range).
 */
public enum ExtentState {
  /** The blocks hold the file's data. */
  WRITTEN,
  /** The blocks are allocated (preallocated) but read as zeros until written. */
  UNWRITTEN,
  /** The blocks hold data and may be mapped by other shared extents ({@link ShareCounts}). */
  SHARED;

  /** Returns the on-disk code of this state: 0 written, 1 unwritten, 2 shared. */
  public int code() {
    return ordinal();
  }

  /** Returns the state of on-disk code {@code code}, or null if it names none. */
  public static ExtentState ofCode(int code) {
    return code >= 0 && code < VALUES.length ? VALUES[code] : null;
  }

  /** True if the blocks hold data (written or shared), false if they read as zeros. */
  public boolean holdsData() {
    return this != UNWRITTEN;
  }

  /** Every state, by code. */
  private static final ExtentState[] VALUES = values();
}
