package dev.sealfs.core;

import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sealfs core: one mounted filesystem over one device, with every POSIX operation a FUSE
 * binding needs, addressed by inode number or by file handle. Knows nothing of FUSE; every
 * method throws {@link FsException} with the errno to return. {@link PathFs} is the path view
 * on top (libfuse's high-level API and the tests address by path).
 *
 * <h2>The inode API contract</h2>
 *
 * <ul>
 *   <li><b>Node ids are inode numbers.</b> A FUSE node id is the inode number, unchanged; the
 *       root is {@link #ROOT_INO} = 1 = FUSE_ROOT_ID. Inode numbers are never reused while the
 *       filesystem is mounted (nor after: they only grow), so a stale number answers ENOENT.
 *   <li><b>Lookup references.</b> {@link #lookup}, {@link #mknod}, {@link #mkdir},
 *       {@link #symlink}, {@link #link} and {@link #create} each take one kernel lookup reference
 *       on the inode they answer; {@link #forget} drops them. {@link #find} takes none.
 *   <li><b>Lifetime.</b> An inode lives while it has a name, a lookup reference, an open handle
 *       or a seal holder, and is freed (its blocks returned once the freeing commit is durable)
 *       when the last of these goes. An inode without a name is an orphan; a crash frees orphans
 *       at the next mount (references, handles and seals are not persisted).
 *   <li><b>Handles.</b> {@link #open} and {@link #create} return a file handle number; data,
 *       seal and layout calls take it; {@link #release} ends it (and its seal).
 *   <li><b>Names</b> are byte strings (one char per byte, {@link #NAME_CHARSET}); a name to
 *       create must not be empty, ".", "..", contain '/' or NUL (EINVAL) or exceed 255 bytes
 *       (ENAMETOOLONG).
 *   <li><b>Stability.</b> These signatures are kept; new calls are added, none renamed.
 * </ul>
 *
 * <h2>Theory of operation</h2>
 *
 * <p>All metadata lives in memory ({@link Metadata}) and changes only through it; each change is
 * also a redo record of the running journal group. Groups commit to the {@link Journal} every
 * {@link #COMMIT_INTERVAL_MS} ms, on fsync and on seal; a checkpoint (the whole state, written to
 * free data blocks, then pointed at by the next {@link Superblock} copy) empties the journal.
 * Ordered data: newly allocated blocks get their data before any commit names them (the device
 * is forced first), and freed blocks go back to the {@link Allocator} only after the commit that
 * freed them is durable.
 *
 * <h2>Block-map sealing: the one choke point</h2>
 *
 * <p>Every path that can change a file's block map or size (truncate, ftruncate, open(O_TRUNC)
 * which arrives as a truncate, every fallocate mode, writes touching a hole or an unwritten extent,
 * writes past EOF including O_APPEND and copy_file_range's fallback writes, seal's own prepare
 * step) calls {@link #breakLayout} before it accepts any data; it answers ETXTBSY while the inode
 * has a holder. Freeing an inode's blocks goes through {@link #maybeFreeInode}, which defers while
 * the inode is sealed or open (an orphan keeps its blocks, untouched and unreused).
 *
 * <pre>
 *            SEAL (strict/prepare/asis)            SEAL by another handle
 *   +----------+ -----------------------> +--------+ ----------------------+
 *   | unsealed |                          | sealed |                       |
 *   | map may  | <----------------------- | n >= 1 | <---------------------+
 *   | change   |  last UNSEAL / release   | holders|
 *   +----------+                          +--------+  truncate, fallocate, allocating or
 *        |  unlink of last name                |     extending write -> ETXTBSY
 *        v                                     |  unlink of last name
 *   freed when last handle closes          +--------+
 *                                          | orphan | blocks kept until the last
 *                                          +--------+ holder and handle are gone
 * </pre>
 *
 * <p>Lock: one lock (this object's monitor) guards everything; the FUSE loop runs single-threaded
 * by default, so it is uncontended. The background committer takes it for each tick.
 */
public final class SealFs implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SealFs.class);

  /**
   * The root directory's inode number. FUSE node ids are inode numbers, unchanged: the FUSE root
   * node id (FUSE_ROOT_ID) is 1, and so is this.
   */
  public static final long ROOT_INO = Metadata.ROOT_INO;
  /** {@code utimens} value: set this time to now. */
  public static final long UTIME_NOW = (1L << 30) - 1;
  /** {@code utimens} value: leave this time unchanged. */
  public static final long UTIME_OMIT = (1L << 30) - 2;
  /** The largest alignment given to new extents (a PMD huge page on x86-64). */
  static final long MAX_ALIGN_BYTES = 2L << 20;
  /** The caller of the root-only convenience overloads. */
  private static final Supplier<Caller> AS_ROOT = () -> Caller.ROOT;
  /** How often the background committer commits the running group, ms. */
  static final long COMMIT_INTERVAL_MS = 1000;
  /**
   * Names, symlink targets and xattr names are byte strings, as in the kernel: each char of such
   * a String is one byte (ISO-8859-1), so any byte sequence round-trips and lengths are bytes.
   */
  public static final Charset NAME_CHARSET = StandardCharsets.ISO_8859_1;
  /** Longest name in bytes. */
  static final int NAME_MAX = 255;
  /** Longest symlink target in bytes. */
  static final int PATH_MAX = 4096;
  /** Largest file size in bytes (sparse files may exceed the device). */
  static final long MAX_FILE_BYTES = 1L << 52;
  /** The persistent attribute that makes write-opens holders (SPEC 4.2). */
  public static final String SEAL_ON_OPEN = "user.sealfs.seal_on_open";
  /** Prefix of sealfs' own attributes. */
  static final String SEALFS_XATTR_PREFIX = "user.sealfs.";
  /** The read-only virtual attributes (SPEC 4.3). */
  static final List<String> VIRTUAL_XATTRS = List.of("user.sealfs.layout", "user.sealfs.seal",
      "user.sealfs.holders", "user.sealfs.device");
  /** fallocate: keep size. */
  static final int FALLOC_FL_KEEP_SIZE = 0x01;
  /** fallocate: punch hole. */
  static final int FALLOC_FL_PUNCH_HOLE = 0x02;
  /** fallocate: zero range. */
  static final int FALLOC_FL_ZERO_RANGE = 0x10;
  /** SEALFS_SEAL_PREPARE. */
  public static final long SEAL_PREPARE = 1;
  /** SEALFS_SEAL_ASIS. */
  public static final long SEAL_ASIS = 2;

  /** A block of zeros for zero-filling reads and device ranges. */
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 17);

  /** The device. */
  private final Device device;
  /** The current superblock. */
  private Superblock sb;
  /** Block size in bytes. */
  private final int bs;
  /** True when nothing may be written. */
  private final boolean readOnly;
  /** The metadata state machine. */
  private final Metadata meta;
  /** Free data blocks. */
  private final Allocator alloc;
  /** The journal. */
  private final Journal journal;
  /** Blocks freed by groups not yet durable. */
  private final List<Allocator.Run> pendingFree = new ArrayList<>();
  /** Sum of {@link #pendingFree}. */
  private long pendingFreeBlocks;
  /** True once blocks were allocated (and written) since the last force. */
  private boolean allocatedSinceForce;
  /** True once anything was written to the device since the last force. */
  private boolean writtenSinceForce;
  /** Number of groups committed (or covered by checkpoints) so far. */
  private long groupNumber;
  /** The last group number known durable. */
  private long durableGroup;
  /** Open file handles. */
  private final Map<Long, OpenFile> handles = new HashMap<>();
  /** The next file handle number. */
  private long nextFh = 1;
  /** Operations refused with ETXTBSY so far. */
  private long refusedCount;
  /** Where refusals and commits are reported (metrics); {@link CoreStats#NONE} by default. */
  private volatile CoreStats stats = CoreStats.NONE;
  /** Set once closed. */
  private boolean closed;
  /** Set if metadata could not be committed (device full of metadata); then writes fail. */
  private FsException stuck;
  /** The background committer. */
  private final Thread committer;

  private SealFs(Device device, Loader.Loaded l, boolean readOnly) {
    this.device = device;
    this.sb = l.sb();
    this.bs = sb.blockSize();
    this.readOnly = readOnly;
    this.meta = l.meta();
    this.alloc = l.alloc();
    this.journal = new Journal(device, sb.journalStart() * bs, sb.journalBlocks() * bs,
        Math.max(l.replay().nextSeq(), l.replay().maxSeq() + 1), l.replay().endPos());
    if (!readOnly) {
      this.committer = new Thread(this::commitLoop, "sealfs-commit");
      this.committer.setDaemon(true);
    } else {
      this.committer = null;
    }
  }

  /**
   * Validates the filesystem on {@code device} without writing or locking it (the mount command
   * runs this before it starts a daemon, so a bad device is refused at once).
   */
  public static void check(Path devicePath) {
    try (Device dev = Device.open(devicePath, true)) {
      Loader.buildAllocator(Loader.load(dev));
    }
  }

  /** Opens (mounts) the filesystem on {@code device}, replaying its journal. */
  public static SealFs open(Path devicePath, boolean readOnly) {
    return open(devicePath, readOnly, false);
  }

  private static SealFs open(Path devicePath, boolean readOnly, boolean repair) {
    Device dev = Device.open(devicePath, readOnly);
    try {
      dev.lockExclusive(readOnly);
      Loader.Loaded l = Loader.buildAllocator(Loader.load(dev, repair));
      SealFs fs = new SealFs(dev, l, readOnly);
      int orphans = fs.freeOrphansAtMount();
      if (!readOnly) {
        if (l.replay().groups() > 0 || l.replay().tailBytes() > 0 || orphans > 0
            || l.replay().damagedAt() >= 0) {
          synchronized (fs) {
            fs.checkpoint();
          }
        }
        fs.committer.start();
      }
      LOG.info("opened {}: {} inodes, replayed {} groups ({} records), {} orphans freed",
          dev.path(), fs.meta.inodes.size(), l.replay().groups(), l.replay().records(), orphans);
      return fs;
    } catch (RuntimeException e) {
      try {
        dev.close();
      } catch (RuntimeException ignored) {
        // already failing
      }
      throw e;
    }
  }

  private int freeOrphansAtMount() {
    List<Inode> orphans = new ArrayList<>();
    for (Inode i : meta.inodes.values()) {
      if (i.nlink == 0 && i.ino != Metadata.ROOT_INO) {
        orphans.add(i);
      }
    }
    for (Inode i : orphans) {
      freeInode(i);
    }
    if (!orphans.isEmpty()) {
      releasePendingFrees();
    }
    return orphans.size();
  }

  /** Returns the absolute path of the device. */
  public Path devicePath() {
    return device.path();
  }

  /** Returns the block size in bytes. */
  public int blockSize() {
    return bs;
  }

  /** Returns how many operations were refused with ETXTBSY since mount. */
  public synchronized long refusedCount() {
    return refusedCount;
  }

  /** Reports refusals, commits and device forces to {@code hook} from now on. */
  public void setStats(CoreStats hook) {
    stats = hook;
    device.stats = hook;
  }

  /** Returns the number of seal holders over all inodes (a scan: for metrics, not hot paths). */
  public synchronized long sealHolderCount() {
    long n = 0;
    for (Inode i : meta.inodes.values()) {
      n += i.holderCount();
    }
    return n;
  }

  // ------------------------------------------------------------------------------------------
  // Time, handles, paths
  // ------------------------------------------------------------------------------------------

  private static long now() {
    Instant t = Instant.now();
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  private OpenFile handle(long fh) {
    OpenFile of = handles.get(fh);
    if (of == null) {
      throw FsException.of(Errno.EBADF, "no open file handle " + fh);
    }
    return of;
  }

  private void checkWritable() {
    if (readOnly) {
      throw FsException.of(Errno.EROFS, "read-only");
    }
    if (closed) {
      throw FsException.of(Errno.EIO, "filesystem is closed");
    }
    if (stuck != null) {
      throw new FsException(Errno.ENOSPC, "metadata cannot be committed: " + stuck.getMessage());
    }
  }

  private Inode root() {
    return meta.get(Metadata.ROOT_INO);
  }

  /** Returns the live inode {@code ino}; ENOENT if it is gone (inode numbers are never reused). */
  private Inode inode(long ino) {
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
  static void checkName(String name) {
    if (name == null || name.isEmpty() || name.equals(".") || name.equals("..")
        || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
      throw FsException.of(Errno.EINVAL, name + ": invalid name");
    }
    if (name.length() > NAME_MAX) {
      throw FsException.of(Errno.ENAMETOOLONG, "name longer than 255 bytes");
    }
  }

  /**
   * A directory and a name in it.
   *
   * @param dir the directory
   * @param name the last path component
   */
  private record Parent(Inode dir, String name) {}

  /** Returns the directory {@code parentIno} and the checked {@code name} in it. */
  private Parent parent(long parentIno, String name) {
    checkName(name);
    Inode d = dir(parentIno);
    if (d.nlink == 0) {
      throw FsException.of(Errno.ENOENT, "inode " + parentIno + ": directory was removed");
    }
    return new Parent(d, name);
  }

  private Inode child(Parent p) {
    Long ino = p.dir.entries.get(p.name);
    return ino == null ? null : meta.get(ino);
  }

  private void touchDir(Inode dir, long t) {
    dir.mtimeNs = t;
    dir.ctimeNs = t;
    meta.markDirty(dir);
  }

  // ------------------------------------------------------------------------------------------
  // The choke point of block-map and size changes
  // ------------------------------------------------------------------------------------------

  /**
   * The one check every block-map or size change passes before it touches anything (like
   * xfs_break_layouts): ETXTBSY while the inode is sealed.
   */
  private void breakLayout(Inode i, String op) {
    if (i.isSealed()) {
      refusedCount++;
      stats.refused(op);
      LOG.warn("refused {} of sealed inode {} ({} holders): ETXTBSY", op, i.ino,
          i.holderCount());
      throw FsException.of(Errno.ETXTBSY, op + " of a sealed file");
    }
  }

  /** Records that {@code i}'s block map or size changed: new generation, dirty attributes. */
  private void mapChanged(Inode i) {
    assert !i.isSealed() : "block map of sealed inode " + i.ino + " changed";
    i.generation++;
    i.mapGroup = groupNumber + 1;
    meta.markDirty(i);
  }

  /** Frees the inode's blocks and the inode once it has no name, no handle and no holder. */
  private void maybeFreeInode(Inode i) {
    if (i.nlink > 0 || i.ino == Metadata.ROOT_INO) {
      return;
    }
    if (i.isSealed() || i.openCount > 0 || i.lookupCount > 0) {
      LOG.debug("inode {} is an orphan ({} holders, {} opens, {} lookups): blocks kept", i.ino,
          i.holderCount(), i.openCount, i.lookupCount);
      return;
    }
    freeInode(i);
  }

  private void freeInode(Inode i) {
    if (i.extents != null) {
      for (Extent e : i.extents.extents()) {
        deferFree(e.devBlock(), e.blockCount());
      }
      i.extents.clear();
    }
    meta.delete(i);
  }

  private void deferFree(long devBlock, long blockCount) {
    pendingFree.add(new Allocator.Run(devBlock, blockCount));
    pendingFreeBlocks += blockCount;
  }

  private void releasePendingFrees() {
    for (Allocator.Run r : pendingFree) {
      alloc.free(r.devBlock(), r.blockCount());
    }
    pendingFree.clear();
    pendingFreeBlocks = 0;
  }

  private long checkpointBlocks() {
    long n = 0;
    for (Allocator.Run r : sb.checkpointRuns()) {
      n += r.blockCount();
    }
    return n;
  }

  /** Blocks files may still get: free, minus the metadata reserve (which holds checkpoints). */
  private long availableBlocks() {
    return alloc.freeBlocks() + checkpointBlocks() - sb.reserveBlocks();
  }

  /**
   * Allocates {@code count} data blocks near {@code goal}, all or nothing (ENOSPC if short), the
   * first at a devBlock congruent to {@code fileBlock} modulo {@code alignBlocks} if possible.
   */
  private List<Allocator.Run> allocateData(long goal, long count, long alignBlocks,
      long fileBlock) {
    if (availableBlocks() < count && pendingFreeBlocks > 0) {
      commit(true);
    }
    if (availableBlocks() < count) {
      throw FsException.of(Errno.ENOSPC, "no space left on device");
    }
    List<Allocator.Run> runs = alloc.allocateAll(goal, count, alignBlocks, fileBlock);
    if (runs == null) {
      throw FsException.of(Errno.ENOSPC, "no space left on device");
    }
    allocatedSinceForce = true;
    return runs;
  }

  /**
   * Returns the alignment, in blocks, for {@code count} new blocks at {@code fileBlock} of
   * {@code i}: 1 when they can continue the extent before them on the device (contiguity keeps
   * whatever alignment that extent has), else the largest power of two not above {@code count},
   * capped at {@link #MAX_ALIGN_BYTES}. A file written or fallocated in large pieces thus has
   * device offsets aligned like its file offsets: large page-cache folios for the image (the
   * direct path reads at host speed) and 2 MiB extents where a DAX mapping would use huge pages.
   */
  private long alignFor(Inode i, long fileBlock, long count) {
    if (fileBlock > 0) {
      Extent prev = i.extents.find(fileBlock - 1);
      if (prev != null && alloc.isFree(prev.devBlockAt(fileBlock - 1) + 1)) {
        return 1;
      }
    }
    return Math.max(1, Math.min(Long.highestOneBit(count), MAX_ALIGN_BYTES / bs));
  }

  /** Returns a good first device block for file block {@code fileBlock} of {@code i}. */
  private long goalFor(Inode i, long fileBlock) {
    if (fileBlock > 0) {
      Extent prev = i.extents.find(fileBlock - 1);
      if (prev != null) {
        return prev.devBlockAt(fileBlock - 1) + 1;
      }
    }
    Extent last = i.extents.last();
    return last != null ? last.devEnd() : sb.dataStart();
  }

  private void zeroDevice(long devByte, long bytes) {
    long pos = devByte;
    long left = bytes;
    while (left > 0) {
      int n = (int) Math.min(left, ZEROS.capacity());
      device.write(ZEROS.duplicate().limit(n), pos);
      pos += n;
      left -= n;
    }
    writtenSinceForce = true;
  }

  private static void zeroFill(ByteBuffer dst, long bytes) {
    long left = bytes;
    while (left > 0) {
      int n = (int) Math.min(left, ZEROS.capacity());
      dst.put(ZEROS.duplicate().limit(n));
      left -= n;
    }
  }

  /** Returns true if blocks {@code [fileBlock, fileBlock + count)} are all written extents. */
  private static boolean allWritten(Inode i, long fileBlock, long count) {
    long fb = fileBlock;
    long end = fileBlock + count;
    while (fb < end) {
      Extent e = i.extents.find(fb);
      if (e == null || e.state() != ExtentState.WRITTEN) {
        return false;
      }
      fb = e.fileEnd();
    }
    return true;
  }

  /**
   * Makes blocks {@code [fileBlock, fileEnd)} written extents: allocates holes (all or nothing),
   * zeroes the parts of new or unwritten blocks outside {@code [zeroKeepFrom, zeroKeepTo)} (the
   * bytes the caller is about to write), and converts unwritten extents. The caller has passed
   * {@link #breakLayout}.
   */
  private void makeWritten(Inode i, long fileBlock, long fileEnd, long keepFrom, long keepTo) {
    List<Extent> unwritten = new ArrayList<>();
    for (Extent e : i.extents.slice(fileBlock, fileEnd - fileBlock)) {
      if (e.state() == ExtentState.UNWRITTEN) {
        unwritten.add(e);
      }
    }
    List<Extent> fresh = allocateHoles(i, fileBlock, fileEnd, ExtentState.WRITTEN);
    List<Extent> touched = new ArrayList<>(fresh);
    touched.addAll(unwritten);
    for (Extent e : touched) {
      long from = e.fileBlock() * bs;
      long to = e.fileEnd() * bs;
      long devFrom = e.devBlock() * (long) bs;
      long z1 = Math.min(to, Math.max(from, keepFrom));
      if (z1 > from) {
        zeroDevice(devFrom, z1 - from);
      }
      long z2 = Math.max(from, Math.min(to, keepTo));
      if (to > z2) {
        zeroDevice(devFrom + (z2 - from), to - z2);
      }
    }
    for (Extent e : fresh) {
      meta.map(i, e);
    }
    for (Extent e : unwritten) {
      meta.map(i, new Extent(e.fileBlock(), e.devBlock(), e.blockCount(), ExtentState.WRITTEN));
    }
    if (!touched.isEmpty()) {
      mapChanged(i);
    }
  }

  /** Sets the size of a regular file, freeing blocks past the new end (truncate path). */
  private void setSize(Inode i, long newSize) {
    if (i.isDir()) {
      throw FsException.of(Errno.EISDIR, "is a directory");
    }
    if (!i.isReg()) {
      throw FsException.of(Errno.EINVAL, "not a regular file");
    }
    if (newSize < 0) {
      throw FsException.of(Errno.EINVAL, "negative size");
    }
    if (newSize > MAX_FILE_BYTES) {
      throw FsException.of(Errno.EFBIG, "file too large");
    }
    checkWritable();
    breakLayout(i, "truncate");
    if (newSize < i.size) {
      long keep = (newSize + bs - 1) / bs;
      Extent last = i.extents.last();
      if (last != null && last.fileEnd() > keep) {
        for (Extent e : meta.unmap(i, keep, last.fileEnd() - keep)) {
          deferFree(e.devBlock(), e.blockCount());
        }
      }
      if (newSize % bs != 0) {
        Extent e = i.extents.find(newSize / bs);
        if (e != null && e.state() == ExtentState.WRITTEN) {
          zeroDevice(e.devBlockAt(newSize / bs) * (long) bs + newSize % bs, bs - newSize % bs);
        }
      }
    }
    i.size = newSize;
    long t = now();
    i.mtimeNs = t;
    i.ctimeNs = t;
    mapChanged(i);
  }

  // ------------------------------------------------------------------------------------------
  // Attributes
  // ------------------------------------------------------------------------------------------

  private Stat stat(Inode i) {
    long blocks = i.extents == null ? 0 : i.extents.mappedBlocks() * (bs / 512);
    long size = i.isDir() ? bs : i.size;
    return new Stat(i.ino, i.mode, i.nlink, i.uid, i.gid, i.rdev, size, blocks, bs, i.atimeNs,
        i.mtimeNs, i.ctimeNs);
  }

  /** Returns the attributes of inode {@code ino}. */
  public synchronized Stat getattr(long ino) {
    return stat(inode(ino));
  }

  /** Returns the attributes of the inode open as {@code fh}. */
  public synchronized Stat fgetattr(long fh) {
    return stat(handle(fh).inode);
  }

  /**
   * Returns the inode number {@code name} names in directory {@code dirIno}, or 0 if it names
   * nothing, without taking a lookup reference (for resolvers that address the inode for one
   * call only). ENOTDIR if {@code dirIno} is not a directory, ENAMETOOLONG for a long name.
   */
  public synchronized long find(long dirIno, String name) {
    if (name.length() > NAME_MAX) {
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

  /**
   * FUSE LOOKUP: returns the attributes of what {@code name} names in directory
   * {@code parentIno} and takes one kernel lookup reference on it (dropped by {@link #forget}).
   * ENOENT if the name is not there.
   */
  public synchronized Stat lookup(long parentIno, String name) {
    long ino = find(parentIno, name);
    if (ino == 0) {
      throw FsException.of(Errno.ENOENT, name + ": no such file or directory");
    }
    return stat(reference(inode(ino)));
  }

  /** Takes one kernel lookup reference on {@code i} and returns it. */
  private Inode reference(Inode i) {
    i.lookupCount++;
    return i;
  }

  /**
   * FUSE FORGET: drops {@code nlookup} kernel lookup references of inode {@code ino}; an inode
   * with no name, reference or open handle left is freed. Unknown inodes are ignored.
   */
  public synchronized void forget(long ino, long nlookup) {
    Inode i = meta.get(ino);
    if (i == null || nlookup <= 0) {
      return;
    }
    i.lookupCount = Math.max(0, i.lookupCount - nlookup);
    if (!readOnly && !closed) {
      maybeFreeInode(i);
    }
  }

  /** Returns the target of symlink {@code ino} (and updates its atime, relatime). */
  public synchronized String readlink(long ino) {
    Inode i = inode(ino);
    if (!i.isSymlink()) {
      throw FsException.of(Errno.EINVAL, "inode " + ino + ": not a symlink");
    }
    touchAtime(i);
    return i.target;
  }

  /** Changes permission bits (and setuid/setgid/sticky). */
  public synchronized void chmod(long ino, int mode) {
    checkWritable();
    Inode i = inode(ino);
    i.mode = (i.mode & Inode.S_IFMT) | (mode & 07777);
    i.ctimeNs = now();
    meta.markDirty(i);
  }

  /**
   * Changes owner and/or group; -1 leaves one unchanged. A file (not a directory) whose owner or
   * group is set loses setuid, and setgid if group-executable ({@link Inode#killPrivileges}).
   */
  public synchronized void chown(long ino, int uid, int gid) {
    checkWritable();
    Inode i = inode(ino);
    if (uid != -1) {
      i.uid = uid;
    }
    if (gid != -1) {
      i.gid = gid;
    }
    if (uid != -1 || gid != -1) {
      i.killPrivileges(false);
    }
    i.ctimeNs = now();
    meta.markDirty(i);
  }

  /** Sets access and modification times (nanoseconds, or UTIME_NOW / UTIME_OMIT). */
  public synchronized void utimens(long ino, long atimeNs, long mtimeNs) {
    checkWritable();
    Inode i = inode(ino);
    long t = now();
    if (atimeNs != UTIME_OMIT) {
      i.atimeNs = atimeNs == UTIME_NOW ? t : atimeNs;
    }
    if (mtimeNs != UTIME_OMIT) {
      i.mtimeNs = mtimeNs == UTIME_NOW ? t : mtimeNs;
    }
    i.ctimeNs = t;
    meta.markDirty(i);
  }

  /** Sets the size of file {@code ino}; a non-root caller drops setuid/setgid. */
  public synchronized void truncate(long ino, long size, Caller caller) {
    Inode i = inode(ino);
    setSize(i, size);
    dropPrivileges(i, caller);
  }

  /**
   * FUSE SETATTR: applies {@code a}'s changes in the order size, owner, mode, times (each as
   * the single-attribute call above would) and returns the new attributes. With {@code fh}
   * not 0 the size change goes through that open handle (ftruncate).
   */
  public synchronized Stat setattr(long ino, long fh, SetAttr a, Caller caller) {
    Inode i = fh != 0 ? handle(fh).inode : inode(ino);
    if (a.size() >= 0) {
      setSize(i, a.size());
      dropPrivileges(i, caller);
    }
    if (a.uid() != -1 || a.gid() != -1) {
      chown(i.ino, a.uid(), a.gid());
    }
    if (a.mode() != -1) {
      chmod(i.ino, a.mode());
    }
    if (a.atimeNs() != UTIME_OMIT || a.mtimeNs() != UTIME_OMIT) {
      utimens(i.ino, a.atimeNs(), a.mtimeNs());
    }
    return stat(i);
  }

  /** Sets the size of the file open as {@code fh}, as root. */
  public synchronized void ftruncate(long fh, long size) {
    ftruncate(fh, size, Caller.ROOT);
  }

  /** Sets the size of the file open as {@code fh}; a non-root caller drops setuid/setgid. */
  public synchronized void ftruncate(long fh, long size, Caller caller) {
    Inode i = handle(fh).inode;
    setSize(i, size);
    dropPrivileges(i, caller);
  }

  /**
   * Drops setuid/setgid after a data change by a caller without CAP_FSETID (taken to be any
   * non-root caller), as the VFS would; with FUSE_HANDLE_KILLPRIV_V2 the kernel leaves this to
   * the filesystem. Group membership is judged by the caller's primary group only.
   */
  private void dropPrivileges(Inode i, Caller caller) {
    if (i.hasPrivileges() && !caller.isRoot() && i.killPrivileges(caller.gid() != i.gid)) {
      i.ctimeNs = now();
      meta.markDirty(i);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Namespace
  // ------------------------------------------------------------------------------------------

  private Inode createNode(Parent p, int mode, long rdev, Caller c) {
    checkWritable();
    if (child(p) != null) {
      throw FsException.of(Errno.EEXIST, p.name + ": file exists");
    }
    int gid = c.gid();
    int m = mode;
    if ((p.dir.mode & Inode.S_ISGID) != 0) {
      gid = p.dir.gid;
      if ((m & Inode.S_IFMT) == Inode.S_IFDIR) {
        m |= Inode.S_ISGID;
      }
    }
    long t = now();
    Inode i = meta.create(m, c.uid(), gid, rdev, t);
    meta.addEntry(p.dir, p.name, i);
    if (i.isDir()) {
      p.dir.nlink++;
    }
    touchDir(p.dir, t);
    return i;
  }

  /**
   * Creates a regular file, fifo, socket or device node {@code name} in directory
   * {@code parentIno}; returns its attributes and takes one lookup reference (FUSE MKNOD).
   */
  public synchronized Stat mknod(long parentIno, String name, int mode, long rdev,
      Caller caller) {
    int type = mode & Inode.S_IFMT;
    if (type == 0) {
      type = Inode.S_IFREG;
    }
    if (type == Inode.S_IFDIR || type == Inode.S_IFLNK) {
      throw FsException.of(Errno.EINVAL, "mknod of a directory or symlink");
    }
    Inode i = createNode(parent(parentIno, name), type | (mode & 07777), rdev, caller);
    return stat(reference(i));
  }

  /** Creates directory {@code name}; returns its attributes and takes one lookup reference. */
  public synchronized Stat mkdir(long parentIno, String name, int mode, Caller caller) {
    Inode i = createNode(parent(parentIno, name), Inode.S_IFDIR | (mode & 07777), 0, caller);
    return stat(reference(i));
  }

  /**
   * Creates symlink {@code name} pointing to {@code target}; returns its attributes and takes
   * one lookup reference.
   */
  public synchronized Stat symlink(String target, long parentIno, String name, Caller caller) {
    if (target.length() >= PATH_MAX) {
      throw FsException.of(Errno.ENAMETOOLONG, "symlink target too long");
    }
    Inode i = createNode(parent(parentIno, name), Inode.S_IFLNK | 0777, 0, caller);
    meta.setTarget(i, target);
    i.size = target.length();
    meta.markDirty(i);
    return stat(reference(i));
  }

  /** Removes non-directory name {@code name} from directory {@code parentIno}. */
  public synchronized void unlink(long parentIno, String name) {
    checkWritable();
    Parent p = parent(parentIno, name);
    Inode i = child(p);
    if (i == null) {
      throw FsException.of(Errno.ENOENT, name + ": no such file");
    }
    if (i.isDir()) {
      throw FsException.of(Errno.EISDIR, name + ": is a directory");
    }
    long t = now();
    meta.removeEntry(p.dir, p.name);
    touchDir(p.dir, t);
    dropLink(i, t);
  }

  private void dropLink(Inode i, long t) {
    i.nlink--;
    i.ctimeNs = t;
    meta.markDirty(i);
    maybeFreeInode(i);
  }

  /** Removes empty directory {@code name} from directory {@code parentIno}. */
  public synchronized void rmdir(long parentIno, String name) {
    checkWritable();
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
    long t = now();
    meta.removeEntry(p.dir, p.name);
    p.dir.nlink--;
    touchDir(p.dir, t);
    removeDir(i);
  }

  /** Takes an emptied directory out of the tree; it is freed once no reference is left. */
  private void removeDir(Inode d) {
    d.nlink = 0;
    meta.markDirty(d);
    maybeFreeInode(d);
  }

  /**
   * Renames {@code name} in {@code parentIno} to {@code newName} in {@code newParentIno},
   * replacing the target under POSIX rules.
   */
  public synchronized void rename(long parentIno, String name, long newParentIno,
      String newName) {
    checkWritable();
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
      for (Inode a = dst.dir; ; a = meta.get(a.parent)) {
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
    long t = now();
    if (d != null) {
      meta.removeEntry(dst.dir, dst.name);
      if (d.isDir()) {
        dst.dir.nlink--;
        removeDir(d);
      } else {
        dropLink(d, t);
      }
    }
    meta.removeEntry(src.dir, src.name);
    meta.addEntry(dst.dir, dst.name, s);
    if (s.isDir() && src.dir != dst.dir) {
      src.dir.nlink--;
      dst.dir.nlink++;
    }
    touchDir(src.dir, t);
    touchDir(dst.dir, t);
    s.ctimeNs = t;
    meta.markDirty(s);
  }

  /**
   * Creates hard link {@code newName} in {@code newParentIno} to inode {@code ino}; returns its
   * attributes and takes one lookup reference.
   */
  public synchronized Stat link(long ino, long newParentIno, String newName) {
    checkWritable();
    Inode i = inode(ino);
    if (i.isDir()) {
      throw FsException.of(Errno.EPERM, "inode " + ino + ": hard link to a directory");
    }
    Parent p = parent(newParentIno, newName);
    if (child(p) != null) {
      throw FsException.of(Errno.EEXIST, newName + ": file exists");
    }
    if (i.nlink == 0) {
      throw FsException.of(Errno.ENOENT, "inode " + ino + ": has no name left");
    }
    long t = now();
    meta.addEntry(p.dir, p.name, i);
    i.nlink++;
    i.ctimeNs = t;
    meta.markDirty(i);
    touchDir(p.dir, t);
    return stat(reference(i));
  }

  /** Lists directory {@code ino}, including "." and "..". */
  public synchronized List<DirEntry> readdir(long ino) {
    Inode d = inode(ino);
    if (!d.isDir()) {
      throw FsException.of(Errno.ENOTDIR, "inode " + ino + ": not a directory");
    }
    List<DirEntry> out = new ArrayList<>(d.entries.size() + 2);
    out.add(new DirEntry(".", d.ino, d.mode));
    Inode parent = meta.get(d.parent);
    out.add(new DirEntry("..", parent == null ? d.ino : parent.ino, Inode.S_IFDIR));
    for (Map.Entry<String, Long> e : d.entries.entrySet()) {
      Inode c = meta.get(e.getValue());
      out.add(new DirEntry(e.getKey(), e.getValue(), c == null ? 0 : c.mode));
    }
    touchAtime(d);
    return out;
  }

  private void touchAtime(Inode i) {
    if (readOnly) {
      return;
    }
    long t = now();
    if (i.atimeNs <= i.mtimeNs || i.atimeNs <= i.ctimeNs
        || t - i.atimeNs > 24L * 3600 * 1_000_000_000L) {
      i.atimeNs = t;
      meta.markDirty(i);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Open files and data
  // ------------------------------------------------------------------------------------------

  private OpenFile newHandle(Inode i, int flags, Caller c) {
    OpenFile of = new OpenFile(nextFh++, i, flags, c);
    handles.put(of.fh, of);
    i.openCount++;
    return of;
  }

  private void dropHandle(OpenFile of) {
    handles.remove(of.fh);
    Inode i = of.inode;
    if (i.holders != null && i.holders.remove(of.fh) != null) {
      LOG.info("seal on inode {} released by handle {} ({} holders left)", i.ino, of.fh,
          i.holderCount());
    }
    i.openCount--;
    maybeFreeInode(i);
  }

  private long openHandle(Inode i, int flags, Caller c) {
    OpenFile of = newHandle(i, flags, c);
    if (i.isReg() && of.writable() && i.xattrs != null) {
      byte[] v = i.xattrs.get(SEAL_ON_OPEN);
      SealMode m = v == null ? null : SealMode.parse(new String(v, StandardCharsets.UTF_8).trim());
      if (m != null) {
        try {
          checkSealPermission(of, c);
          sealHandle(of, m, c);
        } catch (FsException e) {
          dropHandle(of);
          throw e;
        }
      }
    }
    return of.fh;
  }

  /** Opens inode {@code ino} with open(2) {@code flags}; returns the new file handle. */
  public synchronized long open(long ino, int flags, Caller caller) {
    Inode i = inode(ino);
    if (i.isDir() && (flags & OpenFile.O_ACCMODE) != OpenFile.O_RDONLY) {
      throw FsException.of(Errno.EISDIR, "inode " + ino + ": is a directory");
    }
    if ((flags & OpenFile.O_ACCMODE) != OpenFile.O_RDONLY) {
      checkWritable();
    }
    return openHandle(i, flags, caller);
  }

  /**
   * FUSE CREATE: creates regular file {@code name} in {@code parentIno} (or opens it, if it
   * exists and {@code flags} has no O_EXCL) and opens it; returns its attributes and the new
   * handle, and takes one lookup reference.
   */
  public synchronized Created create(long parentIno, String name, int mode, int flags,
      Caller caller) {
    Parent p = parent(parentIno, name);
    Inode i = child(p);
    long fh;
    if (i != null) {
      if ((flags & OpenFile.O_EXCL) != 0) {
        throw FsException.of(Errno.EEXIST, name + ": file exists");
      }
      fh = open(i.ino, flags, caller);
    } else {
      int type = mode & Inode.S_IFMT;
      i = createNode(p, (type == 0 ? Inode.S_IFREG : type) | (mode & 07777), 0, caller);
      fh = openHandle(i, flags, caller);
    }
    return new Created(stat(reference(i)), fh);
  }

  /** Reads into {@code dst} (position to limit) from byte {@code offset}; returns bytes read. */
  public synchronized int read(long fh, ByteBuffer dst, long offset) {
    OpenFile of = handle(fh);
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
    long pos = offset;
    long end = offset + len;
    while (pos < end) {
      long fb = pos / bs;
      Extent e = i.extents.ceiling(fb);
      if (e == null || e.fileBlock() > fb) {
        long holeEnd = e == null ? end : Math.min(end, e.fileBlock() * bs);
        zeroFill(dst, holeEnd - pos);
        pos = holeEnd;
        continue;
      }
      long to = Math.min(end, e.fileEnd() * bs);
      int n = (int) (to - pos);
      if (e.state() == ExtentState.UNWRITTEN) {
        zeroFill(dst, n);
      } else {
        ByteBuffer part = dst.slice(dst.position(), n);
        device.read(part, e.devBlockAt(fb) * (long) bs + pos % bs);
        dst.position(dst.position() + n);
      }
      pos = to;
    }
    touchAtime(i);
    return len;
  }

  /** Writes {@code src} (position to limit) at byte {@code offset} as root; returns bytes written. */
  public synchronized int write(long fh, ByteBuffer src, long offset) {
    return write(fh, src, offset, AS_ROOT);
  }

  /**
   * Writes {@code src} (position to limit) at byte {@code offset}; returns bytes written. The
   * caller is asked for only if the file has setuid/setgid bits, which a non-root writer drops.
   */
  public synchronized int write(long fh, ByteBuffer src, long offset, Supplier<Caller> caller) {
    OpenFile of = handle(fh);
    Inode i = of.inode;
    if (!of.writable()) {
      throw FsException.of(Errno.EBADF, "handle not open for writing");
    }
    if (!i.isReg()) {
      throw FsException.of(Errno.EINVAL, "not a regular file");
    }
    checkWritable();
    int len = src.remaining();
    if (len == 0) {
      return 0;
    }
    if (offset < 0) {
      throw FsException.of(Errno.EINVAL, "negative offset");
    }
    long end = offset + len;
    if (end > MAX_FILE_BYTES) {
      throw FsException.of(Errno.EFBIG, "file too large");
    }
    long fb0 = offset / bs;
    long fbEnd = (end + bs - 1) / bs;
    boolean extend = end > i.size;
    boolean mapped = allWritten(i, fb0, fbEnd - fb0);
    if (extend || !mapped) {
      breakLayout(i, extend ? "extending write" : "allocating write");
      if (!mapped) {
        makeWritten(i, fb0, fbEnd, offset, end);
      }
    }
    long pos = offset;
    while (pos < end) {
      long fb = pos / bs;
      Extent e = i.extents.find(fb);
      long to = Math.min(end, e.fileEnd() * bs);
      int n = (int) (to - pos);
      ByteBuffer part = src.slice(src.position(), n);
      device.write(part, e.devBlockAt(fb) * (long) bs + pos % bs);
      src.position(src.position() + n);
      pos = to;
    }
    writtenSinceForce = true;
    if (extend) {
      i.size = end;
      mapChanged(i);
    }
    long t = now();
    i.mtimeNs = t;
    i.ctimeNs = t;
    if (i.hasPrivileges()) {
      dropPrivileges(i, caller.get());
    }
    meta.markDirty(i);
    return len;
  }

  /** Drops file handle {@code fh} (and its seal, if it holds one). */
  public synchronized void release(long fh) {
    OpenFile of = handles.get(fh);
    if (of != null) {
      dropHandle(of);
    }
  }

  /** Makes the file's data (and, unless {@code dataOnly}, metadata) durable. */
  public synchronized void fsync(long fh, boolean dataOnly) {
    handle(fh);
    sync();
  }

  /** Makes directory {@code ino}'s entries durable. */
  public synchronized void fsyncdir(long ino) {
    inode(ino);
    sync();
  }

  private void sync() {
    if (readOnly) {
      return;
    }
    if (meta.hasPending()) {
      commit(true);
    } else if (writtenSinceForce) {
      device.force();
      writtenSinceForce = false;
      allocatedSinceForce = false;
    }
  }

  /** fallocate(2) with Linux {@code mode} bits, as root. */
  public synchronized void fallocate(long fh, int mode, long offset, long length) {
    fallocate(fh, mode, offset, length, Caller.ROOT);
  }

  /** fallocate(2) with Linux {@code mode} bits; a non-root caller drops setuid/setgid. */
  public synchronized void fallocate(long fh, int mode, long offset, long length,
      Caller caller) {
    OpenFile of = handle(fh);
    Inode i = of.inode;
    if (!i.isReg()) {
      throw FsException.of(i.isDir() ? Errno.EISDIR : Errno.ENODEV, "not a regular file");
    }
    breakLayout(i, "fallocate");
    checkWritable();
    if (!of.writable()) {
      throw FsException.of(Errno.EBADF, "handle not open for writing");
    }
    if (offset < 0 || length <= 0) {
      throw FsException.of(Errno.EINVAL, "bad range");
    }
    long end = offset + length;
    if (end > MAX_FILE_BYTES || end < 0) {
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
    long t = now();
    i.ctimeNs = t;
    i.mtimeNs = t;
    meta.markDirty(i);
    dropPrivileges(i, caller);
  }

  /**
   * Allocates device blocks for the holes in {@code [fileBlock, fileEnd)}, all or nothing
   * (ENOSPC), and returns the new extents in {@code state}, not yet mapped.
   */
  private List<Extent> allocateHoles(Inode i, long fileBlock, long fileEnd, ExtentState state) {
    List<long[]> holes = new ArrayList<>();
    long holeBlocks = 0;
    long fb = fileBlock;
    while (fb < fileEnd) {
      Extent e = i.extents.ceiling(fb);
      long to = e == null ? fileEnd : Math.min(fileEnd, e.fileBlock());
      if (to > fb) {
        holes.add(new long[] {fb, to});
        holeBlocks += to - fb;
      }
      if (e == null || e.fileBlock() >= fileEnd) {
        break;
      }
      fb = e.fileEnd();
    }
    List<Extent> fresh = new ArrayList<>();
    if (holeBlocks == 0) {
      return fresh;
    }
    long first = holes.get(0)[0];
    List<Allocator.Run> runs = allocateData(goalFor(i, first), holeBlocks,
        alignFor(i, first, holes.get(0)[1] - first), first);
    int r = 0;
    long used = 0;
    for (long[] h : holes) {
      long at = h[0];
      while (at < h[1]) {
        Allocator.Run run = runs.get(r);
        long n = Math.min(h[1] - at, run.blockCount() - used);
        fresh.add(new Extent(at, run.devBlock() + used, n, state));
        at += n;
        used += n;
        if (used == run.blockCount()) {
          r++;
          used = 0;
        }
      }
    }
    return fresh;
  }

  private void allocateUnwritten(Inode i, long fileBlock, long fileEnd) {
    List<Extent> fresh = allocateHoles(i, fileBlock, fileEnd, ExtentState.UNWRITTEN);
    for (Extent e : fresh) {
      meta.map(i, e);
    }
    if (!fresh.isEmpty()) {
      mapChanged(i);
    }
  }

  private void allocateRange(Inode i, long offset, long end, boolean keep) {
    allocateUnwritten(i, offset / bs, (end + bs - 1) / bs);
    if (!keep && end > i.size) {
      i.size = end;
      mapChanged(i);
    }
  }

  /** Zeroes on the device the bytes of {@code [from, to)} that lie in written extents. */
  private void zeroWrittenBytes(Inode i, long from, long to) {
    long pos = from;
    while (pos < to) {
      Extent e = i.extents.ceiling(pos / bs);
      if (e == null) {
        return;
      }
      long start = Math.max(pos, e.fileBlock() * bs);
      long stop = Math.min(to, e.fileEnd() * bs);
      if (start >= to) {
        return;
      }
      if (e.state() == ExtentState.WRITTEN) {
        zeroDevice(e.devBlockAt(start / bs) * (long) bs + start % bs, stop - start);
      }
      pos = stop;
    }
  }

  private void punch(Inode i, long offset, long end) {
    long first = (offset + bs - 1) / bs;
    long last = end / bs;
    if (first < last) {
      for (Extent e : meta.unmap(i, first, last - first)) {
        deferFree(e.devBlock(), e.blockCount());
      }
      mapChanged(i);
      zeroWrittenBytes(i, offset, Math.min(end, first * bs));
      zeroWrittenBytes(i, Math.max(offset, last * bs), end);
    } else {
      zeroWrittenBytes(i, offset, end);
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
        }
      }
      allocateUnwritten(i, first, last);
      mapChanged(i);
      zeroWrittenBytes(i, offset, Math.min(end, first * bs));
      zeroWrittenBytes(i, Math.max(offset, last * bs), end);
    } else {
      zeroWrittenBytes(i, offset, end);
    }
    long edgeFrom = offset / bs;
    long edgeTo = (end + bs - 1) / bs;
    allocateUnwritten(i, edgeFrom, edgeTo);
    if (!keep && end > i.size) {
      i.size = end;
      mapChanged(i);
    }
  }

  /** Returns filesystem counters. */
  public synchronized StatFs statfs() {
    long total = sb.dataBlocks() - sb.reserveBlocks();
    long free = Math.max(0, Math.min(total, availableBlocks() + pendingFreeBlocks));
    long inodesTotal = 1L << 32;
    return new StatFs(bs, total, free, inodesTotal, inodesTotal - meta.inodes.size(), NAME_MAX);
  }

  // ------------------------------------------------------------------------------------------
  // Extended attributes
  // ------------------------------------------------------------------------------------------

  /** Sets an extended attribute; {@code flags} are XATTR_CREATE=1 / XATTR_REPLACE=2. */
  public synchronized void setxattr(long ino, String name, byte[] value, int flags) {
    Inode i = inode(ino);
    if (!name.startsWith("user.")) {
      throw FsException.of(Errno.EOPNOTSUPP, name + ": only user.* attributes are supported");
    }
    if (VIRTUAL_XATTRS.contains(name)) {
      throw FsException.of(Errno.EPERM, name + " is read-only");
    }
    if (name.startsWith(SEALFS_XATTR_PREFIX)) {
      if (!name.equals(SEAL_ON_OPEN)) {
        throw FsException.of(Errno.EINVAL, name + ": unknown sealfs attribute");
      }
      if (!i.isReg() || SealMode.parse(new String(value, StandardCharsets.UTF_8).trim()) == null) {
        throw FsException.of(Errno.EINVAL, SEAL_ON_OPEN + " takes strict, prepare or asis");
      }
    }
    if (name.length() > 255) {
      throw FsException.of(Errno.ERANGE, "attribute name too long");
    }
    checkWritable();
    boolean exists = i.xattrs != null && i.xattrs.containsKey(name);
    if ((flags & 1) != 0 && exists) {
      throw FsException.of(Errno.EEXIST, name + " exists");
    }
    if ((flags & 2) != 0 && !exists) {
      throw FsException.of(Errno.ENODATA, name + " does not exist");
    }
    meta.setXattr(i, name, value.clone());
    i.ctimeNs = now();
    meta.markDirty(i);
  }

  /** Returns an extended attribute's value (including sealfs' virtual ones). */
  public synchronized byte[] getxattr(long ino, String name) {
    Inode i = inode(ino);
    if (VIRTUAL_XATTRS.contains(name)) {
      return virtualXattr(i, name).getBytes(StandardCharsets.UTF_8);
    }
    byte[] v = i.xattrs == null ? null : i.xattrs.get(name);
    if (v == null) {
      throw FsException.of(Errno.ENODATA, name + ": no such attribute");
    }
    return v;
  }

  /** Lists extended attribute names (virtual ones are not listed). */
  public synchronized List<String> listxattr(long ino) {
    Inode i = inode(ino);
    return i.xattrs == null ? List.of() : new ArrayList<>(i.xattrs.keySet());
  }

  /** Removes an extended attribute. */
  public synchronized void removexattr(long ino, String name) {
    Inode i = inode(ino);
    if (VIRTUAL_XATTRS.contains(name)) {
      throw FsException.of(Errno.EPERM, name + " is read-only");
    }
    if (!name.startsWith("user.")) {
      throw FsException.of(Errno.EOPNOTSUPP, name + ": only user.* attributes are supported");
    }
    checkWritable();
    if (i.xattrs == null || !i.xattrs.containsKey(name)) {
      throw FsException.of(Errno.ENODATA, name + ": no such attribute");
    }
    meta.removeXattr(i, name);
    i.ctimeNs = now();
    meta.markDirty(i);
  }

  private String virtualXattr(Inode i, String name) {
    StringBuilder sb2 = new StringBuilder();
    switch (name) {
      case "user.sealfs.layout" -> {
        if (i.isReg()) {
          for (Extent e : i.extents.extents()) {
            LayoutExtent le = toLayout(e);
            if (sb2.length() > 0) {
              sb2.append('\n');
            }
            sb2.append(le.logical()).append(' ').append(le.physical()).append(' ')
                .append(le.length()).append(' ').append(le.stateName());
          }
        }
      }
      case "user.sealfs.seal" -> sb2.append(i.isSealed()
          ? "sealed holders=" + i.holderCount() + " generation=" + i.generation : "unsealed");
      case "user.sealfs.holders" -> {
        if (i.holders != null) {
          for (OpenFile h : i.holders.values()) {
            if (sb2.length() > 0) {
              sb2.append('\n');
            }
            sb2.append("handle=").append(h.fh).append(" pid=").append(h.sealPid)
                .append(" uid=").append(h.sealUid).append(" mode=").append(h.sealMode.label())
                .append(" since=").append(Instant.ofEpochMilli(h.sealSinceMs));
          }
        }
      }
      default -> sb2.append("path=").append(device.path()).append(" block_size=").append(bs);
    }
    return sb2.toString();
  }

  // ------------------------------------------------------------------------------------------
  // Seals
  // ------------------------------------------------------------------------------------------

  private LayoutExtent toLayout(Extent e) {
    return new LayoutExtent(e.fileBlock() * bs, e.devBlock() * (long) bs,
        e.blockCount() * bs, e.state() == ExtentState.UNWRITTEN ? LayoutExtent.UNWRITTEN : 0);
  }

  private void checkSealPermission(OpenFile of, Caller c) {
    if (!c.isRoot() && c.uid() != of.inode.uid) {
      throw FsException.of(Errno.EACCES, "only the owner or root may seal");
    }
    if (!of.writable()) {
      throw FsException.of(Errno.EACCES, "sealing needs a handle open for writing");
    }
  }

  /** SEALFS_IOC_SEAL: makes {@code fh} a holder with the given flags (SPEC 4.1). */
  public synchronized SealResult seal(long fh, long flags, long offset, long length,
      long[] reserved, Caller caller) {
    OpenFile of = handle(fh);
    if ((flags & (SEAL_PREPARE | SEAL_ASIS)) == (SEAL_PREPARE | SEAL_ASIS)) {
      throw FsException.of(Errno.EINVAL, "prepare and asis together");
    }
    if ((flags & ~(SEAL_PREPARE | SEAL_ASIS)) != 0) {
      throw FsException.of(Errno.EOPNOTSUPP, "unknown seal flags 0x" + Long.toHexString(flags));
    }
    if (offset != 0 || length != 0) {
      throw FsException.of(Errno.EINVAL, "range seals are reserved: offset and length must be 0");
    }
    if (reserved != null) {
      for (long r : reserved) {
        if (r != 0) {
          throw FsException.of(Errno.EINVAL, "reserved fields must be 0");
        }
      }
    }
    if (!of.inode.isReg()) {
      throw FsException.of(Errno.EINVAL, "only regular files can be sealed");
    }
    checkSealPermission(of, caller);
    SealMode mode = flags == SEAL_PREPARE ? SealMode.PREPARE
        : flags == SEAL_ASIS ? SealMode.ASIS : SealMode.STRICT;
    return sealHandle(of, mode, caller);
  }

  private SealResult sealHandle(OpenFile of, SealMode mode, Caller c) {
    Inode i = of.inode;
    if (i.holders != null && i.holders.containsKey(of.fh)) {
      return new SealResult(i.generation, i.holderCount());
    }
    long blocks = (i.size + bs - 1) / bs;
    switch (mode) {
      case STRICT -> {
        if (!allWritten(i, 0, blocks)) {
          throw FsException.of(Errno.EPERM, "file has holes or unwritten extents");
        }
      }
      case PREPARE -> {
        if (!allWritten(i, 0, blocks)) {
          breakLayout(i, "seal prepare");
          checkWritable();
          makeWritten(i, 0, blocks, 0, 0);
        }
      }
      default -> {
        // asis: freeze as is
      }
    }
    if (i.holders == null) {
      i.holders = new LinkedHashMap<>();
    }
    of.sealMode = mode;
    of.sealPid = c.pid();
    of.sealUid = c.uid();
    of.sealSinceMs = System.currentTimeMillis();
    i.holders.put(of.fh, of);
    if (i.mapGroup > durableGroup) {
      commit(true);
    }
    LOG.info("inode {} sealed ({}) by handle {} pid {}: generation {}, {} holders", i.ino,
        mode.label(), of.fh, c.pid(), i.generation, i.holderCount());
    return new SealResult(i.generation, i.holderCount());
  }

  /** SEALFS_IOC_UNSEAL: drops {@code fh}'s hold, if it has one. */
  public synchronized void unseal(long fh) {
    OpenFile of = handle(fh);
    Inode i = of.inode;
    if (i.holders != null && i.holders.remove(fh) != null) {
      of.sealMode = null;
      LOG.info("inode {} unsealed by handle {} ({} holders left)", i.ino, fh, i.holderCount());
    }
  }

  /** SEALFS_IOC_STATUS for handle {@code fh}. */
  public synchronized SealStatus sealStatus(long fh) {
    OpenFile of = handle(fh);
    Inode i = of.inode;
    boolean mine = i.holders != null && i.holders.containsKey(fh);
    return new SealStatus(i.isSealed(), mine, i.holderCount(), i.generation,
        i.isReg() ? i.size : 0, bs);
  }

  /**
   * SEALFS_IOC_LAYOUT: one page of extents starting at logical byte {@code start}, an unsigned
   * u64 (a start of 2^63 or more lies past any file: no extents, LAST).
   */
  public synchronized LayoutPage layout(long fh, long start) {
    Inode i = handle(fh).inode;
    if (!i.isReg()) {
      throw FsException.of(Errno.EINVAL, "not a regular file");
    }
    List<LayoutExtent> out = new ArrayList<>();
    if (start < 0) {
      return new LayoutPage(i.generation, start, true, i.isSealed(), bs, i.size, out);
    }
    long fb = start / bs;
    Extent e = i.extents.ceiling(fb);
    long next = start;
    while (e != null && out.size() < LayoutPage.MAX_EXTENTS) {
      Extent part = e.fileBlock() < fb ? e.slice(fb, e.fileEnd()) : e;
      out.add(toLayout(part));
      next = part.fileEnd() * bs;
      e = i.extents.ceiling(part.fileEnd());
    }
    return new LayoutPage(i.generation, next, e == null, i.isSealed(), bs, i.size, out);
  }

  // ------------------------------------------------------------------------------------------
  // Commit, checkpoint, close
  // ------------------------------------------------------------------------------------------

  /** Commits the running group; with {@code durable}, forces the device after it. */
  private void commit(boolean durable) {
    if (readOnly || stuck != null) {
      return;
    }
    if (meta.hasPending()) {
      Metadata.Group g = meta.drainGroup();
      long bytes = Journal.groupBytes(g);
      if (!journal.fits(bytes)) {
        checkpointOrStick();
        return;
      }
      if (allocatedSinceForce) {
        device.force();
        allocatedSinceForce = false;
      }
      journal.append(g);
      groupNumber++;
      stats.committed();
      writtenSinceForce = true;
    }
    if (durable || pendingFreeBlocks > 0) {
      device.force();
      writtenSinceForce = false;
      allocatedSinceForce = false;
      durableGroup = groupNumber;
      releasePendingFrees();
    }
  }

  private void checkpointOrStick() {
    try {
      checkpoint();
    } catch (FsException e) {
      stuck = e;
      LOG.error("cannot checkpoint metadata, refusing further changes: {}", e.getMessage());
      throw new FsException(Errno.ENOSPC, "metadata full: " + e.getMessage());
    }
  }

  /** Writes the whole state as a new checkpoint and empties the journal. */
  private void checkpoint() {
    if (readOnly) {
      return;
    }
    long used = alloc.totalBlocks() - alloc.freeBlocks() - checkpointBlocks();
    byte[] blob = meta.snapshot(used);
    long n = Checkpoint.blocksFor(blob.length, bs);
    List<Allocator.Run> runs = alloc.allocateAll(sb.dataStart(), n);
    if (runs == null || runs.size() > Superblock.maxRuns(bs)) {
      if (runs != null) {
        for (Allocator.Run r : runs) {
          alloc.free(r.devBlock(), r.blockCount());
        }
      }
      throw FsException.of(Errno.ENOSPC, "no room for a metadata checkpoint of " + n + " blocks");
    }
    long newSeq = sb.seq() + 1;
    Checkpoint.write(device, bs, newSeq, blob, runs);
    device.force();
    long newJournalSeq = journal.nextSeq() + 1;
    Superblock next = sb.withCheckpoint(newJournalSeq, blob.length,
        Codec.crc32c(blob, 0, blob.length), runs);
    device.write(ByteBuffer.wrap(next.encode()), (next.seq() % 2) * (long) bs);
    device.force();
    for (Allocator.Run r : sb.checkpointRuns()) {
      alloc.free(r.devBlock(), r.blockCount());
    }
    sb = next;
    releasePendingFrees();
    meta.discardGroup();
    journal.reset(newJournalSeq);
    groupNumber++;
    durableGroup = groupNumber;
    writtenSinceForce = false;
    allocatedSinceForce = false;
    LOG.debug("checkpoint {}: {} bytes in {} blocks", next.seq(), blob.length, n);
  }

  private void commitLoop() {
    while (true) {
      try {
        Thread.sleep(COMMIT_INTERVAL_MS);
      } catch (InterruptedException e) {
        return;
      }
      // Ordered data without stalling every FUSE request behind the writeback: flush the data
      // of the blocks allocated so far outside the lock. commit() below still forces under the
      // lock (allocatedSinceForce stays set), but then only what was dirtied in between is left.
      boolean preflush;
      synchronized (this) {
        if (closed) {
          return;
        }
        preflush = allocatedSinceForce;
      }
      if (preflush) {
        try {
          device.force();
        } catch (FsException e) {
          LOG.debug("background pre-flush failed (closing?): {}", e.getMessage());
        }
      }
      synchronized (this) {
        if (closed) {
          return;
        }
        try {
          commit(false);
          if (journal.usedBytes() > journal.capacityBytes() / 2) {
            checkpoint();
          }
        } catch (Throwable t) {
          LOG.error("background commit failed: {}", t.toString());
        }
      }
    }
  }

  /** Opens a filesystem for fsck's repair pass (a normal writable open). */
  static SealFs openForRepair(Path devicePath) {
    return open(devicePath, false, true);
  }

  /**
   * fsck repair: drops entries naming missing inodes, links unreachable inodes into
   * /lost+found, and sets every link count to what the entries say.
   */
  synchronized void repairNames() {
    long t = now();
    Map<Long, Long> refs = new HashMap<>();
    for (Inode d : new ArrayList<>(meta.inodes.values())) {
      if (!d.isDir()) {
        continue;
      }
      for (Map.Entry<String, Long> e : new ArrayList<>(d.entries.entrySet())) {
        if (meta.get(e.getValue()) == null) {
          meta.removeEntry(d, e.getKey());
          touchDir(d, t);
        } else {
          refs.merge(e.getValue(), 1L, Long::sum);
        }
      }
    }
    List<Inode> lost = new ArrayList<>();
    for (Inode i : meta.inodes.values()) {
      if (i.ino != Metadata.ROOT_INO && refs.getOrDefault(i.ino, 0L) == 0 && i.nlink > 0) {
        lost.add(i);
      }
    }
    if (!lost.isEmpty()) {
      Parent lf = new Parent(root(), "lost+found");
      Inode dir = child(lf);
      if (dir == null) {
        dir = createNode(lf, Inode.S_IFDIR | 0700, 0, Caller.ROOT);
      }
      for (Inode i : lost) {
        meta.addEntry(dir, "#" + i.ino, i);
        touchDir(dir, t);
      }
    }
    Map<Long, Long> names = new HashMap<>();
    Map<Long, Long> subdirs = new HashMap<>();
    for (Inode d : meta.inodes.values()) {
      if (d.isDir()) {
        for (Long c : d.entries.values()) {
          names.merge(c, 1L, Long::sum);
          Inode ci = meta.get(c);
          if (ci != null && ci.isDir()) {
            subdirs.merge(d.ino, 1L, Long::sum);
          }
        }
      }
    }
    for (Inode i : meta.inodes.values()) {
      long want = i.isDir() ? 2 + subdirs.getOrDefault(i.ino, 0L) : names.getOrDefault(i.ino, 0L);
      if (i.nlink != want && (i.ino == Metadata.ROOT_INO || names.containsKey(i.ino))) {
        i.nlink = want;
        i.ctimeNs = t;
        meta.markDirty(i);
      }
    }
    meta.relinkParents();
  }

  /** Commits everything durably now (used by tests and the unmount path). */
  public synchronized void syncAll() {
    sync();
  }

  /** Simulates a daemon crash: closes the device without committing anything (tests). */
  synchronized void crashForTest() {
    closed = true;
    device.close();
    if (committer != null) {
      committer.interrupt();
    }
  }

  /** Commits, checkpoints and closes the device (unmount). Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      try {
        if (!readOnly && stuck == null) {
          commit(true);
          checkpoint();
        }
      } finally {
        closed = true;
        device.close();
      }
    }
    if (committer != null) {
      committer.interrupt();
    }
  }
}
