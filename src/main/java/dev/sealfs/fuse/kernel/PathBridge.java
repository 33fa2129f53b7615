package dev.sealfs.fuse.kernel;

import dev.sealfs.core.Caller;
import dev.sealfs.core.DirEntry;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.core.SealFs;
import dev.sealfs.core.Stat;
import dev.sealfs.core.StatFs;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@link NodeFs} over the path-addressed {@link SealFs}, the way libfuse's high-level layer
 * does it: a table of nodes, each a (parent node, name) pair with a lookup count, from which a
 * node's path is rebuilt on every request. Node ids are never reused (a counter from 2), so
 * every generation is 0.
 *
 * <p>Unlinked nodes: unlink, rmdir and a rename over a name detach the node from its name; it
 * stays in the table (requests by file handle keep working, GETATTR goes through an open handle)
 * until the kernel forgets it.
 *
 * <p>Lock rule: every method that touches the table holds this object's monitor for the table
 * change and the core call together (so a path cannot go stale between them); read, write,
 * fsync and the other by-handle calls take only the core's own lock.
 */
final class PathBridge implements NodeFs {

  /** renameat2 flag RENAME_NOREPLACE. */
  private static final int RENAME_NOREPLACE = 1;
  /** open(2) flag O_TRUNC. */
  private static final int O_TRUNC = 01000;
  /** The most one COPY_FILE_RANGE request copies (a short count makes the kernel go on). */
  static final long COPY_CHUNK_LIMIT_BYTES = 16L << 20;

  /** One kernel node: where it is in the tree and how often the kernel looked it up. */
  private static final class Node {
    /** The node id the kernel uses. */
    final long id;
    /** The parent's node id (the root's own for the root). */
    long parent;
    /** The name in the parent; null once detached (unlinked or replaced). */
    String name;
    /** Lookups the kernel holds. */
    long lookups;
    /** Open file handles on this node, for GETATTR without a handle after unlink. */
    final List<Long> openFhs = new ArrayList<>(1);

    Node(long id, long parent, String name) {
      this.id = id;
      this.parent = parent;
      this.name = name;
    }
  }

  /** A (parent, name) key of the name table. */
  private record NameKey(long parent, String name) {}

  /** The core. */
  private final SealFs fs;
  /** Nodes by id. */
  private final Map<Long, Node> nodes = new HashMap<>();
  /** Attached nodes by (parent, name). */
  private final Map<NameKey, Node> names = new HashMap<>();
  /** The node each open file handle belongs to. */
  private final Map<Long, Node> handleNodes = new HashMap<>();
  /** Listings of open directories, by directory handle. */
  private final Map<Long, List<DirEntry>> dirs = new HashMap<>();
  /** The next node id. */
  private long nextNodeId = ROOT + 1;
  /** The next directory handle. */
  private long nextDirHandle = 1;

  /** Creates the bridge over {@code fs}. */
  PathBridge(SealFs fs) {
    this.fs = fs;
    Node root = new Node(ROOT, ROOT, "");
    root.lookups = 1;
    nodes.put(ROOT, root);
  }

  @Override
  public SealFs core() {
    return fs;
  }

  // ---------------------------------------------------------------------------------------------
  // the table

  /** Returns the node {@code id}; ESTALE-like ENOENT if the kernel already forgot it. */
  private Node node(long id) {
    Node n = nodes.get(id);
    if (n == null) {
      throw FsException.of(Errno.ENOENT, "unknown node " + id);
    }
    return n;
  }

  /** Returns the path of node {@code id}; ENOENT if it (or a parent) is detached. */
  private String path(long id) {
    if (id == ROOT) {
      return "/";
    }
    StringBuilder sb = new StringBuilder();
    Node n = node(id);
    while (n.id != ROOT) {
      if (n.name == null) {
        throw FsException.of(Errno.ENOENT, "node " + id + " was unlinked");
      }
      sb.insert(0, n.name).insert(0, '/');
      n = node(n.parent);
    }
    return sb.toString();
  }

  /** Returns the path of {@code name} in directory {@code parent}. */
  private String path(long parent, String name) {
    String p = path(parent);
    return p.equals("/") ? "/" + name : p + "/" + name;
  }

  /** Counts one lookup of (parent, name), creating its node if needed. */
  private Entry counted(long parent, String name, Stat st) {
    NameKey k = new NameKey(parent, name);
    Node n = names.get(k);
    if (n == null) {
      n = new Node(nextNodeId++, parent, name);
      nodes.put(n.id, n);
      names.put(k, n);
    }
    n.lookups++;
    return new Entry(n.id, st);
  }

  /** Detaches whatever node is attached at (parent, name). */
  private void detach(long parent, String name) {
    Node n = names.remove(new NameKey(parent, name));
    if (n != null) {
      n.name = null;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // attributes and names

  @Override
  public synchronized Entry lookup(long parent, String name) {
    return counted(parent, name, fs.getattr(path(parent, name)));
  }

  @Override
  public synchronized void forget(long nodeId, long count) {
    Node n = nodes.get(nodeId);
    if (n == null || nodeId == ROOT) {
      return;
    }
    n.lookups -= count;
    if (n.lookups <= 0) {
      nodes.remove(nodeId);
      if (n.name != null) {
        names.remove(new NameKey(n.parent, n.name));
      }
    }
  }

  @Override
  public synchronized Stat getattr(long nodeId, long fh) {
    if (fh != -1 && handleNodes.containsKey(fh)) {
      return fs.fgetattr(fh);
    }
    Node n = node(nodeId);
    if (n.name == null && nodeId != ROOT && !n.openFhs.isEmpty()) {
      return fs.fgetattr(n.openFhs.get(0));
    }
    return fs.getattr(path(nodeId));
  }

  @Override
  public synchronized Stat setattr(long nodeId, SetAttr a, Caller caller) {
    int v = a.valid();
    boolean byFh = (v & FuseAbi.FATTR_FH) != 0 && handleNodes.containsKey(a.fh());
    String p = byFh && node(nodeId).name == null ? null : path(nodeId);
    if ((v & FuseAbi.FATTR_MODE) != 0) {
      fs.chmod(p, a.mode());
    }
    if ((v & (FuseAbi.FATTR_UID | FuseAbi.FATTR_GID)) != 0) {
      fs.chown(p, (v & FuseAbi.FATTR_UID) != 0 ? a.uid() : -1,
          (v & FuseAbi.FATTR_GID) != 0 ? a.gid() : -1);
    }
    if ((v & FuseAbi.FATTR_SIZE) != 0) {
      if (byFh) {
        fs.ftruncate(a.fh(), a.size(), caller);
      } else {
        fs.truncate(p, a.size(), caller);
      }
    }
    if ((v & (FuseAbi.FATTR_ATIME | FuseAbi.FATTR_MTIME)) != 0) {
      long at = (v & FuseAbi.FATTR_ATIME) == 0 ? SealFs.UTIME_OMIT
          : (v & FuseAbi.FATTR_ATIME_NOW) != 0 ? SealFs.UTIME_NOW : a.atimeNs();
      long mt = (v & FuseAbi.FATTR_MTIME) == 0 ? SealFs.UTIME_OMIT
          : (v & FuseAbi.FATTR_MTIME_NOW) != 0 ? SealFs.UTIME_NOW : a.mtimeNs();
      fs.utimens(p, at, mt);
    }
    // FATTR_CTIME: the core sets ctime itself on every change; FATTR_LOCKOWNER: no locks here;
    // FATTR_KILL_SUIDGID: truncate (with the caller) and chown drop setuid/setgid in the core.
    return byFh ? fs.fgetattr(a.fh()) : fs.getattr(p);
  }

  @Override
  public synchronized String readlink(long nodeId) {
    return fs.readlink(path(nodeId));
  }

  @Override
  public synchronized Entry mknod(long parent, String name, int mode, long rdev, Caller caller) {
    String p = path(parent, name);
    fs.mknod(p, mode, rdev, caller);
    return counted(parent, name, fs.getattr(p));
  }

  @Override
  public synchronized Entry mkdir(long parent, String name, int mode, Caller caller) {
    String p = path(parent, name);
    fs.mkdir(p, mode, caller);
    return counted(parent, name, fs.getattr(p));
  }

  @Override
  public synchronized Entry symlink(long parent, String name, String target, Caller caller) {
    String p = path(parent, name);
    fs.symlink(target, p, caller);
    return counted(parent, name, fs.getattr(p));
  }

  @Override
  public synchronized Entry link(long nodeId, long newParent, String newName) {
    String to = path(newParent, newName);
    fs.link(path(nodeId), to);
    return counted(newParent, newName, fs.getattr(to));
  }

  @Override
  public synchronized void unlink(long parent, String name) {
    fs.unlink(path(parent, name));
    detach(parent, name);
  }

  @Override
  public synchronized void rmdir(long parent, String name) {
    fs.rmdir(path(parent, name));
    detach(parent, name);
  }

  @Override
  public synchronized void rename(long parent, String name, long newParent, String newName,
      int flags) {
    if ((flags & ~RENAME_NOREPLACE) != 0) {
      throw FsException.of(Errno.EINVAL, "rename flags " + flags + " not supported");
    }
    String from = path(parent, name);
    String to = path(newParent, newName);
    if ((flags & RENAME_NOREPLACE) != 0 && exists(to)) {
      throw FsException.of(Errno.EEXIST, to + ": exists");
    }
    fs.rename(from, to);
    if (from.equals(to)) {
      return;
    }
    Node moved = names.remove(new NameKey(parent, name));
    detach(newParent, newName);
    if (moved != null) {
      moved.parent = newParent;
      moved.name = newName;
      names.put(new NameKey(newParent, newName), moved);
    }
  }

  /** True if {@code path} names an inode. */
  private boolean exists(String path) {
    try {
      fs.getattr(path);
      return true;
    } catch (FsException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // files

  @Override
  public synchronized long open(long nodeId, int flags, Caller caller) {
    long fh = fs.open(path(nodeId), flags, caller);
    if ((flags & O_TRUNC) != 0) {
      try {
        fs.ftruncate(fh, 0, caller);
      } catch (RuntimeException e) {
        fs.release(fh);
        throw e;
      }
    }
    track(node(nodeId), fh);
    return fh;
  }

  @Override
  public synchronized Created create(long parent, String name, int mode, int flags,
      Caller caller) {
    String p = path(parent, name);
    long fh = fs.create(p, mode, flags, caller);
    Entry e = counted(parent, name, fs.fgetattr(fh));
    track(node(e.nodeId()), fh);
    return new Created(e, fh);
  }

  /** Records that {@code fh} is open on {@code n}. */
  private void track(Node n, long fh) {
    n.openFhs.add(fh);
    handleNodes.put(fh, n);
  }

  @Override
  public int read(long fh, ByteBuffer dst, long offset) {
    return fs.read(fh, dst, offset);
  }

  @Override
  public int write(long fh, ByteBuffer src, long offset, Supplier<Caller> caller) {
    return fs.write(fh, src, offset, caller);
  }

  @Override
  public synchronized void release(long fh) {
    Node n = handleNodes.remove(fh);
    if (n != null) {
      n.openFhs.remove(Long.valueOf(fh));
    }
    fs.release(fh);
  }

  @Override
  public void fsync(long fh, boolean dataOnly) {
    fs.fsync(fh, dataOnly);
  }

  @Override
  public void fallocate(long fh, int mode, long offset, long length, Caller caller) {
    fs.fallocate(fh, mode, offset, length, caller);
  }

  @Override
  public long seekDataHole(long fh, long offset, int whence) {
    synchronized (fs) {
      long size = fs.fgetattr(fh).size();
      if (offset < 0) {
        throw FsException.of(Errno.EINVAL, "negative offset");
      }
      if (offset >= size) {
        return -1;
      }
      boolean data = whence == SeekData.SEEK_DATA;
      long hole = offset;
      long start = offset;
      while (true) {
        LayoutPage page = fs.layout(fh, start);
        for (LayoutExtent e : page.extents()) {
          if ((e.flags() & LayoutExtent.UNWRITTEN) != 0) {
            continue;
          }
          long end = e.logical() + e.length();
          if (end <= offset) {
            continue;
          }
          if (data) {
            long at = Math.max(offset, e.logical());
            return at < size ? at : -1;
          }
          if (e.logical() > hole) {
            return Math.min(hole, size);
          }
          hole = Math.max(hole, end);
        }
        if (page.last() || page.extents().isEmpty()) {
          break;
        }
        start = page.next();
      }
      return data ? -1 : Math.min(hole, size);
    }
  }

  @Override
  public long copyRange(long fhIn, long offIn, long fhOut, long offOut, long length,
      ByteBuffer scratch, Supplier<Caller> caller) {
    synchronized (fs) {
      // One critical section for the check and the copy: a seal cannot slip in between.
      if (fs.sealStatus(fhOut).sealed()) {
        throw FsException.of(Errno.ETXTBSY, "copy_file_range into a sealed file");
      }
      long want = Math.min(length, COPY_CHUNK_LIMIT_BYTES);
      long done = 0;
      while (done < want) {
        int n = (int) Math.min(want - done, scratch.capacity());
        scratch.clear().limit(n);
        int got = fs.read(fhIn, scratch, offIn + done);
        if (got <= 0) {
          break;
        }
        scratch.flip();
        int put = fs.write(fhOut, scratch, offOut + done, caller);
        done += put;
        if (got < n || put < got) {
          break;
        }
      }
      return done;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // directories, xattrs, statfs

  @Override
  public synchronized long opendir(long nodeId) {
    Stat st = fs.getattr(path(nodeId));
    if ((st.mode() & 0170000) != 0040000) {
      throw FsException.of(Errno.ENOTDIR, "not a directory");
    }
    long dh = nextDirHandle++;
    dirs.put(dh, null);
    return dh;
  }

  @Override
  public synchronized List<DirEntry> readdir(long nodeId, long dirHandle, boolean reload) {
    List<DirEntry> l = dirs.get(dirHandle);
    if (l == null || reload) {
      l = fs.readdir(path(nodeId));
      dirs.put(dirHandle, l);
    }
    return l;
  }

  @Override
  public synchronized void releasedir(long dirHandle) {
    dirs.remove(dirHandle);
  }

  @Override
  public synchronized void fsyncdir(long nodeId) {
    fs.fsyncdir(path(nodeId));
  }

  @Override
  public synchronized void setxattr(long nodeId, String name, byte[] value, int flags) {
    fs.setxattr(path(nodeId), name, value, flags);
  }

  @Override
  public synchronized byte[] getxattr(long nodeId, String name) {
    return fs.getxattr(path(nodeId), name);
  }

  @Override
  public synchronized List<String> listxattr(long nodeId) {
    return fs.listxattr(path(nodeId));
  }

  @Override
  public synchronized void removexattr(long nodeId, String name) {
    fs.removexattr(path(nodeId), name);
  }

  @Override
  public StatFs statfs() {
    return fs.statfs();
  }

  /** The lseek whence values of SEEK_DATA and SEEK_HOLE. */
  static final class SeekData {
    /** SEEK_DATA. */
    static final int SEEK_DATA = 3;
    /** SEEK_HOLE. */
    static final int SEEK_HOLE = 4;

    private SeekData() {}
  }
}
