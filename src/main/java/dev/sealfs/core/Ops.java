package dev.sealfs.core;

import dev.sealfs.core.commit.CommitAndRetry;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.InodeLocks;
import dev.sealfs.core.inode.Metadata;
import dev.sealfs.core.ns.Namespace;
import dev.sealfs.core.seal.Handles;
import dev.sealfs.core.seal.LayoutGate;
import dev.sealfs.core.seal.Locker;
import dev.sealfs.core.seal.OpenFile;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one facade operation takes its locks, in the order of package-info.java: the epoch lock
 * shared for the whole operation, then the namespace lock (exclusive for namespace changes,
 * shared for lookups and listings), then inode locks. Also the retry after a commit when an
 * allocation ran short while frees wait for their commit ({@link CommitAndRetry}),
 * and the retry after a wait for a break of breakable seals ({@link LayoutGate.BreakWaited},
 * SPEC 10), which waits with every lock let go. The {@code run...} forms are for bodies without
 * a result; {@link #ifLive} and {@link #ifOpen} let FORGET and RELEASE of something already gone
 * do nothing.
 */
final class Ops {
  private static final Logger LOG = LoggerFactory.getLogger(Ops.class);

  /** The epoch lock: every operation holds it shared; a commit's cut holds it exclusively. */
  private final EpochLock epoch = new EpochLock();
  /** The namespace lock: exclusive for namespace changes, shared for lookups and listings. */
  private final ReentrantReadWriteLock names = new ReentrantReadWriteLock();
  /** The inode locks. */
  private final InodeLocks locks;
  /** The metadata (to see whether an inode is still live once locked). */
  private Metadata meta;
  /** Inode numbers to inodes. */
  private Namespace ns;
  /** Handle numbers to handles. */
  private Handles handles;
  /** The commit a retry waits for. */
  private Durability dur;

  /** Creates the lock runner over {@code locks}; {@link #bind} completes it. */
  Ops(InodeLocks locks) {
    this.locks = locks;
  }

  /** Gives the runner the units it resolves with (they need the epoch lock to be built). */
  void bind(Metadata m, Namespace n, Handles h, Durability d) {
    this.meta = m;
    this.ns = n;
    this.handles = h;
    this.dur = d;
  }

  /** Returns the epoch lock (the commit takes it exclusively for a group's cut). */
  ReadWriteLock epoch() {
    return epoch;
  }

  /** Runs {@code body} with every operation stopped (the epoch lock exclusive). */
  void stopped(Runnable body) {
    epoch.writeLock().lock();
    try {
      body.run();
    } finally {
      epoch.writeLock().unlock();
    }
  }

  /**
   * Runs {@code body} as one operation: the epoch lock shared around it; if it ran short of
   * space while frees wait for their commit, commits (no lock held) and runs it once more.
   */
  <T> T op(Supplier<T> body) {
    for (int attempt = 0; ; attempt++) {
      LayoutGate.BreakWaited parked = null;
      epoch.readLock().lock();
      try {
        return body.get();
      } catch (CommitAndRetry e) {
        if (attempt > 0) {
          throw FsException.of(Errno.ENOSPC, "no space left on device");
        }
      } catch (LayoutGate.BreakWaited b) {
        parked = b;
      } finally {
        epoch.readLock().unlock();
      }
      if (parked != null) {
        if (epoch.getReadHoldCount() > 0) {
          throw parked; // an inner operation: the outermost one waits, holding nothing
        }
        parked.await(); // SPEC 10: no lock held; EINTR if interrupted
        attempt--;
        continue;
      }
      dur.commit(true);
    }
  }

  /** {@link #op} for a body without a result. */
  void run(Runnable body) {
    op(() -> {
      body.run();
      return null;
    });
  }

  /** Runs {@code body} as an operation that changes the namespace (namespace lock exclusive). */
  <T> T changeNames(Supplier<T> body) {
    return op(() -> {
      names.writeLock().lock();
      try {
        return body.get();
      } finally {
        names.writeLock().unlock();
      }
    });
  }

  /** {@link #changeNames} for a body without a result. */
  void runChangeNames(Runnable body) {
    changeNames(() -> {
      body.run();
      return null;
    });
  }

  /** Runs {@code body} as an operation that reads the namespace (namespace lock shared). */
  <T> T readNames(Supplier<T> body) {
    return op(() -> {
      names.readLock().lock();
      try {
        return body.get();
      } finally {
        names.readLock().unlock();
      }
    });
  }

  /** Runs {@code body} on live inode {@code ino} under its lock (ENOENT if it is gone). */
  <T> T onInode(long ino, boolean exclusive, Function<Inode, T> body) {
    return op(() -> {
      Inode i = ns.inode(ino);
      try (InodeLocks.Held h = exclusive ? locks.exclusive(ino) : locks.shared(ino)) {
        if (meta.get(ino) != i) {
          throw FsException.of(Errno.ENOENT, "inode " + ino + ": no such file or directory");
        }
        return body.apply(i);
      }
    });
  }

  /** {@link #onInode} for a body without a result. */
  void runOnInode(long ino, boolean exclusive, Consumer<Inode> body) {
    onInode(ino, exclusive, i -> {
      body.accept(i);
      return null;
    });
  }

  /**
   * Runs {@code body} on inode {@code ino} under its exclusive lock if the inode is live, and
   * does nothing if it is unknown or goes meanwhile (ENOENT).
   */
  void ifLive(long ino, Consumer<Inode> body) {
    if (meta.get(ino) == null) {
      return;
    }
    try {
      runOnInode(ino, true, body);
    } catch (FsException e) {
      if (e.errno() != Errno.ENOENT) {
        throw e;
      }
    }
  }

  /** Runs {@code body} on open handle {@code fh} under its inode's lock (EBADF if none). */
  <T> T onHandle(long fh, boolean exclusive, Function<OpenFile, T> body) {
    return op(() -> {
      OpenFile of = handles.get(fh);
      long ino = of.inode.ino;
      try (InodeLocks.Held h = exclusive ? locks.exclusive(ino) : locks.shared(ino)) {
        if (handles.find(fh) != of) {
          throw FsException.of(Errno.EBADF, "no open file handle " + fh);
        }
        return body.apply(of);
      }
    });
  }

  /** {@link #onHandle} for a body without a result. */
  void runOnHandle(long fh, boolean exclusive, Consumer<OpenFile> body) {
    onHandle(fh, exclusive, of -> {
      body.accept(of);
      return null;
    });
  }

  /**
   * Runs {@code body} on handle {@code fh} under its inode's exclusive lock if it is open, and
   * does nothing if it is not or is dropped meanwhile (EBADF).
   */
  void ifOpen(long fh, Consumer<OpenFile> body) {
    if (handles.find(fh) == null) {
      return;
    }
    try {
      runOnHandle(fh, true, body);
    } catch (FsException e) {
      if (e.errno() != Errno.EBADF) {
        throw e;
      }
    }
  }

  /**
   * The seal gate's locker ({@link LayoutGate#setLocker}): a revocation at a break's deadline
   * runs as an operation of its own, under one inode's lock or under several taken together in
   * stripe order (the gate moves other files off a revoked layout's shared blocks, SPEC 10). An
   * inode gone meanwhile is skipped.
   */
  Locker gateLocker() {
    return new Locker() {
      @Override
      public void underLock(Inode i, Runnable body) {
        try {
          onInode(i.ino, true, x -> {
            body.run();
            return null;
          });
        } catch (FsException gone) {
          LOG.debug("inode {} went before its break's deadline: {}", i.ino, gone.getMessage());
        }
      }

      @Override
      public void underLocks(List<Inode> inodes, Runnable body) {
        try {
          run(() -> {
            try (InodeLocks.Held h = locks.exclusive(inodes.toArray(new Inode[0]))) {
              body.run();
            }
          });
        } catch (FsException e) {
          LOG.warn("revocation under the locks of inodes {} failed: {}", inos(inodes),
              e.getMessage());
        }
      }
    };
  }

  /** Returns the inode numbers of {@code inodes}, for messages. */
  private static List<Long> inos(List<Inode> inodes) {
    List<Long> out = new ArrayList<>();
    for (Inode i : inodes) {
      out.add(i.ino);
    }
    return out;
  }

  /** Two handles for {@link #onHandles}. */
  interface TwoHandles<T> {
    /** Runs with both handles' inodes locked. */
    T apply(OpenFile first, OpenFile second);
  }

  /**
   * Runs {@code body} on open handles {@code fh1} and {@code fh2} under both inodes' locks,
   * exclusive, taken in stripe order (EBADF if either is gone).
   */
  <T> T onHandles(long fh1, long fh2, TwoHandles<T> body) {
    return op(() -> {
      OpenFile a = handles.get(fh1);
      OpenFile b = handles.get(fh2);
      try (InodeLocks.Held h = locks.exclusive(a.inode, b.inode)) {
        if (handles.find(fh1) != a || handles.find(fh2) != b) {
          throw FsException.of(Errno.EBADF, "no open file handle " + fh1 + " or " + fh2);
        }
        return body.apply(a, b);
      }
    });
  }
}
