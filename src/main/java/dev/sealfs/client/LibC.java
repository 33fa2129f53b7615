package dev.sealfs.client;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int64_t;

/** The few glibc calls the sealfs client needs; errno is read with {@link #lastErrno()}. */
public interface LibC {
  /** open(2) access mode: read only. */
  int O_RDONLY = 0;
  /** open(2) access mode: read and write. */
  int O_RDWR = 2;
  /** open(2) flag: close on exec (same value on every Linux architecture). */
  int O_CLOEXEC = 02000000;

  /** The loaded library, created on first use. */
  final class Holder {
    /** The process-wide binding to libc. */
    static final LibC INSTANCE = LibraryLoader.create(LibC.class).failImmediately().load("c");

    private Holder() {}
  }

  /** Returns the process-wide libc binding. */
  static LibC get() {
    return Holder.INSTANCE;
  }

  /** Returns the errno the last native call of this thread left behind. */
  static int lastErrno() {
    return jnr.ffi.Runtime.getRuntime(Holder.INSTANCE).getLastError();
  }

  /** open(2); returns a file descriptor or -1. */
  @SaveError
  int open(String path, int flags, int mode);

  /** close(2); returns 0 or -1. */
  @SaveError
  int close(int fd);

  /** ioctl(2) with a pointer argument; {@code request} is glibc's unsigned long. */
  @SaveError
  int ioctl(int fd, @u_int64_t long request, Pointer arg);

  /** kill(2); returns 0 or -1. */
  @SaveError
  int kill(int pid, int signal);

  /** poll(2) event: urgent data; on sealfs, a break of this handle's seal began (SPEC 10). */
  short POLLPRI = 0x002;

  /**
   * poll(2) on an array of {@code nfds} struct pollfd (int fd, short events, short revents: 8
   * bytes each); returns the number of ready descriptors, 0 on timeout, or -1.
   */
  @SaveError
  int poll(Pointer fds, @u_int64_t long nfds, int timeoutMs);

  /** getxattr(2); returns the value length or -1. */
  @SaveError
  @ssize_t long getxattr(String path, String name, Pointer value, @size_t long size);
}
