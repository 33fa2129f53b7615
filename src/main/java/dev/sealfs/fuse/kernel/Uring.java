package dev.sealfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One io_uring instance, driven from Java: io_uring_setup(2) and io_uring_enter(2) through
 * {@code syscall(2)}, the SQ ring, CQ ring and SQE array mmap(2)ed and seen as direct buffers.
 *
 * <h2>Theory of operation</h2>
 *
 * <pre>
 *   SQ ring:  head (kernel writes)  tail (we write)  array[mask+1] of SQE indexes
 *   CQ ring:  head (we write)       tail (kernel writes)  cqes[mask+1]
 *   submit:   fill sqes[t &amp; mask]; array[t &amp; mask] = t &amp; mask; store-release sq.tail = t + 1
 *             io_uring_enter(fd, n, ...) makes the kernel consume up to sq.tail
 *   complete: load-acquire cq.tail; read cqes[h &amp; mask] for h below it;
 *             store-release cq.head = h + 1 (the kernel may then reuse the slot)
 * </pre>
 *
 * <h2>Memory ordering</h2>
 * The kernel and this thread share the ring words without a lock, so the order of the accesses
 * is the protocol (the same rules liburing's barrier.h implements):
 * <ul>
 *   <li>SQ tail: written with a <em>release</em> store after the SQE and its array slot, so the
 *       kernel, which loads the tail with acquire, never sees a tail that covers an SQE still
 *       being written.
 *   <li>SQ head: read with an <em>acquire</em> load, so a slot the kernel says it has consumed
 *       is really free before it is overwritten.
 *   <li>CQ tail: read with an <em>acquire</em> load, so the CQEs below it are read after the
 *       kernel's writes to them.
 *   <li>CQ head: written with a <em>release</em> store after the CQE's fields are read, so the
 *       kernel does not overwrite a CQE that is still being read.
 * </ul>
 * Java gives these orders through {@link VarHandle#getAcquire} and {@link VarHandle#setRelease}
 * on the direct buffers over the mapping (the words are 4-byte aligned, which the view handles
 * need for atomic access). io_uring_enter(2) is a full barrier as well, but the rules above do
 * not lean on it. {@code UringTest} exercises them with IORING_OP_NOP round trips on a real ring.
 *
 * <p>Not thread-safe: one thread submits and reaps (the io_uring transport gives each ring its
 * own thread); {@link #close} must come from that thread, or before it starts, as it unmaps
 * what the thread reads.
 */
final class Uring implements AutoCloseable {

  /** Acquire/release access to a ring's u32 words (native byte order). */
  private static final VarHandle U32 =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

  /** The ring's fd. */
  final int fd;
  /** Bytes of one SQE (128 with SETUP_SQE128). */
  final int sqeBytes;
  /** The SQ ring mapping, and the CQ ring's (the same one with FEAT_SINGLE_MMAP). */
  private final long sqRingAddress;
  private final long sqRingBytes;
  private final long cqRingAddress;
  private final long cqRingBytes;
  /** The SQE array mapping. */
  private final long sqesAddress;
  private final long sqesBytes;
  /** Views of the mappings. */
  private final ByteBuffer sqRing;
  private final ByteBuffer cqRing;
  private final ByteBuffer sqes;
  /** Field offsets inside the ring mappings (from io_uring_params). */
  private final int sqHead;
  private final int sqTail;
  private final int sqArray;
  private final int cqHead;
  private final int cqTail;
  private final int cqes;
  /** Ring sizes minus one (the index masks) and SQ entries. */
  private final int sqMask;
  private final int cqMask;
  final int sqEntries;
  /** Our copy of the SQ tail (only this thread writes it). */
  private int localSqTail;
  /** Whether {@link #close} has run. */
  private boolean closed;

  /** The last completion {@link #reap} took. */
  long cqeUserData;
  /** Its result (negative: -errno). */
  int cqeRes;
  /** Its flags. */
  int cqeFlags;

  private Uring(int fd, int sqeBytes, long[] maps, ByteBuffer params) {
    this.fd = fd;
    this.sqeBytes = sqeBytes;
    sqRingAddress = maps[0];
    sqRingBytes = maps[1];
    cqRingAddress = maps[2];
    cqRingBytes = maps[3];
    sqesAddress = maps[4];
    sqesBytes = maps[5];
    MemoryIO mem = MemoryIO.getInstance();
    sqRing = mem.newDirectByteBuffer(sqRingAddress, (int) sqRingBytes).order(ByteOrder.nativeOrder());
    cqRing = cqRingAddress == sqRingAddress ? sqRing
        : mem.newDirectByteBuffer(cqRingAddress, (int) cqRingBytes).order(ByteOrder.nativeOrder());
    sqes = mem.newDirectByteBuffer(sqesAddress, (int) sqesBytes).order(ByteOrder.nativeOrder());
    int sq = UringAbi.PARAMS_SQ_OFF;
    int cq = UringAbi.PARAMS_CQ_OFF;
    sqHead = params.getInt(sq + UringAbi.SQRING_HEAD);
    sqTail = params.getInt(sq + UringAbi.SQRING_TAIL);
    sqArray = params.getInt(sq + UringAbi.SQRING_ARRAY);
    cqHead = params.getInt(cq + UringAbi.CQRING_HEAD);
    cqTail = params.getInt(cq + UringAbi.CQRING_TAIL);
    cqes = params.getInt(cq + UringAbi.CQRING_CQES);
    sqMask = sqRing.getInt(params.getInt(sq + UringAbi.SQRING_RING_MASK));
    cqMask = cqRing.getInt(params.getInt(cq + UringAbi.CQRING_RING_MASK));
    sqEntries = sqRing.getInt(params.getInt(sq + UringAbi.SQRING_RING_ENTRIES));
    localSqTail = sqRing.getInt(sqTail);
  }

  /**
   * Sets up a ring of {@code entries} SQEs (a power of two; 128-byte SQEs if {@code sqe128}).
   * Throws {@link UringException} with the errno when the kernel refuses (ENOSYS: no io_uring;
   * EPERM: kernel.io_uring_disabled) or a mapping fails.
   */
  static Uring open(int entries, boolean sqe128) {
    Libc.Api c = Libc.api();
    MemoryIO mem = MemoryIO.getInstance();
    long p = mem.allocateMemory(UringAbi.PARAMS_SIZE, true);
    try {
      ByteBuffer params = mem.newDirectByteBuffer(p, UringAbi.PARAMS_SIZE)
          .order(ByteOrder.nativeOrder());
      params.putInt(UringAbi.PARAMS_FLAGS, sqe128 ? UringAbi.SETUP_SQE128 : 0);
      long fd = c.syscall(UringAbi.NR_IO_URING_SETUP, entries, p, 0, 0, 0, 0);
      if (fd < 0) {
        throw new UringException("io_uring_setup", Libc.errno());
      }
      try {
        return map((int) fd, sqe128 ? UringAbi.SQE128_SIZE : UringAbi.SQE_SIZE, params);
      } catch (UringException e) {
        c.close((int) fd);
        throw e;
      }
    } finally {
      mem.freeMemory(p);
    }
  }

  /** Maps the rings of {@code fd} as {@code params} describes them. */
  private static Uring map(int fd, int sqeBytes, ByteBuffer params) {
    int sqN = params.getInt(UringAbi.PARAMS_SQ_ENTRIES);
    int cqN = params.getInt(UringAbi.PARAMS_CQ_ENTRIES);
    long sqBytes = params.getInt(UringAbi.PARAMS_SQ_OFF + UringAbi.SQRING_ARRAY) + 4L * sqN;
    long cqBytes = params.getInt(UringAbi.PARAMS_CQ_OFF + UringAbi.CQRING_CQES)
        + (long) UringAbi.CQE_SIZE * cqN;
    boolean single = (params.getInt(UringAbi.PARAMS_FEATURES) & UringAbi.FEAT_SINGLE_MMAP) != 0;
    long[] maps = new long[6];
    try {
      if (single) {
        long bytes = Math.max(sqBytes, cqBytes);
        maps[0] = mmap(fd, bytes, UringAbi.OFF_SQ_RING);
        maps[1] = bytes;
        maps[2] = maps[0];
        maps[3] = bytes;
      } else {
        maps[0] = mmap(fd, sqBytes, UringAbi.OFF_SQ_RING);
        maps[1] = sqBytes;
        maps[2] = mmap(fd, cqBytes, UringAbi.OFF_CQ_RING);
        maps[3] = cqBytes;
      }
      maps[5] = (long) sqeBytes * sqN;
      maps[4] = mmap(fd, maps[5], UringAbi.OFF_SQES);
      return new Uring(fd, sqeBytes, maps, params);
    } catch (UringException e) {
      unmap(maps);
      throw e;
    }
  }

  /**
   * mmap(2)s {@code bytes} of ring {@code fd} at {@code offset}; throws on failure. Through
   * syscall(2): jnr-ffi's binding of libc's mmap() failed with EINVAL here for the same
   * arguments.
   */
  private static long mmap(int fd, long bytes, long offset) {
    long a = Libc.api().syscall(UringAbi.NR_MMAP, 0, bytes, Libc.PROT_READ_WRITE,
        Libc.MAP_SHARED | Libc.MAP_POPULATE, fd, offset);
    if (a == Libc.MAP_FAILED || a == 0) {
      throw new UringException("mmap of the io_uring rings", Libc.errno());
    }
    return a;
  }

  /** Unmaps what {@code maps} holds (0 entries are skipped; a shared CQ mapping once). */
  private static void unmap(long[] maps) {
    if (maps[4] != 0) {
      munmap(maps[4], maps[5]);
    }
    if (maps[2] != 0 && maps[2] != maps[0]) {
      munmap(maps[2], maps[3]);
    }
    if (maps[0] != 0) {
      munmap(maps[0], maps[1]);
    }
  }

  /** munmap(2) through syscall(2), as {@link #mmap}. */
  private static void munmap(long address, long bytes) {
    Libc.api().syscall(UringAbi.NR_MUNMAP, address, bytes, 0, 0, 0, 0);
  }

  /**
   * Returns the buffer index of the next free SQE, zeroed, or -1 if the SQ ring is full. The SQE
   * belongs to the caller until {@link #publish}.
   */
  int nextSqe() {
    int head = (int) U32.getAcquire(sqRing, sqHead);
    if (localSqTail - head >= sqEntries) {
      return -1;
    }
    int at = (localSqTail & sqMask) * sqeBytes;
    for (int i = 0; i < sqeBytes; i += 8) {
      sqes.putLong(at + i, 0L);
    }
    return at;
  }

  /** The SQE array (index with what {@link #nextSqe} returned). */
  ByteBuffer sqes() {
    return sqes;
  }

  /** Makes the SQE {@link #nextSqe} returned visible to the kernel (store-release of the tail). */
  void publish() {
    int slot = localSqTail & sqMask;
    sqRing.putInt(sqArray + 4 * slot, slot);
    localSqTail++;
    U32.setRelease(sqRing, sqTail, localSqTail);
  }

  /** SQEs published but not yet consumed by the kernel. */
  int unsubmitted() {
    return localSqTail - (int) U32.getAcquire(sqRing, sqHead);
  }

  /**
   * io_uring_enter(2): submits what was published and, with {@code wait}, waits for at least
   * {@code minComplete} completions. Returns the SQEs consumed, or -errno (EINTR: try again).
   */
  int enter(int toSubmit, int minComplete, boolean wait) {
    long n = Libc.api().syscall(UringAbi.NR_IO_URING_ENTER, fd, toSubmit, minComplete,
        wait ? UringAbi.ENTER_GETEVENTS : 0, 0, 0);
    return n < 0 ? -Libc.errno() : (int) n;
  }

  /**
   * Takes the oldest completion into {@link #cqeUserData}, {@link #cqeRes} and
   * {@link #cqeFlags}; false if there is none.
   */
  boolean reap() {
    int head = cqRing.getInt(cqHead);
    int tail = (int) U32.getAcquire(cqRing, cqTail);
    if (head == tail) {
      return false;
    }
    int at = cqes + (head & cqMask) * UringAbi.CQE_SIZE;
    cqeUserData = cqRing.getLong(at + UringAbi.CQE_USER_DATA);
    cqeRes = cqRing.getInt(at + UringAbi.CQE_RES);
    cqeFlags = cqRing.getInt(at + UringAbi.CQE_FLAGS);
    U32.setRelease(cqRing, cqHead, head + 1);
    return true;
  }

  /** Unmaps the rings and closes the fd (in-flight commands are cancelled by the kernel). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    unmap(new long[] {sqRingAddress, sqRingBytes, cqRingAddress, cqRingBytes, sqesAddress,
        sqesBytes});
    Libc.api().close(fd);
  }

  /** A refusal by the kernel: which step and its errno. */
  static final class UringException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The errno. */
    final int errno;

    /** Creates the refusal of {@code step} with {@code errno}. */
    UringException(String step, int errno) {
      super(step + " failed (errno " + errno + ")");
      this.errno = errno;
    }
  }
}
