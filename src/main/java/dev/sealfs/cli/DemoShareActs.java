package dev.sealfs.cli;

import dev.sealfs.client.SealAbi;
import dev.sealfs.client.SealHandle;
import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.fuse.FuseMount;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The act of {@code sealfs demo} on shared extents (SPEC 11; the section "Shared extents: `cp`
 * shares blocks" of docs/sealing.md): {@code cp} shares a file's blocks, the copy is sealed
 * ASIS, so its shared blocks are frozen shared and a write into them is ETXTBSY, while the
 * unsealed original still writes by copy-on-write: its map moves, the sealed copy's does not.
 * It tells the story through the {@link DemoCommand}'s narration and checks, on the native
 * binding only (copy_file_range never reaches sealfs through jnr-fuse).
 */
final class DemoShareActs {
  /** Size of the file that is copied: 256 blocks, two cells of the map below. */
  private static final int FILE_BYTES = 1 << 20;
  /** Where the writes into the original and the refused write into the copy land (block 1). */
  private static final long WRITE_AT = 5000;
  /** Where the copy writes once unsealed (block 2, still shared by both files). */
  private static final long UNSEALED_WRITE_AT = 9000;
  /** Most bytes {@code cp} may take up: a shared copy needs (almost) no new blocks. */
  private static final long CP_SLACK_BYTES = 64 << 10;
  /** Block size of the demo's image. */
  private static final long BLOCK_BYTES = 4096;

  /** The narrator and checker. */
  private final DemoCommand demo;
  /** The temporary filesystem. */
  private final DemoSession s;

  /** Creates the act for {@code demo}'s session {@code s}. */
  DemoShareActs(DemoCommand demo, DemoSession s) {
    this.demo = demo;
    this.s = s;
  }

  /** Plays the act where the binding forwards COPY_FILE_RANGE (native), else says why not. */
  void play() throws IOException {
    if (!FuseMount.binding(List.of()).equals("native")) {
      demo.note("the shared-extent act needs the native binding (root mounts it by default):"
          + " jnr-fuse never receives copy_file_range, so the kernel copies with writes and"
          + " nothing is shared");
      return;
    }
    sealReflinkedAsIs();
  }

  /** Act 14: cp shares the blocks, ASIS freezes the copy's, the original copies on write. */
  private void sealReflinkedAsIs() throws IOException {
    demo.heading("14. Sealing a reflinked file as-is");
    demo.say("copy_file_range between two files of one sealfs mount shares whole blocks instead"
        + " of copying them (SPEC 11), and coreutils 9 `cp` copies with copy_file_range: both"
        + " files then map the same device blocks, flagged shared, counted once. A write into a"
        + " shared block of an unsealed file copies that block first (copy-on-write).");
    Path orig = s.mnt.resolve("orig");
    Path copy = s.mnt.resolve("copy");
    demo.java("write 1 MiB of text to orig, fsync");
    DemoCommand.writeFile(orig, DemoCommand.repeat("original bytes\n", FILE_BYTES));
    long usedBefore = demo.usedBytes();
    DemoSession.Result cp = demo.show(List.of("cp", "orig", "copy"));
    LayoutPage origMap = showLayout("orig", orig);
    LayoutPage copyMap = showLayout("copy", copy);
    showMap(orig, copy);
    long grew = demo.usedBytes() - usedBefore;
    demo.check(cp.status() == 0 && allShared(origMap) && allShared(copyMap)
        && DemoCommand.overlapBytes(origMap.extents(), copyMap.extents()) == FILE_BYTES
        && grew < CP_SLACK_BYTES,
        "cp shared every block: both files map the same device blocks, flagged shared");

    demo.say("Now the copy is sealed ASIS: its map is frozen as it is, shared blocks and all."
        + " A write into a shared block would have to move that block, so it is refused. The"
        + " original is not sealed: a write into it still copies on write, and the sealed"
        + " copy keeps its blocks where they are.");
    SealHandle h = s.open(copy, true);
    demo.java("seal(SEALFS_SEAL_ASIS) on copy");
    h.seal(SealAbi.SEAL_ASIS);
    LayoutPage frozen = DemoCommand.layout(copy);
    demo.indent("sealed, shared blocks and all (generation "
        + Long.toUnsignedString(frozen.generation()) + ")");
    demo.check(frozen.sealed() && allShared(frozen) && frozen.extents().equals(copyMap.extents()),
        "asis freezes the copy's shared blocks shared");
    DemoSession.Result refused = demo.show(List.of("sh", "-c",
        "printf x | dd of=copy bs=1 seek=" + WRITE_AT + " conv=notrunc status=none"));
    demo.check(refused.busy(), "a write into a shared block of the sealed copy is refused with"
        + " ETXTBSY");
    DemoSession.Result cow = demo.show(List.of("sh", "-c",
        "printf x | dd of=orig bs=1 seek=" + WRITE_AT + " conv=notrunc status=none"));
    LayoutPage origAfter = showLayout("orig", orig);
    LayoutPage copyAfter = showLayout("copy", copy);
    showMap(orig, copy);
    LayoutExtent moved = extentAt(origAfter, WRITE_AT);
    long oldPhysical = physicalAt(origMap, WRITE_AT);
    demo.check(cow.status() == 0 && moved != null && (moved.flags() & LayoutExtent.SHARED) == 0
        && physicalAt(origAfter, WRITE_AT) != oldPhysical,
        "the original is still writable: its block moved (copy-on-write)");
    demo.check(copyAfter.extents().equals(frozen.extents())
        && copyAfter.generation() == frozen.generation(),
        "the sealed copy's map did not move: same extents, same generation");
    DemoSession.Result cmp = demo.show(List.of("cmp", "orig", "copy"));
    demo.check(cmp.output().contains("byte " + (WRITE_AT + 1)),
        "the copy kept its bytes; only the original changed");

    demo.java("unseal()");
    h.unseal();
    DemoSession.Result after = demo.show(List.of("sh", "-c",
        "printf y | dd of=copy bs=1 seek=" + UNSEALED_WRITE_AT + " conv=notrunc status=none"));
    LayoutPage copyFree = showLayout("copy", copy);
    demo.check(after.status() == 0 && physicalAt(copyFree, UNSEALED_WRITE_AT)
        != physicalAt(frozen, UNSEALED_WRITE_AT),
        "unsealed, the copy copies on write too: its block moved");
    h.close();
  }

  /** Prints {@code sealfs layout NAME} for {@code file} (in blocks) and returns the layout. */
  private LayoutPage showLayout(String name, Path file) throws IOException {
    LayoutPage page = DemoCommand.layout(file);
    demo.shown("sealfs layout " + name);
    demo.indent(LayoutCommand.format(name, page, LayoutCommand.Units.BLOCKS));
    return page;
  }

  /** Prints {@code sealfs map -r 2 $MNT} for the two files (plain characters). */
  private void showMap(Path orig, Path copy) throws IOException {
    demo.shown("sealfs map -r 2 $MNT orig copy");
    demo.indent(MapText.render(MapCommand.collect(s.mnt, List.of(orig, copy)), 64, 2, false));
  }

  /** Returns true if {@code page} has extents and every one of them is shared. */
  private static boolean allShared(LayoutPage page) {
    return !page.extents().isEmpty() && page.extents().stream()
        .allMatch(e -> (e.flags() & LayoutExtent.SHARED) != 0);
  }

  /** Returns the extent of {@code page} holding file byte {@code byteOffset}, or null. */
  private static LayoutExtent extentAt(LayoutPage page, long byteOffset) {
    for (LayoutExtent e : page.extents()) {
      if (byteOffset >= e.logical() && byteOffset < e.logical() + e.length()) {
        return e;
      }
    }
    return null;
  }

  /** Returns the device block holding file byte {@code byteOffset} in {@code page}, or -1. */
  private static long physicalAt(LayoutPage page, long byteOffset) {
    LayoutExtent e = extentAt(page, byteOffset);
    return e == null ? -1 : (e.physical() + byteOffset - e.logical()) / BLOCK_BYTES;
  }
}
