package dev.sealfs.core;

import dev.sealfs.core.attr.Attributes;
import dev.sealfs.core.attr.Xattrs;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.data.Sealing;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.InodeLocks;
import dev.sealfs.core.ns.Lifetime;
import dev.sealfs.core.ns.Namespace;
import dev.sealfs.core.seal.Handles;
import dev.sealfs.core.seal.OpenFile;
import dev.sealfs.core.seal.SealMode;

/**
 * Opening and dropping file handles: the open(2) checks, seal-on-open (SPEC 4.2: a write-open
 * of a file with {@code user.sealfs.seal_on_open} makes the new handle a holder, or fails and
 * opens nothing), FUSE CREATE (create or open, then open, with one lookup reference), and the
 * drop that ends a handle's seal and may free an orphan. The caller holds the inode's lock
 * exclusively ({@link #create}: the namespace lock, under which it takes the inode's lock
 * itself) and, after releasing it, makes a fresh seal durable ({@link #commitSealOf}).
 */
final class Opening {
  /** The handle table. */
  private final Handles handles;
  /** The seal ioctls (seal-on-open seals through them). */
  private final Sealing sealing;
  /** Inode lifetimes. */
  private final Lifetime life;
  /** Writability, and the commit that makes a fresh seal durable. */
  private final Durability dur;
  /** Directories and names (CREATE). */
  private final Namespace ns;
  /** The inode locks (CREATE locks the inode it opens). */
  private final InodeLocks locks;
  /** Attributes (CREATE answers them). */
  private final Attributes attrs;

  /** Creates the unit. */
  Opening(Handles handles, Sealing sealing, Lifetime life, Durability dur, Namespace ns,
      InodeLocks locks, Attributes attrs) {
    this.handles = handles;
    this.sealing = sealing;
    this.life = life;
    this.dur = dur;
    this.ns = ns;
    this.locks = locks;
    this.attrs = attrs;
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

  /**
   * FUSE CREATE: creates regular file {@code name} in {@code parentIno} (or takes the one there
   * unless {@code flags} has O_EXCL) and opens it; returns its attributes and the new handle,
   * and takes one lookup reference. The caller holds the namespace lock exclusively.
   */
  Created create(long parentIno, String name, int mode, int flags, Caller caller) {
    Namespace.Parent p = ns.parent(parentIno, name);
    Inode i = ns.child(p);
    if (i != null && (flags & OpenFile.O_EXCL) != 0) {
      throw FsException.of(Errno.EEXIST, name + ": file exists");
    }
    if (i == null) {
      int type = mode & Inode.S_IFMT;
      i = ns.createNode(p, (type == 0 ? Inode.S_IFREG : type) | (mode & 07777), 0, caller);
    }
    try (InodeLocks.Held h = locks.exclusive(i.ino)) {
      long fh = open(i, flags, caller);
      i.lookupCount++;
      return new Created(attrs.stat(i), fh);
    }
  }

  /**
   * Makes the seal an open just took through {@code fh} (seal-on-open) durable, if its map
   * changed since (SPEC 4.1); called with no lock held.
   */
  void commitSealOf(long fh) {
    OpenFile of = handles.find(fh);
    if (of != null && of.sealMode != null && sealing.needsDurableCommit(of.inode)) {
      dur.commit(true);
    }
  }

  /** Drops handle {@code of} (and its seal); frees its inode if nothing else keeps it. */
  void drop(OpenFile of) {
    sealing.unseal(of); // gives back its seal_limit charge, acknowledges a revocation
    handles.remove(of);
    life.maybeFree(of.inode);
  }
}
