package dev.sealfs.core.journal;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.alloc.Allocator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The superblock: geometry, identity and the pointer to the current checkpoint.
 *
 * <p>Two copies live in device blocks 0 and 1; a write goes to slot {@code seq % 2}, so a torn
 * write can only damage the copy being replaced. Mount takes the valid copy with the highest
 * {@code seq}. Layout (little-endian), one block, CRC32C over all but the last 4 bytes:
 *
 * <pre>
 *   0  u64 magic "SEALFS01"        88  u64 seq (superblock generation)
 *   8  u32 format version          96  u64 journalSeq (first record seq after checkpoint)
 *  12  u32 block size             104  u64 checkpoint bytes
 *  16  u64 total blocks           112  u32 checkpoint CRC32C
 *  24  u64 journal start block    116  u32 checkpoint run count (N)
 *  32  u64 journal blocks         120  u64 created (ns since epoch)
 *  40  u64 data start block       128  u64 reserved blocks (metadata reserve)
 *  48  u64 data blocks            256  N x (u64 devBlock, u64 blockCount) checkpoint runs
 *  56  u8[16] uuid                ...
 *  72  u64 compat features        bs-4 u32 CRC32C
 *  80  u64 incompat features
 * </pre>
 *
 * @param blockSize block size in bytes
 * @param totalBlocks blocks on the device
 * @param journalStart first journal block
 * @param journalBlocks journal length in blocks
 * @param dataStart first data block
 * @param dataBlocks data area length in blocks
 * @param uuid filesystem identity
 * @param seq superblock generation
 * @param journalSeq sequence number of the first journal record after the checkpoint
 * @param checkpointBytes length of the checkpoint blob
 * @param checkpointCrc CRC32C of the checkpoint blob
 * @param checkpointRuns device runs holding the checkpoint blocks, in order
 * @param createdNs creation time
 * @param reserveBlocks data blocks held back for metadata (checkpoints)
 * @param version the format version this copy was read with (written copies are {@link #VERSION})
 */
public record Superblock(int blockSize, long totalBlocks, long journalStart, long journalBlocks,
    long dataStart, long dataBlocks, UUID uuid, long seq, long journalSeq, long checkpointBytes,
    int checkpointCrc, List<Allocator.Run> checkpointRuns, long createdNs, long reserveBlocks,
    int version) {

  /** The magic number, "SEALFS01" read as a little-endian u64. */
  public static final long MAGIC = ByteBuffer.wrap("SEALFS01".getBytes(StandardCharsets.US_ASCII))
      .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
  /**
   * The on-disk format version this code writes: 2 adds the extent state {@code shared} (code 2
   * in MAP records and checkpoints, SPEC 11). Version 1 images (no shared extents) are read too
   * and become version 2 at their first superblock write (a writable mount checkpoints at once).
   */
  public static final int VERSION = 2;
  /** The oldest format version this code reads. */
  public static final int OLDEST_VERSION = 1;
  /** Byte offset of the checkpoint run table. */
  private static final int RUNS_OFFSET = 256;
  /** Smallest supported block size. */
  public static final int MIN_BLOCK = 1024;
  /** Largest supported block size. */
  public static final int MAX_BLOCK = 65536;

  /** Returns how many checkpoint runs fit in a superblock of {@code blockSize}. */
  public static int maxRuns(int blockSize) {
    return (blockSize - RUNS_OFFSET - 4) / 16;
  }

  /** Returns this superblock with a new checkpoint pointer and the next seq. */
  public Superblock withCheckpoint(long newJournalSeq, long bytes, int crc, List<Allocator.Run> runs) {
    return new Superblock(blockSize, totalBlocks, journalStart, journalBlocks, dataStart,
        dataBlocks, uuid, seq + 1, newJournalSeq, bytes, crc, List.copyOf(runs), createdNs,
        reserveBlocks, VERSION);
  }

  /** Encodes this superblock into one block. */
  public byte[] encode() {
    Codec.Writer w = new Codec.Writer(blockSize);
    w.u64(MAGIC).u32(version).u32(blockSize).u64(totalBlocks).u64(journalStart)
        .u64(journalBlocks).u64(dataStart).u64(dataBlocks)
        .u64(uuid.getMostSignificantBits()).u64(uuid.getLeastSignificantBits())
        .u64(0).u64(0).u64(seq).u64(journalSeq).u64(checkpointBytes).u32(checkpointCrc)
        .u32(checkpointRuns.size()).u64(createdNs).u64(reserveBlocks);
    while (w.size() < RUNS_OFFSET) {
      w.u8(0);
    }
    for (Allocator.Run r : checkpointRuns) {
      w.u64(r.devBlock()).u64(r.blockCount());
    }
    while (w.size() < blockSize - 4) {
      w.u8(0);
    }
    byte[] b = w.toByteArray();
    byte[] out = java.util.Arrays.copyOf(b, blockSize);
    int crc = Codec.crc32c(out, 0, blockSize - 4);
    ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(blockSize - 4, crc);
    return out;
  }

  /** Returns true if {@code b} starts with the sealfs magic. */
  public static boolean hasMagic(byte[] b) {
    return b.length >= 8
        && ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0) == MAGIC;
  }

  /**
   * Decodes a superblock copy from {@code b} (at least {@link #MIN_BLOCK} bytes read at its
   * slot); throws EUCLEAN naming the problem.
   */
  public static Superblock decode(byte[] b, long deviceBytes) {
    Codec.Reader r = new Codec.Reader(b, 0, b.length, "superblock");
    r.check(r.u64() == MAGIC, "bad magic");
    int version = r.u32();
    if (version < OLDEST_VERSION || version > VERSION) {
      throw FsException.of(Errno.EUCLEAN, "unsupported sealfs format version " + version
          + " (this sealfs reads versions " + OLDEST_VERSION + " to " + VERSION + ")");
    }
    int bs = r.u32();
    r.check(bs >= MIN_BLOCK && bs <= MAX_BLOCK && Integer.bitCount(bs) == 1,
        "bad block size " + bs);
    r.check(b.length >= bs, "short read");
    int crc = ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(bs - 4);
    r.check(crc == Codec.crc32c(b, 0, bs - 4), "checksum mismatch");
    long total = r.u64();
    long jStart = r.u64();
    long jBlocks = r.u64();
    long dStart = r.u64();
    long dBlocks = r.u64();
    UUID uuid = new UUID(r.u64(), r.u64());
    r.u64();
    long incompat = r.u64();
    r.check(incompat == 0, "unknown incompatible features 0x" + Long.toHexString(incompat));
    long seq = r.u64();
    long jSeq = r.u64();
    long ckBytes = r.u64();
    int ckCrc = r.u32();
    int nRuns = r.u32();
    long created = r.u64();
    long reserve = r.u64();
    r.check(total > 0 && total < (1L << 48) && jStart >= 2 && jBlocks > 0
        && jBlocks < (1L << 32) && dStart == jStart + jBlocks && dBlocks > 0
        && dBlocks < (1L << 48) && dStart + dBlocks <= total, "bad geometry");
    r.check(deviceBytes <= 0 || total <= deviceBytes / bs,
        "device is smaller (" + deviceBytes + " bytes) than the filesystem ("
            + total * (long) bs + " bytes)");
    r.check(nRuns >= 0 && nRuns <= maxRuns(bs), "bad checkpoint run count " + nRuns);
    r.check(ckBytes >= 0 && ckBytes < (1L << 40), "bad checkpoint length");
    List<Allocator.Run> runs = new ArrayList<>(nRuns);
    ByteBuffer bb = ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < nRuns; i++) {
      long dev = bb.getLong(RUNS_OFFSET + 16 * i);
      long cnt = bb.getLong(RUNS_OFFSET + 16 * i + 8);
      r.check(cnt > 0 && dev >= dStart && dev + cnt <= dStart + dBlocks && dev + cnt > dev,
          "bad checkpoint run");
      runs.add(new Allocator.Run(dev, cnt));
    }
    return new Superblock(bs, total, jStart, jBlocks, dStart, dBlocks, uuid, seq, jSeq, ckBytes,
        ckCrc, List.copyOf(runs), created, reserve, version);
  }
}
