package dev.sealfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One FUSE-over-io_uring ring entry with its own io_uring instance and long-lived thread: it
 * registers its buffers with the kernel for queue {@link #qid} (FUSE_IO_URING_CMD_REGISTER),
 * then serves one request per completion and answers it with FUSE_IO_URING_CMD_COMMIT_AND_FETCH,
 * which also asks for the next one: one io_uring_enter(2) per request, no read(2) or write(2).
 *
 * <h2>Theory of operation</h2>
 *
 * <pre>
 *   native block (page-aligned): page 0 = fuse_uring_req_header (288), iovec[2], ...,
 *                  its last 256 bytes the prefix; then the payload (1 MiB + 4 KiB) from page 1
 *   iov[0] = the header: in_out (fuse_in_header / fuse_out_header), op_in (the op struct),
 *            ring_ent_in_out (commit_id, payload_sz)
 *   iov[1] = the payload: the request's further arguments (names, WRITE data) and, on commit,
 *            the reply body
 *   a request:  in_header.len = 40 + op struct + payload_sz, so the op struct is
 *               len - 40 - payload_sz bytes; header and op struct are copied into the prefix just
 *               in front of the payload, and the request is one contiguous {@link Request} again
 *               (no copy of the payload, so WRITE data is read where the kernel put it)
 *   a reply:    built in the worker's reply buffer as for /dev/fuse; its 16-byte header is copied
 *               to in_out and its body to the payload, payload_sz = body length (the reply
 *               cannot be built in the payload itself: an ioctl's argument window would overlap
 *               the argument it copies in)
 * </pre>
 *
 * Each entry has its own ring with one command in flight at a time, and its own thread, so a
 * request that waits (a break wait, SPEC 10) holds up only its entry; the kernel hands a queue's
 * requests to whichever of its entries is free. The thread is pinned to the queue's CPU (the
 * kernel picks the queue by the CPU of the calling task), best-effort.
 *
 * <p>Lifetime: built before INIT on the session thread ({@link #UringWorker} sets up the ring,
 * so a kernel without io_uring is known before FUSE_OVER_IO_URING is asked for); {@link #run} on
 * its own thread registers, reports the outcome through {@link #registered}, serves until the
 * kernel ends the entry (ENOTCONN at unmount, ECANCELED) and then frees everything. An entry
 * that never runs is freed with {@link #free}.
 */
final class UringWorker implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(UringWorker.class);

  /** Page size the header and payload are aligned to (as libfuse does, for page pinning). */
  static final int PAGE_BYTES = 4096;
  /** Offset of the fuse_uring_req_header in the (aligned) block. */
  static final int HEADER_OFF = 0;
  /** Offset of the iovec pair. */
  static final int IOVEC_OFF = 512;
  /** Bytes in front of the payload: room for fuse_in_header and the largest op struct. */
  static final int PREFIX_BYTES = 256;
  /** Offset of the request view (prefix, then payload). */
  static final int REQUEST_OFF = PAGE_BYTES - PREFIX_BYTES;
  /** Bytes of the payload buffer: the largest WRITE or READ (as a worker's buffers). */
  static final int PAYLOAD_BYTES = Worker.IN_BUFFER_BYTES;
  /** Bytes allocated: a page, the payload, and a page of slack for the alignment. */
  static final int BLOCK_BYTES = PAGE_BYTES + PAYLOAD_BYTES + PAGE_BYTES;
  /** SQ entries of the entry's ring (one command is in flight; a power of two). */
  static final int RING_ENTRIES = 2;
  /** errno EAGAIN (REGISTER before the connection is initialized). */
  private static final int EAGAIN = 11;
  /** errno EIO. */
  private static final int EIO = 5;
  /** errno ENOSYS, the answer to a request that must not come this way (FORGET). */
  private static final int ENOSYS = 38;

  /** The queue (CPU) this entry serves. */
  final int qid;
  /** The session's /dev/fuse fd (commands go to it; notifications too). */
  private final int fd;
  /** The entry's ring. */
  private final Uring ring;
  /** The native block as allocated, its aligned start and its parts. */
  private final long block;
  private final long base;
  private final long headerAddress;
  private final long requestAddress;
  private final long payloadAddress;
  /** The fuse_uring_req_header, as a buffer. */
  private final ByteBuffer header;
  /** The handlers. */
  private final Ops ops;
  /** The worker whose request view and reply sink are this entry's. */
  private final Worker worker;
  /** The last command submitted and its commit id (resubmitted after EAGAIN or EINTR). */
  private int lastCmdOp;
  private long lastCommitId;
  /** True if {@link #register} took a completion that {@link #serve} must handle. */
  private boolean reaped;
  /** Whether the current request has had its reply. */
  private boolean replied;
  /** Requests served. */
  private long served;
  /** 0 once registered, else the errno of the refusal; completed by {@link #run}. */
  final CompletableFuture<Integer> registered = new CompletableFuture<>();

  /** Sets up entry for queue {@code qid} on session fd {@code fd}; throws UringException. */
  UringWorker(int qid, int fd, Ops ops) {
    this.qid = qid;
    this.fd = fd;
    this.ops = ops;
    this.ring = Uring.open(RING_ENTRIES, true);
    MemoryIO mem = MemoryIO.getInstance();
    block = mem.allocateMemory(BLOCK_BYTES, true);
    base = (block + PAGE_BYTES - 1) & -PAGE_BYTES;
    headerAddress = base + HEADER_OFF;
    requestAddress = base + REQUEST_OFF;
    payloadAddress = requestAddress + PREFIX_BYTES;
    header = mem.newDirectByteBuffer(headerAddress, UringAbi.REQ_HEADER_SIZE)
        .order(ByteOrder.LITTLE_ENDIAN);
    long iov = base + IOVEC_OFF;
    mem.putLong(iov + UringAbi.IOVEC_IOV_BASE, headerAddress);
    mem.putLong(iov + UringAbi.IOVEC_IOV_LEN, UringAbi.REQ_HEADER_SIZE);
    mem.putLong(iov + UringAbi.IOVEC_SIZE + UringAbi.IOVEC_IOV_BASE, payloadAddress);
    mem.putLong(iov + UringAbi.IOVEC_SIZE + UringAbi.IOVEC_IOV_LEN, PAYLOAD_BYTES);
    Request request = new Request(
        mem.newDirectByteBuffer(requestAddress, PREFIX_BYTES + PAYLOAD_BYTES), requestAddress);
    worker = new Worker(fd, ops, request, this::take);
  }

  /** Round-trips one IORING_OP_NOP: proves the ring submits and completes before INIT. */
  void probe() {
    int at = ring.nextSqe();
    ring.sqes().put(at + UringAbi.SQE_OPCODE, (byte) UringAbi.OP_NOP);
    ring.publish();
    while (!ring.reap()) {
      int n = submit(true);
      if (n < 0) {
        throw new Uring.UringException("io_uring_enter", -n);
      }
    }
  }

  /**
   * Registers, then serves until the kernel ends the entry, then frees everything. If the entry
   * fails while the kernel may still hold it (an exception), its buffers are left allocated:
   * the kernel could still copy a request into them.
   */
  @Override
  public void run() {
    boolean kernelDone = false;
    try {
      pinToQueueCpu();
      int refused = register();
      registered.complete(refused);
      kernelDone = refused != 0 || serve();
    } catch (Throwable t) {
      registered.complete(EIO);
      LOG.error("sealfs: io_uring entry of queue {} failed", qid, t);
    } finally {
      if (kernelDone) {
        free();
      } else {
        ring.close(); // the kernel cancels the command; the buffers stay (see above)
      }
    }
  }

  /** Frees the ring and the buffers (only from the entry's thread, or if it never ran). */
  void free() {
    ring.close();
    worker.free();
    MemoryIO.getInstance().freeMemory(block);
  }

  /** Binds the thread to CPU {@link #qid}; an error (CPU offline) is ignored. */
  private void pinToQueueCpu() {
    if (qid < Long.SIZE) {
      Libc.api().sched_setaffinity(0, Long.BYTES, new long[] {1L << qid});
    }
  }

  /**
   * Submits FUSE_IO_URING_CMD_REGISTER and returns 0 if the kernel took it (the command then
   * stays in flight until a request comes) or the errno of its refusal, which the kernel posts
   * at once.
   */
  private int register() {
    for (int attempt = 0; ; attempt++) {
      command(UringAbi.FUSE_IO_URING_CMD_REGISTER, 0);
      int n = submit(false);
      if (n < 0) {
        return -n;
      }
      if (!ring.reap()) {
        return 0;
      }
      if (ring.cqeRes >= 0) {
        reaped = true; // registered, and a request came at once: serve() takes it
        return 0;
      }
      if (ring.cqeRes == -EAGAIN && attempt < 3) {
        continue; // the connection was not initialized yet (cannot happen after INIT's reply)
      }
      return -ring.cqeRes;
    }
  }

  /** Fills and publishes one URING_CMD SQE of {@code cmdOp} for this entry's queue. */
  private void command(int cmdOp, long commitId) {
    lastCmdOp = cmdOp;
    lastCommitId = commitId;
    int at = ring.nextSqe();
    if (at < 0) {
      throw new IllegalStateException("io_uring SQ ring full");
    }
    ByteBuffer s = ring.sqes();
    s.put(at + UringAbi.SQE_OPCODE, (byte) UringAbi.OP_URING_CMD);
    s.putInt(at + UringAbi.SQE_FD, fd);
    s.putInt(at + UringAbi.SQE_CMD_OP, cmdOp);
    s.putLong(at + UringAbi.SQE_USER_DATA, commitId);
    if (cmdOp == UringAbi.FUSE_IO_URING_CMD_REGISTER) {
      s.putLong(at + UringAbi.SQE_ADDR, base + IOVEC_OFF);
      s.putInt(at + UringAbi.SQE_LEN, 2);
    }
    s.putLong(at + UringAbi.SQE_CMD + UringAbi.CMD_REQ_COMMIT_ID, commitId);
    s.putShort(at + UringAbi.SQE_CMD + UringAbi.CMD_REQ_QID, (short) qid);
    ring.publish();
  }

  /** Submits what is published (waiting for a completion if {@code wait}); -errno on error. */
  private int submit(boolean wait) {
    while (true) {
      int n = ring.enter(ring.unsubmitted(), wait ? 1 : 0, wait);
      if (n != -Libc.EINTR) {
        return n;
      }
      if (!wait && ring.unsubmitted() == 0) {
        return 0;
      }
    }
  }

  /**
   * The serving loop: one completion, one request, one COMMIT_AND_FETCH. Returns true when the
   * kernel ended the entry (a completion with an error), false if this side gave up.
   */
  private boolean serve() {
    while (true) {
      boolean have = reaped || ring.reap();
      reaped = false;
      if (!have) {
        int n = submit(true);
        if (n < 0) {
          LOG.error("sealfs: io_uring_enter failed on queue {} (errno {}); this entry stops",
              qid, -n);
          return false;
        }
        continue;
      }
      int res = ring.cqeRes;
      if (res == -EAGAIN || res == -Libc.EINTR) {
        command(lastCmdOp, lastCommitId); // not taken: the same command again (as libfuse does)
        continue;
      }
      if (res < 0) {
        int e = -res;
        if (e != Libc.ENOTCONN && e != Libc.ECANCELED && e != Libc.ECONNABORTED
            && e != Libc.ENODEV) {
          LOG.warn("sealfs: io_uring entry of queue {} ended with errno {}", qid, e);
        }
        return true;
      }
      long commitId = header.getLong(UringAbi.REQ_HEADER_RING_ENT_IN_OUT
          + UringAbi.ENT_IN_OUT_COMMIT_ID);
      serveOne();
      served++;
      command(UringAbi.FUSE_IO_URING_CMD_COMMIT_AND_FETCH, commitId);
    }
  }

  /** Rebuilds the request in front of the payload, serves it and leaves the reply in place. */
  void serveOne() {
    int in = UringAbi.REQ_HEADER_IN_OUT;
    int len = header.getInt(in + FuseAbi.IN_LEN);
    long unique = header.getLong(in + FuseAbi.IN_UNIQUE);
    int payloadBytes = header.getInt(UringAbi.REQ_HEADER_RING_ENT_IN_OUT
        + UringAbi.ENT_IN_OUT_PAYLOAD_SZ);
    int opBytes = len - FuseAbi.IN_HEADER_SIZE - payloadBytes;
    replied = false;
    if (payloadBytes < 0 || payloadBytes > PAYLOAD_BYTES || opBytes < 0
        || opBytes > UringAbi.FUSE_URING_OP_IN_OUT_SZ) {
      LOG.error("sealfs: malformed io_uring request {} (len {}, payload {})", unique, len,
          payloadBytes);
      worker.reply.error(unique, EIO);
      return;
    }
    int from = PREFIX_BYTES - FuseAbi.IN_HEADER_SIZE - opBytes;
    MemoryIO mem = MemoryIO.getInstance();
    mem.copyMemory(headerAddress + in, requestAddress + from, FuseAbi.IN_HEADER_SIZE);
    mem.copyMemory(headerAddress + UringAbi.REQ_HEADER_OP_IN,
        requestAddress + from + FuseAbi.IN_HEADER_SIZE, opBytes);
    if (!worker.request.reset(from, len)) {
      worker.reply.error(unique, EIO);
      return;
    }
    ops.dispatch(worker);
    if (!replied) {
      worker.reply.error(unique, ENOSYS); // FORGET and INTERRUPT come by /dev/fuse, not here
    }
  }

  /** The reply sink: header to in_out, body to the payload, its length to payload_sz. */
  private void take(long address, int length) {
    MemoryIO mem = MemoryIO.getInstance();
    mem.copyMemory(address, headerAddress + UringAbi.REQ_HEADER_IN_OUT, FuseAbi.OUT_HEADER_SIZE);
    int body = length - FuseAbi.OUT_HEADER_SIZE;
    if (body > 0) {
      mem.copyMemory(address + FuseAbi.OUT_HEADER_SIZE, payloadAddress, body);
    }
    header.putInt(UringAbi.REQ_HEADER_RING_ENT_IN_OUT + UringAbi.ENT_IN_OUT_PAYLOAD_SZ,
        Math.max(body, 0));
    replied = true;
  }

  /** The fuse_uring_req_header the kernel fills and reads (for tests). */
  ByteBuffer header() {
    return header;
  }

  /** The payload buffer (for tests). */
  ByteBuffer payload() {
    return MemoryIO.getInstance().newDirectByteBuffer(payloadAddress, PAYLOAD_BYTES)
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Requests served so far (diagnostics). */
  long served() {
    return served;
  }
}
