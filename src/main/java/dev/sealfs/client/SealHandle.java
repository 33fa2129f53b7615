package dev.sealfs.client;

import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.core.SealResult;
import dev.sealfs.core.SealStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * One open file descriptor on a sealfs mount, with the SPEC 4.1 ioctls as methods. Closing it
 * closes the descriptor, which (once the kernel releases the handle) drops its seal.
 */
public final class SealHandle implements AutoCloseable {
  /** Most layout pages {@link #layout()} will fetch before deciding the server loops. */
  private static final int MAX_LAYOUT_PAGES = 1 << 20;

  /** The file as given by the caller, for messages. */
  private final Path file;
  /** The open descriptor, or -1 once closed. */
  private int fd;
  /** Whether the descriptor was opened O_RDWR. */
  private final boolean writable;

  /** Wraps an already open descriptor {@code fd} of {@code file}. */
  SealHandle(Path file, int fd, boolean writable) {
    this.file = file;
    this.fd = fd;
    this.writable = writable;
  }

  /** Opens {@code file} O_RDWR if {@code forWrite}, else O_RDONLY (both O_CLOEXEC). */
  public static SealHandle open(Path file, boolean forWrite) throws SealClientException {
    int flags = (forWrite ? LibC.O_RDWR : LibC.O_RDONLY) | LibC.O_CLOEXEC;
    int fd = LibC.get().open(file.toString(), flags, 0);
    if (fd < 0) {
      throw new SealClientException("open " + file, LibC.lastErrno());
    }
    return new SealHandle(file, fd, forWrite);
  }

  /** Returns the file this handle was opened on. */
  public Path file() {
    return file;
  }

  /** Returns the raw file descriptor (for passing to children or tests). */
  public int fd() {
    return fd;
  }

  /** Returns true if the descriptor was opened for writing. */
  public boolean writable() {
    return writable;
  }

  /** Seals the file through this handle ({@code flags}: 0, SEAL_PREPARE or SEAL_ASIS). */
  public SealResult seal(long flags) throws SealClientException {
    return seal(flags, 0, 0);
  }

  /**
   * Seals the bytes {@code [byteOffset, byteOffset + byteLength)} through this handle (SPEC 9;
   * length 0 is the whole file), {@code flags} as for {@link #seal(long)} plus SEAL_BREAKABLE.
   */
  public SealResult seal(long flags, long byteOffset, long byteLength)
      throws SealClientException {
    byte[] out = call("seal", SealAbi.IOC_SEAL, SealAbi.encodeSeal(flags, byteOffset, byteLength),
        SealAbi.SEAL_SIZE_BYTES);
    return SealAbi.decodeSeal(out);
  }

  /**
   * Breaks the file's seals (SEALFS_IOC_BREAK, SPEC 12): {@code flags} 0 waits until the
   * breakable seals are gone, {@link SealAbi#BREAK_FORCE} revokes every seal (root only).
   */
  public void breakSeals(long flags) throws SealClientException {
    call("break", SealAbi.IOC_BREAK, SealAbi.encodeBreak(flags), SealAbi.BREAK_SIZE_BYTES);
  }

  /** Drops this handle's seal (SEALFS_IOC_UNSEAL). */
  public void unseal() throws SealClientException {
    checkOpen();
    if (LibC.get().ioctl(fd, SealAbi.IOC_UNSEAL, null) < 0) {
      throw new SealClientException("unseal " + file, LibC.lastErrno());
    }
  }

  /** Returns the seal state seen through this handle (SEALFS_IOC_STATUS). */
  public SealStatus status() throws SealClientException {
    byte[] out = call("status", SealAbi.IOC_STATUS, new byte[SealAbi.STATUS_SIZE_BYTES],
        SealAbi.STATUS_SIZE_BYTES);
    return SealAbi.decodeStatus(out);
  }

  /** Returns the whole status seen through this handle, break state included. */
  public HandleStatus handleStatus() throws SealClientException {
    byte[] out = call("status", SealAbi.IOC_STATUS, new byte[SealAbi.STATUS_SIZE_BYTES],
        SealAbi.STATUS_SIZE_BYTES);
    return SealAbi.decodeHandleStatus(out);
  }

  /**
   * Waits up to {@code timeoutMs} for POLLPRI on this handle: true once a break of its seal has
   * begun or it was revoked (SPEC 10). Where the binding does not forward POLL (jnr-fuse) the
   * kernel's answer has no POLLPRI and this just waits out the timeout, so callers also read
   * {@link #handleStatus()}.
   */
  public boolean pollPri(int timeoutMs) throws SealClientException {
    checkOpen();
    LibC libc = LibC.get();
    Pointer pfd = Memory.allocateDirect(Runtime.getRuntime(libc), 8, true);
    pfd.putInt(0, fd);
    pfd.putShort(4, LibC.POLLPRI);
    int n = libc.poll(pfd, 1, timeoutMs);
    if (n < 0) {
      int errno = LibC.lastErrno();
      if (errno == 4) { // EINTR: as a timeout; the caller looks again
        return false;
      }
      throw new SealClientException("poll " + file, errno);
    }
    return n > 0 && (pfd.getShort(6) & LibC.POLLPRI) != 0;
  }

  /** Returns one layout page listing from logical byte {@code start} (SEALFS_IOC_LAYOUT). */
  public LayoutPage layoutPage(long start) throws SealClientException {
    byte[] out = call("layout", SealAbi.IOC_LAYOUT, SealAbi.encodeLayout(start),
        SealAbi.LAYOUT_SIZE_BYTES);
    try {
      return SealAbi.decodeLayout(out);
    } catch (IllegalArgumentException e) {
      throw new SealClientException("layout " + file + " (bad reply)", 5);
    }
  }

  /** Returns every extent, paging until the LAST flag with {@code next} as the next start. */
  public List<LayoutExtent> layout() throws SealClientException {
    return layoutAll().extents();
  }

  /**
   * Returns the whole layout as one page: the header fields of the last page fetched and every
   * extent of all pages; EIO if the server's {@code next} does not move forward.
   */
  public LayoutPage layoutAll() throws SealClientException {
    List<LayoutExtent> all = new ArrayList<>();
    long start = 0;
    for (int i = 0; i < MAX_LAYOUT_PAGES; i++) {
      LayoutPage page = layoutPage(start);
      all.addAll(page.extents());
      if (page.last()) {
        return new LayoutPage(page.generation(), page.next(), true, page.sealed(),
            page.blockSize(), page.size(), List.copyOf(all));
      }
      if (Long.compareUnsigned(page.next(), start) <= 0) {
        throw new SealClientException("layout " + file + " (next did not advance)", 5);
      }
      start = page.next();
    }
    throw new SealClientException("layout " + file + " (too many pages)", 5);
  }

  /** Closes the descriptor; later calls fail with EBADF; closing twice is harmless. */
  @Override
  public void close() throws SealClientException {
    if (fd < 0) {
      return;
    }
    int old = fd;
    fd = -1;
    if (LibC.get().close(old) < 0) {
      throw new SealClientException("close " + file, LibC.lastErrno());
    }
  }

  /** Runs ioctl {@code request} on a native copy of {@code in}; returns the buffer after it. */
  private byte[] call(String what, long request, byte[] in, int sizeBytes)
      throws SealClientException {
    checkOpen();
    LibC libc = LibC.get();
    Pointer mem = Memory.allocateDirect(Runtime.getRuntime(libc), sizeBytes, true);
    mem.put(0, in, 0, sizeBytes);
    if (libc.ioctl(fd, request, mem) < 0) {
      throw new SealClientException(what + " " + file, LibC.lastErrno());
    }
    byte[] out = new byte[sizeBytes];
    mem.get(0, out, 0, sizeBytes);
    return out;
  }

  /** Fails with EBADF once the handle is closed. */
  private void checkOpen() throws SealClientException {
    if (fd < 0) {
      throw new SealClientException("use of closed handle " + file, 9);
    }
  }
}
