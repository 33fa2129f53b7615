package dev.sealfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon log of a background mount never continues an earlier mount's log. */
final class DaemonLogTest {
  /** A temporary directory standing in for java.io.tmpdir. */
  @TempDir Path tmp;

  /** With no earlier log the name is sealfs-BASE-PID.log. */
  @Test
  void plainNameWhenFree() throws Exception {
    assertEquals(tmp.resolve("sealfs-mnt-1667.log"), MountCommand.daemonLog(tmp, "mnt", 1667));
  }

  /** A log left by an earlier process with the same pid is neither reused nor touched. */
  @Test
  void freshNameWhenThePidWasUsedBefore() throws Exception {
    Path old = tmp.resolve("sealfs-mnt-1667.log");
    Files.writeString(old, "FUSE transport: io_uring (earlier mount)\n");
    Path log = MountCommand.daemonLog(tmp, "mnt", 1667);
    assertNotEquals(old, log);
    assertTrue(log.getFileName().toString().startsWith("sealfs-mnt-"));
    assertTrue(log.getFileName().toString().endsWith(".log"));
    assertEquals(0, Files.size(log));
    assertEquals("FUSE transport: io_uring (earlier mount)\n", Files.readString(old));
    assertFalse(log.equals(MountCommand.daemonLog(tmp, "mnt", 1667)));
  }
}
