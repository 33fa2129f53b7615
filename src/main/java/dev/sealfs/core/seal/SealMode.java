package dev.sealfs.core.seal;

/** How a seal treats the block map when it is taken (SPEC 4.1). */
public enum SealMode {
  /** Seal only a fully allocated, written, private file; else EPERM. */
  STRICT,
  /** Fill holes and convert unwritten extents first, then seal; ENOSPC if that fails. */
  PREPARE,
  /** Freeze the map as it is, holes included. */
  ASIS;

  /** Returns the lower-case name used by the xattrs and the CLI. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses {@code strict}, {@code prepare} or {@code asis}; null if it is none of them. */
  public static SealMode parse(String s) {
    for (SealMode m : values()) {
      if (m.label().equals(s)) {
        return m;
      }
    }
    return null;
  }
}
