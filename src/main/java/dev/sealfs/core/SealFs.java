package dev.sealfs.core;

import dev.sealfs.core.alloc.Allocator;
import dev.sealfs.core.attr.Attributes;
import dev.sealfs.core.attr.Xattrs;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.commit.Loader;
import dev.sealfs.core.data.Fallocate;
import dev.sealfs.core.data.FileData;
import dev.sealfs.core.data.Sealing;
import dev.sealfs.core.device.Device;
import dev.sealfs.core.device.DeviceIo;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.InodeLocks;
import dev.sealfs.core.inode.Metadata;
import dev.sealfs.core.journal.Superblock;
import dev.sealfs.core.ns.Lifetime;
import dev.sealfs.core.ns.Namespace;
import dev.sealfs.core.ns.Repair;
import dev.sealfs.core.seal.Handles;
import dev.sealfs.core.seal.LayoutGate;
import dev.sealfs.core.seal.OpenFile;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

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
 * <p>This class is a thin facade: it resolves inode numbers and handles, takes the locks
 * through {@link Ops} (package {@code dev.sealfs.core}, "Lock order") and calls the unit of
 * each floor, top to bottom: {@link Opening} (open, create, release); {@link Namespace},
 * {@link FileData}, {@link Fallocate}, {@link Sealing}, {@link Attributes}, {@link Xattrs}
 * (operations); {@link LayoutGate} (THE seal check every block-map and size change passes),
 * {@link Handles}, {@link Lifetime}; {@link Durability} (group commit, checkpoints, deferred
 * frees); {@link Metadata} (inodes and extent maps, redo records); the on-disk formats
 * ({@code journal}); the {@link Allocator}; the {@link Device}. {@link Units} builds and wires
 * them at mount. docs/design.md draws the floors.
 */
public final class SealFs implements AutoCloseable {
  /**
   * The root directory's inode number. FUSE node ids are inode numbers, unchanged: the FUSE root
   * node id (FUSE_ROOT_ID) is 1, and so is this.
   */
  public static final long ROOT_INO = Metadata.ROOT_INO;
  /** {@code utimens} value: set this time to now. */
  public static final long UTIME_NOW = Limits.UTIME_NOW;
  /** {@code utimens} value: leave this time unchanged. */
  public static final long UTIME_OMIT = Limits.UTIME_OMIT;
  /** The caller of the root-only convenience overloads. */
  private static final Supplier<Caller> AS_ROOT = () -> Caller.ROOT;
  /** Names are byte strings, one char per byte ({@link Limits#NAME_CHARSET}). */
  public static final Charset NAME_CHARSET = Limits.NAME_CHARSET;
  /** Longest symlink target in bytes. */
  static final int PATH_MAX = Limits.PATH_MAX;
  /** The persistent attribute that makes write-opens holders (SPEC 4.2). */
  public static final String SEAL_ON_OPEN = Xattrs.SEAL_ON_OPEN;
  /** fallocate: keep size. */
  static final int FALLOC_FL_KEEP_SIZE = Fallocate.FALLOC_FL_KEEP_SIZE;
  /** fallocate: punch hole. */
  static final int FALLOC_FL_PUNCH_HOLE = Fallocate.FALLOC_FL_PUNCH_HOLE;
  /** fallocate: zero range. */
  static final int FALLOC_FL_ZERO_RANGE = Fallocate.FALLOC_FL_ZERO_RANGE;
  /** SEALFS_SEAL_PREPARE. */
  public static final long SEAL_PREPARE = Sealing.SEAL_PREPARE;
  /** SEALFS_SEAL_ASIS. */
  public static final long SEAL_ASIS = Sealing.SEAL_ASIS;

  /** The units of this mount (built and started by {@link Units#mount}). */
  private final Units u;
  /** How an operation takes its locks. */
  private final Ops ops;

  /** Wraps the running units of a mount. */
  private SealFs(Units units) {
    this.u = units;
    this.ops = units.ops;
  }

  /**
   * Validates the filesystem on {@code device} without writing or locking it (the mount command
   * runs this before it starts a daemon, so a bad device is refused at once).
   */
  public static void check(Path devicePath) {
    check(devicePath, DeviceIo.BUFFERED);
  }

  /** {@link #check(Path)}, and that the device can be opened in I/O mode {@code io}. */
  public static void check(Path devicePath, DeviceIo io) {
    try (Device dev = Device.open(devicePath, true, io)) {
      Loader.Loaded l = Loader.buildAllocator(Loader.load(dev));
      dev.requireBlockSize(l.sb().blockSize());
    }
  }

  /** Opens (mounts) the filesystem on {@code device}, replaying its journal. */
  public static SealFs open(Path devicePath, boolean readOnly) {
    return open(devicePath, readOnly, DeviceIo.BUFFERED);
  }

  /** Opens (mounts) the filesystem on {@code device} with file data I/O mode {@code io}. */
  public static SealFs open(Path devicePath, boolean readOnly, DeviceIo io) {
    return new SealFs(Units.mount(devicePath, readOnly, false, io));
  }

  /** Opens a filesystem for fsck's repair pass (a normal writable open). */
  static SealFs openForRepair(Path devicePath) {
    return new SealFs(Units.mount(devicePath, false, true, DeviceIo.BUFFERED));
  }

  /** Returns the absolute path of the device. */
  public Path devicePath() {
    return u.device.path();
  }

  /** Returns the block size in bytes. */
  public int blockSize() {
    return u.bs;
  }

  /** Returns how many operations were refused with ETXTBSY since mount. */
  public long refusedCount() {
    return u.gate.refusedCount();
  }

  /** Reports refusals, journal commits and device forces to {@code hook} from now on. */
  public void setStats(CoreStats hook) {
    u.device.reportTo(hook);
    u.gate.reportTo(hook);
    u.dur.reportTo(hook);
  }

  /**
   * Returns the number of seal holders over all inodes: a scan without the inode locks, for
   * metrics (a gauge may be off by a seal changing meanwhile), never for a hot path.
   */
  public long sealHolderCount() {
    return u.meta.sealHolderCount();
  }

  // ------------------------------------------------------------------------------------------
  // Lookup and attributes (the locks: package-info.java, taken by Ops)
  // ------------------------------------------------------------------------------------------

  /** Returns the attributes of inode {@code ino}. */
  public Stat getattr(long ino) {
    return ops.onInode(ino, false, u.attrs::stat);
  }

  /**
   * Returns true if a read of the file open as {@code fh} would now update its atime (relatime
   * rules; never on a read-only mount): a binding that keeps the page cache across opens drops
   * it for such an open, so that the read reaches the core.
   */
  public boolean atimeDue(long fh) {
    return !u.dur.readOnly()
        && ops.onHandle(fh, false, of -> Metadata.atimeDue(of.inode, Limits.nowNs()));
  }

  /** Returns the attributes of the inode open as {@code fh}. */
  public Stat fgetattr(long fh) {
    return ops.onHandle(fh, false, of -> u.attrs.stat(of.inode));
  }

  /**
   * Returns the inode number {@code name} names in directory {@code dirIno}, or 0 if it names
   * nothing, without taking a lookup reference (for resolvers that address the inode for one
   * call only). ENOTDIR if {@code dirIno} is not a directory, ENAMETOOLONG for a long name.
   */
  public long find(long dirIno, String name) {
    return ops.readNames(() -> u.ns.find(dirIno, name));
  }

  /**
   * FUSE LOOKUP: returns the attributes of what {@code name} names in directory
   * {@code parentIno} and takes one kernel lookup reference on it (dropped by {@link #forget}).
   * ENOENT if the name is not there.
   */
  public Stat lookup(long parentIno, String name) {
    return ops.readNames(() -> referenced(u.ns.lookup(parentIno, name)));
  }

  /** Takes one kernel lookup reference on {@code i} and returns its attributes. */
  private Stat referenced(Inode i) {
    try (InodeLocks.Held h = u.locks.exclusive(i.ino)) {
      i.lookupCount++;
      return u.attrs.stat(i);
    }
  }

  /**
   * FUSE FORGET: drops {@code nlookup} kernel lookup references of inode {@code ino}; an inode
   * with no name, reference or open handle left is freed. Unknown inodes are ignored.
   */
  public void forget(long ino, long nlookup) {
    if (nlookup > 0) {
      ops.ifLive(ino, i -> u.life.forget(i, nlookup));
    }
  }

  /** Returns the target of symlink {@code ino} (and updates its atime, relatime). */
  public String readlink(long ino) {
    return ops.op(() -> u.ns.readlink(ino));
  }

  /** Changes permission bits (and setuid/setgid/sticky). */
  public void chmod(long ino, int mode) {
    u.dur.checkWritable();
    ops.runOnInode(ino, true, i -> u.attrs.chmod(i, mode));
  }

  /**
   * Changes owner and/or group; -1 leaves one unchanged. A file (not a directory) whose owner or
   * group is set loses setuid, and setgid if group-executable ({@link Inode#killPrivileges}).
   */
  public void chown(long ino, int uid, int gid) {
    u.dur.checkWritable();
    ops.runOnInode(ino, true, i -> u.attrs.chown(i, uid, gid));
  }

  /** Sets access and modification times (nanoseconds, or UTIME_NOW / UTIME_OMIT). */
  public void utimens(long ino, long atimeNs, long mtimeNs) {
    u.dur.checkWritable();
    ops.runOnInode(ino, true, i -> u.attrs.utimens(i, atimeNs, mtimeNs));
  }

  /** Sets the size of file {@code ino}; a non-root caller drops setuid/setgid. */
  public void truncate(long ino, long size, Caller caller) {
    ops.runOnInode(ino, true, i -> u.data.truncate(i, size, caller));
  }

  /**
   * FUSE SETATTR: applies {@code a}'s changes in the order size, owner, mode, times (each as
   * the single-attribute call above would) and returns the new attributes. With {@code fh}
   * not 0 the size change goes through that open handle (ftruncate).
   */
  public Stat setattr(long ino, long fh, SetAttr a, Caller caller) {
    return fh != 0 ? ops.onHandle(fh, true, of -> setattr(of.inode, a, caller))
        : ops.onInode(ino, true, i -> setattr(i, a, caller));
  }

  /** SETATTR of {@code i}, whose lock the caller holds exclusively. */
  private Stat setattr(Inode i, SetAttr a, Caller caller) {
    return u.attrs.setattr(i, a, size -> u.data.truncate(i, size, caller));
  }

  /** Sets the size of the file open as {@code fh}, as root. */
  public void ftruncate(long fh, long size) {
    ftruncate(fh, size, Caller.ROOT);
  }

  /** Sets the size of the file open as {@code fh}; a non-root caller drops setuid/setgid. */
  public void ftruncate(long fh, long size, Caller caller) {
    ops.runOnHandle(fh, true, of -> u.data.truncate(of.inode, size, caller));
  }

  /** Returns filesystem counters. */
  public StatFs statfs() {
    Superblock sb = u.dur.superblock();
    long total = sb.dataBlocks() - sb.reserveBlocks();
    long free = Math.max(0, Math.min(total, u.dur.availableBlocks() + u.dur.pendingFreeBlocks()));
    long inodesTotal = 1L << 32;
    return new StatFs(u.bs, total, free, inodesTotal, inodesTotal - u.meta.inodes.size(),
        Limits.NAME_MAX);
  }

  // ------------------------------------------------------------------------------------------
  // Namespace
  // ------------------------------------------------------------------------------------------

  /**
   * Creates a regular file, fifo, socket or device node {@code name} in directory
   * {@code parentIno}; returns its attributes and takes one lookup reference (FUSE MKNOD).
   */
  public Stat mknod(long parentIno, String name, int mode, long rdev, Caller caller) {
    return ops.changeNames(() -> referenced(u.ns.mknod(parentIno, name, mode, rdev, caller)));
  }

  /** Creates directory {@code name}; returns its attributes and takes one lookup reference. */
  public Stat mkdir(long parentIno, String name, int mode, Caller caller) {
    return ops.changeNames(() -> referenced(u.ns.mkdir(parentIno, name, mode, caller)));
  }

  /**
   * Creates symlink {@code name} pointing to {@code target}; returns its attributes and takes
   * one lookup reference.
   */
  public Stat symlink(String target, long parentIno, String name, Caller caller) {
    return ops.changeNames(() -> referenced(u.ns.symlink(target, parentIno, name, caller)));
  }

  /** Removes non-directory name {@code name} from directory {@code parentIno}. */
  public void unlink(long parentIno, String name) {
    ops.runChangeNames(() -> u.ns.unlink(parentIno, name));
  }

  /** Removes empty directory {@code name} from directory {@code parentIno}. */
  public void rmdir(long parentIno, String name) {
    ops.runChangeNames(() -> u.ns.rmdir(parentIno, name));
  }

  /**
   * Renames {@code name} in {@code parentIno} to {@code newName} in {@code newParentIno},
   * replacing the target under POSIX rules.
   */
  public void rename(long parentIno, String name, long newParentIno, String newName) {
    ops.runChangeNames(() -> u.ns.rename(parentIno, name, newParentIno, newName));
  }

  /**
   * Creates hard link {@code newName} in {@code newParentIno} to inode {@code ino}; returns its
   * attributes and takes one lookup reference.
   */
  public Stat link(long ino, long newParentIno, String newName) {
    return ops.changeNames(() -> referenced(u.ns.link(ino, newParentIno, newName)));
  }

  /** Lists directory {@code ino}, including "." and "..". */
  public List<DirEntry> readdir(long ino) {
    return ops.readNames(() -> u.ns.readdir(ino));
  }

  /** Makes directory {@code ino}'s entries durable. */
  public void fsyncdir(long ino) {
    u.ns.inode(ino);
    u.dur.sync();
  }

  // ------------------------------------------------------------------------------------------
  // Open files and data
  // ------------------------------------------------------------------------------------------

  /** Opens inode {@code ino} with open(2) {@code flags}; returns the new file handle. */
  public long open(long ino, int flags, Caller caller) {
    long fh = ops.onInode(ino, true, i -> u.opening.open(i, flags, caller));
    u.opening.commitSealOf(fh);
    return fh;
  }

  /**
   * FUSE CREATE: creates regular file {@code name} in {@code parentIno} (or opens it, if it
   * exists and {@code flags} has no O_EXCL) and opens it; returns its attributes and the new
   * handle, and takes one lookup reference.
   */
  public Created create(long parentIno, String name, int mode, int flags, Caller caller) {
    Created c = ops.changeNames(() -> u.opening.create(parentIno, name, mode, flags, caller));
    u.opening.commitSealOf(c.fh());
    return c;
  }

  /** Reads into {@code dst} (position to limit) from byte {@code offset}; returns bytes read. */
  public int read(long fh, ByteBuffer dst, long offset) {
    int n = ops.onHandle(fh, false, of -> u.data.read(of, dst, offset));
    OpenFile read = u.handles.find(fh);
    if (read != null && !u.dur.readOnly() && Metadata.atimeDue(read.inode, Limits.nowNs())) {
      ops.runOnHandle(fh, true, of -> u.meta.touchAtime(of.inode, u.dur.readOnly()));
    }
    return n;
  }

  /** Writes {@code src} (position to limit) at byte {@code offset} as root; returns bytes written. */
  public int write(long fh, ByteBuffer src, long offset) {
    return write(fh, src, offset, AS_ROOT);
  }

  /**
   * Writes {@code src} (position to limit) at byte {@code offset}; returns bytes written. The
   * caller is asked for only if the file has setuid/setgid bits, which a non-root writer drops.
   */
  public int write(long fh, ByteBuffer src, long offset, Supplier<Caller> caller) {
    int start = src.position();
    return ops.onHandle(fh, true, of -> {
      src.position(start);
      return u.data.write(of, src, offset, caller);
    });
  }

  /**
   * copy_file_range(2) from {@code fhIn} at {@code offIn} to {@code fhOut} at {@code offOut}:
   * shares whole blocks, copies the rest (SPEC 11); returns the bytes copied, maybe fewer than
   * {@code length} (the caller goes on). ETXTBSY with nothing copied into a sealed file. Both
   * inodes are locked exclusively, in stripe order ({@link Ops#onHandles}).
   */
  public long copyRange(long fhIn, long offIn, long fhOut, long offOut, long length,
      Supplier<Caller> caller) {
    return ops.onHandles(fhIn, fhOut,
        (in, out) -> u.copier.copy(in, offIn, out, offOut, length, caller));
  }

  /** Drops file handle {@code fh} (and its seal, if it holds one). */
  public void release(long fh) {
    ops.ifOpen(fh, u.opening::drop);
  }

  /** Makes the file's data (and, unless {@code dataOnly}, metadata) durable. */
  public void fsync(long fh, boolean dataOnly) {
    u.handles.get(fh);
    u.dur.sync();
  }

  /** fallocate(2) with Linux {@code mode} bits, as root. */
  public void fallocate(long fh, int mode, long offset, long length) {
    fallocate(fh, mode, offset, length, Caller.ROOT);
  }

  /** fallocate(2) with Linux {@code mode} bits; a non-root caller drops setuid/setgid. */
  public void fallocate(long fh, int mode, long offset, long length, Caller caller) {
    ops.runOnHandle(fh, true, of -> u.falloc.fallocate(of, mode, offset, length, caller));
  }

  // ------------------------------------------------------------------------------------------
  // Extended attributes
  // ------------------------------------------------------------------------------------------

  /** Sets an extended attribute; {@code flags} are XATTR_CREATE=1 / XATTR_REPLACE=2. */
  public void setxattr(long ino, String name, byte[] value, int flags) {
    ops.runOnInode(ino, true, i -> u.xattrs.set(i, name, value, flags));
  }

  /** Returns an extended attribute's value (including sealfs' virtual ones). */
  public byte[] getxattr(long ino, String name) {
    return ops.onInode(ino, false, i -> u.xattrs.get(i, name));
  }

  /** Lists extended attribute names (virtual ones are not listed). */
  public List<String> listxattr(long ino) {
    return ops.onInode(ino, false, u.xattrs::list);
  }

  /** Removes an extended attribute. */
  public void removexattr(long ino, String name) {
    ops.runOnInode(ino, true, i -> u.xattrs.remove(i, name));
  }

  // ------------------------------------------------------------------------------------------
  // Seals
  // ------------------------------------------------------------------------------------------

  /** SEALFS_IOC_SEAL: makes {@code fh} a holder with the given flags (SPEC 4.1). */
  public SealResult seal(long fh, long flags, long offset, long length, long[] reserved,
      Caller caller) {
    SealResult r = ops.onHandle(fh, true,
        of -> u.sealing.seal(of, flags, offset, length, reserved, caller));
    u.sealing.commitSeal(u.handles.find(fh));
    return r;
  }

  /** SEALFS_IOC_UNSEAL: drops {@code fh}'s hold, if it has one. */
  public void unseal(long fh) {
    ops.runOnHandle(fh, true, u.sealing::unseal);
  }

  /**
   * SEALFS_IOC_BREAK through {@code fh} (SPEC 12): flags 0 breaks the breakable seals and
   * returns when they are gone; {@code 1} (FORCE, root) revokes every seal now.
   */
  public void breakSeals(long fh, long flags, Caller caller) {
    ops.runOnHandle(fh, true, of -> u.sealing.breakSeals(of, flags, caller));
  }

  /** The state word of SEALFS_IOC_STATUS for {@code fh}: BREAKING 1, REVOKED 2 (SPEC 10). */
  public long sealStatusState(long fh) {
    return ops.onHandle(fh, false, u.sealing::statusState);
  }

  /** The break deadline (CLOCK_REALTIME ms) of {@code fh}'s inode, or 0 if no break runs. */
  public long breakDeadlineMs(long fh) {
    return ops.onHandle(fh, false, u.sealing::breakDeadlineMs);
  }

  /**
   * Applies the seal mount options: {@code seal_limit} in bytes (0 = none) and
   * {@code break_time} in seconds (SPEC 10, 12). Call before serving requests.
   */
  public void configureSeals(long sealLimitBytes, int breakTimeSeconds) {
    u.gate.configure(sealLimitBytes, breakTimeSeconds);
  }

  /** Sets who is told when a holder's seal begins to break (handle number; SPEC 10 POLLPRI). */
  public void onBreakBegun(LongConsumer listener) {
    u.gate.setBreakListener(of -> listener.accept(of.fh));
  }

  /**
   * Sets who is told (inode number, under the inode's lock: only queue work there) when a
   * revocation takes an inode's last seal (SPEC 10), which no UNSEAL or RELEASE reports.
   */
  public void onLastSealRevoked(LongConsumer listener) {
    u.gate.setLastRevokedListener(listener);
  }

  /**
   * Interrupts thread {@code t} if it is waiting for a break of breakable seals (the native
   * binding's FUSE INTERRUPT): its operation fails with EINTR. True if it was waiting.
   */
  public boolean interruptBreakWait(Thread t) {
    return u.gate.interrupt(t);
  }

  /** True if handle {@code fh} reports POLLPRI: its seal is breaking or was revoked (SPEC 10). */
  public boolean pollPri(long fh) {
    OpenFile of = u.handles.find(fh);
    return of != null && u.gate.pollPri(of);
  }

  /** Returns the number of quarantined blocks (SPEC 10; counted as used by statfs). */
  public long quarantinedBlocks() {
    return u.gate.quarantinedBlocks();
  }

  /** SEALFS_IOC_STATUS for handle {@code fh}. */
  public SealStatus sealStatus(long fh) {
    return ops.onHandle(fh, false, u.sealing::status);
  }

  /**
   * SEALFS_IOC_LAYOUT: one page of extents starting at logical byte {@code start}, an unsigned
   * u64 (a start of 2^63 or more lies past any file: no extents, LAST).
   */
  public LayoutPage layout(long fh, long start) {
    return ops.onHandle(fh, false, of -> u.sealing.layout(of, start));
  }

  // ------------------------------------------------------------------------------------------
  // Whole filesystem
  // ------------------------------------------------------------------------------------------

  /** fsck repair: see {@link Repair#repairNames}. */
  void repairNames() {
    ops.runChangeNames(() -> Repair.repairNames(u.meta, u.ns));
  }

  /** Commits everything durably now (used by tests and the unmount path). */
  public void syncAll() {
    u.dur.sync();
  }

  /** Runs one tick of the background committer now (the crash tests run without it). */
  public void commitTick() {
    u.dur.tick();
  }

  /** Checks block ownership with every operation stopped (tests; see {@link BlockOwnership}). */
  void verifyForTest() {
    ops.stopped(() -> BlockOwnership.verify(u.meta, u.alloc, u.dur));
  }

  /** Simulates a daemon crash: closes the device without committing anything (tests). */
  void crashForTest() {
    u.dur.crash();
  }

  /** Commits, checkpoints and closes the device (unmount). Idempotent. */
  @Override
  public void close() {
    u.gate.drainQuarantine();
    u.dur.close();
  }
}
