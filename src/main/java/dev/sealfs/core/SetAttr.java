package dev.sealfs.core;

/**
 * The changes of one FUSE SETATTR; each field says "unchanged" with its own marker.
 *
 * @param mode new permission bits (07777), or -1
 * @param uid new owner, or -1
 * @param gid new group, or -1
 * @param size new size in bytes, or -1
 * @param atimeNs new access time in ns, {@link SealFs#UTIME_NOW} or {@link SealFs#UTIME_OMIT}
 * @param mtimeNs new modification time in ns, UTIME_NOW or UTIME_OMIT
 */
public record SetAttr(int mode, int uid, int gid, long size, long atimeNs, long mtimeNs) {
  /** No change at all. */
  public static final SetAttr NONE =
      new SetAttr(-1, -1, -1, -1, SealFs.UTIME_OMIT, SealFs.UTIME_OMIT);

  /** Returns this with the mode changed. */
  public SetAttr withMode(int newMode) {
    return new SetAttr(newMode, uid, gid, size, atimeNs, mtimeNs);
  }

  /** Returns this with the owner and group changed (-1 leaves one). */
  public SetAttr withOwner(int newUid, int newGid) {
    return new SetAttr(mode, newUid, newGid, size, atimeNs, mtimeNs);
  }

  /** Returns this with the size changed. */
  public SetAttr withSize(long newSize) {
    return new SetAttr(mode, uid, gid, newSize, atimeNs, mtimeNs);
  }

  /** Returns this with the times changed. */
  public SetAttr withTimes(long newAtimeNs, long newMtimeNs) {
    return new SetAttr(mode, uid, gid, size, newAtimeNs, newMtimeNs);
  }
}
