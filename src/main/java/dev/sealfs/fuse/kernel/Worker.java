package dev.sealfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One long-lived server thread: reads requests from its own /dev/fuse fd (a clone, except for
 * the first worker) into its own native buffers and answers each on that fd. The buffers are
 * allocated once: the receive buffer holds the largest WRITE, the reply buffer the largest READ,
 * so reading and writing file data allocates nothing per request. An io_uring ring entry
 * ({@link UringWorker}) uses a worker too, with its own request view and a reply sink; it never
 * calls {@link #serveOne} or {@link #run}.
 */
final class Worker implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

  /** Receive buffer: the largest WRITE (header, write_in, 1 MiB) with room to spare. */
  static final int IN_BUFFER_BYTES = Init.MAX_WRITE_BYTES + 4096;
  /** Reply buffer: the largest READ (header, 1 MiB) or a 64 KiB xattr, with room to spare. */
  static final int OUT_BUFFER_BYTES = Init.MAX_WRITE_BYTES + 4096;
  /** Bytes of the ioctl argument window (the largest sealfs ioctl, LAYOUT). */
  static final int IOCTL_WINDOW_BYTES = 4096;

  /** The fd this worker reads and replies on (a ring entry's: the session fd, for notices). */
  final int fd;
  /** The handlers. */
  private final Ops ops;
  /** The current request. */
  final Request request;
  /** The reply being built. */
  final Reply reply;
  /** Native memory this worker owns: receive buffer (0 if not its own), reply buffer. */
  private final long inAddress;
  private final long outAddress;
  /** The ioctl argument, a window of the reply buffer just past fuse_ioctl_out. */
  private final ByteBuffer ioctlData;

  /** Creates a worker on {@code fd}. */
  Worker(int fd, Ops ops) {
    this(fd, ops, null, null);
  }

  /**
   * Creates a worker whose requests arrive in {@code request} (a view of memory the caller owns;
   * null: its own receive buffer) and whose replies go to {@code sink} (null: write(2) on fd).
   */
  Worker(int fd, Ops ops, Request request, Reply.Sink sink) {
    this.fd = fd;
    this.ops = ops;
    MemoryIO mem = MemoryIO.getInstance();
    if (request == null) {
      inAddress = mem.allocateMemory(IN_BUFFER_BYTES, false);
      this.request = new Request(mem.newDirectByteBuffer(inAddress, IN_BUFFER_BYTES), inAddress);
    } else {
      inAddress = 0;
      this.request = request;
    }
    outAddress = mem.allocateMemory(OUT_BUFFER_BYTES, false);
    ByteBuffer out = mem.newDirectByteBuffer(outAddress, OUT_BUFFER_BYTES);
    reply = new Reply(out, outAddress, fd, sink);
    ioctlData = out.slice(Reply.at(FuseAbi.IOCTL_OUT_SIZE), IOCTL_WINDOW_BYTES)
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The ioctl argument window (index 0 = the argument's first byte). */
  ByteBuffer ioctlData() {
    return ioctlData;
  }

  /**
   * Reads and serves one request; returns false when the connection has ended (unmounted or
   * aborted) or cannot go on.
   */
  boolean serveOne() {
    long n = Libc.api().read(fd, inAddress, IN_BUFFER_BYTES);
    if (n < 0) {
      int e = Libc.errno();
      if (e == Libc.EINTR || e == Libc.EAGAIN || e == Libc.ENOENT) {
        return true; // interrupted, or the request was withdrawn before we took it
      }
      if (e != Libc.ENODEV && e != Libc.ECONNABORTED) {
        LOG.error("sealfs: reading /dev/fuse failed (errno {}); this worker stops", e);
      }
      return false;
    }
    if (!request.reset((int) n)) {
      LOG.error("sealfs: short or malformed request ({} bytes); this worker stops", n);
      return false;
    }
    ops.dispatch(this);
    return true;
  }

  /** Serves until the connection ends, then frees the buffers. */
  @Override
  public void run() {
    try {
      while (serveOne()) {
        // next request
      }
    } catch (Throwable t) {
      LOG.error("sealfs: FUSE worker {} failed", Thread.currentThread().getName(), t);
    } finally {
      free();
    }
  }

  /** Frees the native buffers (the worker must not be used afterwards). */
  void free() {
    MemoryIO mem = MemoryIO.getInstance();
    if (inAddress != 0) {
      mem.freeMemory(inAddress);
    }
    mem.freeMemory(outAddress);
  }
}
