package dev.sealfs.core.data;

import dev.sealfs.core.Caller;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.core.SealResult;
import dev.sealfs.core.SealStatus;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.inode.Extent;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.seal.HolderViews;
import dev.sealfs.core.seal.LayoutGate;
import dev.sealfs.core.seal.MapChange;
import dev.sealfs.core.seal.OpenFile;
import dev.sealfs.core.seal.SealMode;
import dev.sealfs.core.seal.SealRange;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seal ioctls (SPEC 4.1): SEAL makes a handle a holder, UNSEAL and release drop it, STATUS
 * and LAYOUT report. The check that refuses changes of a sealed map is {@link LayoutGate}.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>SEAL checks the mode's precondition against the map (strict: no holes, unwritten or shared
 * extents, else EPERM; prepare: make the whole file written first, through the gate, unsharing
 * shared extents, so a second holder's prepare that would change a frozen map is ETXTBSY; asis:
 * none, shared extents stay shared and frozen, SPEC 11), adds the
 * handle to the inode's holder set (idempotent) and, if the map changed since the last durable
 * commit, reports that the seal must wait for that commit ({@link #needsDurableCommit}), so
 * that before SEAL returns the frozen map is on the device.
 *
 * <p>Locks: the caller holds the inode's lock exclusively (shared for STATUS and LAYOUT) and
 * makes the commit after releasing it ({@link #commitSeal}).
 */
public final class Sealing {
  private static final Logger LOG = LoggerFactory.getLogger(Sealing.class);

  /** SEALFS_SEAL_PREPARE. */
  public static final long SEAL_PREPARE = 1;
  /** SEALFS_SEAL_ASIS. */
  public static final long SEAL_ASIS = 2;
  /** SEALFS_SEAL_BREAKABLE (SPEC 10). */
  public static final long SEAL_BREAKABLE = 4;
  /** SEALFS_BREAK_FORCE (SPEC 12). */
  public static final long BREAK_FORCE = 1;
  /** struct sealfs_status.state: a break of the inode's seals is under way. */
  public static final long STATUS_BREAKING = 1;
  /** struct sealfs_status.state: this handle's seal was revoked. */
  public static final long STATUS_REVOKED = 2;

  /** The seal choke point. */
  private final LayoutGate gate;
  /** Seal-state views. */
  private final HolderViews views;
  /** The data unit (the prepare step). */
  private final FileData data;
  /** Group numbers and writability. */
  private final Durability dur;
  /** Copy-on-write of shared extents (strict settles, prepare unshares). */
  private final CopyOnWrite cow;
  /** Block size in bytes. */
  private final int bs;

  /** Creates the seal unit. */
  public Sealing(LayoutGate gate, HolderViews views, FileData data, Durability dur,
      CopyOnWrite cow, int blockSize) {
    this.gate = gate;
    this.cow = cow;
    this.views = views;
    this.data = data;
    this.dur = dur;
    this.bs = blockSize;
  }

  /** Checks that {@code c} may seal through {@code of}: owner or root, handle writable. */
  public void checkSealPermission(OpenFile of, Caller c) {
    if (!c.isRoot() && c.uid() != of.inode.uid) {
      throw FsException.of(Errno.EACCES, "only the owner or root may seal");
    }
    if (!of.writable()) {
      throw FsException.of(Errno.EACCES, "sealing needs a handle open for writing");
    }
  }

  /** SEALFS_IOC_SEAL: checks the request and makes {@code of} a holder (SPEC 4.1, 9, 10). */
  public SealResult seal(OpenFile of, long flags, long offset, long length, long[] reserved,
      Caller caller) {
    if ((flags & (SEAL_PREPARE | SEAL_ASIS)) == (SEAL_PREPARE | SEAL_ASIS)) {
      throw FsException.of(Errno.EINVAL, "prepare and asis together");
    }
    if ((flags & ~(SEAL_PREPARE | SEAL_ASIS | SEAL_BREAKABLE)) != 0) {
      throw FsException.of(Errno.EOPNOTSUPP, "unknown seal flags 0x" + Long.toHexString(flags));
    }
    if (reserved != null) {
      for (long r : reserved) {
        if (r != 0) {
          throw FsException.of(Errno.EINVAL, "reserved fields must be 0");
        }
      }
    }
    SealRange range = SealRange.of(offset, length);
    if (!of.inode.isReg()) {
      throw FsException.of(Errno.EINVAL, "only regular files can be sealed");
    }
    if (of.revoked) {
      throw FsException.of(Errno.ESTALE, "this handle's seal was revoked (UNSEAL acknowledges)");
    }
    checkSealPermission(of, caller);
    long modeBits = flags & (SEAL_PREPARE | SEAL_ASIS);
    SealMode mode = modeBits == SEAL_PREPARE ? SealMode.PREPARE
        : modeBits == SEAL_ASIS ? SealMode.ASIS : SealMode.STRICT;
    return sealHandle(of, mode, range, (flags & SEAL_BREAKABLE) != 0, caller);
  }

  /** Makes {@code of} a hard whole-file holder in {@code mode} (seal_on_open). */
  public SealResult sealHandle(OpenFile of, SealMode mode, Caller c) {
    return sealHandle(of, mode, SealRange.WHOLE, false, c);
  }

  /**
   * Makes {@code of} a holder of {@code range} in {@code mode}: the same seal again changes
   * nothing, a different one is EBUSY; the mode applies to the range's blocks only (SPEC 9).
   * The caller then commits if asked.
   */
  public SealResult sealHandle(OpenFile of, SealMode mode, SealRange range, boolean breakable,
      Caller c) {
    Inode i = of.inode;
    if (i.holders != null && i.holders.containsKey(of.fh)) {
      if (!of.sealRange.equals(range) || of.sealBreakable != breakable) {
        throw FsException.of(Errno.EBUSY, "handle already holds a different seal (UNSEAL first)");
      }
      return new SealResult(i.generation, i.holderCount());
    }
    long first = range.firstBlock(bs);
    long end = range.whole() ? (i.size + bs - 1) / bs : range.endBlock(bs);
    switch (mode) {
      case STRICT -> {
        if (range.pastEof(i.size)) {
          throw FsException.of(Errno.EPERM, "strict range seal reaches past EOF");
        }
        if (CopyOnWrite.hasShared(i, first, end) && i.holderCount() == 0) {
          // extents whose other sharers let go are this file's alone: written, in place
          gate.breakLayout(i, MapChange.unwrittenIn("seal strict", i, first, end));
          cow.settle(i, first, end);
        }
        if (!ExtentIo.allWritten(i, first, end - first)) {
          throw FsException.of(Errno.EPERM,
              "sealed range has holes, unwritten or shared extents");
        }
      }
      case PREPARE -> {
        if (!ExtentIo.allWritten(i, first, end - first)) {
          gate.breakLayout(i, MapChange.unwrittenIn("seal prepare", i, first, end));
          dur.checkWritable();
          data.makeWritten(i, first, end, 0, 0);
        }
      }
      default -> {
        // asis: freeze as is
      }
    }
    of.sealMode = mode;
    of.sealPid = c.pid();
    of.sealUid = c.uid();
    of.sealSinceMs = System.currentTimeMillis();
    of.sealRange = range;
    of.sealBreakable = breakable;
    gate.charge(of, range.chargedBytes(i.size));
    if (i.holders == null) {
      i.holders = new LinkedHashMap<>();
    }
    i.holders.put(of.fh, of);
    LOG.info("inode {} sealed ({}{}, range {}) by handle {} pid {}: generation {}, {} holders",
        i.ino, mode.label(), breakable ? ", breakable" : "", range.label(), of.fh, c.pid(),
        i.generation, i.holderCount());
    return new SealResult(i.generation, i.holderCount());
  }

  /** Returns true if {@code i}'s last map change is not durable yet (a seal must commit). */
  public boolean needsDurableCommit(Inode i) {
    return i.mapGroup > dur.durableGroup();
  }

  /**
   * Makes the seal just taken through {@code of} durable if its map changed since the last
   * durable commit (SPEC 4.1); called after the SEAL's locks are let go; nothing for null.
   */
  public void commitSeal(OpenFile of) {
    if (of != null && needsDurableCommit(of.inode)) {
      dur.commit(true);
    }
  }

  /** SEALFS_IOC_UNSEAL: drops {@code of}'s hold, if it has one, or acknowledges its revocation. */
  public void unseal(OpenFile of) {
    gate.letGo(of);
  }

  /** SEALFS_IOC_STATUS for handle {@code of}. */
  public SealStatus status(OpenFile of) {
    Inode i = of.inode;
    boolean mine = i.holders != null && i.holders.containsKey(of.fh);
    return new SealStatus(i.isSealed(), mine, i.holderCount(), i.generation,
        i.isReg() ? i.size : 0, bs);
  }

  /** The state word of struct sealfs_status for {@code of}: BREAKING 1, REVOKED 2 (SPEC 10). */
  public long statusState(OpenFile of) {
    return (gate.breakDeadlineMs(of.inode) != 0 ? STATUS_BREAKING : 0)
        | (of.revoked ? STATUS_REVOKED : 0);
  }

  /** The break deadline (CLOCK_REALTIME ms) of {@code of}'s inode, or 0 if no break runs. */
  public long breakDeadlineMs(OpenFile of) {
    return gate.breakDeadlineMs(of.inode);
  }

  /**
   * SEALFS_IOC_BREAK (SPEC 12) through {@code of} by {@code c}: flags 0 (owner or root) breaks
   * the breakable seals and waits until they are gone; FORCE (root) revokes every seal now.
   */
  public void breakSeals(OpenFile of, long flags, Caller c) {
    Inode i = of.inode;
    if ((flags & ~BREAK_FORCE) != 0) {
      throw FsException.of(Errno.EOPNOTSUPP, "unknown break flags 0x" + Long.toHexString(flags));
    }
    if (!i.isReg()) {
      throw FsException.of(Errno.EINVAL, "only regular files have seals");
    }
    if ((flags & BREAK_FORCE) != 0) {
      if (!c.isRoot()) {
        throw FsException.of(Errno.EPERM, "only root may force a break");
      }
      LayoutGate.BreakWaited forced = gate.forceBreak(i);
      if (forced != null) {
        throw forced; // revoked at once by the wait, outside this operation's locks
      }
      return;
    }
    if (!c.isRoot() && c.uid() != i.uid) {
      throw FsException.of(Errno.EACCES, "only the owner or root may break seals");
    }
    List<OpenFile> targets = gate.breakableHolders(i);
    if (!targets.isEmpty()) {
      throw gate.breakOf(i, targets);
    }
  }

  /**
   * SEALFS_IOC_LAYOUT: one page of extents starting at logical byte {@code start}, an unsigned
   * u64 (a start of 2^63 or more lies past any file: no extents, LAST).
   */
  public LayoutPage layout(OpenFile of, long start) {
    Inode i = of.inode;
    if (of.revoked) {
      throw FsException.of(Errno.ESTALE, "this handle's seal was revoked (UNSEAL acknowledges)");
    }
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
      out.add(views.toLayout(part));
      next = part.fileEnd() * bs;
      e = i.extents.ceiling(part.fileEnd());
    }
    return new LayoutPage(i.generation, next, e == null, i.isSealed(), bs, i.size, out);
  }
}
