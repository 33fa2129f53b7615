package dev.sealfs.core.attr;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.Limits;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import dev.sealfs.core.seal.HolderViews;
import dev.sealfs.core.seal.SealMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Extended attributes: {@code user.*} is stored; other namespaces are refused (EOPNOTSUPP on
 * set, ENODATA on get); {@code user.sealfs.*} is reserved: the virtual names
 * ({@link HolderViews}) answer reads and refuse writes with EPERM, {@code seal_on_open} takes
 * strict, prepare or asis, and any other sealfs name is EINVAL.
 *
 * <p>Locks: the caller holds the inode's lock (shared for reads).
 */
public final class Xattrs {
  /** The persistent attribute that makes write-opens holders (SPEC 4.2). */
  public static final String SEAL_ON_OPEN = "user.sealfs.seal_on_open";
  /** Prefix of sealfs' own attributes. */
  static final String SEALFS_XATTR_PREFIX = "user.sealfs.";

  /** The metadata state machine. */
  private final Metadata meta;
  /** Writability. */
  private final Durability dur;
  /** The virtual attributes. */
  private final HolderViews views;

  /** Creates the xattr unit. */
  public Xattrs(Metadata meta, Durability dur, HolderViews views) {
    this.meta = meta;
    this.dur = dur;
    this.views = views;
  }

  /** Returns {@code i}'s seal_on_open mode, or null. */
  public static SealMode sealOnOpen(Inode i) {
    byte[] v = i.xattrs == null ? null : i.xattrs.get(SEAL_ON_OPEN);
    return v == null ? null : SealMode.parse(new String(v, StandardCharsets.UTF_8).trim());
  }

  /** Sets an extended attribute; {@code flags} are XATTR_CREATE=1 / XATTR_REPLACE=2. */
  public void set(Inode i, String name, byte[] value, int flags) {
    if (!name.startsWith("user.")) {
      throw FsException.of(Errno.EOPNOTSUPP, name + ": only user.* attributes are supported");
    }
    if (HolderViews.VIRTUAL_XATTRS.contains(name)) {
      throw FsException.of(Errno.EPERM, name + " is read-only");
    }
    if (name.startsWith(SEALFS_XATTR_PREFIX)) {
      if (!name.equals(SEAL_ON_OPEN)) {
        throw FsException.of(Errno.EINVAL, name + ": unknown sealfs attribute");
      }
      if (!i.isReg() || SealMode.parse(new String(value, StandardCharsets.UTF_8).trim()) == null) {
        throw FsException.of(Errno.EINVAL, SEAL_ON_OPEN + " takes strict, prepare or asis");
      }
    }
    if (name.length() > Limits.NAME_MAX) {
      throw FsException.of(Errno.ERANGE, "attribute name too long");
    }
    dur.checkWritable();
    boolean exists = i.xattrs != null && i.xattrs.containsKey(name);
    if ((flags & 1) != 0 && exists) {
      throw FsException.of(Errno.EEXIST, name + " exists");
    }
    if ((flags & 2) != 0 && !exists) {
      throw FsException.of(Errno.ENODATA, name + " does not exist");
    }
    meta.setXattr(i, name, value.clone());
    i.ctimeNs = Limits.nowNs();
    meta.markDirty(i);
  }

  /** Returns an extended attribute's value (including sealfs' virtual ones). */
  public byte[] get(Inode i, String name) {
    if (HolderViews.VIRTUAL_XATTRS.contains(name)) {
      return views.virtualXattr(i, name).getBytes(StandardCharsets.UTF_8);
    }
    byte[] v = i.xattrs == null ? null : i.xattrs.get(name);
    if (v == null) {
      throw FsException.of(Errno.ENODATA, name + ": no such attribute");
    }
    return v;
  }

  /** Lists extended attribute names (virtual ones are not listed). */
  public List<String> list(Inode i) {
    return i.xattrs == null ? List.of() : new ArrayList<>(i.xattrs.keySet());
  }

  /** Removes an extended attribute. */
  public void remove(Inode i, String name) {
    if (HolderViews.VIRTUAL_XATTRS.contains(name)) {
      throw FsException.of(Errno.EPERM, name + " is read-only");
    }
    if (!name.startsWith("user.")) {
      throw FsException.of(Errno.EOPNOTSUPP, name + ": only user.* attributes are supported");
    }
    dur.checkWritable();
    if (i.xattrs == null || !i.xattrs.containsKey(name)) {
      throw FsException.of(Errno.ENODATA, name + ": no such attribute");
    }
    meta.removeXattr(i, name);
    i.ctimeNs = Limits.nowNs();
    meta.markDirty(i);
  }
}
