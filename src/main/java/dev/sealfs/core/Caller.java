package dev.sealfs.core;

/**
 * Who asks: the uid, gid and pid from the FUSE request context.
 *
 * @param uid the caller's effective user id
 * @param gid the caller's effective group id
 * @param pid the caller's process id (0 when unknown)
 */
public record Caller(int uid, int gid, int pid) {
  /** The superuser, for internal work and tests. */
  public static final Caller ROOT = new Caller(0, 0, 0);

  /** Returns true if this caller is root. */
  public boolean isRoot() {
    return uid == 0;
  }
}
