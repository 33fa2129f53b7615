package dev.sealfs.core;

import dev.sealfs.core.alloc.Allocator;
import dev.sealfs.core.commit.Loader;
import dev.sealfs.core.device.Device;
import dev.sealfs.core.inode.Extent;
import dev.sealfs.core.inode.ExtentState;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import dev.sealfs.core.inode.ShareCounts;
import dev.sealfs.core.journal.Superblock;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code sealfs fsck [-n] DEVICE}: checks an unmounted filesystem, and repairs what is safe.
 *
 * <p>Checks: both superblock copies and the checkpoint (CRC32C, geometry), the journal (replayed
 * in memory; an uncommitted tail is normal after a crash), every inode's extents (inside the data
 * area, no block used twice unless only shared extents map it, SPEC 11, none shared with the
 * checkpoint), directory entries (no dangling
 * entry, every directory reachable once from the root), link counts, and orphans (inodes with no
 * name left, which the next mount frees). Free space is derived from the extent maps, so a leaked
 * block cannot exist on disk; the check of "no block used twice" is what keeps it consistent.
 *
 * <p>Exit codes as fsck(8): 0 clean, 1 errors fixed, 4 errors left uncorrected, 8 operational
 * error. {@code -n} never writes. Repair fixes link counts, dangling entries, unreachable inodes
 * (into /lost+found) and orphans; blocks used twice are reported and left. On a terminal (or
 * with {@code sealfs fsck --progress}, which fsck.sealfs's {@code -C} gives) a {@link Progress}
 * line goes to stderr while the checkpoint and journal are read and while inodes are checked.
 */
public final class Fsck {
  /** Exit code: clean. */
  public static final int CLEAN = 0;
  /** Exit code: errors were corrected. */
  public static final int FIXED = 1;
  /** Exit code: errors left uncorrected. */
  public static final int UNCORRECTED = 4;
  /** Exit code: operational error. */
  public static final int OPERATIONAL = 8;
  /** The owner of shared blocks in the "used twice" check (no inode number is negative). */
  private static final long SHARED_OWNER = -1;

  private Fsck() {}

  /** Runs the check, with progress lines when on a terminal; returns an fsck(8) exit code. */
  public static int run(Path device, boolean repair, PrintStream out, PrintStream err) {
    return run(device, repair, out, err, Progress.onTerminal());
  }

  /** Runs the check, with progress lines on {@code err} if {@code progress}; an fsck(8) code. */
  public static int run(Path device, boolean repair, PrintStream out, PrintStream err,
      boolean progress) {
    Path abs = device.toAbsolutePath().normalize();
    if (isMounted(abs)) {
      err.println("sealfs fsck: " + abs + " is mounted; unmount it first");
      return OPERATIONAL;
    }
    Loader.Loaded l;
    List<String> errors = new ArrayList<>();
    List<String> fixable = new ArrayList<>();
    int orphans;
    Progress meter = new Progress(err, "sealfs fsck", progress);
    try (Device dev = Device.open(abs, true)) {
      dev.lockExclusive(true);
      try {
        Superblock first = Loader.readSuperblock(dev);
        meter.startBytes("reading checkpoint and journal", first.checkpointBytes()
            + first.journalBlocks() * first.blockSize());
        dev.meterReads(meter::addBytes);
        l = Loader.load(dev, true);
      } catch (FsException e) {
        meter.done();
        err.println("sealfs fsck: " + e.getMessage());
        return e.errno() == Errno.EUCLEAN ? UNCORRECTED : OPERATIONAL;
      } finally {
        dev.meterReads(null);
      }
      meter.done();
      Superblock sb = l.sb();
      out.printf("sealfs fsck: %s: block size %d, %d blocks, %d inodes%n", abs, sb.blockSize(),
          sb.totalBlocks(), l.meta().inodes.size());
      out.printf("journal: %d committed groups (%d records) replayed, %d bytes of uncommitted"
          + " tail discarded%n", l.replay().groups(), l.replay().records(),
          l.replay().tailBytes());
      if (l.replay().damagedAt() >= 0) {
        fixable.add("journal record at offset " + l.replay().damagedAt() + " is corrupt and"
            + " committed changes follow it (repair discards them)");
      }
      checkBlocks(l, errors, meter, out);
      orphans = checkNames(l, fixable);
      meter.done();
    } catch (FsException e) {
      err.println("sealfs fsck: " + e.getMessage());
      return OPERATIONAL;
    }
    for (String e : errors) {
      out.println("error: " + e);
    }
    for (String e : fixable) {
      out.println((repair ? "fixing: " : "error: ") + e);
    }
    if (orphans > 0) {
      out.println(orphans + " orphan inode(s) (unlinked while open): "
          + (repair ? "freeing" : "the next mount frees them"));
    }
    if (!repair || (fixable.isEmpty() && orphans == 0)) {
      int problems = errors.size() + fixable.size();
      out.println(problems == 0 ? "clean" : problems + " problem(s) found");
      return problems == 0 ? CLEAN : UNCORRECTED;
    }
    if (!errors.isEmpty()) {
      out.println("blocks used twice cannot be repaired safely; nothing written");
      return UNCORRECTED;
    }
    try (SealFs fs = SealFs.openForRepair(abs)) {
      fs.repairNames();
    } catch (FsException e) {
      err.println("sealfs fsck: repair failed: " + e.getMessage());
      return UNCORRECTED;
    }
    out.println(fixable.isEmpty() ? "orphans freed; clean" : "repaired");
    return fixable.isEmpty() ? CLEAN : FIXED;
  }

  private static boolean isMounted(Path abs) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
        String[] f = line.split(" ");
        if (f.length > 2 && f[0].equals(abs.toString()) && f[2].startsWith("fuse")) {
          return true;
        }
      }
    } catch (Exception e) {
      return false;
    }
    return false;
  }

  private static void checkBlocks(Loader.Loaded l, List<String> errors, Progress progress,
      PrintStream out) {
    Superblock sb = l.sb();
    List<long[]> runs = new ArrayList<>();
    for (Allocator.Run r : sb.checkpointRuns()) {
      runs.add(new long[] {r.devBlock(), r.blockCount(), 0});
    }
    long seen = 0;
    long total = l.meta().inodes.size();
    for (Inode i : l.meta().inodes.values()) {
      progress.tick("inodes", ++seen, total);
      if (i.extents == null) {
        continue;
      }
      for (Extent e : i.extents.extents()) {
        if (e.devBlock() < sb.dataStart() || e.devEnd() > sb.dataStart() + sb.dataBlocks()) {
          errors.add("inode " + i.ino + ": extent at device block " + e.devBlock()
              + " lies outside the data area");
        }
        if (e.state() != ExtentState.SHARED) {
          runs.add(new long[] {e.devBlock(), e.blockCount(), i.ino});
        }
      }
    }
    // shared extents may map a block many times, each block once per shared extent (its count);
    // their union is one owner that no other extent or the checkpoint may overlap
    ShareCounts shares = ShareCounts.derive(l.meta().inodes.values());
    long sharedBlocks = 0;
    long references = 0;
    for (long[] r : shares.runs()) {
      runs.add(new long[] {r[0], r[1], SHARED_OWNER});
      sharedBlocks += r[1];
      references += r[1] * r[2];
    }
    if (sharedBlocks > 0) {
      out.printf("shared extents: %d blocks, %d references (%d blocks used more than once)%n",
          sharedBlocks, references, shares.sharedBlocks());
    }
    runs.sort((a, b) -> Long.compare(a[0], b[0]));
    long end = -1;
    long owner = -1;
    for (long[] r : runs) {
      if (r[0] < end) {
        errors.add("device block " + r[0] + " is used by " + who(owner) + " and " + who(r[2]));
      }
      if (r[0] + r[1] > end) {
        end = r[0] + r[1];
        owner = r[2];
      }
    }
  }

  private static String who(long ino) {
    return ino == 0 ? "the checkpoint" : ino == SHARED_OWNER ? "shared extents" : "inode " + ino;
  }

  /** Checks entries, reachability and link counts; returns the number of orphans. */
  static int checkNames(Loader.Loaded l, List<String> fixable) {
    Metadata m = l.meta();
    Map<Long, Long> refs = new HashMap<>();
    Map<Long, Long> subdirs = new HashMap<>();
    for (Inode d : m.inodes.values()) {
      if (!d.isDir()) {
        continue;
      }
      for (Map.Entry<String, Long> e : d.entries.entrySet()) {
        Inode c = m.get(e.getValue());
        if (c == null) {
          fixable.add("directory " + d.ino + ": entry '" + e.getKey() + "' names missing inode "
              + e.getValue());
          continue;
        }
        refs.merge(c.ino, 1L, Long::sum);
        if (c.isDir()) {
          subdirs.merge(d.ino, 1L, Long::sum);
        }
      }
    }
    int orphans = 0;
    for (Inode i : m.inodes.values()) {
      if (i.ino == Metadata.ROOT_INO) {
        continue;
      }
      long r = refs.getOrDefault(i.ino, 0L);
      if (r == 0) {
        if (i.nlink == 0) {
          orphans++;
        } else {
          fixable.add("inode " + i.ino + " (nlink " + i.nlink + ") is not in any directory");
        }
        continue;
      }
      if (i.isDir() && r > 1) {
        fixable.add("directory " + i.ino + " has " + r + " names");
      }
    }
    for (Inode i : m.inodes.values()) {
      long r = refs.getOrDefault(i.ino, 0L);
      if (r == 0 && i.ino != Metadata.ROOT_INO) {
        continue;
      }
      long want = i.isDir() ? 2 + subdirs.getOrDefault(i.ino, 0L) : r;
      if (i.nlink != want) {
        fixable.add("inode " + i.ino + ": link count " + i.nlink + ", should be " + want);
      }
    }
    return orphans;
  }
}
