package dev.sealfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import dev.sealfs.core.SealFs;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native binding's side of breakable seals (SPEC 10): FUSE INTERRUPT of a request that
 * waits for a break, and POLL with FUSE_NOTIFY_POLL so that a holder's poll/select/epoll sees
 * POLLPRI when its seal begins to break.
 *
 * <p>Thread-safe: the request table and the poll handles are concurrent maps; notifications are
 * written to the session fd by whichever thread begins a break (under the core's lock).
 */
final class SealWaits {
  private static final Logger LOG = LoggerFactory.getLogger(SealWaits.class);

  /** FUSE_POLL opcode. */
  static final int POLL = 40;
  /** fuse_poll_in.flags: the kernel wants a NOTIFY_POLL when the events change. */
  static final int POLL_SCHEDULE_NOTIFY = 1;
  /** fuse_notify_code FUSE_NOTIFY_POLL. */
  static final int NOTIFY_POLL = 1;
  /** struct fuse_poll_in: fh, kh, flags, events (24 bytes). */
  static final int POLL_IN_FH = 0;
  static final int POLL_IN_KH = 8;
  static final int POLL_IN_FLAGS = 16;
  static final int POLL_IN_SIZE = 24;
  /** struct fuse_poll_out: revents, padding (8 bytes). */
  static final int POLL_OUT_SIZE = 8;
  /** poll(2) bits. */
  static final int POLLIN = 0x1;
  static final int POLLPRI = 0x2;
  static final int POLLOUT = 0x4;

  /** The core. */
  private final SealFs core;
  /** Threads serving requests now, by request unique id. */
  private final Map<Long, Thread> inFlight = new ConcurrentHashMap<>();
  /** Kernel poll handles waiting for a notification, by file handle. */
  private final Map<Long, Long> pollHandles = new ConcurrentHashMap<>();
  /** The fd notifications are written to (a worker's; all are one connection), or -1. */
  private volatile int notifyFd = -1;

  /** Creates the waits over {@code core} and asks it to report breaks. */
  SealWaits(SealFs core) {
    this.core = core;
    if (core != null) { // null only for wire tests without a filesystem
      core.onBreakBegun(this::wake);
    }
  }

  /** Records that {@code unique} is being served by the current thread on {@code fd}. */
  void begin(long unique, int fd) {
    notifyFd = fd;
    inFlight.put(unique, Thread.currentThread());
  }

  /** Records that request {@code unique} is done. */
  void end(long unique) {
    inFlight.remove(unique);
  }

  /** FUSE INTERRUPT of request {@code unique}: interrupts it if it waits for a break. */
  void interrupt(long unique) {
    Thread t = inFlight.get(unique);
    if (t != null && core != null && core.interruptBreakWait(t)) {
      LOG.info("request {} interrupted while waiting for a break", unique);
    }
  }

  /** FUSE POLL: the events of handle {@code fh}; remembers {@code kh} if asked to notify. */
  int poll(long fh, long kh, int flags) {
    if ((flags & POLL_SCHEDULE_NOTIFY) != 0) {
      pollHandles.put(fh, kh);
    }
    return POLLIN | POLLOUT | (core != null && core.pollPri(fh) ? POLLPRI : 0);
  }

  /** A break of handle {@code fh}'s seal began: sends NOTIFY_POLL for its poll handle. */
  private void wake(long fh) {
    Long kh = pollHandles.remove(fh);
    int fd = notifyFd;
    if (kh == null || fd < 0) {
      return;
    }
    int len = FuseAbi.OUT_HEADER_SIZE + 8;
    MemoryIO mem = MemoryIO.getInstance();
    long address = mem.allocateMemory(len, true);
    try {
      mem.putInt(address + FuseAbi.OUT_LEN, len);
      mem.putInt(address + FuseAbi.OUT_ERROR, NOTIFY_POLL);
      mem.putLong(address + FuseAbi.OUT_UNIQUE, 0);
      mem.putLong(address + FuseAbi.OUT_HEADER_SIZE, kh);
      long n = Libc.api().write(fd, address, len);
      if (n != len) {
        LOG.warn("sealfs: NOTIFY_POLL for handle {} not taken (errno {})", fh, Libc.errno());
      }
    } finally {
      mem.freeMemory(address);
    }
  }
}
