package dev.sealfs.fuse.kernel;

import com.kenai.jffi.MemoryIO;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A user's (non-root) mount through {@code fusermount3}, the setuid helper of fuse3, as libfuse
 * does it.
 *
 * <h2>Theory of operation</h2>
 *
 * <pre>
 *   socketpair(AF_UNIX, SOCK_STREAM) = {ours, theirs}
 *   posix_spawnp("fusermount3", ["fusermount3", "-o", OPTIONS, "--", MOUNTPOINT],
 *                environ + "_FUSE_COMMFD=theirs")        theirs is inherited (no CLOEXEC)
 *       fusermount3 (root): open /dev/fuse, check the user may mount there, mount(2) with
 *       fd=,rootmode=,user_id=,group_id= and OPTIONS, send the fd over theirs (SCM_RIGHTS), exit
 *   close(theirs); recvmsg(ours) -> the /dev/fuse fd (EOF: fusermount3 failed, its stderr says
 *   why); waitpid(fusermount3); close(ours)
 * </pre>
 *
 * The mount is then served like a root one. Unmounting is {@code fusermount3 -u}, as for every
 * sealfs mount ({@link dev.sealfs.fuse.FuseMount}). posix_spawnp rather than ProcessBuilder: a
 * Java child keeps only fds 0-2, and fusermount3 needs the socket under its own number. The
 * struct offsets below are x86-64 glibc's, pinned by {@code UserMountHeaderTest}.
 */
final class UserMount {

  /** socket(2) domain AF_UNIX. */
  static final int AF_UNIX = 1;
  /** socket(2) type SOCK_STREAM. */
  static final int SOCK_STREAM = 1;
  /** cmsg_level SOL_SOCKET. */
  static final int SOL_SOCKET = 1;
  /** cmsg_type SCM_RIGHTS: the message carries file descriptors. */
  static final int SCM_RIGHTS = 1;
  /** struct msghdr (56) and the fields recvmsg needs. */
  static final int MSGHDR_SIZE = 56;
  static final int MSGHDR_MSG_IOV = 16;
  static final int MSGHDR_MSG_IOVLEN = 24;
  static final int MSGHDR_MSG_CONTROL = 32;
  static final int MSGHDR_MSG_CONTROLLEN = 40;
  /** struct iovec (16). */
  static final int IOVEC_SIZE = 16;
  static final int IOVEC_IOV_BASE = 0;
  static final int IOVEC_IOV_LEN = 8;
  /** struct cmsghdr (16). */
  static final int CMSGHDR_SIZE = 16;
  static final int CMSGHDR_CMSG_LEN = 0;
  static final int CMSGHDR_CMSG_LEVEL = 8;
  static final int CMSGHDR_CMSG_TYPE = 12;
  /** CMSG_DATA's offset from its cmsghdr, and CMSG_SPACE(sizeof(int)): room for one fd. */
  static final int CMSG_DATA_OFFSET = 16;
  static final int CMSG_SPACE_ONE_FD = 24;
  /** The environment variable naming the socket fusermount3 sends the fd over. */
  static final String COMMFD = "_FUSE_COMMFD";

  private UserMount() {}

  /**
   * Mounts {@code spec} at {@code mountpoint} (bytes, NUL-terminated) through fusermount3 and
   * returns the connection's /dev/fuse fd; {@link FsException} if fusermount3 fails.
   */
  static int mount(KernelMount spec, byte[] mountpoint, Charset charset) {
    Libc.Api c = Libc.api();
    int[] sv = new int[2];
    if (c.socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
      throw new FsException(Errno.EIO, "socketpair failed (errno " + Libc.errno() + ")");
    }
    int ours = sv[0];
    int theirs = sv[1];
    try {
      String options = spec.fusermountOptions();
      int pid = spawn(c, theirs, options, mountpoint, charset);
      c.close(theirs);
      theirs = -1;
      int fd = receiveFd(c, ours);
      int status = reap(c, pid);
      if (fd < 0) {
        throw new FsException(Errno.EIO, "fusermount3 -o " + options + " did not mount ("
            + describe(status) + "; its own message, above, says why)");
      }
      return fd;
    } finally {
      c.close(ours);
      if (theirs >= 0) {
        c.close(theirs);
      }
    }
  }

  /** Starts fusermount3 with the socket {@code commFd}; returns its pid. */
  private static int spawn(Libc.Api c, int commFd, String options, byte[] mountpoint,
      Charset charset) {
    List<byte[]> argv = new ArrayList<>();
    argv.add(bytes("fusermount3", charset));
    argv.add(bytes("-o", charset));
    argv.add(bytes(options, charset));
    argv.add(bytes("--", charset));
    argv.add(mountpoint);
    List<byte[]> envp = new ArrayList<>();
    for (Map.Entry<String, String> e : System.getenv().entrySet()) {
      if (!e.getKey().equals(COMMFD)) {
        envp.add(bytes(e.getKey() + "=" + e.getValue(), charset));
      }
    }
    envp.add(bytes(COMMFD + "=" + commFd, charset));
    MemoryIO mem = MemoryIO.getInstance();
    List<Long> blocks = new ArrayList<>();
    try {
      long argvAddress = stringArray(mem, argv, blocks);
      long envpAddress = stringArray(mem, envp, blocks);
      int[] pid = new int[1];
      int rc = c.posix_spawnp(pid, bytes("fusermount3", charset), 0, 0, argvAddress,
          envpAddress);
      if (rc != 0) {
        throw new FsException(Errno.ENOENT, "cannot run fusermount3 (errno " + rc
            + "): install it with: apt-get install fuse3");
      }
      return pid[0];
    } finally {
      for (long b : blocks) {
        mem.freeMemory(b);
      }
    }
  }

  /** Returns {@code s} in {@code charset} with a terminating NUL. */
  private static byte[] bytes(String s, Charset charset) {
    return Libc.cString(s.getBytes(charset));
  }

  /** Builds a NULL-terminated char * array of NUL-terminated strings; records what it allocated. */
  private static long stringArray(MemoryIO mem, List<byte[]> strings, List<Long> blocks) {
    long array = mem.allocateMemory(8L * (strings.size() + 1), true);
    blocks.add(array);
    for (int k = 0; k < strings.size(); k++) {
      byte[] s = strings.get(k);
      long at = mem.allocateMemory(s.length, false);
      blocks.add(at);
      mem.putByteArray(at, s, 0, s.length);
      mem.putAddress(array + 8L * k, at);
    }
    return array;
  }

  /** Receives one fd sent with SCM_RIGHTS on {@code sock}; -1 at EOF or without one. */
  static int receiveFd(Libc.Api c, int sock) {
    MemoryIO mem = MemoryIO.getInstance();
    int size = MSGHDR_SIZE + IOVEC_SIZE + CMSG_SPACE_ONE_FD + 8;
    long base = mem.allocateMemory(size, true);
    try {
      long msg = base;
      long iov = base + MSGHDR_SIZE;
      long control = iov + IOVEC_SIZE;
      long data = control + CMSG_SPACE_ONE_FD; // the one byte fusermount3 sends along
      mem.putAddress(iov + IOVEC_IOV_BASE, data);
      mem.putLong(iov + IOVEC_IOV_LEN, 1);
      mem.putAddress(msg + MSGHDR_MSG_IOV, iov);
      mem.putLong(msg + MSGHDR_MSG_IOVLEN, 1);
      mem.putAddress(msg + MSGHDR_MSG_CONTROL, control);
      mem.putLong(msg + MSGHDR_MSG_CONTROLLEN, CMSG_SPACE_ONE_FD);
      long n;
      do {
        n = c.recvmsg(sock, msg, 0);
      } while (n < 0 && Libc.errno() == Libc.EINTR);
      if (n <= 0 || mem.getLong(msg + MSGHDR_MSG_CONTROLLEN) < CMSGHDR_SIZE + 4
          || mem.getInt(control + CMSGHDR_CMSG_LEVEL) != SOL_SOCKET
          || mem.getInt(control + CMSGHDR_CMSG_TYPE) != SCM_RIGHTS) {
        return -1;
      }
      return mem.getInt(control + CMSG_DATA_OFFSET);
    } finally {
      mem.freeMemory(base);
    }
  }

  /** Waits for process {@code pid}; returns its wait status (-1 if it cannot be had). */
  private static int reap(Libc.Api c, int pid) {
    int[] status = new int[1];
    int rc;
    do {
      rc = c.waitpid(pid, status, 0);
    } while (rc < 0 && Libc.errno() == Libc.EINTR);
    return rc == pid ? status[0] : -1;
  }

  /** A wait status in words. */
  static String describe(int status) {
    if (status == -1) {
      return "exit status unknown";
    }
    if ((status & 0x7f) == 0) {
      return "exit status " + ((status >>> 8) & 0xff);
    }
    return "killed by signal " + (status & 0x7f);
  }
}
