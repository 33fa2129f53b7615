package dev.sealfs.core.data;

import dev.sealfs.core.Caller;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.Limits;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.inode.Extent;
import dev.sealfs.core.inode.ExtentState;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import dev.sealfs.core.seal.LayoutGate;
import dev.sealfs.core.seal.MapChange;
import dev.sealfs.core.seal.OpenFile;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A regular file's data: read, write and truncate, and making a range written (allocating
 * holes, converting unwritten extents, zeroing what the caller will not write).
 *
 * <h2>Theory of operation</h2>
 *
 * <p>A write inside written extents below EOF changes no map and writes straight to the device.
 * A write that touches a hole or an unwritten extent, or ends past EOF, is a block-map or size
 * change: it passes {@link LayoutGate#breakLayout} first (ETXTBSY while sealed), then
 * {@link #makeWritten} allocates and zeroes, and {@link LayoutGate#mapChanged} records it.
 * Truncate does the same for the size, freeing the blocks past the new end through
 * {@link Durability#deferFree} (they become free once the freeing commit is durable) and zeroing
 * the tail of the last block. Data of new blocks reaches the device before the commit that maps
 * them (ordered data, {@link Durability}). A shared extent (SPEC 11) is not written for these
 * rules: a write into it passes the gate and is copied first ({@link CopyOnWrite}), and so is the
 * shared block whose tail a truncate zeroes.
 *
 * <p>Locks: the caller holds the inode's lock, exclusive for anything but {@link #read} (which
 * leaves the atime to the caller, who needs the exclusive lock for it).
 */
public final class FileData {
  /** The metadata state machine. */
  private final Metadata meta;
  /** The seal choke point. */
  private final LayoutGate gate;
  /** Allocation policy. */
  private final Placement place;
  /** Byte I/O through extent maps. */
  private final ExtentIo io;
  /** Deferred frees and writability. */
  private final Durability dur;
  /** Copy-on-write of shared extents. */
  private final CopyOnWrite cow;
  /** Block size in bytes. */
  private final int bs;

  /** Creates the data unit. */
  public FileData(Metadata meta, LayoutGate gate, Placement place, ExtentIo io,
      Durability dur, CopyOnWrite cow, int blockSize) {
    this.meta = meta;
    this.cow = cow;
    this.gate = gate;
    this.place = place;
    this.io = io;
    this.dur = dur;
    this.bs = blockSize;
  }

  /** Reads into {@code dst} (position to limit) from byte {@code offset}; returns bytes read. */
  public int read(OpenFile of, ByteBuffer dst, long offset) {
    Inode i = of.inode;
    if (!i.isReg()) {
      throw FsException.of(i.isDir() ? Errno.EISDIR : Errno.EINVAL, "not a regular file");
    }
    if (offset < 0) {
      throw FsException.of(Errno.EINVAL, "negative offset");
    }
    if (offset >= i.size) {
      return 0;
    }
    int len = (int) Math.min(dst.remaining(), i.size - offset);
    io.read(i, dst, offset, len);
    return len;
  }

  /**
   * Writes {@code src} (position to limit) at byte {@code offset}; returns bytes written. The
   * caller is asked for only if the file has setuid/setgid bits, which a non-root writer drops.
   */
  public int write(OpenFile of, ByteBuffer src, long offset, Supplier<Caller> caller) {
    Inode i = of.inode;
    if (!of.writable()) {
      throw FsException.of(Errno.EBADF, "handle not open for writing");
    }
    if (!i.isReg()) {
      throw FsException.of(Errno.EINVAL, "not a regular file");
    }
    dur.checkWritable();
    int len = src.remaining();
    if (len == 0) {
      return 0;
    }
    if (offset < 0) {
      throw FsException.of(Errno.EINVAL, "negative offset");
    }
    long end = offset + len;
    if (end > Limits.MAX_FILE_BYTES) {
      throw FsException.of(Errno.EFBIG, "file too large");
    }
    long fb0 = offset / bs;
    long fbEnd = (end + bs - 1) / bs;
    boolean extend = end > i.size;
    boolean mapped = ExtentIo.allWritten(i, fb0, fbEnd - fb0);
    if (extend || !mapped) {
      MapChange change = MapChange.unwrittenIn(extend ? "extending write" : "allocating write",
          i, fb0, fbEnd);
      gate.breakLayout(i, extend ? change.withSize(i.size, end) : change);
      if (!mapped) {
        makeWritten(i, fb0, fbEnd, offset, end);
      }
    }
    io.write(i, src, offset);
    if (extend) {
      i.size = end;
      if (mapped) {
        gate.sizeChanged(i); // into blocks already written (a prepared range): same map
      } else {
        gate.mapChanged(i);
      }
    }
    long t = Limits.nowNs();
    i.mtimeNs = t;
    i.ctimeNs = t;
    if (i.hasPrivileges()) {
      dropPrivileges(i, caller.get());
    }
    meta.markDirty(i);
    return len;
  }

  /**
   * Makes blocks {@code [fileBlock, fileEnd)} written extents: gives shared extents blocks of
   * their own ({@link CopyOnWrite}), allocates holes (all or nothing),
   * zeroes the parts of new or unwritten blocks outside {@code [keepFrom, keepTo)} (the bytes
   * the caller is about to write), and converts unwritten extents. The caller has passed
   * {@link LayoutGate#breakLayout}.
   */
  public void makeWritten(Inode i, long fileBlock, long fileEnd, long keepFrom, long keepTo) {
    cow.unshare(i, fileBlock, fileEnd);
    List<Extent> unwritten = new ArrayList<>();
    for (Extent e : i.extents.slice(fileBlock, fileEnd - fileBlock)) {
      if (e.state() == ExtentState.UNWRITTEN) {
        unwritten.add(e);
      }
    }
    List<Extent> fresh = place.allocateHoles(i, fileBlock, fileEnd, ExtentState.WRITTEN);
    List<Extent> touched = new ArrayList<>(fresh);
    touched.addAll(unwritten);
    for (Extent e : touched) {
      long from = e.fileBlock() * bs;
      long to = e.fileEnd() * bs;
      long devFrom = e.devBlock() * (long) bs;
      long z1 = Math.min(to, Math.max(from, keepFrom));
      if (z1 > from) {
        io.zeroDevice(devFrom, z1 - from);
      }
      long z2 = Math.max(from, Math.min(to, keepTo));
      if (to > z2) {
        io.zeroDevice(devFrom + (z2 - from), to - z2);
      }
    }
    for (Extent e : fresh) {
      meta.map(i, e);
    }
    for (Extent e : unwritten) {
      meta.map(i, new Extent(e.fileBlock(), e.devBlock(), e.blockCount(), ExtentState.WRITTEN));
    }
    if (!unwritten.isEmpty()) {
      // ordered data, as for new blocks: no commit may say "written" before the bytes are there
      // (the blocks still hold whatever was on the device before, maybe another file's data)
      dur.noteAllocated();
    }
    if (!touched.isEmpty()) {
      gate.mapChanged(i);
    }
  }

  /** Sets the size of a regular file, freeing blocks past the new end (truncate path). */
  public void setSize(Inode i, long newSize) {
    if (i.isDir()) {
      throw FsException.of(Errno.EISDIR, "is a directory");
    }
    if (!i.isReg()) {
      throw FsException.of(Errno.EINVAL, "not a regular file");
    }
    if (newSize < 0) {
      throw FsException.of(Errno.EINVAL, "negative size");
    }
    if (newSize > Limits.MAX_FILE_BYTES) {
      throw FsException.of(Errno.EFBIG, "file too large");
    }
    dur.checkWritable();
    long keep = (newSize + bs - 1) / bs;
    Extent last = i.extents.last();
    List<long[]> runs = new ArrayList<>();
    if (newSize < i.size && newSize % bs != 0) {
      Extent tail = i.extents.find(newSize / bs);
      if (tail != null && tail.state() == ExtentState.SHARED) {
        runs.add(new long[] {newSize / bs, 1}); // zeroing its tail copies it first
      }
    }
    if (newSize < i.size && last != null && last.fileEnd() > keep) {
      runs.add(new long[] {keep, last.fileEnd() - keep});
    }
    MapChange change = new MapChange("truncate", runs, false, 0, 0);
    gate.breakLayout(i, change.withSize(i.size, newSize));
    if (newSize < i.size) {
      if (last != null && last.fileEnd() > keep) {
        for (Extent e : meta.unmap(i, keep, last.fileEnd() - keep)) {
          gate.free(i, e.devBlock(), e.blockCount());
        }
      }
      if (newSize % bs != 0) {
        cow.unshare(i, newSize / bs, newSize / bs + 1);
        Extent e = i.extents.find(newSize / bs);
        if (e != null && e.state() == ExtentState.WRITTEN) {
          io.zeroDevice(e.devBlockAt(newSize / bs) * (long) bs + newSize % bs,
              bs - newSize % bs);
        }
      }
    }
    i.size = newSize;
    long t = Limits.nowNs();
    i.mtimeNs = t;
    i.ctimeNs = t;
    gate.mapChanged(i);
  }

  /** truncate(2): sets the size ({@link #setSize}), then drops setuid/setgid (non-root). */
  public void truncate(Inode i, long newSize, Caller caller) {
    setSize(i, newSize);
    dropPrivileges(i, caller);
  }

  /**
   * Drops setuid/setgid after a data change by a caller without CAP_FSETID (taken to be any
   * non-root caller), as the VFS would; with FUSE_HANDLE_KILLPRIV_V2 the kernel leaves this to
   * the filesystem. Group membership is judged by the caller's primary group only.
   */
  public void dropPrivileges(Inode i, Caller caller) {
    if (i.hasPrivileges() && !caller.isRoot() && i.killPrivileges(caller.gid() != i.gid)) {
      i.ctimeNs = Limits.nowNs();
      meta.markDirty(i);
    }
  }
}
