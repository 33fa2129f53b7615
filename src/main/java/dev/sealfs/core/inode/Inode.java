package dev.sealfs.core.inode;

import dev.sealfs.core.seal.OpenFile;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.TreeMap;

/**
 * One in-memory inode: attributes plus, by type, an extent map (regular files), entries
 * (directories) or a target (symlinks), extended attributes, and the runtime state of opens and
 * seal holders. Guarded by the filesystem lock.
 */
public final class Inode {
  /** File type mask. */
  public static final int S_IFMT = 0170000;
  /** Directory type. */
  public static final int S_IFDIR = 0040000;
  /** Regular file type. */
  public static final int S_IFREG = 0100000;
  /** Symlink type. */
  public static final int S_IFLNK = 0120000;
  /** Set-user-id bit. */
  public static final int S_ISUID = 04000;
  /** Set-group-id bit. */
  public static final int S_ISGID = 02000;
  /** Group-execute permission bit. */
  public static final int S_IXGRP = 00010;

  /** The inode number (stable, never reused while the filesystem lives). */
  public final long ino;
  /** Type and permission bits. */
  public int mode;
  /** Owner. */
  public int uid;
  /** Group. */
  public int gid;
  /** Hard link count (directories: 2 + subdirectories). */
  public long nlink;
  /** Device number of a device node. */
  public long rdev;
  /** Size in bytes. */
  public long size;
  /** Access time, ns. */
  public long atimeNs;
  /** Modification time, ns. */
  public long mtimeNs;
  /** Change time, ns. */
  public long ctimeNs;
  /** Block-map generation: changes with every change of the block map. */
  public long generation;
  /**
   * True while this inode is in its {@link Metadata}'s dirty set (written under that object's
   * lock; read by {@link Metadata#markDirty} without it, which is sound because every caller
   * holds the epoch lock shared and the set is emptied only under it exclusively).
   */
  boolean inDirtySet;
  /** The block map of a regular file; null for other types. */
  public final ExtentMap extents;
  /** Name to inode number, for directories; null for other types. */
  public final HashMap<String, Long> entries;
  /** The parent directory's inode number, for directories. */
  public long parent;
  /** Symlink target, for symlinks. */
  public String target;
  /** Extended attributes (real ones only), created on first use. */
  public TreeMap<String, byte[]> xattrs;
  /** Open file handles on this inode. */
  public int openCount;
  /** Kernel lookup references (FUSE nlookup): taken by lookup and the creating calls. */
  public long lookupCount;
  /** Seal holders by file handle, in sealing order; created on first seal. */
  public LinkedHashMap<Long, OpenFile> holders;
  /** Journal group number of this inode's last block-map change (for durable seals). */
  public long mapGroup;

  /** Creates an inode of the type given by {@code mode}. */
  public Inode(long ino, int mode) {
    this.ino = ino;
    this.mode = mode;
    int type = mode & S_IFMT;
    this.extents = type == S_IFREG ? new ExtentMap() : null;
    this.entries = type == S_IFDIR ? new HashMap<>() : null;
  }

  /** Returns true for a directory. */
  public boolean isDir() {
    return (mode & S_IFMT) == S_IFDIR;
  }

  /** Returns true for a regular file. */
  public boolean isReg() {
    return (mode & S_IFMT) == S_IFREG;
  }

  /** Returns true for a symlink. */
  public boolean isSymlink() {
    return (mode & S_IFMT) == S_IFLNK;
  }

  /**
   * Drops the privileges a changed file must lose (the Linux VFS rule that
   * FUSE_HANDLE_KILLPRIV_V2 hands to the filesystem): setuid always; setgid when group-execute
   * is set (without it setgid marks mandatory locking, not privilege) or when
   * {@code outsideGroup} (the caller is neither privileged nor in the file's group).
   * Directories keep both. Returns true if the mode changed.
   */
  public boolean killPrivileges(boolean outsideGroup) {
    if (isDir()) {
      return false;
    }
    int kill = mode & S_ISUID;
    if ((mode & S_ISGID) != 0 && ((mode & S_IXGRP) != 0 || outsideGroup)) {
      kill |= S_ISGID;
    }
    mode &= ~kill;
    return kill != 0;
  }

  /** Returns true if the mode has a privilege bit that {@link #killPrivileges} could drop. */
  public boolean hasPrivileges() {
    return (mode & (S_ISUID | S_ISGID)) != 0;
  }

  /** Returns true if any handle holds a seal on this inode. */
  public boolean isSealed() {
    return holders != null && !holders.isEmpty();
  }

  /** Returns the number of seal holders. */
  public int holderCount() {
    return holders == null ? 0 : holders.size();
  }

  /** Returns the extended attributes map, creating it if needed. */
  public TreeMap<String, byte[]> xattrs() {
    if (xattrs == null) {
      xattrs = new TreeMap<>();
    }
    return xattrs;
  }
}
