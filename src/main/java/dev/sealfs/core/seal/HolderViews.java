package dev.sealfs.core.seal;

import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.inode.Extent;
import dev.sealfs.core.inode.ExtentState;
import dev.sealfs.core.inode.Inode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * The read-only views of seal state (SPEC 4.3): the {@code user.sealfs.*} virtual attributes and
 * the byte-unit layout extents LAYOUT answers. Reads the inode only; the caller holds its lock.
 */
public final class HolderViews {
  /** The read-only virtual attributes (SPEC 4.3). */
  public static final List<String> VIRTUAL_XATTRS = List.of("user.sealfs.layout",
      "user.sealfs.seal", "user.sealfs.holders", "user.sealfs.device");

  /** The device path shown by user.sealfs.device. */
  private final Path devicePath;
  /** Block size in bytes. */
  private final int bs;
  /** The choke point, for break deadlines and revoked handles. */
  private final LayoutGate gate;

  /** Creates the views for a filesystem on {@code devicePath} with {@code blockSize}. */
  public HolderViews(Path devicePath, int blockSize, LayoutGate gate) {
    this.devicePath = devicePath;
    this.bs = blockSize;
    this.gate = gate;
  }

  /** Returns extent {@code e} in bytes, as LAYOUT and user.sealfs.layout report it. */
  public LayoutExtent toLayout(Extent e) {
    return new LayoutExtent(e.fileBlock() * bs, e.devBlock() * (long) bs,
        e.blockCount() * bs, e.state() == ExtentState.UNWRITTEN ? LayoutExtent.UNWRITTEN
            : e.state() == ExtentState.SHARED ? LayoutExtent.SHARED : 0);
  }

  /** Returns the text of virtual attribute {@code name} of {@code i}. */
  public String virtualXattr(Inode i, String name) {
    StringBuilder out = new StringBuilder();
    switch (name) {
      case "user.sealfs.layout" -> {
        if (i.isReg()) {
          for (Extent e : i.extents.extents()) {
            LayoutExtent le = toLayout(e);
            line(out).append(le.logical()).append(' ').append(le.physical()).append(' ')
                .append(le.length()).append(' ').append(le.stateName());
          }
        }
      }
      case "user.sealfs.seal" -> {
        out.append(i.isSealed()
            ? "sealed holders=" + i.holderCount() + " generation=" + i.generation : "unsealed");
        long deadline = gate.breakDeadlineMs(i);
        if (deadline != 0) {
          out.append(" breaking deadline=").append(Instant.ofEpochMilli(deadline));
        }
      }
      case "user.sealfs.holders" -> {
        if (i.holders != null) {
          for (OpenFile h : i.holders.values()) {
            holderLine(out, h, h.breaking ? "breaking" : "held");
          }
        }
        for (OpenFile h : gate.revokedHandles(i)) {
          holderLine(out, h, "revoked");
        }
      }
      default -> out.append("path=").append(devicePath).append(" block_size=").append(bs);
    }
    return out.toString();
  }

  /** Appends one user.sealfs.holders record for {@code h} in {@code state} (SPEC 4.3, 9, 10). */
  private static void holderLine(StringBuilder out, OpenFile h, String state) {
    line(out).append("handle=").append(h.fh).append(" pid=").append(h.sealPid)
        .append(" uid=").append(h.sealUid).append(" mode=")
        .append(h.sealMode == null ? "strict" : h.sealMode.label())
        .append(" since=").append(Instant.ofEpochMilli(h.sealSinceMs))
        .append(" range=").append(h.sealRange.label())
        .append(" breakable=").append(h.sealBreakable ? 1 : 0)
        .append(" state=").append(state);
  }

  /** Starts a new record: a newline unless {@code out} is empty. */
  private static StringBuilder line(StringBuilder out) {
    return out.length() > 0 ? out.append('\n') : out;
  }
}
