package dev.sealfs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's child processes: on stop, each ends with its whole group, and nothing new starts. */
class DemoSessionTest {
  @TempDir
  Path tmp;

  @Test
  void statLinesParseToPidAndGroup() {
    assertArrayEquals(new long[] {123, 456},
        ProcessGroups.parseStat("123 (a) b) S 1 456 456 0 -1 4194560"));
    assertNull(ProcessGroups.parseStat("123 (sh) Z 1 456 456 0"));
    assertNull(ProcessGroups.parseStat("garbage"));
    long self = ProcessHandle.current().pid();
    long[] own = ProcessGroups.stat(Paths.get("/proc/self/stat"));
    assertEquals(self, own[0]);
    assertTrue(ProcessGroups.members(own[1]).contains(self));
  }

  @Test
  void stopEndsEveryChildWithItsBackgroundJobsAndRefusesNewOnes() throws Exception {
    assumeTrue(Files.isExecutable(Paths.get("/usr/bin/setsid")), "no setsid");
    DemoSession s = new DemoSession(tmp);
    Process p = s.start(new ProcessBuilder("sh", "-c", "sleep 600 & echo $!; sleep 600")
        .redirectErrorStream(true));
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
        StandardCharsets.US_ASCII));
    long job = Long.parseLong(out.readLine().trim());
    assertTrue(ProcessGroups.members(p.pid()).contains(job), "the job is in the child's group");
    StringWriter report = new StringWriter();
    s.stop(new PrintWriter(report, true));
    assertTrue(p.waitFor(5, TimeUnit.SECONDS));
    assertEquals(List.of(), ProcessGroups.members(p.pid()), "the group is gone after stop");
    assertTrue(ProcessHandle.of(job).map(h -> !h.isAlive()).orElse(true), "the job is gone");
    assertEquals("", report.toString());
    assertThrows(IOException.class, () -> s.run(List.of("true")));
    s.cleanup(false, new PrintWriter(report, true));
    assertTrue(!Files.exists(s.dir), "cleanup deletes the directory");
  }
}
