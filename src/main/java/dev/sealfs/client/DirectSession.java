package dev.sealfs.client;

import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.core.SealResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The SPEC 5 direct path as one object: opens a file on a sealfs mount for writing, seals it,
 * reads its layout and the device's path, opens the device, and does positional I/O on the
 * device at the physical offsets of the file's extents. Closing it unseals, closes the mount
 * descriptor and closes the device.
 *
 * <p>Offsets given to {@link #read} and {@link #write} are logical (file) offsets; an I/O that
 * spans extents is split. Only {@code [0, size)} of written extents is addressable: the file
 * cannot grow through the device, and an unwritten or missing extent (possible with
 * {@code SEAL_ASIS}) is refused with {@link IllegalArgumentException}.
 *
 * <p>Thread safety: {@link #read}, {@link #write} and {@link #physical} may run from several
 * threads (positional channel I/O); {@link #close} is idempotent and may race with nothing else.
 */
public final class DirectSession implements AutoCloseable {
  /** Prefix of the path record in the {@code user.sealfs.device} xattr. */
  private static final String PATH_KEY = "path=";
  /** Prefix of the block size record in the {@code user.sealfs.device} xattr. */
  private static final String BLOCK_KEY = "block_size=";

  /** The sealed holder descriptor on the mount. */
  private final SealHandle handle;
  /** The device, open read-write. */
  private final FileChannel device;
  /** The device path from the device xattr. */
  private final Path devicePath;
  /** The layout taken right after sealing. */
  private final LayoutPage layout;
  /** Logical start of extent k, ascending, for the binary search. */
  private final long[] logicalStarts;
  /** What the seal call returned. */
  private final SealResult sealResult;
  /** Whether {@link #close} ran. */
  private boolean closed;

  private DirectSession(SealHandle handle, FileChannel device, Path devicePath,
      LayoutPage layout, SealResult sealResult) {
    this.handle = handle;
    this.device = device;
    this.devicePath = devicePath;
    this.layout = layout;
    this.sealResult = sealResult;
    List<LayoutExtent> ex = layout.extents();
    logicalStarts = new long[ex.size()];
    for (int k = 0; k < ex.size(); k++) {
      logicalStarts[k] = ex.get(k).logical();
    }
  }

  /**
   * Opens {@code file} O_RDWR on its mount, seals it with {@code sealFlags} (normally
   * {@link SealAbi#SEAL_PREPARE}), takes the layout and opens the device named by the
   * {@code user.sealfs.device} xattr. On any failure everything acquired so far is released.
   */
  public static DirectSession open(Path file, long sealFlags) throws IOException {
    SealHandle h = SealHandle.open(file, true);
    boolean ok = false;
    FileChannel ch = null;
    try {
      SealResult r = h.seal(sealFlags);
      LayoutPage page = h.layoutAll();
      Path dev = devicePath(file);
      ch = FileChannel.open(dev, StandardOpenOption.READ, StandardOpenOption.WRITE);
      DirectSession s = new DirectSession(h, ch, dev, page, r);
      ok = true;
      return s;
    } finally {
      if (!ok) {
        if (ch != null) {
          ch.close();
        }
        h.close(); // closing the descriptor drops the seal
      }
    }
  }

  /** Returns the device path recorded in {@code file}'s {@code user.sealfs.device} xattr. */
  public static Path devicePath(Path file) throws SealClientException {
    String v = SealClient.getXattr(file, SealAbi.XATTR_DEVICE)
        .orElseThrow(() -> new SealClientException("getxattr " + SealAbi.XATTR_DEVICE + " "
            + file + " (not on a sealfs mount?)", 61));
    for (String tok : v.trim().split("\\s+")) {
      if (tok.startsWith(PATH_KEY)) {
        return Path.of(tok.substring(PATH_KEY.length()));
      }
    }
    throw new SealClientException("getxattr " + SealAbi.XATTR_DEVICE + " " + file
        + " (no path= in \"" + v + "\")", 5);
  }

  /** Returns the block size recorded in a {@code user.sealfs.device} value, or -1. */
  static long blockSizeOf(String deviceXattr) {
    for (String tok : deviceXattr.trim().split("\\s+")) {
      if (tok.startsWith(BLOCK_KEY)) {
        return Long.parseLong(tok.substring(BLOCK_KEY.length()));
      }
    }
    return -1;
  }

  /** Returns the holder handle on the mount (for status/layout re-checks). */
  public SealHandle handle() {
    return handle;
  }

  /** Returns the device path. */
  public Path devicePath() {
    return devicePath;
  }

  /** Returns the layout taken at open. */
  public LayoutPage layout() {
    return layout;
  }

  /** Returns the seal call's result (generation, holders). */
  public SealResult sealResult() {
    return sealResult;
  }

  /** Returns the file size in bytes at seal time (it cannot change while sealed). */
  public long sizeBytes() {
    return layout.size();
  }

  /** Returns the device byte offset of logical byte {@code logical}. */
  public long physical(long logical) {
    LayoutExtent e = extentAt(logical);
    return e.physical() + (logical - e.logical());
  }

  /** Reads {@code dst.remaining()} bytes of the file at {@code logical} from the device. */
  public int read(ByteBuffer dst, long logical) throws IOException {
    return transfer(dst, logical, false);
  }

  /** Writes {@code src.remaining()} bytes to the device at the file's byte {@code logical}. */
  public int write(ByteBuffer src, long logical) throws IOException {
    return transfer(src, logical, true);
  }

  /** Makes the device writes so far durable (fdatasync of the device). */
  public void force() throws IOException {
    device.force(false);
  }

  /** Returns the generation the server reports now (changes only if the seal was lost). */
  public long currentGeneration() throws SealClientException {
    return handle.status().generation();
  }

  /** Splits a transfer at extent boundaries and runs it with positional channel I/O. */
  private int transfer(ByteBuffer buf, long logical, boolean write) throws IOException {
    int len = buf.remaining();
    if (logical < 0 || logical + len > layout.size()) {
      throw new IllegalArgumentException("range " + logical + "+" + len + " outside [0, "
          + layout.size() + ")");
    }
    long pos = logical;
    int lim = buf.limit();
    try {
      while (buf.hasRemaining()) {
        LayoutExtent e = extentAt(pos);
        long inExtent = e.logical() + e.length() - pos;
        int n = (int) Math.min(buf.remaining(), inExtent);
        buf.limit(buf.position() + n);
        long dev = e.physical() + (pos - e.logical());
        while (buf.hasRemaining()) {
          int k = write ? device.write(buf, dev) : device.read(buf, dev);
          if (k < 0) {
            throw new IOException(devicePath + ": short read at " + dev);
          }
          dev += k;
        }
        buf.limit(lim);
        pos += n;
      }
    } finally {
      buf.limit(lim);
    }
    return len;
  }

  /** Returns the written extent holding logical byte {@code logical}. */
  private LayoutExtent extentAt(long logical) {
    int lo = 0;
    int hi = logicalStarts.length - 1;
    int at = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (logicalStarts[mid] <= logical) {
        at = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (at < 0) {
      throw new IllegalArgumentException("byte " + logical + " is in a hole");
    }
    LayoutExtent e = layout.extents().get(at);
    if (logical >= e.logical() + e.length()) {
      throw new IllegalArgumentException("byte " + logical + " is in a hole");
    }
    if ((e.flags() & (LayoutExtent.UNWRITTEN | LayoutExtent.SHARED)) != 0) {
      throw new IllegalArgumentException("byte " + logical + " is in a " + e.stateName()
          + " extent");
    }
    return e;
  }

  /**
   * Releases everything, once: unseals, closes the mount descriptor (which also drops the seal
   * if the unseal failed), closes the device. Throws the first failure after trying all three.
   */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    IOException first = null;
    try {
      handle.unseal();
    } catch (SealClientException e) {
      first = e;
    }
    try {
      handle.close();
    } catch (SealClientException e) {
      first = first == null ? e : first;
    }
    try {
      device.close();
    } catch (IOException e) {
      first = first == null ? e : first;
    }
    if (first != null) {
      throw first;
    }
  }
}
