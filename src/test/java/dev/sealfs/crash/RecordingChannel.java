package dev.sealfs.crash;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link FileChannel} over a real image file that logs every write (offset and bytes) and every
 * force, in the order the device issued them; reads see everything written (the page cache).
 * Writes and forces are serialized here, so the log is one total order: a write logged before a
 * force was complete when the force began.
 */
final class RecordingChannel extends PositionalChannel {
  /**
   * One device operation: a write of {@code bytes} at {@code byteOffset}, or a force
   * ({@code bytes == null}).
   *
   * @param byteOffset where the write went (0 for a force)
   * @param bytes the bytes written, or null for a force
   * @param thread the name of the thread that issued it
   */
  record Entry(long byteOffset, byte[] bytes, String thread) {
    /** Returns true for a force. */
    boolean isForce() {
      return bytes == null;
    }
  }

  /** The log every channel of one image appends to (one per mount). */
  static final class Log {
    /** The entries, in issue order. */
    private final List<Entry> entries = new ArrayList<>();

    /** Returns the number of entries so far (a position in the log). */
    synchronized int size() {
      return entries.size();
    }

    /** Returns a copy of the entries so far. */
    synchronized List<Entry> entries() {
      return new ArrayList<>(entries);
    }

    /** Returns how many writes a thread named {@code thread} issued so far. */
    synchronized long writesBy(String thread) {
      return entries.stream().filter(e -> !e.isForce() && e.thread().equals(thread)).count();
    }

    private synchronized void add(Entry e) {
      entries.add(e);
    }
  }

  /** The real channel. */
  private final FileChannel real;
  /** Where this channel's operations are logged. */
  private final Log log;

  /** Wraps {@code real}, logging into {@code log}. */
  RecordingChannel(FileChannel real, Log log) {
    this.real = real;
    this.log = log;
  }

  @Override
  public int read(ByteBuffer dst, long pos) throws IOException {
    return real.read(dst, pos);
  }

  @Override
  public int write(ByteBuffer src, long pos) throws IOException {
    synchronized (log) {
      byte[] copy = new byte[src.remaining()];
      src.duplicate().get(copy);
      int n = real.write(src, pos);
      if (n != copy.length) {
        // a short write: log what reached the file (the device loops for the rest)
        copy = java.util.Arrays.copyOf(copy, n);
      }
      log.add(new Entry(pos, copy, Thread.currentThread().getName()));
      return n;
    }
  }

  @Override
  public void force(boolean metaData) throws IOException {
    synchronized (log) {
      real.force(metaData);
      log.add(new Entry(0, null, Thread.currentThread().getName()));
    }
  }

  @Override
  public long size() throws IOException {
    return real.size();
  }

  @Override
  public FileChannel truncate(long size) {
    throw new UnsupportedOperationException("truncate of a recorded image (replay cannot model it)");
  }

  @Override
  public FileLock tryLock(long pos, long size, boolean shared) throws IOException {
    return real.tryLock(pos, size, shared);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    real.close();
  }
}
