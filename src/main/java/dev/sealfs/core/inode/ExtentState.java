package dev.sealfs.core.inode;

/** The state of an extent's blocks: holding data, or allocated but reading as zeros. */
public enum ExtentState {
  /** The blocks hold the file's data. */
  WRITTEN,
  /** The blocks are allocated (preallocated) but read as zeros until written. */
  UNWRITTEN
}
