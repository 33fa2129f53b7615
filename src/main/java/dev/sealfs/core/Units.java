package dev.sealfs.core;

import dev.sealfs.core.alloc.Allocator;
import dev.sealfs.core.attr.Attributes;
import dev.sealfs.core.attr.Xattrs;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.commit.Loader;
import dev.sealfs.core.data.CopyOnWrite;
import dev.sealfs.core.data.CopyRange;
import dev.sealfs.core.data.ExtentIo;
import dev.sealfs.core.data.Fallocate;
import dev.sealfs.core.data.FileData;
import dev.sealfs.core.data.Placement;
import dev.sealfs.core.data.Sealing;
import dev.sealfs.core.device.Device;
import dev.sealfs.core.device.DeviceIo;
import dev.sealfs.core.inode.InodeLocks;
import dev.sealfs.core.inode.Metadata;
import dev.sealfs.core.journal.Superblock;
import dev.sealfs.core.ns.Lifetime;
import dev.sealfs.core.ns.Namespace;
import dev.sealfs.core.seal.Handles;
import dev.sealfs.core.seal.HolderViews;
import dev.sealfs.core.seal.LayoutGate;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The units of one mounted filesystem, wired floor by floor, and the mount that makes them.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>{@link #mount} opens and locks the device, loads it ({@link Loader}: superblock,
 * checkpoint, journal replay, free space and share counts derived from the maps), builds the
 * units from the bottom up, each given only the units below it (docs/design.md, "Layers and
 * floors"), frees the orphans a crash left, checkpoints a writable filesystem whose journal had
 * anything to replay (or whose format is older), and starts the background committer. If any
 * step fails the device is closed again and nothing runs. The lock runner ({@link Ops}) needs
 * the epoch lock before {@link Durability} exists and the units after, so it is bound last; the
 * gate's revocations at a deadline take the inode's lock through it. The facade ({@link SealFs})
 * holds one of these and calls the units' members; the fields are final and set once here.
 */
final class Units {
  /** The facade's logger: the mount's log lines keep the name they always had. */
  private static final Logger LOG = LoggerFactory.getLogger(SealFs.class);

  /** The inode locks. */
  final InodeLocks locks = new InodeLocks();
  /** How an operation takes its locks. */
  final Ops ops;
  /** The device. */
  final Device device;
  /** Free data blocks (the units allocate through {@link Placement}; kept for the checks). */
  final Allocator alloc;
  /** Block size in bytes. */
  final int bs;
  /** The metadata state machine. */
  final Metadata meta;
  /** Commit, checkpoint, deferred frees. */
  final Durability dur;
  /** The seal choke point. */
  final LayoutGate gate;
  /** Open file handles. */
  final Handles handles = new Handles();
  /** Inode lifetimes. */
  final Lifetime life;
  /** Directories and names. */
  final Namespace ns;
  /** Attributes. */
  final Attributes attrs;
  /** Extended attributes. */
  final Xattrs xattrs;
  /** File data. */
  final FileData data;
  /** fallocate modes. */
  final Fallocate falloc;
  /** copy_file_range: shares whole blocks, copies the rest (SPEC 11). */
  final CopyRange copier;
  /** The seal ioctls. */
  final Sealing sealing;
  /** Opening, creating and dropping handles. */
  final Opening opening;

  /** Builds the units over {@code device}, just loaded as {@code l}. */
  private Units(Device device, Loader.Loaded l, boolean readOnly) {
    this.device = device;
    this.bs = l.sb().blockSize();
    this.alloc = l.alloc();
    this.meta = l.meta();
    this.ops = new Ops(locks);
    this.dur = new Durability(device, l, readOnly, ops.epoch());
    this.gate = new LayoutGate(meta, dur, bs);
    this.life = new Lifetime(meta, dur);
    this.ns = new Namespace(meta, dur, life, locks);
    this.attrs = new Attributes(meta, dur, bs);
    HolderViews views = new HolderViews(device.path(), bs, gate);
    this.xattrs = new Xattrs(meta, dur, views);
    ExtentIo io = new ExtentIo(device, dur, bs);
    Placement place = new Placement(l.alloc(), dur, bs);
    CopyOnWrite cow = new CopyOnWrite(meta, gate, place, io, bs);
    this.data = new FileData(meta, gate, place, io, dur, cow, bs);
    this.falloc = new Fallocate(meta, gate, place, io, dur, data, cow, bs);
    this.copier = new CopyRange(meta, gate, data, dur, bs);
    this.sealing = new Sealing(gate, views, data, dur, cow, bs);
    this.opening = new Opening(handles, sealing, life, dur, ns, locks, attrs);
    ops.bind(meta, ns, handles, dur);
    gate.setLocker(ops.gateLocker());
  }

  /**
   * Opens, locks and loads the filesystem on {@code devicePath} (with {@code repair}, as fsck's
   * repair pass loads it), its file data in I/O mode {@code io}, and returns its running units;
   * closes the device if anything fails.
   */
  static Units mount(Path devicePath, boolean readOnly, boolean repair, DeviceIo io) {
    Device dev = Device.open(devicePath, readOnly, io);
    try {
      dev.lockExclusive(readOnly);
      Loader.Loaded l = Loader.buildAllocator(Loader.load(dev, repair));
      dev.requireBlockSize(l.sb().blockSize());
      Units u = new Units(dev, l, readOnly);
      int orphans = u.life.freeOrphansAtMount();
      if (!readOnly) {
        if (l.replay().groups() > 0 || l.replay().tailBytes() > 0 || orphans > 0
            || l.replay().damagedAt() >= 0 || l.sb().version() < Superblock.VERSION) {
          // an older format version becomes the current one here, before any change is logged
          u.dur.checkpoint();
        }
        u.dur.start();
      }
      LOG.info("opened {}: {} inodes, replayed {} groups ({} records), {} orphans freed",
          dev.path(), u.meta.inodes.size(), l.replay().groups(), l.replay().records(), orphans);
      return u;
    } catch (RuntimeException e) {
      try {
        dev.close();
      } catch (RuntimeException ignored) {
        // already failing
      }
      throw e;
    }
  }
}
