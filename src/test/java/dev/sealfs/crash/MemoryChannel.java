package dev.sealfs.crash;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * A device image held in memory, served as a {@link FileChannel}: the crash test mounts and
 * checks each replayed crash state from here, without a disk round trip per state. Every open of
 * the same {@link Image} sees the same bytes (fsck, the mount and fsck again work on one state).
 */
final class MemoryChannel extends PositionalChannel {
  /** The bytes of one image, shared by every channel opened on it. */
  static final class Image {
    /** The image content; its length is the image size. */
    byte[] bytes;

    /** Creates an image holding {@code bytes} (not copied). */
    Image(byte[] bytes) {
      this.bytes = bytes;
    }
  }

  /** The image this channel reads and writes. */
  private final Image image;
  /** The real channel of the placeholder file, closed with this one. */
  private final FileChannel placeholder;

  /** Serves {@code image}; {@code placeholder} (the real file's channel) is only closed. */
  MemoryChannel(Image image, FileChannel placeholder) {
    this.image = image;
    this.placeholder = placeholder;
  }

  @Override
  public synchronized int read(ByteBuffer dst, long pos) {
    byte[] b = image.bytes;
    if (pos >= b.length) {
      return -1;
    }
    int n = (int) Math.min(dst.remaining(), b.length - pos);
    dst.put(b, (int) pos, n);
    return n;
  }

  @Override
  public synchronized int write(ByteBuffer src, long pos) {
    int n = src.remaining();
    if (pos + n > image.bytes.length) {
      image.bytes = Arrays.copyOf(image.bytes, Math.toIntExact(pos + n));
    }
    src.get(image.bytes, (int) pos, n);
    return n;
  }

  @Override
  public synchronized long size() {
    return image.bytes.length;
  }

  @Override
  public synchronized FileChannel truncate(long size) {
    if (size < image.bytes.length) {
      image.bytes = Arrays.copyOf(image.bytes, Math.toIntExact(size));
    }
    return this;
  }

  @Override
  public void force(boolean metaData) {
    // memory is the medium: nothing to flush
  }

  @Override
  protected void implCloseChannel() throws IOException {
    placeholder.close();
  }
}
