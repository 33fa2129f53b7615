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
import java.util.List;
import java.util.function.Supplier;

/**
 * copy_file_range(2) inside the filesystem (SPEC 11): shares whole blocks, copies the rest.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>Where the source and destination offsets lie alike within a block, the whole blocks of the
 * range are shared instead of copied: the source's written extents there become
 * {@link ExtentState#SHARED} in place, the destination's old blocks there are let go, and the
 * destination maps the source's blocks, shared too; every shared block gains one reference per
 * new sharer ({@link dev.sealfs.core.inode.ShareCounts}). Unwritten extents and holes of the
 * source become holes of the destination (both read as zeros). The last partial block is
 * shared as well when the range ends at the source's EOF and becomes the destination's EOF (its
 * bytes past EOF are zeros, and the destination has none there to lose). The bytes before the
 * first whole block and after the last one are copied with a read and a write
 * ({@link FileData}), which copy on write if the destination shares blocks there.
 *
 * <p>Never shared: from a sealed source (SPEC 11: it copies bytes; its blocks stay as they are)
 * or one with revoked, unacknowledged handles (SPEC 10: its old layout gains no other file;
 * {@link LayoutGate#mayShareFrom}).
 * Into a sealed destination nothing is copied: ETXTBSY. Both files' map changes pass
 * {@link LayoutGate#breakLayout} before anything changes. Data moves only in the copied bytes,
 * so there is no ordering to keep: the shared blocks' data is ordered by the commit that first
 * mapped them. One call does at most {@link #CALL_LIMIT} bytes; offsets that do not lie alike
 * copy bytes only, at most {@link #BYTES_LIMIT} (the caller goes on after a short count).
 *
 * <p>Locks: the caller holds both inodes' locks exclusively (one lock if they are one file).
 */
public final class CopyRange {
  /** The most bytes one call copies with reads and writes. */
  public static final long BYTES_LIMIT = 16L << 20;
  /** The most bytes one call copies or shares (FUSE replies with a u32 count). */
  public static final long CALL_LIMIT = 1L << 30;
  /** Scratch size for the byte copies. */
  private static final int SCRATCH_BYTES = 1 << 20;

  /** The metadata state machine (maps and share counts). */
  private final Metadata meta;
  /** The seal choke point. */
  private final LayoutGate gate;
  /** Reads and writes of the copied bytes. */
  private final FileData data;
  /** Writability. */
  private final Durability dur;
  /** Block size in bytes. */
  private final int bs;

  /** Creates the copy unit. */
  public CopyRange(Metadata meta, LayoutGate gate, FileData data, Durability dur,
      int blockSize) {
    this.meta = meta;
    this.gate = gate;
    this.data = data;
    this.dur = dur;
    this.bs = blockSize;
  }

  /**
   * Copies up to {@code length} bytes from {@code offIn} of {@code in} to {@code offOut} of
   * {@code out}, sharing whole blocks where it can; returns the bytes copied (0 at the source's
   * EOF). ETXTBSY with nothing copied if the destination is sealed.
   */
  public long copy(OpenFile in, long offIn, OpenFile out, long offOut, long length,
      Supplier<Caller> caller) {
    Inode src = in.inode;
    Inode dst = out.inode;
    if (!src.isReg() || !dst.isReg()) {
      throw FsException.of(src.isDir() || dst.isDir() ? Errno.EISDIR : Errno.EINVAL,
          "not a regular file");
    }
    if (offIn < 0 || offOut < 0 || length < 0) {
      throw FsException.of(Errno.EINVAL, "negative offset or length");
    }
    if (dst.isSealed()) {
      throw FsException.of(Errno.ETXTBSY, "copy_file_range into a sealed file");
    }
    if (!out.writable()) {
      throw FsException.of(Errno.EBADF, "destination not open for writing");
    }
    if ((in.flags & OpenFile.O_ACCMODE) == 1) {
      throw FsException.of(Errno.EBADF, "source not open for reading");
    }
    if (length == 0 || offIn >= src.size) {
      return 0;
    }
    long n = Math.min(Math.min(length, src.size - offIn), CALL_LIMIT);
    if (src == dst && offIn < offOut + n && offOut < offIn + n) {
      throw FsException.of(Errno.EINVAL, "overlapping ranges in one file");
    }
    if (offOut + n > Limits.MAX_FILE_BYTES || offOut + n < 0) {
      throw FsException.of(Errno.EFBIG, "file too large");
    }
    if (!gate.mayShareFrom(src) || offIn % bs != offOut % bs) {
      return copyBytes(in, offIn, out, offOut, Math.min(n, BYTES_LIMIT), caller);
    }
    long done = Math.min(n, (bs - offIn % bs) % bs);
    if (done > 0 && copyBytes(in, offIn, out, offOut, done, caller) < done) {
      return 0; // cannot happen: the source's bytes are there and a write is whole
    }
    long rest = n - done;
    long blocks = rest / bs;
    if (rest % bs != 0 && offIn + n == src.size && offOut + n >= dst.size) {
      blocks++; // the source's last partial block becomes the destination's last block
    }
    if (blocks > 0) {
      long sharedEnd = Math.min(n, done + blocks * bs);
      share(src, (offIn + done) / bs, dst, (offOut + done) / bs, blocks, offOut + sharedEnd);
      done = sharedEnd;
      if (dst.hasPrivileges()) {
        data.dropPrivileges(dst, caller.get());
      }
    }
    if (done < n) {
      done += copyBytes(in, offIn + done, out, offOut + done, n - done, caller);
    }
    return done;
  }

  /**
   * Maps {@code blockCount} blocks of {@code src} from {@code fbIn} into {@code dst} at
   * {@code fbOut}, shared, and sets {@code dst}'s size to at least {@code endByte}.
   */
  private void share(Inode src, long fbIn, Inode dst, long fbOut, long blockCount,
      long endByte) {
    MapChange into = MapChange.blocks("copy_file_range", fbOut, fbOut + blockCount);
    gate.breakLayout(dst, endByte > dst.size ? into.withSize(dst.size, endByte) : into);
    gate.breakLayout(src, MapChange.blocks("copy_file_range source", fbIn, fbIn + blockCount));
    dur.checkWritable();
    List<Extent> pieces = src.extents.slice(fbIn, blockCount);
    for (Extent old : meta.unmap(dst, fbOut, blockCount)) {
      gate.free(dst, old.devBlock(), old.blockCount());
    }
    boolean srcChanged = false;
    for (Extent p : pieces) {
      if (!p.state().holdsData()) {
        continue; // unwritten: a hole in the destination reads as zeros too
      }
      if (p.state() == ExtentState.WRITTEN) {
        meta.map(src, new Extent(p.fileBlock(), p.devBlock(), p.blockCount(),
            ExtentState.SHARED));
        meta.shares.add(p.devBlock(), p.blockCount());
        srcChanged = true;
      }
      meta.map(dst, new Extent(fbOut + (p.fileBlock() - fbIn), p.devBlock(), p.blockCount(),
          ExtentState.SHARED));
      meta.shares.add(p.devBlock(), p.blockCount());
    }
    if (srcChanged) {
      gate.mapChanged(src);
    }
    if (endByte > dst.size) {
      dst.size = endByte;
    }
    long t = Limits.nowNs();
    dst.mtimeNs = t;
    dst.ctimeNs = t;
    gate.mapChanged(dst);
    meta.markDirty(dst);
  }

  /** Copies {@code bytes} bytes with reads and writes; returns how many were copied. */
  private long copyBytes(OpenFile in, long offIn, OpenFile out, long offOut, long bytes,
      Supplier<Caller> caller) {
    ByteBuffer scratch = ByteBuffer.allocate((int) Math.min(bytes, SCRATCH_BYTES));
    long done = 0;
    while (done < bytes) {
      int want = (int) Math.min(bytes - done, scratch.capacity());
      scratch.clear().limit(want);
      int got = data.read(in, scratch, offIn + done);
      if (got <= 0) {
        break;
      }
      scratch.flip();
      int put = data.write(out, scratch, offOut + done, caller);
      done += put;
      if (got < want || put < got) {
        break;
      }
    }
    return done;
  }
}
