package dev.sealfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins {@link UserMount}'s socket constants and struct offsets (msghdr, iovec, cmsghdr,
 * CMSG_DATA, CMSG_SPACE) to glibc's {@code sys/socket.h}, compiled by gcc.
 */
final class UserMountHeaderTest {

  /** The C expression of each constant. */
  private static Map<String, String> expressions() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("AF_UNIX", "AF_UNIX");
    m.put("SOCK_STREAM", "SOCK_STREAM");
    m.put("SOL_SOCKET", "SOL_SOCKET");
    m.put("SCM_RIGHTS", "SCM_RIGHTS");
    m.put("MSGHDR_SIZE", "sizeof(struct msghdr)");
    m.put("MSGHDR_MSG_IOV", "offsetof(struct msghdr, msg_iov)");
    m.put("MSGHDR_MSG_IOVLEN", "offsetof(struct msghdr, msg_iovlen)");
    m.put("MSGHDR_MSG_CONTROL", "offsetof(struct msghdr, msg_control)");
    m.put("MSGHDR_MSG_CONTROLLEN", "offsetof(struct msghdr, msg_controllen)");
    m.put("IOVEC_SIZE", "sizeof(struct iovec)");
    m.put("IOVEC_IOV_BASE", "offsetof(struct iovec, iov_base)");
    m.put("IOVEC_IOV_LEN", "offsetof(struct iovec, iov_len)");
    m.put("CMSGHDR_SIZE", "sizeof(struct cmsghdr)");
    m.put("CMSGHDR_CMSG_LEN", "offsetof(struct cmsghdr, cmsg_len)");
    m.put("CMSGHDR_CMSG_LEVEL", "offsetof(struct cmsghdr, cmsg_level)");
    m.put("CMSGHDR_CMSG_TYPE", "offsetof(struct cmsghdr, cmsg_type)");
    m.put("CMSG_DATA_OFFSET", "CMSG_LEN(0)");
    m.put("CMSG_SPACE_ONE_FD", "CMSG_SPACE(sizeof(int))");
    return m;
  }

  /** The Java values, by name. */
  private static Map<String, Long> javaValues() {
    Map<String, Long> m = new TreeMap<>();
    m.put("AF_UNIX", (long) UserMount.AF_UNIX);
    m.put("SOCK_STREAM", (long) UserMount.SOCK_STREAM);
    m.put("SOL_SOCKET", (long) UserMount.SOL_SOCKET);
    m.put("SCM_RIGHTS", (long) UserMount.SCM_RIGHTS);
    m.put("MSGHDR_SIZE", (long) UserMount.MSGHDR_SIZE);
    m.put("MSGHDR_MSG_IOV", (long) UserMount.MSGHDR_MSG_IOV);
    m.put("MSGHDR_MSG_IOVLEN", (long) UserMount.MSGHDR_MSG_IOVLEN);
    m.put("MSGHDR_MSG_CONTROL", (long) UserMount.MSGHDR_MSG_CONTROL);
    m.put("MSGHDR_MSG_CONTROLLEN", (long) UserMount.MSGHDR_MSG_CONTROLLEN);
    m.put("IOVEC_SIZE", (long) UserMount.IOVEC_SIZE);
    m.put("IOVEC_IOV_BASE", (long) UserMount.IOVEC_IOV_BASE);
    m.put("IOVEC_IOV_LEN", (long) UserMount.IOVEC_IOV_LEN);
    m.put("CMSGHDR_SIZE", (long) UserMount.CMSGHDR_SIZE);
    m.put("CMSGHDR_CMSG_LEN", (long) UserMount.CMSGHDR_CMSG_LEN);
    m.put("CMSGHDR_CMSG_LEVEL", (long) UserMount.CMSGHDR_CMSG_LEVEL);
    m.put("CMSGHDR_CMSG_TYPE", (long) UserMount.CMSGHDR_CMSG_TYPE);
    m.put("CMSG_DATA_OFFSET", (long) UserMount.CMSG_DATA_OFFSET);
    m.put("CMSG_SPACE_ONE_FD", (long) UserMount.CMSG_SPACE_ONE_FD);
    return m;
  }

  /** Every constant equals what gcc computes from sys/socket.h. */
  @Test
  void constantsMatchTheSocketHeader(@TempDir Path tmp) throws Exception {
    assertEquals(javaValues(), CProbe.values(tmp, "#include <sys/socket.h>\n#include <sys/uio.h>\n",
        expressions()));
  }
}
