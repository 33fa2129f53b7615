package dev.sealfs.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.core.Caller;
import dev.sealfs.core.Created;
import dev.sealfs.core.FsException;
import dev.sealfs.core.Mkfs;
import dev.sealfs.core.SealFs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry, the core hook, the text output, the option and the person's view. */
class FsMetricsTest {

  @TempDir
  Path dir;

  private SealFs newFs() throws Exception {
    Path img = dir.resolve("img");
    Mkfs.run(img, 16L << 20, 4096, true, false);
    return SealFs.open(img, false);
  }

  @Test
  void offRecordsNothingPerRequestButServesGauges() throws Exception {
    try (SealFs fs = newFs()) {
      FsMetrics m = new FsMetrics(fs, false);
      assertNull(m.op("write"));
      StatsText t = StatsText.parse(new String(m.text(), StandardCharsets.UTF_8));
      assertEquals(0, t.value("sealfs_metrics_recording"));
      assertTrue(t.value("sealfs_blocks_free") > 0);
      assertEquals(4096, t.value("sealfs_block_size_bytes"));
      assertTrue(t.render("/m", null, 0).contains("per-request metrics: off"));
    }
  }

  @Test
  void recordsOpsBytesRefusalsAndCommits() throws Exception {
    try (SealFs fs = newFs()) {
      FsMetrics m = new FsMetrics(fs, true);
      OpMetrics w = m.op("write");
      assertSame(w, m.op("write"));
      w.done(System.nanoTime(), false);
      w.done(System.nanoTime(), true);
      m.written(4096);
      m.read(100);
      Created c = fs.create(SealFs.ROOT_INO, "f", 0644, 2, Caller.ROOT);
      fs.write(c.fh(), java.nio.ByteBuffer.allocate(8192), 0);
      fs.seal(c.fh(), SealFs.SEAL_ASIS, 0, 0, null, Caller.ROOT);
      assertThrows(FsException.class, () -> fs.ftruncate(c.fh(), 0));
      fs.fsync(c.fh(), false);
      String text = new String(m.text(), StandardCharsets.UTF_8);
      StatsText t = StatsText.parse(text);
      assertEquals(2, t.value("sealfs_fuse_requests_total{op=\"write\"}"), text);
      assertEquals(1, t.value("sealfs_fuse_errors_total{op=\"write\"}"));
      assertEquals(2, t.value("sealfs_fuse_request_duration_seconds_count{op=\"write\"}"));
      assertEquals(4096, t.value("sealfs_written_bytes_total"));
      assertEquals(100, t.value("sealfs_read_bytes_total"));
      assertEquals(1, t.value("sealfs_refusals_total"));
      assertEquals(1, t.value("sealfs_refusals_by_op_total{op=\"truncate\"}"));
      assertEquals(1, t.value("sealfs_seals_held"));
      assertTrue(t.value("sealfs_journal_commits_total") >= 1, text);
      assertTrue(t.value("sealfs_device_force_duration_seconds_count") >= 1, text);
      assertTrue(t.value("sealfs_blocks_used") >= 2, text);
      String view = t.render("/m", t, 1);
      assertTrue(view.contains("ETXTBSY refusals: 1 (truncate 1)"), view);
      assertTrue(view.lines().anyMatch(l -> l.matches("write +2 +1 .*")), view);
    }
  }

  @Test
  void p99IsTheFirstBucketHoldingNinetyNinePercent() {
    String h = "sealfs_fuse_request_duration_seconds";
    StatsText t = StatsText.parse(String.join("\n",
        h + "_bucket{op=\"read\",le=\"1.0E-5\"} 50",
        h + "_bucket{op=\"read\",le=\"5.0E-5\"} 99",
        h + "_bucket{op=\"read\",le=\"+Inf\"} 100",
        h + "_count{op=\"read\"} 100"));
    assertEquals(5e-5, t.p99Seconds(h, "read"));
    assertEquals(-1, t.p99Seconds(h, "write"));
  }

  @Test
  void optionParsing() {
    assertEquals(MetricsOption.OFF, MetricsOption.of(List.of("ro")));
    assertEquals(new MetricsOption(true, null, 0), MetricsOption.of(List.of("metrics")));
    assertEquals(new MetricsOption(true, "127.0.0.1", 9100),
        MetricsOption.of(List.of("metrics=9100")));
    assertEquals(new MetricsOption(true, "0.0.0.0", 0),
        MetricsOption.of(List.of("metrics=0.0.0.0:0")));
    assertEquals(new MetricsOption(true, "::1", 80), MetricsOption.of(List.of("metrics=[::1]:80")));
    assertThrows(IllegalArgumentException.class, () -> MetricsOption.of(List.of("metrics=x:y")));
    assertThrows(IllegalArgumentException.class,
        () -> MetricsOption.of(List.of("metrics=1.2.3.4:70000")));
    assertTrue(MetricsOption.matches("metrics=1"));
    assertTrue(!MetricsOption.matches("metricsx"));
  }

  @Test
  void serverServesTheTextFormat() throws Exception {
    try (SealFs fs = newFs()) {
      FsMetrics m = new FsMetrics(fs, true);
      m.op("read").done(System.nanoTime(), false);
      try (MetricsServer s = MetricsServer.start(m, "127.0.0.1", 0)) {
        java.net.URL url = new java.net.URL("http://127.0.0.1:" + s.port() + "/metrics");
        String body = new String(url.openStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, StatsText.parse(body).value("sealfs_fuse_requests_total{op=\"read\"}"),
            body);
      }
    }
  }
}
