package dev.sealfs.core.seal;

import dev.sealfs.core.Caller;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.inode.Inode;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open file handles: the table of {@link OpenFile}s by handle number. A handle counts as an
 * open of its inode; a holder is a handle in the inode's holder set, so dropping the handle
 * drops its seal.
 *
 * <p>Thread-safe table; the inode's counters change under the inode's lock, held by callers.
 */
public final class Handles {
  private static final Logger LOG = LoggerFactory.getLogger(Handles.class);

  /** Open file handles by number. */
  private final Map<Long, OpenFile> open = new ConcurrentHashMap<>();
  /** The next handle number. */
  private final AtomicLong nextFh = new AtomicLong(1);

  /** Returns the handle {@code fh}; EBADF if there is none. */
  public OpenFile get(long fh) {
    OpenFile of = open.get(fh);
    if (of == null) {
      throw FsException.of(Errno.EBADF, "no open file handle " + fh);
    }
    return of;
  }

  /** Returns the handle {@code fh}, or null. */
  public OpenFile find(long fh) {
    return open.get(fh);
  }

  /** Opens a new handle on {@code i}. */
  public OpenFile add(Inode i, int flags, Caller c) {
    OpenFile of = new OpenFile(nextFh.getAndIncrement(), i, flags, c);
    open.put(of.fh, of);
    i.openCount++;
    return of;
  }

  /** Drops handle {@code of} and its seal; the caller then checks if the inode may go. */
  public void remove(OpenFile of) {
    open.remove(of.fh);
    Inode i = of.inode;
    if (i.holders != null && i.holders.remove(of.fh) != null) {
      LOG.info("seal on inode {} released by handle {} ({} holders left)", i.ino, of.fh,
          i.holderCount());
    }
    i.openCount--;
  }
}
