package dev.sealfs.core;

import dev.sealfs.core.alloc.Allocator;
import dev.sealfs.core.commit.Loader;
import dev.sealfs.core.device.Device;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import dev.sealfs.core.journal.Checkpoint;
import dev.sealfs.core.journal.Codec;
import dev.sealfs.core.journal.Superblock;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Creates a filesystem: superblocks, an empty (zeroed) journal region and a first checkpoint
 * holding the root directory. Device layout:
 *
 * <pre>
 *   block 0      block 1      journal (size/64, 256 KiB..64 MiB)     data area
 *   +----------+----------+--------------------------------+--------------------------------+
 *   | sb copy  | sb copy  | redo records, reset by each    | file blocks + checkpoint blobs |
 *   | (even)   | (odd)    | checkpoint                     | (reserve held for checkpoints) |
 *   +----------+----------+--------------------------------+--------------------------------+
 * </pre>
 */
public final class Mkfs {
  /** Default size of a new image file. */
  public static final long DEFAULT_SIZE = 1L << 30;
  /** Default block size. */
  public static final int DEFAULT_BLOCK = 4096;
  /** Smallest device accepted. */
  static final long MIN_SIZE = 1L << 20;

  private Mkfs() {}

  /** Formats {@code device} (or only prints the geometry with {@code dryRun}); returns it. */
  public static String run(Path device, long sizeBytes, int blockSize, boolean force,
      boolean dryRun) {
    int bs = blockSize <= 0 ? DEFAULT_BLOCK : blockSize;
    if (bs < Superblock.MIN_BLOCK || bs > Superblock.MAX_BLOCK || Integer.bitCount(bs) != 1) {
      throw FsException.of(Errno.EINVAL,
          "invalid block size " + bs + ": must be a power of two from 1024 to 65536");
    }
    Path abs = device.toAbsolutePath().normalize();
    boolean exists = Files.exists(abs);
    boolean regular = !exists || Files.isRegularFile(abs);
    if (exists && Files.isDirectory(abs)) {
      throw FsException.of(Errno.EISDIR, abs + " is a directory");
    }
    long size;
    Device dev = null;
    try {
      if (exists) {
        dev = Device.open(abs, dryRun);
        long cur = dev.sizeBytes();
        if (!force && cur >= 2L * Superblock.MIN_BLOCK && holdsSealfs(dev)) {
          throw FsException.of(Errno.EEXIST,
              abs + " already holds a sealfs filesystem; use -f to overwrite it");
        }
        if (regular) {
          size = sizeBytes > 0 ? sizeBytes : (cur > 0 ? cur : DEFAULT_SIZE);
        } else {
          if (sizeBytes > cur) {
            throw FsException.of(Errno.EINVAL, "size " + sizeBytes + " is larger than " + abs);
          }
          size = sizeBytes > 0 ? sizeBytes : cur;
        }
      } else {
        size = sizeBytes > 0 ? sizeBytes : DEFAULT_SIZE;
      }
      if (size < MIN_SIZE) {
        throw FsException.of(Errno.EINVAL, "device too small: " + size
            + " bytes (at least 1 MiB)");
      }
      long total = size / bs;
      long jBytes = Math.min(64L << 20, Math.max(256L << 10, size / 64));
      long jBlocks = (jBytes + bs - 1) / bs;
      long dataStart = 2 + jBlocks;
      long dataBlocks = total - dataStart;
      if (dataBlocks < 64) {
        throw FsException.of(Errno.EINVAL, "device too small for block size " + bs);
      }
      long reserve = Math.max(16, Math.min(65536, dataBlocks / 64));
      UUID uuid = UUID.randomUUID();
      String geometry = describe(abs, bs, total, jBlocks, dataStart, dataBlocks, reserve, uuid);
      if (dryRun) {
        return geometry;
      }
      if (!exists) {
        dev = Device.open(createFile(abs), false);
      }
      dev.lockExclusive(false);
      if (regular && (sizeBytes > 0 || dev.sizeBytes() == 0)) {
        dev.setLength(size);
      }
      zero(dev, 0, dataStart * bs);
      Metadata m = new Metadata();
      Inode root = new Inode(Metadata.ROOT_INO, Inode.S_IFDIR | 0755);
      long now = System.currentTimeMillis() * 1_000_000L;
      root.nlink = 2;
      root.uid = ProcessIds.uid();
      root.gid = ProcessIds.gid();
      root.atimeNs = root.mtimeNs = root.ctimeNs = now;
      root.parent = Metadata.ROOT_INO;
      m.inodes.put(root.ino, root);
      byte[] blob = m.snapshot(0);
      long n = Checkpoint.blocksFor(blob.length, bs);
      List<Allocator.Run> runs = List.of(new Allocator.Run(dataStart, n));
      Checkpoint.write(dev, bs, 1, blob, runs);
      long journalSeq = (new SecureRandom().nextLong() >>> 2) + 1;
      Superblock sb = new Superblock(bs, total, 2, jBlocks, dataStart, dataBlocks, uuid, 1,
          journalSeq, blob.length, Codec.crc32c(blob, 0, blob.length), runs, now, reserve,
          Superblock.VERSION);
      byte[] enc = sb.encode();
      dev.write(ByteBuffer.wrap(enc), bs);
      dev.write(ByteBuffer.wrap(enc), 0);
      dev.force();
      return geometry;
    } finally {
      if (dev != null) {
        dev.close();
      }
    }
  }

  /** Writes zeros over {@code [from, to)}: superblocks and the journal of any earlier fs. */
  private static void zero(Device dev, long from, long to) {
    ByteBuffer z = ByteBuffer.allocateDirect(1 << 20);
    Progress meter = new Progress(System.err, "sealfs mkfs", Progress.onTerminal());
    meter.startBytes("zeroing the journal", to - from);
    for (long pos = from; pos < to; pos += z.capacity()) {
      dev.write(z.clear().limit((int) Math.min(z.capacity(), to - pos)), pos);
      meter.addBytes(Math.min(z.capacity(), to - pos));
    }
    meter.done();
  }

  private static Path createFile(Path abs) {
    try {
      Path parent = abs.getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        throw FsException.of(Errno.ENOENT, parent + ": no such directory");
      }
      // 0600: the image holds every file's data around their permissions (docs/direct-path.md).
      return Files.createFile(abs, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rw-------")));
    } catch (java.io.IOException e) {
      throw new FsException(Errno.EIO, abs + ": cannot create: " + e.getMessage(), e);
    }
  }

  private static boolean holdsSealfs(Device dev) {
    try {
      Loader.readSuperblock(dev);
      return true;
    } catch (FsException e) {
      return e.errno() == Errno.EUCLEAN;
    }
  }

  private static String human(long bytes) {
    if (bytes >= 1L << 30) {
      return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
    return String.format(Locale.ROOT, "%.2f MiB", bytes / (double) (1L << 20));
  }

  private static String describe(Path dev, int bs, long total, long jBlocks, long dataStart,
      long dataBlocks, long reserve, UUID uuid) {
    return String.format(Locale.ROOT,
        "meta-data=%s bsize=%d blocks=%d (%s)%n"
            + "         =uuid %s, format version %d, crc32c on all metadata%n"
            + "journal  =internal start=2 blocks=%d (%s)%n"
            + "data     =start=%d blocks=%d (%s), reserved for metadata=%d blocks%n",
        dev, bs, total, human(total * bs), uuid, Superblock.VERSION, jBlocks,
        human(jBlocks * bs), dataStart, dataBlocks, human(dataBlocks * bs), reserve);
  }
}
