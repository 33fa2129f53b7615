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
import java.util.List;

/**
 * fallocate(2): preallocation (unwritten extents), punch hole and zero range, with or without
 * keep-size.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>Every mode is a block-map change, so {@link LayoutGate#breakLayout} runs before the mode is
 * even looked at (a sealed file refuses them all with ETXTBSY). Preallocation maps holes as
 * UNWRITTEN extents (they read as zeros without touching the device). Punch unmaps the whole
 * blocks of the range (freed once the commit is durable) and zeroes the partial edge blocks on
 * the device. Zero range turns whole written blocks UNWRITTEN, fills holes with unwritten
 * blocks and zeroes the edges. Without keep-size the size grows to the end of the range. Shared
 * extents (SPEC 11): punch and zero range let go of whole shared blocks (the other sharers keep
 * them) and copy a shared edge block before zeroing part of it ({@link CopyOnWrite}).
 *
 * <p>Locks: the caller holds the inode's lock exclusively.
 */
public final class Fallocate {
  /** fallocate: keep size. */
  public static final int FALLOC_FL_KEEP_SIZE = 0x01;
  /** fallocate: punch hole. */
  public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
  /** fallocate: zero range. */
  public static final int FALLOC_FL_ZERO_RANGE = 0x10;

  /** The metadata state machine. */
  private final Metadata meta;
  /** The seal choke point. */
  private final LayoutGate gate;
  /** Allocation policy. */
  private final Placement place;
  /** Zeroing of device ranges. */
  private final ExtentIo io;
  /** Deferred frees and writability. */
  private final Durability dur;
  /** setuid/setgid dropping. */
  private final FileData data;
  /** Copy-on-write of shared extents. */
  private final CopyOnWrite cow;
  /** Block size in bytes. */
  private final int bs;

  /** Creates the fallocate unit. */
  public Fallocate(Metadata meta, LayoutGate gate, Placement place, ExtentIo io,
      Durability dur, FileData data, CopyOnWrite cow, int blockSize) {
    this.meta = meta;
    this.cow = cow;
    this.gate = gate;
    this.place = place;
    this.io = io;
    this.dur = dur;
    this.data = data;
    this.bs = blockSize;
  }

  /** fallocate(2) with Linux {@code mode} bits; a non-root caller drops setuid/setgid. */
  public void fallocate(OpenFile of, int mode, long offset, long length, Caller caller) {
    Inode i = of.inode;
    if (!i.isReg()) {
      throw FsException.of(i.isDir() ? Errno.EISDIR : Errno.ENODEV, "not a regular file");
    }
    boolean valid = offset >= 0 && length > 0 && offset + length > 0;
    boolean keepSize = (mode & FALLOC_FL_KEEP_SIZE) != 0;
    MapChange change = !valid ? MapChange.whole("fallocate")
        : MapChange.blocks("fallocate", offset / bs, (offset + length - 1) / bs + 1);
    if (valid && !keepSize && offset + length > i.size) {
      change = change.withSize(i.size, offset + length);
    }
    gate.breakLayout(i, change);
    dur.checkWritable();
    if (!of.writable()) {
      throw FsException.of(Errno.EBADF, "handle not open for writing");
    }
    if (offset < 0 || length <= 0) {
      throw FsException.of(Errno.EINVAL, "bad range");
    }
    long end = offset + length;
    if (end > Limits.MAX_FILE_BYTES || end < 0) {
      throw FsException.of(Errno.EFBIG, "file too large");
    }
    boolean keep = (mode & FALLOC_FL_KEEP_SIZE) != 0;
    int rest = mode & ~FALLOC_FL_KEEP_SIZE;
    if (rest == FALLOC_FL_PUNCH_HOLE) {
      if (!keep) {
        throw FsException.of(Errno.EOPNOTSUPP, "punch hole needs keep-size");
      }
      punch(i, offset, end);
    } else if (rest == FALLOC_FL_ZERO_RANGE) {
      zeroRange(i, offset, end, keep);
    } else if (rest == 0) {
      allocateRange(i, offset, end, keep);
    } else {
      throw FsException.of(Errno.EOPNOTSUPP, "fallocate mode 0x" + Integer.toHexString(mode));
    }
    long t = Limits.nowNs();
    i.ctimeNs = t;
    i.mtimeNs = t;
    meta.markDirty(i);
    data.dropPrivileges(i, caller);
  }

  private void allocateUnwritten(Inode i, long fileBlock, long fileEnd) {
    List<Extent> fresh = place.allocateHoles(i, fileBlock, fileEnd, ExtentState.UNWRITTEN);
    for (Extent e : fresh) {
      meta.map(i, e);
    }
    if (!fresh.isEmpty()) {
      gate.mapChanged(i);
    }
  }

  private void allocateRange(Inode i, long offset, long end, boolean keep) {
    allocateUnwritten(i, offset / bs, (end + bs - 1) / bs);
    growTo(i, end, keep);
  }

  private void growTo(Inode i, long end, boolean keep) {
    if (!keep && end > i.size) {
      i.size = end;
      gate.mapChanged(i);
    }
  }

  private void punch(Inode i, long offset, long end) {
    long first = (offset + bs - 1) / bs;
    long last = end / bs;
    if (first < last) {
      for (Extent e : meta.unmap(i, first, last - first)) {
        gate.free(i, e.devBlock(), e.blockCount());
      }
      gate.mapChanged(i);
      zeroEdges(i, offset, end, first, last);
    } else {
      zeroBytes(i, offset, end);
    }
  }

  private void zeroEdges(Inode i, long offset, long end, long first, long last) {
    zeroBytes(i, offset, Math.min(end, first * bs));
    zeroBytes(i, Math.max(offset, last * bs), end);
  }

  /** Zeroes the written bytes of {@code [from, to)}, copying shared blocks there first. */
  private void zeroBytes(Inode i, long from, long to) {
    if (from < to) {
      cow.unshare(i, from / bs, (to + bs - 1) / bs);
      io.zeroWrittenBytes(i, from, to);
    }
  }

  private void zeroRange(Inode i, long offset, long end, boolean keep) {
    long first = (offset + bs - 1) / bs;
    long last = end / bs;
    if (first < last) {
      for (Extent e : i.extents.slice(first, last - first)) {
        if (e.state() == ExtentState.WRITTEN) {
          meta.map(i, new Extent(e.fileBlock(), e.devBlock(), e.blockCount(),
              ExtentState.UNWRITTEN));
        } else if (e.state() == ExtentState.SHARED) {
          // the other sharers keep the data: this file lets go and gets unwritten blocks below
          meta.unmap(i, e.fileBlock(), e.blockCount());
          gate.free(i, e.devBlock(), e.blockCount());
        }
      }
      allocateUnwritten(i, first, last);
      gate.mapChanged(i);
      zeroEdges(i, offset, end, first, last);
    } else {
      zeroBytes(i, offset, end);
    }
    allocateUnwritten(i, offset / bs, (end + bs - 1) / bs);
    growTo(i, end, keep);
  }
}
