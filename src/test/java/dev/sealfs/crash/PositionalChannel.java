package dev.sealfs.crash;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A {@link FileChannel} reduced to what sealfs' device uses: positional reads and writes, size,
 * force and an advisory lock. Relative I/O goes through a position kept here; memory mapping and
 * transfers are refused, so a future use of them in the device fails loudly instead of slipping
 * past the crash tests' recording.
 */
abstract class PositionalChannel extends FileChannel {
  /** The position of relative reads and writes. */
  private long position;

  @Override
  public final int read(ByteBuffer dst) throws IOException {
    int n = read(dst, position);
    if (n > 0) {
      position += n;
    }
    return n;
  }

  @Override
  public final long read(ByteBuffer[] dsts, int offset, int length) {
    throw new UnsupportedOperationException("scattering read");
  }

  @Override
  public final int write(ByteBuffer src) throws IOException {
    int n = write(src, position);
    position += n;
    return n;
  }

  @Override
  public final long write(ByteBuffer[] srcs, int offset, int length) {
    throw new UnsupportedOperationException("gathering write");
  }

  @Override
  public final long position() {
    return position;
  }

  @Override
  public final FileChannel position(long newPosition) {
    position = newPosition;
    return this;
  }

  @Override
  public final long transferTo(long pos, long count, WritableByteChannel target) {
    throw new UnsupportedOperationException("transferTo");
  }

  @Override
  public final long transferFrom(ReadableByteChannel src, long pos, long count) {
    throw new UnsupportedOperationException("transferFrom");
  }

  @Override
  public final MappedByteBuffer map(MapMode mode, long pos, long size) {
    throw new UnsupportedOperationException("map");
  }

  @Override
  public final FileLock lock(long pos, long size, boolean shared) throws IOException {
    return tryLock(pos, size, shared);
  }

  @Override
  public FileLock tryLock(long pos, long size, boolean shared) throws IOException {
    return new FileLock(this, pos, size, shared) {
      private boolean valid = true;

      @Override
      public boolean isValid() {
        return valid && isOpen();
      }

      @Override
      public void release() {
        valid = false;
      }
    };
  }
}
