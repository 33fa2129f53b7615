package dev.sealfs.core.inode;

import dev.sealfs.core.journal.Codec;
import dev.sealfs.core.journal.Group;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The metadata state machine: every inode, entry, extent and xattr, and the only place they
 * change. Each structural change is applied here AND appended as a redo record to the running
 * journal group; recovery feeds the same records back through {@link #apply}, so what replay
 * rebuilds is what the live filesystem had. Attribute changes (times, size, mode, ...) are
 * coalesced: a changed inode is marked dirty and its whole attribute record is emitted once, when
 * the group commits.
 *
 * <p>Locks: the group (records, dirty set, next inode number) is guarded by this object's
 * monitor, a leaf of the lock order; {@link #inodes} is a concurrent map. An inode's own fields
 * are guarded by its inode lock ({@link InodeLocks}), which the callers of the changing methods
 * hold. {@link #drainGroup} and {@link #snapshot} run with every operation stopped (the facade's
 * epoch lock held exclusively), so the attributes they encode are a consistent cut.
 *
 * <p>Redo record payloads (little-endian; strings are u32 length + UTF-8):
 *
 * <pre>
 *   INODE      u64 ino, u32 mode, u32 uid, u32 gid, u64 nlink, u64 rdev, u64 size,
 *              u64 atime, u64 mtime, u64 ctime, u64 generation     (create or update)
 *   INODE_DEL  u64 ino                                            (frees it and its blocks)
 *   MAP        u64 ino, u64 fileBlock, u64 blockCount, u64 devBlock (-1 = unmap), u8 state
 *              (0 written, 1 unwritten, 2 shared: format version 2)
 *   DIRENT_ADD u64 dir, u64 child, str name
 *   DIRENT_DEL u64 dir, str name
 *   XATTR_SET  u64 ino, str name, bytes value
 *   XATTR_DEL  u64 ino, str name
 *   SYMLINK    u64 ino, str target
 * </pre>
 */
public final class Metadata {
  /** Record type: inode attributes. */
  public static final int INODE = 1;
  /** Record type: inode deleted. */
  public static final int INODE_DEL = 2;
  /** Record type: block-map change. */
  public static final int MAP = 3;
  /** Record type: directory entry added. */
  public static final int DIRENT_ADD = 4;
  /** Record type: directory entry removed. */
  public static final int DIRENT_DEL = 5;
  /** Record type: xattr set. */
  public static final int XATTR_SET = 6;
  /** Record type: xattr removed. */
  public static final int XATTR_DEL = 7;
  /** Record type: symlink target. */
  public static final int SYMLINK = 8;
  /** The root directory's inode number. */
  public static final long ROOT_INO = 1;
  /** Checkpoint blob magic, "SFCKPT01". */
  private static final long SNAP_MAGIC = 0x3130544B50434653L;

  /** Every live inode by number. */
  public final Map<Long, Inode> inodes = new ConcurrentHashMap<>();
  /** The reference counts of shared extents, derived at mount ({@link ShareCounts#derive}). */
  public final ShareCounts shares = new ShareCounts();
  /** The next inode number to hand out. */
  public long nextIno = ROOT_INO + 1;
  /** The running journal group: encoded [u16 type][u32 len][payload] records. */
  private final Codec.Writer group = new Codec.Writer(1 << 16);
  /** Number of records in the running group. */
  private int groupRecords;
  /** Inodes whose attributes changed in the running group. */
  private final LinkedHashSet<Inode> dirty = new LinkedHashSet<>();
  /** Scratch writer for one record's payload. */
  private final Codec.Writer rec = new Codec.Writer(256);
  /** When false (replay), changes are applied but not logged. */
  private boolean logging = true;

  /** Returns the inode {@code ino}, or null. */
  public Inode get(long ino) {
    return inodes.get(ino);
  }

  /**
   * Returns the number of seal holders over all inodes: a scan without the inode locks, for
   * metrics (off by a seal changing meanwhile), never for a hot path.
   */
  public long sealHolderCount() {
    long n = 0;
    for (Inode i : inodes.values()) {
      n += i.holderCount();
    }
    return n;
  }

  /**
   * Updates {@code i}'s atime after a read, relatime style: only when it is older than mtime or
   * ctime or a day old, so reads do not turn into journal traffic. Nothing on a read-only mount.
   */
  public void touchAtime(Inode i, boolean readOnly) {
    if (readOnly) {
      return;
    }
    long t = dev.sealfs.core.Limits.nowNs();
    if (atimeDue(i, t)) {
      i.atimeNs = t;
      markDirty(i);
    }
  }

  /** Returns true if a read at {@code nowNs} must update {@code i}'s atime (relatime). */
  public static boolean atimeDue(Inode i, long nowNs) {
    return i.atimeNs <= i.mtimeNs || i.atimeNs <= i.ctimeNs
        || nowNs - i.atimeNs > 24L * 3600 * 1_000_000_000L;
  }

  /**
   * Marks {@code inode}'s attributes as changed in the running group. The caller holds the epoch
   * lock shared (every facade operation does), so an inode already in the running group's dirty
   * set is seen as such without this object's lock: the set is emptied ({@link #drainGroup},
   * {@link #discardGroup}) only under the epoch lock exclusively. That keeps the lock off the path
   * of every write of a file already dirty (each write changes mtime).
   */
  public void markDirty(Inode inode) {
    if (inode.inDirtySet) {
      return;
    }
    synchronized (this) {
      if (logging && dirty.add(inode)) {
        inode.inDirtySet = true;
      }
    }
  }

  /** Empties the dirty set, clearing each member's mark (this object's lock held). */
  private void clearDirty() {
    for (Inode i : dirty) {
      i.inDirtySet = false;
    }
    dirty.clear();
  }

  /** Returns true if the running group holds anything to commit. */
  public synchronized boolean hasPending() {
    return groupRecords > 0 || !dirty.isEmpty();
  }

  /** Returns the encoded size of the running group (an estimate of its journal bytes). */
  public synchronized int pendingBytes() {
    return group.size() + dirty.size() * 120;
  }

  private void emit(int type) {
    if (!logging) {
      return;
    }
    group.u16(type).u32(rec.size()).raw(rec.array(), 0, rec.size());
    groupRecords++;
  }

  private void encodeAttrs(Codec.Writer w, Inode i) {
    w.u64(i.ino).u32(i.mode).u32(i.uid).u32(i.gid).u64(i.nlink).u64(i.rdev).u64(i.size)
        .u64(i.atimeNs).u64(i.mtimeNs).u64(i.ctimeNs).u64(i.generation);
  }

  /**
   * Closes the running group: appends an INODE record for every dirty inode and returns the
   * group's records ([u16 type][u32 len][payload]...) with their count, leaving a new empty group.
   */
  public synchronized Group drainGroup() {
    for (Inode i : dirty) {
      if (inodes.get(i.ino) == i) {
        rec.reset();
        encodeAttrs(rec, i);
        emit(INODE);
      }
    }
    clearDirty();
    Group g = new Group(group.toByteArray(), groupRecords);
    group.reset();
    groupRecords = 0;
    return g;
  }

  /** Forgets the running group (its content is covered by a checkpoint just taken). */
  public synchronized void discardGroup() {
    clearDirty();
    group.reset();
    groupRecords = 0;
  }


  // ---- structural changes: apply + log ----

  /** Creates a new inode with a fresh number. */
  public synchronized Inode create(int mode, int uid, int gid, long rdev, long nowNs) {
    Inode i = new Inode(nextIno++, mode);
    i.uid = uid;
    i.gid = gid;
    i.rdev = rdev;
    i.nlink = i.isDir() ? 2 : 1;
    i.atimeNs = i.mtimeNs = i.ctimeNs = nowNs;
    inodes.put(i.ino, i);
    rec.reset();
    encodeAttrs(rec, i);
    emit(INODE);
    markDirty(i);
    return i;
  }

  /** Deletes an inode (the caller frees its blocks). */
  public synchronized void delete(Inode i) {
    inodes.remove(i.ino);
    if (dirty.remove(i)) {
      i.inDirtySet = false;
    }
    rec.reset();
    rec.u64(i.ino);
    emit(INODE_DEL);
  }

  /** Adds entry {@code name} -> {@code child} to directory {@code dir}. */
  public synchronized void addEntry(Inode dir, String name, Inode child) {
    dir.entries.put(name, child.ino);
    if (child.isDir()) {
      child.parent = dir.ino;
    }
    rec.reset();
    rec.u64(dir.ino).u64(child.ino).str(name);
    emit(DIRENT_ADD);
  }

  /** Removes entry {@code name} from directory {@code dir}. */
  public synchronized void removeEntry(Inode dir, String name) {
    dir.entries.remove(name);
    rec.reset();
    rec.u64(dir.ino).str(name);
    emit(DIRENT_DEL);
  }

  /** Maps {@code e} into {@code i}'s block map; returns the displaced pieces. */
  public synchronized List<Extent> map(Inode i, Extent e) {
    rec.reset();
    rec.u64(i.ino).u64(e.fileBlock()).u64(e.blockCount()).u64(e.devBlock())
        .u8(e.state().code());
    emit(MAP);
    return i.extents.map(e);
  }

  /** Unmaps {@code [fileBlock, fileBlock + blockCount)} of {@code i}; returns removed pieces. */
  public synchronized List<Extent> unmap(Inode i, long fileBlock, long blockCount) {
    rec.reset();
    rec.u64(i.ino).u64(fileBlock).u64(blockCount).u64(-1L).u8(0);
    emit(MAP);
    return i.extents.unmap(fileBlock, blockCount);
  }

  /** Sets extended attribute {@code name}. */
  public synchronized void setXattr(Inode i, String name, byte[] value) {
    i.xattrs().put(name, value);
    rec.reset();
    rec.u64(i.ino).str(name).bytes(value);
    emit(XATTR_SET);
  }

  /** Removes extended attribute {@code name}. */
  public synchronized void removeXattr(Inode i, String name) {
    i.xattrs().remove(name);
    rec.reset();
    rec.u64(i.ino).str(name);
    emit(XATTR_DEL);
  }

  /** Sets a symlink's target. */
  public synchronized void setTarget(Inode i, String target) {
    i.target = target;
    rec.reset();
    rec.u64(i.ino).str(target);
    emit(SYMLINK);
  }

  // ---- replay ----

  private Inode need(long ino, Codec.Reader r) {
    Inode i = inodes.get(ino);
    r.check(i != null, "record names missing inode " + ino);
    return i;
  }

  /** Applies one redo record during recovery; throws EUCLEAN if it cannot apply. */
  public void apply(int type, byte[] b, int off, int len) {
    Codec.Reader r = new Codec.Reader(b, off, len, "journal record");
    logging = false;
    try {
      switch (type) {
        case INODE -> {
          long ino = r.u64();
          int mode = r.u32();
          Inode i = inodes.get(ino);
          if (i == null) {
            r.check(ino > 0, "bad inode number");
            i = new Inode(ino, mode);
            inodes.put(ino, i);
            nextIno = Math.max(nextIno, ino + 1);
          }
          r.check((i.mode & Inode.S_IFMT) == (mode & Inode.S_IFMT), "inode type changed");
          readAttrsAfterMode(r, i, mode);
        }
        case INODE_DEL -> inodes.remove(need(r.u64(), r).ino);
        case MAP -> {
          Inode i = need(r.u64(), r);
          r.check(i.extents != null, "block map on a non-file");
          long fb = r.u64();
          long cnt = r.u64();
          long dev = r.u64();
          int st = r.u8();
          r.check(fb >= 0 && cnt > 0 && fb + cnt > fb, "bad map range");
          if (dev == -1L) {
            i.extents.unmap(fb, cnt);
          } else {
            r.check(dev >= 0, "bad device block");
            r.check(ExtentState.ofCode(st) != null, "bad extent state " + st);
            i.extents.map(new Extent(fb, dev, cnt, ExtentState.ofCode(st)));
          }
        }
        case DIRENT_ADD -> {
          Inode dir = need(r.u64(), r);
          Inode child = need(r.u64(), r);
          r.check(dir.isDir(), "entry in a non-directory");
          addEntry(dir, r.str(), child);
        }
        case DIRENT_DEL -> {
          Inode dir = need(r.u64(), r);
          r.check(dir.isDir(), "entry in a non-directory");
          dir.entries.remove(r.str());
        }
        case XATTR_SET -> {
          Inode i = need(r.u64(), r);
          i.xattrs().put(r.str(), r.bytes());
        }
        case XATTR_DEL -> {
          Inode i = need(r.u64(), r);
          i.xattrs().remove(r.str());
        }
        case SYMLINK -> need(r.u64(), r).target = r.str();
        default -> r.check(false, "unknown record type " + type);
      }
    } finally {
      logging = true;
    }
  }

  private static void readAttrsAfterMode(Codec.Reader r, Inode i, int mode) {
    i.mode = mode;
    i.uid = r.u32();
    i.gid = r.u32();
    i.nlink = r.u64();
    i.rdev = r.u64();
    i.size = r.u64();
    i.atimeNs = r.u64();
    i.mtimeNs = r.u64();
    i.ctimeNs = r.u64();
    i.generation = r.u64();
    r.check(i.size >= 0 && i.nlink >= 0, "bad attributes");
  }

  // ---- checkpoint snapshot ----

  /** Serializes the whole state (the checkpoint blob). */
  public synchronized byte[] snapshot(long usedDataBlocks) {
    Codec.Writer w = new Codec.Writer(1 << 16);
    w.u64(SNAP_MAGIC).u64(nextIno).u64(inodes.size()).u64(usedDataBlocks);
    for (Inode i : inodes.values()) {
      encodeAttrs(w, i);
      Map<String, byte[]> xa = i.xattrs == null ? Map.of() : i.xattrs;
      w.u32(xa.size());
      for (Map.Entry<String, byte[]> e : xa.entrySet()) {
        w.str(e.getKey()).bytes(e.getValue());
      }
      if (i.isSymlink()) {
        w.str(i.target == null ? "" : i.target);
      } else if (i.isDir()) {
        w.u32(i.entries.size());
        for (Map.Entry<String, Long> e : i.entries.entrySet()) {
          w.str(e.getKey()).u64(e.getValue());
        }
      } else if (i.isReg()) {
        w.u32(i.extents.extentCount());
        for (Extent e : i.extents.extents()) {
          w.u64(e.fileBlock()).u64(e.devBlock()).u64(e.blockCount())
              .u8(e.state().code());
        }
      }
    }
    return w.toByteArray();
  }

  /** Rebuilds the state from a checkpoint blob; throws EUCLEAN if it is malformed. */
  public static Metadata restore(byte[] blob) {
    Metadata m = new Metadata();
    m.logging = false;
    Codec.Reader r = new Codec.Reader(blob, 0, blob.length, "checkpoint");
    r.check(r.u64() == SNAP_MAGIC, "bad checkpoint magic");
    m.nextIno = r.u64();
    long count = r.u64();
    r.u64();
    r.check(count >= 0 && count <= blob.length / 64 + 1, "bad inode count");
    List<long[]> pendingEntries = new ArrayList<>();
    List<String> pendingNames = new ArrayList<>();
    for (long n = 0; n < count; n++) {
      long ino = r.u64();
      int mode = r.u32();
      r.check(ino > 0 && !m.inodes.containsKey(ino), "bad or duplicate inode " + ino);
      int type = mode & Inode.S_IFMT;
      Inode i = new Inode(ino, mode);
      readAttrsAfterMode(r, i, mode);
      int nx = r.count(r.remaining());
      for (int k = 0; k < nx; k++) {
        i.xattrs().put(r.str(), r.bytes());
      }
      if (type == Inode.S_IFLNK) {
        i.target = r.str();
      } else if (type == Inode.S_IFDIR) {
        int ne = r.count(r.remaining() / 12);
        for (int k = 0; k < ne; k++) {
          String name = r.str();
          long child = r.u64();
          i.entries.put(name, child);
          pendingEntries.add(new long[] {ino, child});
          pendingNames.add(name);
        }
      } else if (type == Inode.S_IFREG) {
        int ne = r.count(r.remaining() / 25);
        for (int k = 0; k < ne; k++) {
          long fb = r.u64();
          long dev = r.u64();
          long cnt = r.u64();
          int st = r.u8();
          r.check(fb >= 0 && dev >= 0 && cnt > 0 && fb + cnt > fb && dev + cnt > dev,
              "bad extent in inode " + ino);
          r.check(ExtentState.ofCode(st) != null, "bad extent state " + st + " in inode " + ino);
          i.extents.map(new Extent(fb, dev, cnt, ExtentState.ofCode(st)));
        }
      }
      m.inodes.put(ino, i);
      m.nextIno = Math.max(m.nextIno, ino + 1);
    }
    for (long[] pe : pendingEntries) {
      Inode child = m.inodes.get(pe[1]);
      if (child != null && child.isDir()) {
        child.parent = pe[0];
      }
    }
    m.logging = true;
    return m;
  }

  /** Recomputes every directory's parent pointer from the entries (after replay). */
  public void relinkParents() {
    for (Inode dir : inodes.values()) {
      if (dir.isDir()) {
        for (Long child : dir.entries.values()) {
          Inode c = inodes.get(child);
          if (c != null && c.isDir()) {
            c.parent = dir.ino;
          }
        }
      }
    }
    Inode root = inodes.get(ROOT_INO);
    if (root != null) {
      root.parent = ROOT_INO;
    }
  }
}
