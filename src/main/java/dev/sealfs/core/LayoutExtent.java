package dev.sealfs.core;

/**
 * One extent as the layout interfaces report it, in bytes (struct sealfs_extent).
 *
 * @param logical byte offset in the file
 * @param physical byte offset in the device
 * @param length length in bytes
 * @param flags {@link #UNWRITTEN} and/or {@link #SHARED}
 */
public record LayoutExtent(long logical, long physical, long length, int flags) {
  /** Flag: allocated but reads as zeros. */
  public static final int UNWRITTEN = 1;
  /** Flag: blocks used by more than one file. */
  public static final int SHARED = 2;

  /** Returns "written", "unwritten" or "shared", as the layout xattr prints it. */
  public String stateName() {
    if ((flags & SHARED) != 0) {
      return "shared";
    }
    return (flags & UNWRITTEN) != 0 ? "unwritten" : "written";
  }
}
