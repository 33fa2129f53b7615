package dev.sealfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sealfs.core.FsException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real mounts of {@link TinyFs} through {@link FuseMount}: mount, null-path ops on an unlinked
 * open file, bounded idempotent close, preflight messages (missing, file, busy, stale).
 */
class FuseMountLifecycleTest {

  @TempDir
  Path tmp;

  @BeforeAll
  static void needFuse() {
    assumeTrue(Files.exists(Paths.get("/dev/fuse")), "no /dev/fuse");
    assumeTrue(FuseMount.findOnPath("fusermount3") != null, "no fusermount3");
  }

  /** Mounts a TinyFs at a new directory under tmp. */
  private FuseMount mountTiny(TinyFs fs, Path mnt, AtomicInteger closes, Path pidFile) {
    Path canonical = FuseMount.preflight(mnt);
    // hard_remove here (not a sealfs default) so unlinked-but-open files exercise null paths.
    String[] argv = FuseMount.fuseArgs(canonical, Paths.get("/dev/tiny,img"),
        List.of("hard_remove"), false);
    FuseMount m = new FuseMount(fs::fuseMain, closes::incrementAndGet, canonical, argv, pidFile);
    m.start();
    return m;
  }

  @Test
  void mountServesNullPathOpsAndClosesOnce() throws Exception {
    Path mnt = Files.createDirectory(tmp.resolve("mnt"));
    Path pid = tmp.resolve("daemon.pid");
    TinyFs fs = new TinyFs();
    AtomicInteger closes = new AtomicInteger();
    FuseMount m = mountTiny(fs, mnt, closes, pid);
    try {
      MountInfo info = MountInfo.find(mnt.toRealPath()).orElseThrow();
      assertEquals("fuse.sealfs", info.fsType());
      assertEquals("/dev/tiny,img", info.source());
      assertEquals(Long.toString(ProcessHandle.current().pid()), Files.readString(pid).trim());

      Path f = mnt.resolve("f");
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(new byte[100]), 0);
        Files.delete(f);
        assertFalse(Files.exists(f));
        fs.calls.clear();
        ch.write(ByteBuffer.wrap(new byte[50]), 100);
      }
      assertTrue(fs.calls.contains("write null fh=7"), fs.calls.toString());
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!fs.calls.contains("release null fh=7") && System.nanoTime() < until) {
        Thread.sleep(20); // RELEASE is sent asynchronously after the last close
      }
      assertTrue(fs.calls.contains("release null fh=7"), fs.calls.toString());
      assertIoctlOnUnlinkedFile(mnt, fs);
    } finally {
      long t0 = System.nanoTime();
      m.close();
      m.close();
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(15));
    }
    assertFalse(MountInfo.isMounted(mnt.toRealPath()));
    assertEquals(1, closes.get());
    assertEquals(0, m.awaitExit());
    assertFalse(Files.exists(pid));
  }

  /** Issues STATUS on an unlinked open file through python3, if there is one. */
  private void assertIoctlOnUnlinkedFile(Path mnt, TinyFs fs) throws Exception {
    if (FuseMount.findOnPath("python3") == null) {
      return;
    }
    String py = "import fcntl,os,struct,sys\n"
        + "p=sys.argv[1]; fd=os.open(p, os.O_CREAT|os.O_RDWR, 0o644); os.unlink(p)\n"
        + "os.pwrite(fd, b'x'*10, 0); end=os.lseek(fd, 0, os.SEEK_END)\n"
        + "b=bytearray(64); fcntl.ioctl(fd, 0x80407303, b)\n"
        + "print(end, struct.unpack_from('<I', b, 0)[0])\n";
    fs.calls.clear();
    Process p = new ProcessBuilder("python3", "-c", py, mnt.resolve("f").toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    assertEquals("150 1", out, out); // TinyFs keeps one size across files
    assertTrue(fs.calls.contains("ioctl null fh=7 cmd=80407303"), fs.calls.toString());
    assertTrue(fs.calls.contains("fgetattr null fh=7"), fs.calls.toString());
  }

  @Test
  void preflightNamesTheProblem() throws Exception {
    FsException e = assertThrows(FsException.class,
        () -> FuseMount.preflight(tmp.resolve("nope")));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    Path file = Files.createFile(tmp.resolve("file"));
    e = assertThrows(FsException.class, () -> FuseMount.preflight(file));
    assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());

    Path mnt = Files.createDirectory(tmp.resolve("busy"));
    FuseMount m = mountTiny(new TinyFs(), mnt, new AtomicInteger(), null);
    try {
      e = assertThrows(FsException.class, () -> FuseMount.preflight(mnt));
      assertTrue(e.getMessage().contains("already a mount point"), e.getMessage());
      assertTrue(e.getMessage().contains("fusermount3 -u"), e.getMessage());
    } finally {
      m.close();
    }
  }

  @Test
  void staleMountIsReportedWithTheFix() throws Exception {
    Path mnt = Files.createDirectory(tmp.resolve("stale"));
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        TinyFs.class.getName(), mnt.toString()).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("tiny.log").toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!MountInfo.isMounted(mnt.toRealPath()) && System.nanoTime() < deadline) {
        assertTrue(p.isAlive(), () -> readQuietly(tmp.resolve("tiny.log")));
        Thread.sleep(50);
      }
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      FsException e = assertThrows(FsException.class, () -> FuseMount.preflight(mnt));
      assertTrue(e.getMessage().contains("stale"), e.getMessage());
      assertTrue(e.getMessage().contains("fusermount3 -u " + mnt), e.getMessage());
    } finally {
      p.destroyForcibly();
      new ProcessBuilder("fusermount3", "-uz", mnt.toString()).start().waitFor(10,
          TimeUnit.SECONDS);
    }
  }

  @Test
  void sigtermUnmountsAndClosesTheFilesystem() throws Exception {
    Path mnt = Files.createDirectory(tmp.resolve("sig")).toRealPath();
    Path out = tmp.resolve("managed.log");
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        TinyFs.class.getName(), mnt.toString(), "--managed").redirectErrorStream(true)
        .redirectOutput(out.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!readQuietly(out).contains("mounted") && System.nanoTime() < deadline) {
        assertTrue(p.isAlive(), () -> readQuietly(out));
        Thread.sleep(50);
      }
      assertTrue(MountInfo.isMounted(mnt), readQuietly(out));
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(20, TimeUnit.SECONDS), "daemon did not exit on SIGTERM");
      assertFalse(MountInfo.isMounted(mnt), "still mounted after SIGTERM");
      assertTrue(readQuietly(out).contains("closed"), readQuietly(out));
    } finally {
      p.destroyForcibly();
      if (MountInfo.isMounted(mnt)) {
        new ProcessBuilder("fusermount3", "-uz", mnt.toString()).start().waitFor(10,
            TimeUnit.SECONDS);
      }
    }
  }

  /** Returns a file's text or "". */
  private static String readQuietly(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "";
    }
  }
}
