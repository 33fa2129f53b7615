package dev.sealfs.crash;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The device states a power cut can leave behind, given the log of one run (the CrashMonkey /
 * ALICE method). A force makes every earlier write durable, so a cut leaves every entry before
 * some force plus any subset of the writes issued after it and before the next force (those were
 * in flight). Writes are split into {@link #PAGE}-aligned pieces, because the host writes a page
 * cache back page by page: a big write can be half on the disk.
 *
 * <p>Enumerated: the state at every force (and the empty log), and for every run of writes
 * between two forces (and after the last one), a few seeded random subsets of its pieces in
 * three shapes: each piece with probability 1/2, a leading part in issue order, all but one.
 */
final class CrashStates {
  /** The unit of a torn write, in bytes. */
  static final int PAGE = 4096;

  /**
   * One crash state.
   *
   * @param prefix entries {@code [0, prefix)} are all on the disk
   * @param pieces the pieces of later writes that also reached it, in issue order
   * @param horizon one past the last entry any of it comes from (nothing from later entries)
   * @param what a human description for failure messages
   */
  record State(int prefix, List<Piece> pieces, int horizon, String what) {}

  /**
   * A page-aligned part of one logged write.
   *
   * @param entry the index of the write in the log
   * @param byteOffset where the part goes on the device
   * @param from the part's first byte within the write
   * @param length the part's length in bytes
   */
  record Piece(int entry, long byteOffset, int from, int length) {}

  private CrashStates() {}

  /**
   * Enumerates the states of {@code log}: every force boundary, plus {@code perGap} random
   * subsets of each gap between forces and {@code lastGap} of the gap after the last force.
   */
  static List<State> of(List<RecordingChannel.Entry> log, long seed, int perGap, int lastGap) {
    Random rnd = new Random(seed);
    List<State> out = new ArrayList<>();
    out.add(new State(0, List.of(), 0, "empty log"));
    int gapStart = 0;
    for (int i = 0; i <= log.size(); i++) {
      boolean end = i == log.size();
      if (!end && !log.get(i).isForce()) {
        continue;
      }
      List<Piece> pieces = pieces(log, gapStart, i);
      int subsets = end ? lastGap : perGap;
      for (int k = 0; k < subsets && !pieces.isEmpty(); k++) {
        List<Piece> chosen = choose(pieces, k % 3, rnd);
        if (!chosen.isEmpty() && chosen.size() < pieces.size()) {
          int horizon = chosen.get(chosen.size() - 1).entry() + 1;
          out.add(new State(gapStart, chosen, horizon, "entries [0," + gapStart + ") + "
              + chosen.size() + " of " + pieces.size() + " pieces of writes [" + gapStart + ","
              + i + ") (shape " + (k % 3) + ")"));
        }
      }
      if (!end) {
        out.add(new State(i + 1, List.of(), i + 1, "entries [0," + (i + 1) + ") (force " + i
            + ")"));
        gapStart = i + 1;
      } else if (gapStart < log.size()) {
        out.add(new State(log.size(), List.of(), log.size(), "the whole log"));
      }
    }
    return out;
  }

  private static List<Piece> pieces(List<RecordingChannel.Entry> log, int from, int to) {
    List<Piece> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      RecordingChannel.Entry e = log.get(i);
      int at = 0;
      while (at < e.bytes().length) {
        long dev = e.byteOffset() + at;
        int len = (int) Math.min(e.bytes().length - at, PAGE - dev % PAGE);
        out.add(new Piece(i, dev, at, len));
        at += len;
      }
    }
    return out;
  }

  private static List<Piece> choose(List<Piece> pieces, int shape, Random rnd) {
    List<Piece> out = new ArrayList<>();
    switch (shape) {
      case 0 -> {
        for (Piece p : pieces) {
          if (rnd.nextBoolean()) {
            out.add(p);
          }
        }
      }
      case 1 -> out.addAll(pieces.subList(0, 1 + rnd.nextInt(pieces.size())));
      default -> {
        int skip = rnd.nextInt(pieces.size());
        for (int n = 0; n < pieces.size(); n++) {
          if (n != skip) {
            out.add(pieces.get(n));
          }
        }
      }
    }
    return out;
  }

  /** Builds the bytes of {@code s} from the image before the log, {@code base} (not changed). */
  static byte[] image(byte[] base, List<RecordingChannel.Entry> log, State s) {
    byte[] img = base.clone();
    for (int i = 0; i < s.prefix(); i++) {
      RecordingChannel.Entry e = log.get(i);
      if (!e.isForce()) {
        img = put(img, e.byteOffset(), e.bytes(), 0, e.bytes().length);
      }
    }
    for (Piece p : s.pieces()) {
      img = put(img, p.byteOffset(), log.get(p.entry()).bytes(), p.from(), p.length());
    }
    return img;
  }

  private static byte[] put(byte[] img, long at, byte[] src, int from, int len) {
    byte[] out = at + len > img.length ? java.util.Arrays.copyOf(img, (int) (at + len)) : img;
    System.arraycopy(src, from, out, (int) at, len);
    return out;
  }
}
