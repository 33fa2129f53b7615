package dev.sealfs.core.journal;

import dev.sealfs.core.device.Device;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The metadata journal: a linear redo log in a fixed device region, reset by every checkpoint.
 *
 * <p>Record format (BookKeeper/Ratis style, little-endian), written back to back:
 *
 * <pre>
 *   +--------+--------+--------+-----------+--------+-----------------+----------+
 *   | magic  | type   | (zero) | length    | seq    | payload         | crc32c   |
 *   | u32    | u16    | u16    | u32       | u64    | length bytes    | u32      |
 *   | "JRNL" |        |        | (payload) |        |                 | hdr+data |
 *   +--------+--------+--------+-----------+--------+-----------------+----------+
 * </pre>
 *
 * <p>A group (a transaction made of many operations) is its records followed by a COMMIT record,
 * written with one positional write. Sequence numbers are global and never reused; the superblock
 * names the seq of the first record after its checkpoint ({@code journalSeq}), and every
 * checkpoint starts the log again at offset 0 with a larger seq.
 *
 * <p>Recovery rules: read from offset 0; a record is valid only if magic, length bounds, CRC and
 * {@code seq == expected} all hold; stop at the first invalid record. Records are applied only
 * when their group's COMMIT is read, so a torn or unfinished group is discarded whole. A stale
 * record from before the last checkpoint always has a smaller seq, so it ends the scan.
 *
 * <p>Damage versus a torn tail: when the scan stops, the rest of the region is searched for a
 * valid COMMIT record with a larger seq. A torn last group has none; finding one means committed
 * groups follow a damaged record, and recovery refuses ({@code damagedAt >= 0}) rather than
 * silently dropping them. (After a machine crash, an unforced group torn in the middle while a
 * later one reached the disk looks the same; {@code sealfs fsck} then repairs by discarding
 * everything after the damage.)
 */
public final class Journal {
  /** Record magic, "JRNL" little-endian. */
  public static final int MAGIC = 0x4C4E524A;
  /** Record type of a commit record. */
  public static final int COMMIT = 0x7F;
  /** Bytes of header before the payload. */
  public static final int HEADER = 20;
  /** Bytes of trailer after the payload. */
  public static final int TRAILER = 4;
  /**
   * How far past the expected seq a record may be and still count as this epoch's (far more
   * records than any journal region holds); anything further is another filesystem's leftover.
   */
  public static final long MAX_SEQ_AHEAD = 1L << 32;

  /** The device. */
  private final Device device;
  /** Byte offset of the journal region on the device. */
  private final long startByte;
  /** Length of the journal region in bytes. */
  private final long capacityBytes;
  /** Where the next group goes, in bytes from the region start. */
  private long writePos;
  /** The seq of the next record. */
  private long nextSeq;

  /** Creates a journal over a region, writing next at {@code writePos} with {@code nextSeq}. */
  public Journal(Device device, long startByte, long capacityBytes, long nextSeq, long writePos) {
    this.device = device;
    this.startByte = startByte;
    this.capacityBytes = capacityBytes;
    this.nextSeq = nextSeq;
    this.writePos = writePos;
  }

  /** Returns the bytes used since the last checkpoint. */
  public long usedBytes() {
    return writePos;
  }

  /** Returns the region's capacity in bytes. */
  public long capacityBytes() {
    return capacityBytes;
  }

  /** Returns the seq the next record will get. */
  public long nextSeq() {
    return nextSeq;
  }

  /** Returns the on-disk size of a group with these records. */
  public static long groupBytes(Group g) {
    return g.records().length - 6L * g.count() + (long) (HEADER + TRAILER) * (g.count() + 1);
  }

  /** Returns true if a group of {@code bytes} fits in what is left of the region. */
  public boolean fits(long bytes) {
    return writePos + bytes <= capacityBytes;
  }

  /** Appends {@code g} and its COMMIT record with one write (not forced). */
  public void append(Group g) {
    long total = groupBytes(g);
    ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
    byte[] src = g.records();
    ByteBuffer in = ByteBuffer.wrap(src).order(ByteOrder.LITTLE_ENDIAN);
    int pos = 0;
    for (int n = 0; n < g.count(); n++) {
      int type = in.getShort(pos) & 0xffff;
      int len = in.getInt(pos + 2);
      putRecord(out, type, src, pos + 6, len);
      pos += 6 + len;
    }
    putRecord(out, COMMIT, src, 0, 0);
    out.flip();
    device.write(out, startByte + writePos);
    writePos += total;
  }

  private void putRecord(ByteBuffer out, int type, byte[] src, int off, int len) {
    int begin = out.position();
    out.putInt(MAGIC).putShort((short) type).putShort((short) 0).putInt(len).putLong(nextSeq++);
    out.put(src, off, len);
    int crc = Codec.crc32c(out.array(), begin, HEADER + len);
    out.putInt(crc);
  }

  /** Starts the log again at offset 0 (after a checkpoint) with {@code firstSeq}. */
  public void reset(long firstSeq) {
    this.writePos = 0;
    this.nextSeq = firstSeq;
  }

  /**
   * What recovery found.
   *
   * @param groups committed groups applied
   * @param records records applied
   * @param endPos byte position after the last committed group
   * @param nextSeq seq after the last committed group
   * @param tailBytes bytes of valid but uncommitted records discarded
   * @param damagedAt offset where a damaged record hides later committed groups, or -1
   * @param maxSeq the largest seq of any valid record of this epoch seen in the region
   */
  public record Replay(int groups, long records, long endPos, long nextSeq, long tailBytes,
      long damagedAt, long maxSeq) {}

  /** Where replay hands each record of a committed group (the metadata state machine). */
  @FunctionalInterface
  public interface RecordSink {
    /** Applies record {@code type} whose payload is {@code b[off, off + len)}. */
    void apply(int type, byte[] b, int off, int len);
  }

  /** Replays every committed group of the region into {@code meta}. */
  public static Replay replay(Device device, long startByte, long capacityBytes, long firstSeq,
      RecordSink meta) {
    byte[] region = new byte[(int) capacityBytes];
    device.read(ByteBuffer.wrap(region), startByte);
    ByteBuffer bb = ByteBuffer.wrap(region).order(ByteOrder.LITTLE_ENDIAN);
    long expected = firstSeq;
    int pos = 0;
    int committedEnd = 0;
    long committedSeq = firstSeq;
    int groups = 0;
    long records = 0;
    List<int[]> pending = new ArrayList<>();
    while (pos + HEADER + TRAILER <= region.length) {
      if (bb.getInt(pos) != MAGIC) {
        break;
      }
      int type = bb.getShort(pos + 4) & 0xffff;
      int len = bb.getInt(pos + 8);
      long seq = bb.getLong(pos + 12);
      if (len < 0 || len > region.length - pos - HEADER - TRAILER || seq != expected) {
        break;
      }
      int crc = bb.getInt(pos + HEADER + len);
      if (crc != Codec.crc32c(region, pos, HEADER + len)) {
        break;
      }
      expected++;
      if (type == COMMIT) {
        for (int[] p : pending) {
          meta.apply(p[0], region, p[1], p[2]);
        }
        records += pending.size();
        pending.clear();
        groups++;
        committedEnd = pos + HEADER + len + TRAILER;
        committedSeq = expected;
      } else {
        pending.add(new int[] {type, pos + HEADER, len});
      }
      pos += HEADER + len + TRAILER;
    }
    long maxSeq = expected - 1;
    long damagedAt = -1;
    for (int p = pos + 1; p + HEADER + TRAILER <= region.length; p++) {
      if (bb.getInt(p) != MAGIC) {
        continue;
      }
      int len = bb.getInt(p + 8);
      long seq = bb.getLong(p + 12);
      if (len < 0 || len > region.length - p - HEADER - TRAILER || seq < expected
          || seq - expected > MAX_SEQ_AHEAD
          || bb.getInt(p + HEADER + len) != Codec.crc32c(region, p, HEADER + len)) {
        continue;
      }
      maxSeq = Math.max(maxSeq, seq);
      if ((bb.getShort(p + 4) & 0xffff) == COMMIT && damagedAt < 0) {
        damagedAt = pos;
      }
    }
    return new Replay(groups, records, committedEnd, committedSeq, pos - committedEnd, damagedAt,
        maxSeq);
  }
}
