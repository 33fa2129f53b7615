package dev.sealfs.core.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The device's data writes: split into pieces, every byte where it belongs. */
final class DeviceTest {
  @TempDir Path dir;

  @Test
  void writeDataOfManyChunksLandsWholeAndLeavesTheBufferConsumed() throws Exception {
    Path img = dir.resolve("dev.img");
    Files.write(img, new byte[1 << 20]);
    byte[] data = new byte[3 * Device.DATA_WRITE_CHUNK_BYTES + 1234];
    new Random(7).nextBytes(data);
    try (Device d = Device.open(img, false)) {
      ByteBuffer src = ByteBuffer.allocateDirect(data.length + 100);
      src.position(50);
      src.put(data);
      src.limit(50 + data.length).position(50);
      d.writeData(src, 4096 + 17);
      assertEquals(src.limit(), src.position(), "the whole buffer was consumed");
      assertEquals(50 + data.length, src.limit(), "the limit is the caller's again");
    }
    byte[] back = new byte[data.length];
    System.arraycopy(Files.readAllBytes(img), 4096 + 17, back, 0, back.length);
    assertArrayEquals(data, back);
    assertEquals(0, Files.readAllBytes(img)[4096 + 16], "the byte before is untouched");
  }
}
