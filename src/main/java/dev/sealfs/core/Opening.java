package dev.sealfs.core;

import dev.sealfs.core.attr.Xattrs;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.data.Sealing;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.ns.Lifetime;
import dev.sealfs.core.seal.Handles;
import dev.sealfs.core.seal.OpenFile;
import dev.sealfs.core.seal.SealMode;

/**
 * Opening and dropping file handles: the open(2) checks, seal-on-open (SPEC 4.2: a write-open
 * of a file with {@code user.sealfs.seal_on_open} makes the new handle a holder, or fails and
 * opens nothing), and the drop that ends a handle's seal and may free an orphan. The caller
 * holds the inode's lock exclusively and, after releasing it, makes a fresh seal durable.
 */
final class Opening {
  /** The handle table. */
  private final Handles handles;
  /** The seal ioctls (seal-on-open seals through them). */
  private final Sealing sealing;
  /** Inode lifetimes. */
  private final Lifetime life;
  /** Writability. */
  private final Durability dur;

  /** Creates the unit. */
  Opening(Handles handles, Sealing sealing, Lifetime life, Durability dur) {
    this.handles = handles;
    this.sealing = sealing;
    this.life = life;
    this.dur = dur;
  }

  /** Opens {@code i} with open(2) {@code flags}; returns the new handle number. */
  long open(Inode i, int flags, Caller caller) {
    if (i.isDir() && (flags & OpenFile.O_ACCMODE) != OpenFile.O_RDONLY) {
      throw FsException.of(Errno.EISDIR, "inode " + i.ino + ": is a directory");
    }
    if ((flags & OpenFile.O_ACCMODE) != OpenFile.O_RDONLY) {
      dur.checkWritable();
    }
    OpenFile of = handles.add(i, flags, caller);
    if (i.isReg() && of.writable() && i.xattrs != null) {
      SealMode m = Xattrs.sealOnOpen(i);
      if (m != null) {
        try {
          sealing.checkSealPermission(of, caller);
          sealing.sealHandle(of, m, caller);
        } catch (RuntimeException e) {
          drop(of);
          throw e;
        }
      }
    }
    return of.fh;
  }

  /** Drops handle {@code of} (and its seal); frees its inode if nothing else keeps it. */
  void drop(OpenFile of) {
    sealing.unseal(of); // gives back its seal_limit charge, acknowledges a revocation
    handles.remove(of);
    life.maybeFree(of.inode);
  }
}
