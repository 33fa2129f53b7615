package dev.sealfs.fuse.kernel;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int64_t;

/**
 * The few libc calls the native binding makes, through jnr-ffi (already on the classpath with
 * jnr-fuse). Buffers are passed as raw addresses ({@code intptr_t}) of memory the caller owns,
 * so a read or write of the FUSE device allocates nothing on the Java side. Paths are
 * NUL-terminated byte arrays, never Java strings, so no charset sits between a name and the
 * kernel.
 */
public final class Libc {

  /** The libc functions, as jnr-ffi binds them. */
  public interface Api {
    /** open(2). */
    int open(@In byte[] path, int flags);

    /** close(2). */
    int close(int fd);

    /** read(2) into {@code count} bytes at address {@code buf}. */
    @ssize_t long read(int fd, @intptr_t long buf, @size_t long count);

    /** write(2) of {@code count} bytes at address {@code buf}. */
    @ssize_t long write(int fd, @intptr_t long buf, @size_t long count);

    /** ioctl(2) whose argument points at one 32-bit word. */
    int ioctl(int fd, @u_int64_t long request, @In int[] arg);

    /** mount(2). */
    int mount(@In byte[] source, @In byte[] target, @In byte[] fstype, @u_int64_t long flags,
        @In byte[] data);

    /** umount2(2). */
    int umount2(@In byte[] target, int flags);

    /** getuid(2). */
    int getuid();

    /** socketpair(2). */
    int socketpair(int domain, int type, int protocol, @Out int[] sv);

    /** recvmsg(2) with the struct msghdr at address {@code msg}. */
    @ssize_t long recvmsg(int fd, @intptr_t long msg, int flags);

    /** posix_spawnp(3) with no file actions or attributes; argv and envp are char ** addresses. */
    int posix_spawnp(@Out int[] pid, @In byte[] file, @intptr_t long fileActions,
        @intptr_t long attr, @intptr_t long argv, @intptr_t long envp);

    /** waitpid(2). */
    int waitpid(int pid, @Out int[] status, int options);

    /** getgid(2). */
    int getgid();

    /** syscall(2) with up to six integer arguments (the unused ones are passed as 0). */
    @ssize_t long syscall(@ssize_t long number, @ssize_t long a1, @ssize_t long a2,
        @ssize_t long a3, @ssize_t long a4, @ssize_t long a5, @ssize_t long a6);


    /** sched_setaffinity(2) of thread {@code pid} (0: the calling thread) to CPU set {@code mask}. */
    int sched_setaffinity(int pid, @size_t long cpusetsize, @In long[] mask);
  }

  /** open(2) flag O_RDWR. */
  static final int O_RDWR = 2;
  /** open(2) flag O_CLOEXEC. */
  static final int O_CLOEXEC = 02000000;
  /** mount(2) flag MS_RDONLY. */
  static final long MS_RDONLY = 1;
  /** mount(2) flag MS_NOSUID. */
  static final long MS_NOSUID = 2;
  /** mount(2) flag MS_NODEV. */
  static final long MS_NODEV = 4;
  /** mount(2) flag MS_NOEXEC. */
  static final long MS_NOEXEC = 8;
  /** mount(2) flag MS_SYNCHRONOUS. */
  static final long MS_SYNCHRONOUS = 16;
  /** mount(2) flag MS_DIRSYNC. */
  static final long MS_DIRSYNC = 128;
  /** mount(2) flag MS_NOATIME. */
  static final long MS_NOATIME = 1024;
  /** mount(2) flag MS_NODIRATIME. */
  static final long MS_NODIRATIME = 2048;
  /** mount(2) flag MS_RELATIME. */
  static final long MS_RELATIME = 1 << 21;
  /** mount(2) flag MS_STRICTATIME. */
  static final long MS_STRICTATIME = 1 << 24;
  /** mmap(2) protection PROT_READ | PROT_WRITE. */
  static final int PROT_READ_WRITE = 3;
  /** mmap(2) flag MAP_SHARED. */
  static final int MAP_SHARED = 1;
  /** mmap(2) flag MAP_POPULATE: fault the pages in now. */
  static final int MAP_POPULATE = 0x8000;
  /** mmap(2)'s error return, (void *) -1 (-EINVAL etc. through syscall(2) is -1 too). */
  static final long MAP_FAILED = -1L;
  /** umount2(2) flag MNT_DETACH. */
  static final int MNT_DETACH = 2;

  /** errno EINTR. */
  static final int EINTR = 4;
  /** errno ENOENT. */
  static final int ENOENT = 2;
  /** errno EBADF. */
  static final int EBADF = 9;
  /** errno EAGAIN. */
  static final int EAGAIN = 11;
  /** errno ENODEV: the connection is gone (unmounted). */
  static final int ENODEV = 19;
  /** errno ECONNABORTED: the connection was aborted. */
  static final int ECONNABORTED = 103;
  /** errno ENOTCONN: the connection is gone (an io_uring command after the unmount). */
  static final int ENOTCONN = 107;
  /** errno ECANCELED: an io_uring command cancelled (its ring is going away). */
  static final int ECANCELED = 125;

  /** The bound library, loaded on first use. */
  private static volatile Api api;

  private Libc() {}

  /** Returns libc, loading it on first use. */
  public static Api api() {
    Api a = api;
    if (a == null) {
      synchronized (Libc.class) {
        a = api;
        if (a == null) {
          a = LibraryLoader.create(Api.class).failImmediately().load("c");
          api = a;
        }
      }
    }
    return a;
  }

  /** Returns errno as the last libc call on this thread left it. */
  static int errno() {
    return Runtime.getRuntime(api()).getLastError();
  }

  /** Returns {@code s}'s bytes in {@code charset} with a terminating NUL. */
  static byte[] cString(byte[] s) {
    byte[] out = new byte[s.length + 1];
    System.arraycopy(s, 0, out, 0, s.length);
    return out;
  }
}
