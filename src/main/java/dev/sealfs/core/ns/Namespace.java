package dev.sealfs.core.ns;

import dev.sealfs.core.Caller;
import dev.sealfs.core.DirEntry;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.Limits;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.InodeLocks;
import dev.sealfs.core.inode.Metadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Directories, names and links: lookup with kernel references, creating nodes, unlink, rmdir,
 * rename, link and readdir, by directory inode number and name.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>A directory is an inode with a name-to-inode-number map and a parent pointer; its link
 * count is 2 plus its subdirectories. Every change goes through {@link Metadata} (which logs
 * it). Removing a name drops the link count and hands the inode to {@link Lifetime}; a removed
 * directory keeps no entries and takes no new ones (ENOENT). Rename follows POSIX: the target
 * is replaced if compatible (ENOTDIR, EISDIR, ENOTEMPTY otherwise), a directory cannot move
 * below itself (EINVAL; the check walks parent pointers, so rename is the one operation that
 * needs the whole tree still).
 *
 * <p>Locks: the caller holds the namespace lock, exclusive for changes; the inode locks of the
 * inodes involved are taken under it (lock order: package {@code dev.sealfs.core}).
 */
public final class Namespace {
  /** The metadata state machine. */
  private final Metadata meta;
  /** Writability. */
  private final Durability dur;
  /** Inode lifetimes. */
  private final Lifetime life;
  /** The inode locks. */
  private final InodeLocks locks;
  /** Refuses new inodes when the heap nears its limit. */
  private final HeapGuard heap = HeapGuard.fromSystemProperty();

  /** Creates the namespace unit. */
  public Namespace(Metadata meta, Durability dur, Lifetime life, InodeLocks locks) {
    this.meta = meta;
    this.dur = dur;
    this.life = life;
    this.locks = locks;
  }

  /** Returns the live inode {@code ino}; ENOENT if it is gone (inode numbers are never reused). */
  public Inode inode(long ino) {
    Inode i = meta.get(ino);
    if (i == null) {
      throw FsException.of(Errno.ENOENT, "inode " + ino + ": no such file or directory");
    }
    return i;
  }

  /** Returns the directory {@code ino}; ENOTDIR if it is something else. */
  private Inode dir(long ino) {
    Inode d = inode(ino);
    if (!d.isDir()) {
      throw FsException.of(Errno.ENOTDIR, "inode " + ino + ": not a directory");
    }
    return d;
  }

  /** Checks a name that is to be created, removed or renamed: EINVAL, ENAMETOOLONG. */
  public static void checkName(String name) {
    if (name == null || name.isEmpty() || name.equals(".") || name.equals("..")
        || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
      throw FsException.of(Errno.EINVAL, name + ": invalid name");
    }
    if (name.length() > Limits.NAME_MAX) {
      throw FsException.of(Errno.ENAMETOOLONG, "name longer than 255 bytes");
    }
  }

  /**
   * A directory and a name in it.
   *
   * @param dir the directory
   * @param name the last path component
   */
  public record Parent(Inode dir, String name) {}

  /** Returns the live directory {@code parentIno} and the checked {@code name} in it. */
  public Parent parent(long parentIno, String name) {
    checkName(name);
    Inode d = dir(parentIno);
    if (d.nlink == 0) {
      throw FsException.of(Errno.ENOENT, "inode " + parentIno + ": directory was removed");
    }
    return new Parent(d, name);
  }

  /** Returns what {@code p} names, or null. */
  public Inode child(Parent p) {
    Long ino = p.dir().entries.get(p.name());
    return ino == null ? null : meta.get(ino);
  }

  /** Returns what {@code name} names in {@code dirIno} ("." and ".." too), or 0. */
  public long find(long dirIno, String name) {
    if (name.length() > Limits.NAME_MAX) {
      throw FsException.of(Errno.ENAMETOOLONG, "name longer than 255 bytes");
    }
    Inode d = dir(dirIno);
    if (name.equals(".")) {
      return d.ino;
    }
    if (name.equals("..")) {
      return d.parent == 0 ? d.ino : d.parent;
    }
    Long ino = d.entries.get(name);
    return ino == null ? 0 : ino;
  }

  /** Returns the inode {@code name} names in {@code parentIno}; ENOENT if none. */
  public Inode lookup(long parentIno, String name) {
    long ino = find(parentIno, name);
    if (ino == 0) {
      throw FsException.of(Errno.ENOENT, name + ": no such file or directory");
    }
    return inode(ino);
  }

  private void touchDir(Inode dir, long t) {
    dir.mtimeNs = t;
    dir.ctimeNs = t;
    meta.markDirty(dir);
  }

  /** Creates a node of {@code mode} at {@code p} owned by {@code c} (setgid dirs pass gid on). */
  public Inode createNode(Parent p, int mode, long rdev, Caller c) {
    dur.checkWritable();
    if (child(p) != null) {
      throw FsException.of(Errno.EEXIST, p.name() + ": file exists");
    }
    heap.checkCreate();
    int gid = c.gid();
    int m = mode;
    if ((p.dir().mode & Inode.S_ISGID) != 0) {
      gid = p.dir().gid;
      if ((m & Inode.S_IFMT) == Inode.S_IFDIR) {
        m |= Inode.S_ISGID;
      }
    }
    long t = Limits.nowNs();
    Inode i = meta.create(m, c.uid(), gid, rdev, t);
    try (InodeLocks.Held h = locks.exclusive(p.dir(), i)) {
      meta.addEntry(p.dir(), p.name(), i);
      if (i.isDir()) {
        p.dir().nlink++;
      }
      touchDir(p.dir(), t);
    }
    return i;
  }

  /** Creates a regular file, fifo, socket or device node. */
  public Inode mknod(long parentIno, String name, int mode, long rdev, Caller caller) {
    int type = mode & Inode.S_IFMT;
    if (type == 0) {
      type = Inode.S_IFREG;
    }
    if (type == Inode.S_IFDIR || type == Inode.S_IFLNK) {
      throw FsException.of(Errno.EINVAL, "mknod of a directory or symlink");
    }
    return createNode(parent(parentIno, name), type | (mode & 07777), rdev, caller);
  }

  /** Creates a directory. */
  public Inode mkdir(long parentIno, String name, int mode, Caller caller) {
    return createNode(parent(parentIno, name), Inode.S_IFDIR | (mode & 07777), 0, caller);
  }

  /** Creates a symlink pointing to {@code target}. */
  public Inode symlink(String target, long parentIno, String name, Caller caller) {
    if (target.length() >= Limits.PATH_MAX) {
      throw FsException.of(Errno.ENAMETOOLONG, "symlink target too long");
    }
    Inode i = createNode(parent(parentIno, name), Inode.S_IFLNK | 0777, 0, caller);
    try (InodeLocks.Held h = locks.exclusive(i)) {
      meta.setTarget(i, target);
      i.size = target.length();
      meta.markDirty(i);
    }
    return i;
  }

  /** Returns the target of symlink {@code ino} (and updates its atime, relatime). */
  public String readlink(long ino) {
    Inode i = inode(ino);
    if (!i.isSymlink()) {
      throw FsException.of(Errno.EINVAL, "inode " + ino + ": not a symlink");
    }
    try (InodeLocks.Held h = locks.exclusive(i)) {
      meta.touchAtime(i, dur.readOnly());
    }
    return i.target;
  }

  /** Removes non-directory name {@code name} from directory {@code parentIno}. */
  public void unlink(long parentIno, String name) {
    dur.checkWritable();
    Parent p = parent(parentIno, name);
    Inode i = child(p);
    if (i == null) {
      throw FsException.of(Errno.ENOENT, name + ": no such file");
    }
    if (i.isDir()) {
      throw FsException.of(Errno.EISDIR, name + ": is a directory");
    }
    try (InodeLocks.Held h = locks.exclusive(p.dir(), i)) {
      long t = Limits.nowNs();
      meta.removeEntry(p.dir(), p.name());
      touchDir(p.dir(), t);
      dropLink(i, t);
    }
  }

  private void dropLink(Inode i, long t) {
    i.nlink--;
    i.ctimeNs = t;
    meta.markDirty(i);
    life.maybeFree(i);
  }

  /** Removes empty directory {@code name} from directory {@code parentIno}. */
  public void rmdir(long parentIno, String name) {
    dur.checkWritable();
    Parent p = parent(parentIno, name);
    Inode i = child(p);
    if (i == null) {
      throw FsException.of(Errno.ENOENT, name + ": no such directory");
    }
    if (!i.isDir()) {
      throw FsException.of(Errno.ENOTDIR, name + ": not a directory");
    }
    if (!i.entries.isEmpty()) {
      throw FsException.of(Errno.ENOTEMPTY, name + ": directory not empty");
    }
    try (InodeLocks.Held h = locks.exclusive(p.dir(), i)) {
      long t = Limits.nowNs();
      meta.removeEntry(p.dir(), p.name());
      p.dir().nlink--;
      touchDir(p.dir(), t);
      removeDir(i);
    }
  }

  /** Takes an emptied directory out of the tree; it is freed once no reference is left. */
  private void removeDir(Inode d) {
    d.nlink = 0;
    meta.markDirty(d);
    life.maybeFree(d);
  }

  /** Renames under POSIX rules, replacing a compatible target. */
  public void rename(long parentIno, String name, long newParentIno, String newName) {
    dur.checkWritable();
    Parent src = parent(parentIno, name);
    Parent dst = parent(newParentIno, newName);
    Inode s = child(src);
    if (s == null) {
      throw FsException.of(Errno.ENOENT, name + ": no such file or directory");
    }
    Inode d = child(dst);
    if (d == s) {
      return;
    }
    if (s.isDir()) {
      for (Inode a = dst.dir(); ; a = meta.get(a.parent)) {
        if (a == s) {
          throw FsException.of(Errno.EINVAL, "cannot move a directory into itself");
        }
        if (a.ino == Metadata.ROOT_INO) {
          break;
        }
      }
    }
    if (d != null) {
      if (s.isDir() && !d.isDir()) {
        throw FsException.of(Errno.ENOTDIR, newName + ": not a directory");
      }
      if (!s.isDir() && d.isDir()) {
        throw FsException.of(Errno.EISDIR, newName + ": is a directory");
      }
      if (d.isDir() && !d.entries.isEmpty()) {
        throw FsException.of(Errno.ENOTEMPTY, newName + ": directory not empty");
      }
    }
    try (InodeLocks.Held h = locks.exclusive(src.dir(), dst.dir(), s, d)) {
      move(src, dst, s, d);
    }
  }

  /** The changes of a checked rename; the caller holds the four inode locks. */
  private void move(Parent src, Parent dst, Inode s, Inode d) {
    long t = Limits.nowNs();
    if (d != null) {
      meta.removeEntry(dst.dir(), dst.name());
      if (d.isDir()) {
        dst.dir().nlink--;
        removeDir(d);
      } else {
        dropLink(d, t);
      }
    }
    meta.removeEntry(src.dir(), src.name());
    meta.addEntry(dst.dir(), dst.name(), s);
    if (s.isDir() && src.dir() != dst.dir()) {
      src.dir().nlink--;
      dst.dir().nlink++;
    }
    touchDir(src.dir(), t);
    touchDir(dst.dir(), t);
    s.ctimeNs = t;
    meta.markDirty(s);
  }

  /** Creates hard link {@code newName} in {@code newParentIno} to inode {@code ino}. */
  public Inode link(long ino, long newParentIno, String newName) {
    dur.checkWritable();
    Inode i = inode(ino);
    if (i.isDir()) {
      throw FsException.of(Errno.EPERM, "inode " + ino + ": hard link to a directory");
    }
    Parent p = parent(newParentIno, newName);
    if (child(p) != null) {
      throw FsException.of(Errno.EEXIST, newName + ": file exists");
    }
    try (InodeLocks.Held h = locks.exclusive(p.dir(), i)) {
      if (i.nlink == 0) {
        throw FsException.of(Errno.ENOENT, "inode " + ino + ": has no name left");
      }
      long t = Limits.nowNs();
      meta.addEntry(p.dir(), p.name(), i);
      i.nlink++;
      i.ctimeNs = t;
      meta.markDirty(i);
      touchDir(p.dir(), t);
    }
    return i;
  }

  /** Lists directory {@code ino}, including "." and "..". */
  public List<DirEntry> readdir(long ino) {
    Inode d = dir(ino);
    try (InodeLocks.Held h = locks.exclusive(d)) {
      meta.touchAtime(d, dur.readOnly());
    }
    List<DirEntry> out = new ArrayList<>(d.entries.size() + 2);
    out.add(new DirEntry(".", d.ino, d.mode));
    Inode parent = meta.get(d.parent);
    out.add(new DirEntry("..", parent == null ? d.ino : parent.ino, Inode.S_IFDIR));
    for (Map.Entry<String, Long> e : d.entries.entrySet()) {
      Inode c = meta.get(e.getValue());
      out.add(new DirEntry(e.getKey(), e.getValue(), c == null ? 0 : c.mode));
    }
    return out;
  }
}
