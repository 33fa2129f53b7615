package dev.sealfs.fuse.kernel;

import dev.sealfs.core.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The INIT handshake: version negotiation, the capability flags sealfs asks for, and the request
 * sizes. Each flag asked for, and why:
 * <ul>
 *   <li>ASYNC_READ: reads (readahead included) may be in flight together; the core serializes
 *       what must be.
 *   <li>ATOMIC_O_TRUNC: OPEN carries O_TRUNC and the open truncates, instead of a separate
 *       SETATTR; the truncate is then judged against the seal in the same request.
 *   <li>BIG_WRITES and MAX_PAGES: writes of more than one page and up to {@link #MAX_WRITE_BYTES}
 *       (1 MiB, {@link #MAX_PAGES_COUNT} pages) per request.
 *   <li>HAS_IOCTL_DIR: ioctls on directories reach sealfs, which answers SEAL there with the SPEC's
 *       EINVAL instead of the kernel's ENOTTY.
 *   <li>PARALLEL_DIROPS: lookups and readdirs in one directory may run together.
 *   <li>ABORT_ERROR: an aborted connection reads as ECONNABORTED, told apart from an unmount.
 *   <li>HANDLE_KILLPRIV_V2: sealfs clears setuid/setgid on write, truncate and chown itself, so
 *       the kernel need not ask GETXATTR security.capability before every write (off with
 *       {@code -o nokillpriv_v2}).
 *   <li>INIT_EXT: the 64-bit flag words (flags2) are understood.
 *   <li>DO_READDIRPLUS and READDIRPLUS_AUTO: a listing carries each entry's attributes and node
 *       id, sparing {@code ls -l} a LOOKUP per name; the kernel uses it where a listing is
 *       followed by lookups and plain READDIR otherwise.
 *   <li>DIRECT_IO_ALLOW_MMAP (protocol 7.39; the kernel honours it at any minor): a shared
 *       mmap of a FOPEN_DIRECT_IO handle (a file opened while sealed, see {@link Ops}) goes
 *       through the page cache instead of failing with ENODEV.
 *   <li>OVER_IO_URING (flags2), only when the io_uring transport has its rings ready
 *       ({@link #offerUring}): requests may then come through io_uring ring entries. Once it is
 *       agreed the kernel holds every request until each queue has registered an entry (or a
 *       registration fails), so it is only asked for when the rings are already set up.
 * </ul>
 * Not asked for: WRITEBACK_CACHE (a seal's refusal must come back from the write(2) that causes
 * it, before the data is accepted; with a writeback cache the data is accepted into the page
 * cache and the WRITE comes later), POSIX/FLOCK locks (the kernel keeps them
 * locally), DONT_MASK (the kernel applies the umask).
 */
final class Init {

  private static final Logger LOG = LoggerFactory.getLogger(Init.class);

  /** The largest WRITE (and READ) payload sealfs asks for: 1 MiB. */
  static final int MAX_WRITE_BYTES = 1 << 20;
  /** Pages per request with MAX_PAGES (1 MiB of 4 KiB pages). */
  static final int MAX_PAGES_COUNT = 256;
  /** max_write without MAX_PAGES: the kernel's 32-page default. */
  static final int LEGACY_MAX_WRITE_BYTES = 128 << 10;
  /** Background requests (readahead, async reads) the kernel may keep in flight. */
  static final int MAX_BACKGROUND = 64;
  /** Background requests above which the kernel reports the connection congested. */
  static final int CONGESTION_THRESHOLD = 48;
  /** errno EPROTO. */
  private static final int EPROTO = 71;

  /** Whether to offer HANDLE_KILLPRIV_V2. */
  private final boolean killPrivV2;
  /** Whether to ask for FUSE_OVER_IO_URING. */
  private volatile boolean offerUring;
  /** True once INIT has been answered. */
  private volatile boolean done;
  /** The negotiated minor version. */
  private volatile int minor;
  /** The flags agreed on. */
  private volatile long flags;

  /** Creates the handshake; {@code killPrivV2} offers HANDLE_KILLPRIV_V2. */
  Init(boolean killPrivV2) {
    this.killPrivV2 = killPrivV2;
  }

  /** True once INIT has been answered. */
  boolean done() {
    return done;
  }

  /** Asks for FUSE_OVER_IO_URING at INIT (call before INIT is served). */
  void offerUring(boolean offer) {
    offerUring = offer;
  }

  /** True if INIT agreed on FUSE_OVER_IO_URING (valid once {@link #done}). */
  boolean uringAgreed() {
    return (flags & UringAbi.FUSE_OVER_IO_URING) != 0;
  }

  /** The flags agreed on (valid once {@link #done}). */
  long flags() {
    return flags;
  }

  /** The flags sealfs asks for. */
  long wanted() {
    long w = FuseAbi.ASYNC_READ | FuseAbi.ATOMIC_O_TRUNC | FuseAbi.BIG_WRITES
        | FuseAbi.HAS_IOCTL_DIR | FuseAbi.PARALLEL_DIROPS | FuseAbi.ABORT_ERROR | FuseAbi.MAX_PAGES
        | FuseAbi.INIT_EXT | FuseAbi.DO_READDIRPLUS | FuseAbi.READDIRPLUS_AUTO
        | FuseAbi.DIRECT_IO_ALLOW_MMAP;
    w = offerUring ? w | UringAbi.FUSE_OVER_IO_URING : w;
    return killPrivV2 ? w | FuseAbi.HANDLE_KILLPRIV_V2 : w;
  }

  /** Answers an INIT request; returns the reply body length or -errno. */
  int handle(Request r, Reply out) {
    if (done) {
      return -Errno.EIO.code;
    }
    r.need(8);
    int major = r.u32(FuseAbi.INIT_IN_MAJOR);
    int kernelMinor = r.u32(FuseAbi.INIT_IN_MINOR);
    if (major < FuseAbi.KERNEL_VERSION) {
      LOG.error("sealfs: kernel speaks FUSE {}.{}, sealfs needs 7.x", major, kernelMinor);
      return -EPROTO;
    }
    out.zero(0, FuseAbi.INIT_OUT_SIZE);
    out.u32(FuseAbi.INIT_OUT_MAJOR, FuseAbi.KERNEL_VERSION);
    out.u32(FuseAbi.INIT_OUT_MINOR, FuseAbi.KERNEL_MINOR);
    if (major > FuseAbi.KERNEL_VERSION) {
      return 8; // the kernel answers with another INIT at our major
    }
    int m = Math.min(kernelMinor, FuseAbi.KERNEL_MINOR);
    int maxReadahead = r.bodyLength() >= 12 ? r.u32(FuseAbi.INIT_IN_MAX_READAHEAD) : 0;
    long offered = r.bodyLength() >= 16 ? r.u32(FuseAbi.INIT_IN_FLAGS) & 0xFFFFFFFFL : 0;
    if ((offered & FuseAbi.INIT_EXT) != 0 && r.bodyLength() >= 20) {
      offered |= (r.u32(FuseAbi.INIT_IN_FLAGS2) & 0xFFFFFFFFL) << 32;
    }
    long agreed = offered & wanted();
    int maxWrite = (agreed & FuseAbi.MAX_PAGES) != 0 ? MAX_WRITE_BYTES : LEGACY_MAX_WRITE_BYTES;
    out.u32(FuseAbi.INIT_OUT_MINOR, m);
    out.u32(FuseAbi.INIT_OUT_MAX_READAHEAD, maxReadahead);
    out.u32(FuseAbi.INIT_OUT_FLAGS, (int) agreed);
    out.u16(FuseAbi.INIT_OUT_MAX_BACKGROUND, MAX_BACKGROUND);
    out.u16(FuseAbi.INIT_OUT_CONGESTION_THRESHOLD, CONGESTION_THRESHOLD);
    out.u32(FuseAbi.INIT_OUT_MAX_WRITE, maxWrite);
    out.u32(FuseAbi.INIT_OUT_TIME_GRAN, 1);
    out.u16(FuseAbi.INIT_OUT_MAX_PAGES, MAX_PAGES_COUNT);
    out.u32(FuseAbi.INIT_OUT_FLAGS2, (int) (agreed >>> 32));
    minor = m;
    flags = agreed;
    done = true;
    LOG.info("FUSE INIT: kernel {}.{}, speaking 7.{}, flags 0x{} of offered 0x{}, max_write {}",
        major, kernelMinor, m, Long.toHexString(agreed), Long.toHexString(offered), maxWrite);
    if (m < 5) {
      return 8;
    }
    return m < 23 ? 24 : FuseAbi.INIT_OUT_SIZE;
  }

  /** The negotiated minor version. */
  int minor() {
    return minor;
  }
}
