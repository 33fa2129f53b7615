package dev.sealfs.fuse;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the kernel, in libfuse 2.9's INIT reply, that sealfs kills setuid/setgid itself
 * (FUSE_HANDLE_KILLPRIV_V2), so the kernel stops asking GETXATTR security.capability before
 * every write.
 *
 * <h2>Why</h2>
 *
 * <p>Before each buffered write the kernel calls {@code file_remove_privs}, which asks the
 * filesystem for {@code security.capability} unless the inode is marked S_NOSEC. FUSE clears
 * SB_NOSEC, so without help that is one extra FUSE round trip per write (measured: 2.0 requests
 * per 4 KiB random write, about a third of the write's cost). With FUSE_HANDLE_KILLPRIV_V2 the
 * kernel sets SB_NOSEC, asks once per inode, and leaves the killing of setuid/setgid on write,
 * truncate and chown to the filesystem, which the core does ({@code SealFs.write},
 * {@code truncate}, {@code fallocate}, {@code chown}). libfuse 2.9 predates the flag and builds
 * the reply's flags from a fixed list, so there is no API to ask for it.
 *
 * <h2>How</h2>
 *
 * <pre>
 *   kernel --FUSE_INIT--> libfuse do_init --> fuse_lib_init --> SealFuse.init --> arm()
 *                              |                          (ch-&gt;op.send := hook, one shot)
 *                              v
 *                        fuse_send_msg --> fuse_chan_send --> ch-&gt;op.send == hook(ch, iov, n)
 *                                                               | ch-&gt;op.send := original
 *                                                               | iov[1] is fuse_init_out:
 *                                                               |   flags |= KILLPRIV_V2
 *                                                               v
 *                                                          fuse_chan_send(ch, iov, n) -&gt; writev
 * </pre>
 *
 * <p>{@code arm} finds the session's channel through libfuse's exported accessors and swaps the
 * {@code send} member of its {@code struct fuse_chan} (libfuse 2.9 layout, x86-64:
 * op.receive 0, op.send 8, op.destroy 16, se 24, fd 32, bufsize 40) for a jnr closure. It first
 * proves the layout by reading {@code se}, {@code fd} and {@code bufsize} at those offsets and
 * comparing them with what {@code fuse_chan_session}, {@code fuse_chan_fd} and
 * {@code fuse_chan_bufsize} return; on any mismatch it leaves everything alone and the mount
 * works as before (GETXATTR per write). The hook restores the original pointer before doing
 * anything else, so it runs for the INIT reply only. Kernels older than 5.11 ignore the bit.
 */
final class KillPrivV2 {

  private static final Logger LOG = LoggerFactory.getLogger(KillPrivV2.class);

  /** EIO, returned to libfuse if the hook itself fails. */
  private static final int EIO = 5;
  /** The INIT flag (include/uapi/linux/fuse.h, protocol 7.33). */
  static final int FUSE_HANDLE_KILLPRIV_V2 = 1 << 28;
  /** FUSE protocol major version, the first field of fuse_init_out. */
  private static final int FUSE_KERNEL_VERSION = 7;
  /** Byte offset of {@code flags} in fuse_init_out (after major, minor, max_readahead). */
  private static final long INIT_OUT_FLAGS = 12;
  /** Byte offset of {@code error} in fuse_out_header (after len). */
  private static final long OUT_HEADER_ERROR = 4;
  /** Size of a struct iovec (iov_base, iov_len). */
  private static final long IOVEC_BYTES = 16;
  /** Byte offset of {@code op.send} in libfuse 2.9's struct fuse_chan. */
  private static final long CHAN_SEND = 8;
  /** Byte offset of {@code se} in libfuse 2.9's struct fuse_chan. */
  private static final long CHAN_SESSION = 24;
  /** Byte offset of {@code fd} in libfuse 2.9's struct fuse_chan. */
  private static final long CHAN_FD = 32;
  /** Byte offset of {@code bufsize} in libfuse 2.9's struct fuse_chan. */
  private static final long CHAN_BUFSIZE = 40;

  /** The libfuse 2.9 functions used to find and check the channel. */
  public interface Lib {
    /** Returns the low-level session of a high-level {@code struct fuse}. */
    Pointer fuse_get_session(Pointer fuse);

    /** Returns the session's channel after {@code ch} (the first for null). */
    Pointer fuse_session_next_chan(Pointer se, Pointer ch);

    /** Returns the channel's session. */
    Pointer fuse_chan_session(Pointer ch);

    /** Returns the channel's /dev/fuse descriptor. */
    int fuse_chan_fd(Pointer ch);

    /** Returns the channel's receive buffer size. */
    @size_t long fuse_chan_bufsize(Pointer ch);

    /** Sends a reply through the channel's {@code op.send}. */
    int fuse_chan_send(Pointer ch, Pointer iov, @size_t long count);
  }

  /** The signature of {@code fuse_chan_ops.send}. */
  public interface Send {
    /** Sends {@code count} iovecs at {@code iov} through channel {@code ch}; 0 or -errno. */
    @Delegate
    int send(Pointer ch, Pointer iov, @size_t long count);
  }

  /** libfuse, loaded on first {@link #arm}. */
  private Lib lib;
  /** The hook; a strong reference so its native closure outlives the INIT reply. */
  private Send hook;
  /** The channel's original send function, restored by the hook. */
  private long originalSend;
  /**
   * Swaps the hook into the channel of {@code fuse} (libfuse's {@code struct fuse *}) if the
   * channel has the expected layout; logs and returns false otherwise. Call from {@code init}.
   */
  boolean arm(Pointer fuse) {
    if (fuse == null) {
      return refuse("no struct fuse in the request context");
    }
    lib = LibraryLoader.create(Lib.class).failImmediately().load("libfuse.so.2");
    Pointer se = lib.fuse_get_session(fuse);
    Pointer ch = se == null ? null : lib.fuse_session_next_chan(se, null);
    if (ch == null) {
      return refuse("no channel");
    }
    Pointer chSession = lib.fuse_chan_session(ch);
    boolean layoutOk = chSession != null
        && ch.getAddress(CHAN_SESSION) == chSession.address()
        && ch.getInt(CHAN_FD) == lib.fuse_chan_fd(ch)
        && ch.getLong(CHAN_BUFSIZE) == lib.fuse_chan_bufsize(ch)
        && ch.getAddress(CHAN_SEND) != 0;
    if (!layoutOk) {
      return refuse("struct fuse_chan is not laid out as in libfuse 2.9");
    }
    hook = this::sendOnce;
    Pointer hookPtr = Runtime.getSystemRuntime().getClosureManager()
        .getClosurePointer(Send.class, hook);
    originalSend = ch.getAddress(CHAN_SEND);
    ch.putAddress(CHAN_SEND, hookPtr.address());
    return true;
  }

  /** The hook: restores the channel, adds the flag to an INIT reply, sends it the normal way. */
  private int sendOnce(Pointer ch, Pointer iov, long count) {
    try {
      ch.putAddress(CHAN_SEND, originalSend);
    } catch (Throwable t) {
      LOG.error("sealfs: cannot restore libfuse's channel ({})", t.toString());
      return -EIO;
    }
    try {
      if (count >= 2) {
        Pointer header = iov.getPointer(0);
        Pointer body = iov.getPointer(IOVEC_BYTES);
        long bodyBytes = iov.getLong(IOVEC_BYTES + 8);
        if (header != null && body != null && header.getInt(OUT_HEADER_ERROR) == 0
            && bodyBytes >= INIT_OUT_FLAGS + 4 && body.getInt(0) == FUSE_KERNEL_VERSION) {
          body.putInt(INIT_OUT_FLAGS, body.getInt(INIT_OUT_FLAGS) | FUSE_HANDLE_KILLPRIV_V2);
          LOG.info("INIT reply offers FUSE_HANDLE_KILLPRIV_V2: sealfs clears setuid/setgid itself");
        }
      }
    } catch (Throwable t) {
      LOG.warn("sealfs: INIT reply left as libfuse built it ({})", t.toString());
    }
    try {
      return lib.fuse_chan_send(ch, iov, count);
    } catch (Throwable t) {
      LOG.error("sealfs: sending the INIT reply failed ({})", t.toString());
      return -EIO;
    }
  }

  /** Logs why the flag is not offered and returns false. */
  private static boolean refuse(String why) {
    LOG.info("not offering FUSE_HANDLE_KILLPRIV_V2: {}; the kernel will ask GETXATTR before"
        + " every write", why);
    return false;
  }
}
