package dev.sealfs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Progress lines: printed only when enabled; device reads are metered in slices. */
class ProgressTest {
  @TempDir Path dir;

  @Test
  void disabledPrintsNothing() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Progress p = new Progress(new PrintStream(bytes, true), "sealfs fsck", false, 0);
    p.tick("inodes", 1, 2);
    p.startBytes("reading", 10);
    p.addBytes(5);
    p.done();
    assertEquals(0, bytes.size());
  }

  @Test
  void itemsAndBytesOnOneLineEndedByDone() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Progress p = new Progress(new PrintStream(bytes, true), "sealfs fsck", true, 0);
    p.tick("inodes", 5, 10);
    p.startBytes("reading checkpoint and journal", 4L << 20);
    p.addBytes(1L << 20);
    p.done();
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals("\rsealfs fsck: inodes 5/10 (50%)\033[K"
        + "\rsealfs fsck: reading checkpoint and journal 1/4 MiB (25%)\033[K"
        + System.lineSeparator(), out);
  }

  @Test
  void meteredDeviceReadsCountEverySlice() throws Exception {
    Path img = dir.resolve("img");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Progress p = new Progress(new PrintStream(bytes, true), "t", true, 0);
    try (Device d = Device.open(java.nio.file.Files.createFile(img), false)) {
      d.setLength(10L << 20);
      p.startBytes("read", 10L << 20);
      d.meterReads(p);
      ByteBuffer buf = ByteBuffer.allocate(10 << 20);
      d.read(buf, 0);
      assertEquals(0, buf.remaining());
      d.meterReads(null);
      d.read(buf.clear(), 0);
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(out.endsWith("\rt: read 10/10 MiB (100%)\033[K"), out);
    assertEquals(3, out.split("\r", -1).length - 1, "4 + 4 + 2 MiB, none after metering stops");
  }
}
