package dev.sealfs.core.journal;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.alloc.Allocator;
import dev.sealfs.core.device.Device;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Reads and writes checkpoint blobs (the whole metadata state) in data-area blocks.
 *
 * <p>Each block carries its own header so a damaged block is found and named:
 *
 * <pre>
 *   0 u32 magic "CKPT"   4 u32 crc32c of bytes [8, blockSize)   8 u64 superblock seq
 *  16 u32 block index   20 u32 payload bytes in this block     24 payload ...
 * </pre>
 */
public final class Checkpoint {
  /** Block magic, "CKPT" little-endian. */
  public static final int MAGIC = 0x54504B43;
  /** Header bytes per block. */
  public static final int HEADER = 24;

  private Checkpoint() {}

  /** Returns the blocks needed for a blob of {@code bytes}. */
  public static long blocksFor(long bytes, int blockSize) {
    long per = blockSize - HEADER;
    return Math.max(1, (bytes + per - 1) / per);
  }

  /** Writes {@code blob} into {@code runs} (not forced), tagged with {@code seq}. */
  public static void write(Device device, int blockSize, long seq, byte[] blob,
      List<Allocator.Run> runs) {
    int per = blockSize - HEADER;
    ByteBuffer block = ByteBuffer.allocate(blockSize).order(ByteOrder.LITTLE_ENDIAN);
    int index = 0;
    int off = 0;
    for (Allocator.Run run : runs) {
      for (long b = 0; b < run.blockCount(); b++) {
        int n = Math.min(per, blob.length - off);
        java.util.Arrays.fill(block.array(), (byte) 0);
        block.clear();
        block.putInt(MAGIC).putInt(0).putLong(seq).putInt(index).putInt(Math.max(n, 0));
        if (n > 0) {
          block.put(blob, off, n);
        }
        block.putInt(4, Codec.crc32c(block.array(), 8, blockSize - 8));
        block.clear();
        device.write(block, (run.devBlock() + b) * (long) blockSize);
        off += Math.max(n, 0);
        index++;
      }
    }
  }

  /** Reads and verifies the checkpoint the superblock points at. */
  public static byte[] read(Device device, Superblock sb) {
    int bs = sb.blockSize();
    long need = blocksFor(sb.checkpointBytes(), bs);
    long have = sb.checkpointRuns().stream().mapToLong(Allocator.Run::blockCount).sum();
    if (have != need || sb.checkpointBytes() > Integer.MAX_VALUE - 64) {
      throw FsException.of(Errno.EUCLEAN, "metadata damaged: checkpoint size does not match its"
          + " blocks (" + have + " blocks for " + sb.checkpointBytes() + " bytes)");
    }
    byte[] blob = new byte[(int) sb.checkpointBytes()];
    ByteBuffer block = ByteBuffer.allocate(bs).order(ByteOrder.LITTLE_ENDIAN);
    int off = 0;
    int index = 0;
    for (Allocator.Run run : sb.checkpointRuns()) {
      for (long b = 0; b < run.blockCount(); b++) {
        block.clear();
        long devBlock = run.devBlock() + b;
        device.read(block, devBlock * (long) bs);
        String where = "metadata damaged: checkpoint block " + devBlock + ": ";
        if (block.getInt(0) != MAGIC || block.getLong(8) != sb.seq() || block.getInt(16) != index
            || block.getInt(4) != Codec.crc32c(block.array(), 8, bs - 8)) {
          throw FsException.of(Errno.EUCLEAN, where + "bad magic, seq or checksum");
        }
        int n = block.getInt(20);
        if (n < 0 || n > bs - HEADER || off + n > blob.length) {
          throw FsException.of(Errno.EUCLEAN, where + "bad length");
        }
        System.arraycopy(block.array(), HEADER, blob, off, n);
        off += n;
        index++;
      }
    }
    if (off != blob.length || Codec.crc32c(blob, 0, blob.length) != sb.checkpointCrc()) {
      throw FsException.of(Errno.EUCLEAN, "metadata damaged: checkpoint checksum mismatch");
    }
    return blob;
  }
}
