package dev.sealfs.core;

import java.nio.file.Path;

/** Placeholder for the lead's mkfs; the lead's version replaces this file on merge. */
public final class Mkfs {
  private Mkfs() {}

  /** Creates a filesystem on {@code device}; returns the printable geometry. */
  public static String run(Path device, long sizeBytes, int blockSize, boolean force,
      boolean dryRun) {
    throw new UnsupportedOperationException("todo");
  }
}
