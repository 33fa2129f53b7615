package dev.sealfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Page-cache coherence with the direct path (SPEC 5) without dropping the cache at every open.
 *
 * <p>Only a sealed file's blocks can be written by a direct client, so: an open of a file that
 * is not sealed keeps the page cache (FOPEN_KEEP_CACHE); an open while it is sealed does not
 * (the kernel drops the file's cache then, as the jnr-fuse binding does at every open); and
 * when a file's last seal goes, its cached pages are invalidated with NOTIFY_INVAL_INODE. The
 * notification is sent from this class's own thread, never from a worker inside a request (the
 * kernel may need a worker to finish a READ before it can drop a page). Until it is sent the
 * inode is "pending" and opens of it do not keep the cache, so no open can see pages older
 * than the seal's end.
 */
final class CacheInvalidator implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(CacheInvalidator.class);

  /** Marker that ends the thread. */
  private static final long STOP = Long.MIN_VALUE;

  /** The fd notifications are written to. */
  private final int fd;
  /** Inodes whose invalidation is queued and not yet written. */
  private final Set<Long> pending = ConcurrentHashMap.newKeySet();
  /** The queue of inodes to invalidate. */
  private final LinkedBlockingQueue<Long> queue = new LinkedBlockingQueue<>();

  /** Creates the invalidator writing to {@code fd}. */
  CacheInvalidator(int fd) {
    this.fd = fd;
  }

  /** True if an open of {@code ino} may keep the page cache. */
  boolean mayKeepCache(long ino) {
    return !pending.contains(ino);
  }

  /** Queues the invalidation of all of {@code ino}'s cached pages. */
  void invalidate(long ino) {
    pending.add(ino);
    queue.add(ino);
  }

  /** Ends the thread after what is queued. */
  void stop() {
    queue.add(STOP);
  }

  /** Writes the queued notifications until {@link #stop}. */
  @Override
  public void run() {
    int size = FuseAbi.OUT_HEADER_SIZE + FuseAbi.NOTIFY_INVAL_INODE_OUT_SIZE;
    MemoryIO mem = MemoryIO.getInstance();
    long address = mem.allocateMemory(size, true);
    ByteBuffer b = mem.newDirectByteBuffer(address, size).order(ByteOrder.LITTLE_ENDIAN);
    try {
      while (true) {
        long ino = queue.take();
        if (ino == STOP) {
          return;
        }
        int o = FuseAbi.OUT_HEADER_SIZE;
        b.putInt(FuseAbi.OUT_LEN, size);
        b.putInt(FuseAbi.OUT_ERROR, FuseAbi.NOTIFY_INVAL_INODE);
        b.putLong(FuseAbi.OUT_UNIQUE, 0);
        b.putLong(o + FuseAbi.NOTIFY_INVAL_INODE_OUT_INO, ino);
        b.putLong(o + FuseAbi.NOTIFY_INVAL_INODE_OUT_OFF, 0);
        b.putLong(o + FuseAbi.NOTIFY_INVAL_INODE_OUT_LEN, 0); // 0 = to the end
        long n = Libc.api().write(fd, address, size);
        if (n != size) {
          int e = Libc.errno();
          if (e != Libc.ENOENT && e != Libc.ENODEV && e != Libc.EBADF) { // ENOENT: not cached
            LOG.warn("sealfs: NOTIFY_INVAL_INODE for inode {} failed (errno {})", ino, e);
          }
        }
        pending.remove(ino);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      mem.freeMemory(address);
    }
  }
}
