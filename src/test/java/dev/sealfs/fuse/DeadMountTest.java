package dev.sealfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.core.FsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A dead FUSE daemon is recognised by either errno the kernel gives, and by stat's errno. */
class DeadMountTest {
  @TempDir
  Path tmp;

  @Test
  void bothDeadDaemonErrnosAreRecognised() {
    assertTrue(DeadMount.isDeadDaemonErrno(107), "ENOTCONN");
    assertTrue(DeadMount.isDeadDaemonErrno(103), "ECONNABORTED");
    assertTrue(DeadMount.isDeadDaemonErrno(125), "ECANCELED (io_uring)");
    assertFalse(DeadMount.isDeadDaemonErrno(13), "EACCES");
    assertFalse(DeadMount.isDeadDaemonErrno(0), "success");
    assertTrue(DeadMount.isDeadDaemonReason("Software caused connection abort"));
    assertTrue(DeadMount.isDeadDaemonReason("Transport endpoint is not connected"));
    assertFalse(DeadMount.isDeadDaemonReason("Permission denied"));
    assertFalse(DeadMount.isDeadDaemonReason(null));
  }

  @Test
  void statErrnoIsTheNativeErrno() throws Exception {
    assertEquals(0, DeadMount.statErrno(tmp));
    assertEquals(2, DeadMount.statErrno(tmp.resolve("missing")));
    Path file = Files.createFile(tmp.resolve("f"));
    assertEquals(20, DeadMount.statErrno(file.resolve("x")), "ENOTDIR");
  }

  @Test
  void staleMessageNamesTheFix() {
    FsException e = FuseMount.staleMount(tmp.resolve("mnt"));
    assertTrue(e.getMessage().contains("stale FUSE mount"), e.getMessage());
    assertTrue(e.getMessage().contains("fusermount3 -u "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }
}
