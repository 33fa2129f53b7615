package dev.sealfs.core.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** device_io=direct: data writes at any offset and length land, and nothing around them moves. */
final class DirectDataTest {
  @TempDir Path dir;

  /** A 2 MiB image of random bytes, and its content in {@code model}. */
  private Path image(byte[] model) throws Exception {
    new Random(11).nextBytes(model);
    Path img = dir.resolve("dev.img");
    Files.write(img, model);
    return img;
  }

  /** Opens {@code img} in direct mode, or skips the test where the host cannot do O_DIRECT. */
  private static Device openDirect(Path img) {
    try {
      return Device.open(img, false, DeviceIo.DIRECT);
    } catch (FsException e) {
      Assumptions.assumeTrue(false, "no O_DIRECT here: " + e.getMessage());
      throw e;
    }
  }

  /** Writes {@code len} fresh random bytes at {@code off} to both the device and the model. */
  private static void write(Device d, byte[] model, Random rnd, long off, int len,
      boolean heap) {
    byte[] data = new byte[len];
    rnd.nextBytes(data);
    ByteBuffer src = heap ? ByteBuffer.allocate(len + 7) : ByteBuffer.allocateDirect(len + 7);
    src.position(3);
    src.put(data);
    src.limit(3 + len).position(3);
    d.writeData(src, off);
    assertEquals(3 + len, src.position(), "the whole buffer was consumed");
    assertEquals(3 + len, src.limit(), "the limit is the caller's again");
    System.arraycopy(data, 0, model, (int) off, len);
  }

  @Test
  void unalignedAndSpanningWritesRewriteOnlyTheirBytes() throws Exception {
    byte[] model = new byte[2 << 20];
    Path img = image(model);
    Random rnd = new Random(5);
    try (Device d = openDirect(img)) {
      assertEquals(DeviceIo.DIRECT, d.io());
      write(d, model, rnd, 4096 + 17, 100, false); // inside one block
      write(d, model, rnd, 8190, 10, true); // across a block boundary
      write(d, model, rnd, 3 * 4096, 4096, false); // one whole block
      write(d, model, rnd, 4 * 4096, 4095, true); // a block but its last byte
      write(d, model, rnd, 6 * 4096 + 1, 4095, false); // a block but its first byte
      write(d, model, rnd, 9 * 4096 + 1, 1, true); // one byte
      write(d, model, rnd, 10 * 4096, 0, false); // nothing
      // more than one bounce buffer, unaligned at both ends
      write(d, model, rnd, 12 * 4096 + 333, 3 * DirectData.BOUNCE_BYTES + 1234, true);
      write(d, model, rnd, model.length - 5, 5, false); // the device's last bytes
    }
    assertArrayEquals(model, Files.readAllBytes(img), "the image holds what was written");
  }

  @Test
  void randomWritesMatchAModelByteForByte() throws Exception {
    byte[] model = new byte[2 << 20];
    Path img = image(model);
    Random rnd = new Random(99);
    try (Device d = openDirect(img)) {
      for (int k = 0; k < 300; k++) {
        int len = rnd.nextInt(k % 10 == 0 ? 600_000 : 20_000);
        long off = rnd.nextInt(model.length - len);
        write(d, model, rnd, off, len, rnd.nextBoolean());
        if (k % 50 == 0) { // the buffered channel sees the direct writes (coherence)
          ByteBuffer back = ByteBuffer.allocate(len);
          d.read(back, off);
          byte[] want = new byte[len];
          System.arraycopy(model, (int) off, want, 0, len);
          assertArrayEquals(want, back.array(), "buffered read after direct write at " + off);
        }
      }
    }
    assertArrayEquals(model, Files.readAllBytes(img), "the image matches the model");
  }

  @Test
  void aBlockSizeTheAlignmentDoesNotDivideIsRefused() throws Exception {
    Path img = image(new byte[1 << 16]);
    try (Device d = openDirect(img)) {
      d.requireBlockSize(65536); // a multiple of every alignment the bounce buffer allows
      // 256 bytes is below any O_DIRECT alignment
      FsException e = assertThrows(FsException.class, () -> d.requireBlockSize(256));
      assertEquals(Errno.EINVAL, e.errno());
      assertTrue(e.getMessage().contains("device_io=buffered"), e.getMessage());
    }
    try (Device d = Device.open(img, false)) {
      assertEquals(DeviceIo.BUFFERED, d.io());
      d.requireBlockSize(256); // buffered: any block size
    }
  }

  @Test
  void anImageOnTmpfsIsRefusedWithOneLine() throws Exception {
    Path shm = Path.of("/dev/shm");
    Assumptions.assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm)
        && Files.getFileStore(shm).type().equals("tmpfs"), "no writable tmpfs at /dev/shm");
    Path img = Files.createTempFile(shm, "sealfs-direct-test-", ".img");
    try {
      Files.write(img, new byte[8192]);
      FsException e = assertThrows(FsException.class,
          () -> Device.open(img, false, DeviceIo.DIRECT));
      assertEquals(Errno.EINVAL, e.errno());
      assertTrue(e.getMessage().startsWith("device_io=direct: " + img), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), "one line");
    } finally {
      Files.deleteIfExists(img);
    }
  }

  @Test
  void aBadModeNameIsEinval() {
    assertEquals(DeviceIo.DIRECT, DeviceIo.parse("direct"));
    assertEquals(DeviceIo.BUFFERED, DeviceIo.parse("buffered"));
    FsException e = assertThrows(FsException.class, () -> DeviceIo.parse("none"));
    assertEquals(Errno.EINVAL, e.errno());
  }
}
