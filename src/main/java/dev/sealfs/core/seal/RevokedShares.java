package dev.sealfs.core.seal;

import dev.sealfs.core.FsException;
import dev.sealfs.core.commit.CommitAndRetry;
import dev.sealfs.core.inode.Extent;
import dev.sealfs.core.inode.ExtentState;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import dev.sealfs.core.inode.ShareCounts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The other files off a revoked layout's blocks (SPEC 10, 11; docs/sealing.md section 17): just
 * before a holder is revoked, every other file whose shared extents map a block of the holder's
 * file gets a copy of its own of that block, so from the revocation until the acknowledgement
 * the blocks of the revoked layout hold the data of no file but the holder's own.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>A revoked direct writer may go on writing the device at the offsets of its old layout.
 * The blocks the holder's file lets go of are quarantined ({@link Quarantine}), but a block it
 * shares with another file is not freed when it lets go (the other sharer keeps it) and would
 * not be seen there. So the revocation itself moves the other sharers: {@link #sharedRuns} finds
 * the device blocks of the holder's file that another shared extent maps too; {@link
 * #findSharers} finds, one file at a time under that file's own lock, the files mapping them;
 * the gate then takes all those locks at once, checks with {@link #covered} that the locked
 * files account for every reference (a file that began to share meanwhile sends it back to the
 * scan), and {@link #moveOff} gives each other sharer new blocks holding a copy (copy-on-write,
 * through the {@link Unsharer} that {@code CopyOnWrite} installs). The holder's file
 * keeps its blocks and its map (a shared extent whose count fell to 1 is turned written lazily,
 * as always), so the generation its other holders saw stays. Afterwards nothing can give those
 * blocks to another file: sharing from a file with revoked handles copies bytes
 * ({@link LayoutGate#mayShareFrom}), and what the file lets go of is quarantined.
 *
 * <p>The one exception: a sharer whose own seal covers the block cannot move (SPEC 2), and keeps
 * it; that is logged. Both files' holders then froze a shared block (ASIS), where SPEC 11 lets
 * no one write. A sharer that cannot get new blocks (ENOSPC) keeps it too, logged; the
 * revocation still happens at its deadline, as SPEC 10 says.
 *
 * <p>Locks: {@link #findSharers} holds one inode lock at a time and nothing else; the other
 * methods run with the holder's inode and every sharer locked exclusively.
 */
final class RevokedShares {
  private static final Logger LOG = LoggerFactory.getLogger(RevokedShares.class);

  /** Rounds of scan and lock after which the move goes on with the sharers it has locked. */
  static final int MAX_ROUNDS = 4;

  /** The metadata state machine (inodes, share counts). */
  private final Metadata meta;
  /** Block size in bytes. */
  private final int bs;

  /** Creates the unit over {@code meta}'s files of {@code blockSize}-byte blocks. */
  RevokedShares(Metadata meta, int blockSize) {
    this.meta = meta;
    this.bs = blockSize;
  }

  /**
   * Returns the device blocks of {@code holderFile}'s shared extents that more than one shared
   * extent maps, as disjoint {@code {devBlock, blockCount}} runs in device order. The caller
   * holds its lock.
   */
  List<long[]> sharedRuns(Inode holderFile) {
    TreeMap<Long, Long> runs = new TreeMap<>();
    if (holderFile.extents != null) {
      for (Extent e : holderFile.extents.extents()) {
        if (e.state() != ExtentState.SHARED) {
          continue;
        }
        for (long[] c : meta.shares.counts(e.devBlock(), e.blockCount())) {
          if (c[2] > 1) {
            addRun(runs, c[0], c[0] + c[1]);
          }
        }
      }
    }
    List<long[]> out = new ArrayList<>();
    for (Map.Entry<Long, Long> r : runs.entrySet()) {
      out.add(new long[] {r.getKey(), r.getValue() - r.getKey()});
    }
    return out;
  }

  /**
   * Returns the files other than {@code holderFile} whose shared extents map a block of
   * {@code runs}, each looked at under its own lock through {@code locker}; the caller holds no
   * lock.
   */
  List<Inode> findSharers(Inode holderFile, List<long[]> runs, Locker locker) {
    TreeMap<Long, Long> index = index(runs);
    List<Inode> out = new ArrayList<>();
    for (Inode i : meta.inodes.values()) {
      if (i == holderFile || !i.isReg()) {
        continue;
      }
      boolean[] hit = {false};
      locker.underLock(i, () -> hit[0] = !fileRanges(i, index).isEmpty());
      if (hit[0]) {
        out.add(i);
      }
    }
    return out;
  }

  /**
   * True if the live files among {@code holderFile} and {@code sharers} account for every
   * reference to every block of {@code runs}, so no sharer is missing from them. The caller
   * holds all their locks.
   */
  boolean covered(Inode holderFile, List<Inode> sharers, List<long[]> runs) {
    List<Inode> files = new ArrayList<>();
    files.add(holderFile);
    for (Inode s : sharers) {
      if (s != holderFile && meta.get(s.ino) == s) {
        files.add(s);
      }
    }
    ShareCounts seen = ShareCounts.derive(files);
    for (long[] r : runs) {
      if (!sameCounts(seen.counts(r[0], r[1]), meta.shares.counts(r[0], r[1]))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Gives each live file of {@code sharers} (not {@code holderFile}) blocks of its own for the
   * blocks of {@code runs} it maps, through {@code unsharer}, except where a seal of its own
   * covers them or no block is left (those stay shared, logged). A short allocation while frees
   * wait for their commit is thrown on when {@code mayRetry} (the caller's lock runner commits
   * and runs it again; what moved stays moved). The caller holds every lock. Returns the blocks
   * moved.
   */
  long moveOff(Inode holderFile, List<Inode> sharers, List<long[]> runs,
      Unsharer unsharer, boolean mayRetry) {
    TreeMap<Long, Long> index = index(runs);
    long moved = 0;
    for (Inode b : sharers) {
      if (b == holderFile || meta.get(b.ino) != b) {
        continue;
      }
      for (long[] r : unsealed(b, fileRanges(b, index), holderFile)) {
        try {
          unsharer.unshare(b, r[0], r[1]);
          moved += r[1] - r[0];
        } catch (CommitAndRetry e) {
          if (mayRetry) {
            throw e;
          }
          LOG.warn("inode {}: no blocks to move file blocks {}..{} off inode {}'s revoked layout",
              b.ino, r[0], r[1] - 1, holderFile.ino);
        } catch (FsException e) {
          LOG.warn("inode {}: cannot move file blocks {}..{} off inode {}'s revoked layout: {}",
              b.ino, r[0], r[1] - 1, holderFile.ino, e.getMessage());
        }
      }
    }
    if (moved > 0) {
      LOG.info("moved {} blocks of other files off inode {}'s layout before its revocation",
          moved, holderFile.ino);
    }
    return moved;
  }

  /**
   * Returns the parts of {@code ranges} ({@code {fileBlock, fileEnd}} of {@code i}) that no seal
   * of {@code i} covers (SPEC 2, 9: sealed blocks never move); the parts left out are logged.
   */
  private List<long[]> unsealed(Inode i, List<long[]> ranges, Inode holderFile) {
    List<long[]> out = new ArrayList<>(ranges);
    if (i.holders == null) {
      return out;
    }
    for (OpenFile h : i.holders.values()) {
      long first = h.sealRange.firstBlock(bs);
      long end = h.sealRange.endBlock(bs);
      List<long[]> left = new ArrayList<>();
      for (long[] r : out) {
        if (r[1] <= first || end <= r[0]) {
          left.add(r);
          continue;
        }
        LOG.warn("inode {}: file blocks {}..{} share blocks with a revoked holder of inode {} but"
            + " stay, as handle {} holds a seal on them: late writes there reach both files",
            i.ino, Math.max(r[0], first), Math.min(r[1], end) - 1, holderFile.ino, h.fh);
        if (r[0] < first) {
          left.add(new long[] {r[0], first});
        }
        if (end < r[1]) {
          left.add(new long[] {end, r[1]});
        }
      }
      out = left;
    }
    return out;
  }

  /**
   * Returns the {@code {fileBlock, fileEnd}} ranges of {@code i}'s shared extents whose device
   * blocks lie in {@code index} (runs by first block: end block), in file order.
   */
  private static List<long[]> fileRanges(Inode i, TreeMap<Long, Long> index) {
    List<long[]> out = new ArrayList<>();
    if (i.extents == null) {
      return out;
    }
    for (Extent e : i.extents.extents()) {
      if (e.state() != ExtentState.SHARED) {
        continue;
      }
      long devEnd = e.devBlock() + e.blockCount();
      Long from = index.floorKey(e.devBlock());
      for (Map.Entry<Long, Long> r : index.subMap(from == null ? e.devBlock() : from, true,
          devEnd, false).entrySet()) {
        long d0 = Math.max(r.getKey(), e.devBlock());
        long d1 = Math.min(r.getValue(), devEnd);
        if (d0 < d1) {
          long fb = e.fileBlock() + (d0 - e.devBlock());
          out.add(new long[] {fb, fb + (d1 - d0)});
        }
      }
    }
    return out;
  }

  /** Returns {@code runs} ({@code {devBlock, blockCount}}) as a map of first block to end. */
  private static TreeMap<Long, Long> index(List<long[]> runs) {
    TreeMap<Long, Long> m = new TreeMap<>();
    for (long[] r : runs) {
      addRun(m, r[0], r[0] + r[1]);
    }
    return m;
  }

  /** Adds {@code [from, to)} to {@code m}, merging it with the runs it touches. */
  private static void addRun(TreeMap<Long, Long> m, long from, long to) {
    Map.Entry<Long, Long> below = m.floorEntry(from);
    if (below != null && below.getValue() >= from) {
      from = below.getKey();
      to = Math.max(to, below.getValue());
    }
    for (Map.Entry<Long, Long> next = m.ceilingEntry(from); next != null
        && next.getKey() <= to; next = m.ceilingEntry(from)) {
      to = Math.max(to, next.getValue());
      m.remove(next.getKey());
    }
    m.put(from, to);
  }

  /**
   * True if two {@code {devBlock, blockCount, count}} piece lists over the same blocks give
   * every block the same count.
   */
  private static boolean sameCounts(List<long[]> a, List<long[]> b) {
    int i = 0;
    int j = 0;
    while (i < a.size() && j < b.size()) {
      long[] x = a.get(i);
      long[] y = b.get(j);
      if (x[2] != y[2]) {
        return false;
      }
      long xEnd = x[0] + x[1];
      long yEnd = y[0] + y[1];
      long stop = Math.min(xEnd, yEnd);
      if (xEnd == stop) {
        i++;
      }
      if (yEnd == stop) {
        j++;
      }
    }
    return i == a.size() && j == b.size();
  }
}
