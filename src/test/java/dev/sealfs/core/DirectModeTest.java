package dev.sealfs.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sealfs.core.device.DeviceIo;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A filesystem mounted with device_io=direct keeps every byte, seen again after a remount. */
final class DirectModeTest {
  @TempDir Path dir;

  /** Opens {@code img} with device_io=direct, or skips where the host cannot do O_DIRECT. */
  private static SealFs openDirect(Path img) {
    try {
      return SealFs.open(img, false, DeviceIo.DIRECT);
    } catch (FsException e) {
      Assumptions.assumeTrue(e.errno() != Errno.EINVAL, "no O_DIRECT here: " + e.getMessage());
      throw e;
    }
  }

  @Test
  void unalignedWritesTruncateAndTheirNeighboursSurviveARemount() {
    Path img = dir.resolve("fs.img");
    Mkfs.run(img, 32L << 20, 4096, true, false);
    byte[] model = new byte[300_000];
    Random rnd = new Random(3);
    long ino;
    try (SealFs fs = openDirect(img)) {
      Created c = fs.create(SealFs.ROOT_INO, "f", 0644, 2, Caller.ROOT);
      ino = c.attr().ino();
      rnd.nextBytes(model);
      fs.write(c.fh(), ByteBuffer.wrap(model), 0);
      for (int k = 0; k < 200; k++) {
        int len = 1 + rnd.nextInt(9000);
        int off = rnd.nextInt(model.length - len);
        byte[] data = new byte[len];
        rnd.nextBytes(data);
        fs.write(c.fh(), ByteBuffer.wrap(data), off);
        System.arraycopy(data, 0, model, off, len);
      }
      fs.truncate(ino, 250_001, Caller.ROOT); // zeroes the rest of block 61 on the device
      fs.truncate(ino, 260_000, Caller.ROOT);
      Arrays.fill(model, 250_001, model.length, (byte) 0);
      fs.release(c.fh());
      fs.syncAll();
    }
    try (SealFs fs = SealFs.open(img, false)) {
      long fh = fs.open(ino, 0, Caller.ROOT);
      ByteBuffer back = ByteBuffer.allocate(260_000);
      assertEquals(260_000, fs.read(fh, back, 0), "bytes read back");
      assertArrayEquals(Arrays.copyOf(model, 260_000), back.array());
      fs.release(fh);
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.PrintStream ps = new java.io.PrintStream(out);
    assertEquals(Fsck.CLEAN, Fsck.run(img, false, ps, ps), () -> "fsck: " + out);
  }
}
