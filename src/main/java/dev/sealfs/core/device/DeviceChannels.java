package dev.sealfs.core.device;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Test seam of the device floor: lets a test put its own {@link FileChannel} between sealfs and
 * one image path (the crash tests record every write and force, or serve a replayed image from
 * memory). Nothing in the daemon registers anything, so every channel passes through unchanged.
 */
public final class DeviceChannels {
  /** Wrappers by absolute, normalized image path. */
  private static final Map<Path, UnaryOperator<FileChannel>> WRAPPERS = new ConcurrentHashMap<>();

  private DeviceChannels() {}

  /**
   * Makes every later device open of {@code image} use {@code wrapper.apply(realChannel)};
   * closing the returned handle removes it.
   */
  public static AutoCloseable interpose(Path image, UnaryOperator<FileChannel> wrapper) {
    Path key = image.toAbsolutePath().normalize();
    if (WRAPPERS.putIfAbsent(key, wrapper) != null) {
      throw new IllegalStateException(key + " already has a channel wrapper");
    }
    return () -> WRAPPERS.remove(key, wrapper);
  }

  /** Returns the channel sealfs uses for {@code absPath}: {@code real} or its wrapper's. */
  static FileChannel wrap(Path absPath, FileChannel real) {
    UnaryOperator<FileChannel> w = WRAPPERS.get(absPath);
    return w == null ? real : w.apply(real);
  }
}
