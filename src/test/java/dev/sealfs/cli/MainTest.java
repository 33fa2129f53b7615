package dev.sealfs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Argument parsing of the sealfs command line (nothing is mounted or formatted here). */
class MainTest {

  @TempDir
  Path tmp;

  /** Output of one run. */
  private record Result(int code, String out, String err) {}

  /** Runs the CLI in-process. */
  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  /** Asserts a usage error: the exit code and exactly one "sealfs: " line on stderr. */
  private static void assertUsageError(int expectedCode, String... args) {
    Result r = run(args);
    assertEquals(expectedCode, r.code, r.err);
    assertTrue(r.err.startsWith("sealfs: "), r.err);
    assertEquals(1, r.err.strip().lines().count(), r.err);
    assertEquals("", r.out);
  }

  @Test
  void sizesUsePowersOf1024() {
    assertEquals(4096, Sizes.parseBytes("4096"));
    assertEquals(4096, Sizes.parseBytes("4k"));
    assertEquals(256L << 20, Sizes.parseBytes("256M"));
    assertEquals(1L << 30, Sizes.parseBytes("1G"));
    assertEquals(1L << 30, Sizes.parseBytes("1GiB"));
    assertEquals(2L << 40, Sizes.parseBytes("2T"));
    assertEquals(512, Sizes.parseBytes("512B"));
    for (String bad : List.of("", "G", "1.5G", "-1", "12X", "1GG", "99999999999T")) {
      assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes(bad), bad);
    }
  }

  @Test
  void mkfsParsesItsOptions() {
    MkfsCommand c = new MkfsCommand();
    new CommandLine(c).parseArgs("-b", "64K", "-s", "256M", "-f", "-N", "img");
    assertEquals(65536, c.blockSizeBytes);
    assertEquals(256L << 20, c.sizeBytes);
    assertTrue(c.force);
    assertTrue(c.dryRun);
    assertEquals(Path.of("img"), c.device);
    MkfsCommand d = new MkfsCommand();
    new CommandLine(d).parseArgs("img");
    assertEquals(4096, d.blockSizeBytes);
    assertEquals(null, d.sizeBytes);
    assertFalse(d.force);
  }

  @Test
  void mountHelperArgumentOrderBecomesMount() {
    CommandLine cl = Main.commandLine(new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter()));
    String[] helper = {"/srv/a.img", "/mnt/x", "-o", "rw,nosuid,allow_other"};
    assertArrayEquals(new String[] {"mount", "/srv/a.img", "/mnt/x", "-o",
        "rw,nosuid,allow_other"}, Main.rewriteMountHelperArgs(cl, helper));
    String[] normal = {"mount", "a", "b"};
    assertArrayEquals(normal, Main.rewriteMountHelperArgs(cl, normal));
    String[] fsck = {"fsck", "-n"};
    assertArrayEquals(fsck, Main.rewriteMountHelperArgs(cl, fsck));
    String[] one = {"/srv/a.img"};
    assertArrayEquals(one, Main.rewriteMountHelperArgs(cl, one));
    String[] opt = {"--version", "x"};
    assertArrayEquals(opt, Main.rewriteMountHelperArgs(cl, opt));

    MountCommand m = new MountCommand();
    new CommandLine(m).parseArgs("/srv/a.img", "/mnt/x", "-o",
        "rw,nosuid,defaults,_netdev,fsname=a\\,b,ro", "-o", "user,allow_other");
    assertEquals(Path.of("/srv/a.img"), m.device);
    assertEquals(Path.of("/mnt/x"), m.mountpoint);
    assertFalse(m.foreground);
    assertEquals(List.of("nosuid", "fsname=a\\,b", "ro", "allow_other"),
        MountCommand.filterOptions(m.options));
  }

  @Test
  void mountOptionsAndPidfile() {
    MountCommand m = new MountCommand();
    new CommandLine(m).parseArgs("-f", "--pidfile", "/tmp/p", "img", "mnt");
    assertTrue(m.foreground);
    assertEquals(Path.of("/tmp/p"), m.pidFile);
    assertTrue(m.options.isEmpty());
  }

  @Test
  void badArgumentsExitTwoWithOneLine() {
    assertUsageError(2);
    assertUsageError(2, "mount", "only-one");
    assertUsageError(2, "mount", "a", "b", "--bogus");
    assertUsageError(2, "mkfs", "-s", "12X", "img");
    assertUsageError(2, "mkfs", "-b", "1T", "img");
    assertUsageError(2, "bogus");
    assertUsageError(16, "fsck");
  }

  @Test
  void helpAndVersionExitZero() {
    Result r = run("mount", "--help");
    assertEquals(0, r.code);
    assertTrue(r.out.contains("big_writes,max_write=131072"), r.out);
    assertTrue(r.out.contains("attr_timeout=0"), r.out);
    assertTrue(r.out.contains("fusermount3 -u"), r.out);
    r = run("--version");
    assertEquals(0, r.code);
    assertTrue(r.out.startsWith("sealfs "), r.out);
    r = run("--help");
    assertEquals(0, r.code);
    for (String c : List.of("mkfs", "mount", "fsck")) {
      assertTrue(r.out.contains(c), r.out);
    }
  }

  @Test
  void mountPreflightFailsInOneLineWithoutSpawning() throws Exception {
    Path file = Files.createFile(tmp.resolve("notadir"));
    Result r = run("mount", tmp.resolve("img").toString(), file.toString());
    assertEquals(1, r.code);
    assertEquals("sealfs: mount point " + file + " is not a directory", r.err.strip());
    r = run(tmp.resolve("img").toString(), tmp.resolve("missing").toString(), "-o", "rw");
    assertEquals(1, r.code);
    assertTrue(r.err.startsWith("sealfs: mount point "), r.err);
    assertTrue(r.err.contains("does not exist"), r.err);
    assertEquals(1, r.err.strip().lines().count(), r.err);
  }

  @Test
  void childFailureRelaysTheLastSealfsLine() throws Exception {
    Path log = tmp.resolve("child.log");
    Files.writeString(log, "some noise\nfuse: unknown option `bogus'\n"
        + "sealfs: could not mount at /m (libfuse gave up)\n");
    String msg = MountCommand.childFailure(log, 1);
    assertTrue(msg.startsWith("could not mount at /m (libfuse gave up)"), msg);
    assertTrue(msg.contains("[fuse: unknown option `bogus']"), msg);
    assertTrue(msg.endsWith("(log: " + log + ")"), msg);
    Files.writeString(log, "");
    assertTrue(MountCommand.childFailure(log, 3).contains("exited with status 3"));
  }
}
