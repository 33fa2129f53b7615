package dev.sealfs.core.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** device_io=mmap: stores land where written, are seen by reads at once, the host reserves. */
final class MappedDataTest {
  /** A scratch directory for images. */
  @TempDir Path dir;

  /** A {@code bytes}-long image of random bytes, its content copied into {@code model}. */
  private Path image(byte[] model) throws IOException {
    new Random(11).nextBytes(model);
    Path img = dir.resolve("dev.img");
    Files.write(img, model);
    return img;
  }

  /** Random writes of any length, across windows of 64 KiB, read back by the channel at once. */
  @Test
  void writesAcrossWindowsAreReadBackAtOnce() throws IOException {
    byte[] model = new byte[1 << 20];
    Path img = image(model);
    MappedData m = MappedData.open(img, 64 << 10);
    Random rnd = new Random(5);
    try (FileChannel reader = FileChannel.open(img, StandardOpenOption.READ)) {
      for (int i = 0; i < 300; i++) {
        int len = 1 + rnd.nextInt(i % 3 == 0 ? 200_000 : 9000);
        int off = rnd.nextInt(model.length - len);
        byte[] data = new byte[len];
        rnd.nextBytes(data);
        ByteBuffer src = i % 2 == 0 ? ByteBuffer.allocate(len + 5)
            : ByteBuffer.allocateDirect(len + 5);
        src.position(5).mark();
        src.put(data).reset();
        m.write(src, off);
        assertEquals(len + 5, src.position(), "the whole buffer was consumed");
        System.arraycopy(data, 0, model, off, len);
        ByteBuffer back = ByteBuffer.allocate(len);
        reader.read(back, off);
        assertArrayEquals(data, back.array(), "write " + i + " as pread sees it");
      }
    }
    m.close();
    assertArrayEquals(model, Files.readAllBytes(img), "the image after 300 writes");
  }

  /** Through Device in mmap mode: data writes are mapped, metadata writes and reads agree. */
  @Test
  void deviceInMmapMode() throws IOException {
    byte[] model = new byte[256 << 10];
    Path img = image(model);
    try (Device d = Device.open(img, false, DeviceIo.MMAP)) {
      assertEquals(DeviceIo.MMAP, d.io());
      byte[] a = new byte[10_000];
      new Random(3).nextBytes(a);
      d.writeData(ByteBuffer.wrap(a), 4090);
      d.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 4095); // a metadata write over it
      System.arraycopy(a, 0, model, 4090, a.length);
      System.arraycopy(new byte[] {1, 2, 3}, 0, model, 4095, 3);
      d.force();
      ByteBuffer all = ByteBuffer.allocate(model.length);
      d.read(all, 0);
      assertArrayEquals(model, all.array());
    }
    assertArrayEquals(model, Files.readAllBytes(img));
  }

  /** A write past the image's size at open goes through the channel rather than failing. */
  @Test
  void pastTheMappedEndIsWrittenByTheChannel() throws IOException {
    Path img = image(new byte[8192]);
    MappedData m = MappedData.open(img);
    assertEquals(8192, m.mappedBytes());
    byte[] a = new byte[6000];
    new Random(9).nextBytes(a);
    m.write(ByteBuffer.wrap(a), 5000);
    m.close();
    byte[] back = Files.readAllBytes(img);
    assertEquals(11000, back.length);
    byte[] tail = new byte[6000];
    System.arraycopy(back, 5000, tail, 0, 6000);
    assertArrayEquals(a, tail);
  }

  /** Creates a sparse 8 MiB image {@code name} whose last byte is {@code last}. */
  private Path sparseImage(String name, byte last) throws IOException {
    Path img = dir.resolve(name);
    try (FileChannel ch = FileChannel.open(img, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {last}), (8 << 20) - 1);
    }
    return img;
  }

  /** Returns the bytes the host has allocated to {@code p} (stat's block count). */
  private static long allocatedBytes(Path p) throws Exception {
    Process proc = new ProcessBuilder("stat", "-c", "%b %B", p.toString()).start();
    String[] out = new String(proc.getInputStream().readAllBytes()).trim().split(" ");
    assertEquals(0, proc.waitFor());
    return Long.parseLong(out[0]) * Long.parseLong(out[1]);
  }

  /**
   * Opening the mapping reserves every block of a sparse image on the host (so no store can meet
   * a full host filesystem), and keeps the image's content.
   */
  @Test
  void openReservesTheSparseImage() throws Exception {
    Path img = sparseImage("sparse.img", (byte) 42);
    assertTrue(allocatedBytes(img) < (1 << 20), "sparse before: " + allocatedBytes(img));
    try (Device d = Device.open(img, false, DeviceIo.MMAP)) {
      assertTrue(allocatedBytes(img) < (1 << 20), "not before the lock: " + allocatedBytes(img));
      d.lockExclusive(false);
      assertTrue(allocatedBytes(img) >= (8 << 20), "reserved: " + allocatedBytes(img));
      ByteBuffer last = ByteBuffer.allocate(1);
      d.read(last, (8 << 20) - 1);
      assertEquals(42, last.get(0));
    }
    assertEquals(8 << 20, Files.size(img));
  }

  /** Without the lock (a test's device), the first mapped store reserves the image first. */
  @Test
  void firstStoreReservesWhenUnlocked() throws Exception {
    Path img = sparseImage("unlocked.img", (byte) 1);
    try (Device d = Device.open(img, false, DeviceIo.MMAP)) {
      d.writeData(ByteBuffer.wrap(new byte[] {5, 6}), 4096);
      assertTrue(allocatedBytes(img) >= (8 << 20), "reserved: " + allocatedBytes(img));
    }
  }

  /** Read-only, mmap mode maps and reserves nothing. */
  @Test
  void readOnlyReservesNothing() throws Exception {
    Path img = sparseImage("ro.img", (byte) 1);
    try (Device d = Device.open(img, true, DeviceIo.MMAP)) {
      assertEquals(DeviceIo.MMAP, d.io());
    }
    assertTrue(allocatedBytes(img) < (1 << 20), "still sparse: " + allocatedBytes(img));
  }

  /** A block device (anything not a regular file) is refused at open with one line. */
  @Test
  void notARegularFileIsRefused() {
    FsException e = assertThrows(FsException.class,
        () -> Device.open(Path.of("/dev/null"), false, DeviceIo.MMAP));
    assertEquals(Errno.EINVAL, e.errno());
    assertTrue(e.getMessage().startsWith("device_io=mmap: "), e.getMessage());
  }

  /** The option parses, and a bad value names all three. */
  @Test
  void optionValues() {
    assertEquals(DeviceIo.MMAP, DeviceIo.parse("mmap"));
    assertEquals("mmap", DeviceIo.MMAP.optionValue());
    FsException e = assertThrows(FsException.class, () -> DeviceIo.parse("mapped"));
    assertTrue(e.getMessage().endsWith("must be buffered, direct or mmap"), e.getMessage());
  }
}
