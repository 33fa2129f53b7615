package dev.sealfs.fuse.kernel;

import dev.sealfs.core.Caller;
import dev.sealfs.core.DirEntry;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.core.SealFs;
import dev.sealfs.core.SetAttr;
import dev.sealfs.core.Stat;
import dev.sealfs.core.StatFs;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@link NodeFs} over the core's inode API: a node id is the inode number (the root is 1 in
 * both), lookup references live in the core ({@link SealFs#lookup} and friends take one,
 * {@link SealFs#forget} drops them), so the kernel's caches match the core exactly and hard
 * links are one kernel inode. What the core has no call for is built here from its by-handle
 * calls: SEEK_DATA/SEEK_HOLE from the layout and directory listings kept per open directory
 * handle; copy_file_range is the core's own ({@link SealFs#copyRange}, SPEC 11).
 *
 * <p>Lock rule: the core's monitor (every {@link SealFs} method holds it) is taken here too
 * where two core calls must see one state (rename with RENAME_NOREPLACE, open with O_TRUNC,
 * seek); {@link #dirs} is guarded by its own monitor and never held across a core call.
 */
final class CoreNodeFs implements NodeFs {

  /** renameat2 flag RENAME_NOREPLACE. */
  private static final int RENAME_NOREPLACE = 1;
  /** open(2) flag O_TRUNC. */
  private static final int O_TRUNC = 01000;
  /** S_IFMT and S_IFDIR / S_IFREG. */
  private static final int S_IFMT = 0170000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFREG = 0100000;

  /** The core. */
  private final SealFs fs;
  /** Listings of open directories, by directory handle (null until first READDIR). */
  private final Map<Long, List<DirEntry>> dirs = new HashMap<>();
  /** The next directory handle. */
  private long nextDirHandle = 1;

  /** Creates the view over {@code fs}. */
  CoreNodeFs(SealFs fs) {
    this.fs = fs;
  }

  @Override
  public SealFs core() {
    return fs;
  }

  // ---------------------------------------------------------------------------------------------
  // attributes and names

  @Override
  public Entry lookup(long parent, String name) {
    return entry(fs.lookup(parent, name));
  }

  /** The entry of an inode the core just took a lookup reference on. */
  private static Entry entry(Stat st) {
    return new Entry(st.ino(), st);
  }

  @Override
  public void forget(long nodeId, long count) {
    fs.forget(nodeId, count);
  }

  @Override
  public Stat getattr(long nodeId, long fh) {
    return fh != -1 ? fs.fgetattr(fh) : fs.getattr(nodeId);
  }

  @Override
  public Stat setattr(long nodeId, NodeFs.SetAttrIn a, Caller caller) {
    int v = a.valid();
    long at = (v & FuseAbi.FATTR_ATIME) == 0 ? SealFs.UTIME_OMIT
        : (v & FuseAbi.FATTR_ATIME_NOW) != 0 ? SealFs.UTIME_NOW : a.atimeNs();
    long mt = (v & FuseAbi.FATTR_MTIME) == 0 ? SealFs.UTIME_OMIT
        : (v & FuseAbi.FATTR_MTIME_NOW) != 0 ? SealFs.UTIME_NOW : a.mtimeNs();
    // FATTR_CTIME: the core sets ctime on every change; FATTR_LOCKOWNER: no locks here;
    // FATTR_KILL_SUIDGID: the core's truncate (non-root caller) and chown drop setuid/setgid.
    SetAttr change = new SetAttr((v & FuseAbi.FATTR_MODE) != 0 ? a.mode() & 07777 : -1,
        (v & FuseAbi.FATTR_UID) != 0 ? a.uid() : -1, (v & FuseAbi.FATTR_GID) != 0 ? a.gid() : -1,
        (v & FuseAbi.FATTR_SIZE) != 0 ? a.size() : -1, at, mt);
    long fh = (v & FuseAbi.FATTR_FH) != 0 && (v & FuseAbi.FATTR_SIZE) != 0 ? a.fh() : 0;
    return fs.setattr(nodeId, fh, change, caller);
  }

  @Override
  public String readlink(long nodeId) {
    return fs.readlink(nodeId);
  }

  @Override
  public Entry mknod(long parent, String name, int mode, long rdev, Caller caller) {
    return entry(fs.mknod(parent, name, mode, rdev, caller));
  }

  @Override
  public Entry mkdir(long parent, String name, int mode, Caller caller) {
    return entry(fs.mkdir(parent, name, mode, caller));
  }

  @Override
  public Entry symlink(long parent, String name, String target, Caller caller) {
    return entry(fs.symlink(target, parent, name, caller));
  }

  @Override
  public Entry link(long nodeId, long newParent, String newName) {
    return entry(fs.link(nodeId, newParent, newName));
  }

  @Override
  public void unlink(long parent, String name) {
    fs.unlink(parent, name);
  }

  @Override
  public void rmdir(long parent, String name) {
    fs.rmdir(parent, name);
  }

  @Override
  public void rename(long parent, String name, long newParent, String newName, int flags) {
    if ((flags & ~RENAME_NOREPLACE) != 0) {
      throw FsException.of(Errno.EINVAL, "rename flags " + flags + " not supported");
    }
    synchronized (fs) {
      if ((flags & RENAME_NOREPLACE) != 0 && fs.find(newParent, newName) != 0) {
        throw FsException.of(Errno.EEXIST, newName + ": exists");
      }
      fs.rename(parent, name, newParent, newName);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // files

  @Override
  public long open(long nodeId, int flags, Caller caller) {
    synchronized (fs) {
      // ATOMIC_O_TRUNC: truncate first, as the kernel's own SETATTR would have, so that a
      // seal_on_open seal taken by the open does not refuse its own O_TRUNC.
      if ((flags & O_TRUNC) != 0 && (fs.getattr(nodeId).mode() & S_IFMT) == S_IFREG) {
        fs.truncate(nodeId, 0, caller);
      }
      return fs.open(nodeId, flags, caller);
    }
  }

  @Override
  public Created create(long parent, String name, int mode, int flags, Caller caller) {
    dev.sealfs.core.Created c = fs.create(parent, name, mode, flags, caller);
    return new Created(entry(c.attr()), c.fh());
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
  public void release(long fh) {
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
      boolean data = whence == NodeFs.SEEK_DATA;
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
      Supplier<Caller> caller) {
    // the core shares whole blocks and copies the rest under both files' locks (SPEC 11)
    return fs.copyRange(fhIn, offIn, fhOut, offOut, length, caller);
  }

  // ---------------------------------------------------------------------------------------------
  // directories, xattrs, statfs

  @Override
  public long opendir(long nodeId) {
    if ((fs.getattr(nodeId).mode() & S_IFMT) != S_IFDIR) {
      throw FsException.of(Errno.ENOTDIR, "not a directory");
    }
    synchronized (dirs) {
      long dh = nextDirHandle++;
      dirs.put(dh, null);
      return dh;
    }
  }

  @Override
  public List<DirEntry> readdir(long nodeId, long dirHandle, boolean reload) {
    List<DirEntry> l;
    synchronized (dirs) {
      l = dirs.get(dirHandle);
    }
    if (l == null || reload) {
      l = fs.readdir(nodeId);
      synchronized (dirs) {
        dirs.put(dirHandle, l);
      }
    }
    return l;
  }

  @Override
  public void releasedir(long dirHandle) {
    synchronized (dirs) {
      dirs.remove(dirHandle);
    }
  }

  @Override
  public void fsyncdir(long nodeId) {
    fs.fsyncdir(nodeId);
  }

  @Override
  public void setxattr(long nodeId, String name, byte[] value, int flags) {
    fs.setxattr(nodeId, name, value, flags);
  }

  @Override
  public byte[] getxattr(long nodeId, String name) {
    return fs.getxattr(nodeId, name);
  }

  @Override
  public List<String> listxattr(long nodeId) {
    return fs.listxattr(nodeId);
  }

  @Override
  public void removexattr(long nodeId, String name) {
    fs.removexattr(nodeId, name);
  }

  @Override
  public StatFs statfs() {
    return fs.statfs();
  }
}
