package dev.sealfs.cli;

import dev.sealfs.client.SealAbi;
import dev.sealfs.client.SealClient;
import dev.sealfs.client.SealClientException;
import dev.sealfs.client.SealHandle;
import dev.sealfs.core.FsException;
import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.core.Mkfs;
import dev.sealfs.core.SealResult;
import dev.sealfs.core.SealStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sealfs demo [--keep] [--dir DIR]}: the docs/sealing.md story, run for real on a
 * temporary image, explained step by step; exits 0 only if every step behaved as expected.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Show block-map sealing on a temporary filesystem: layouts, direct device",
        "writes, ETXTBSY refusals, freed blocks going to another file, seal modes, holders,",
        "range seals, a lease break, a revoked holder's write landing in quarantine, and a",
        "copy that shares its original's blocks sealed as-is while the original copies on write.",
        "Exits 0 if every step behaved as expected (so it is also a smoke test). The temporary",
        "image is always unmounted and deleted at the end, also on Ctrl-C, unless --keep."})
public final class DemoCommand implements Callable<Integer> {
  /** Size of the temporary image. */
  private static final long IMAGE_BYTES = 64L << 20;
  /** Block size of the temporary image. */
  private static final int BLOCK_BYTES = 4096;
  /** Size of the demo's small files. */
  private static final int FILE_BYTES = 16384;
  /** Text width the explanations are wrapped to. */
  private static final int WIDTH = 78;
  /** How long to wait for a release (it reaches the daemon asynchronously). */
  static final long RELEASE_WAIT_MS = 10_000;
  /** How long to wait for a child JVM to start and seal (slow on a loaded machine). */
  static final long CHILD_START_MS = 60_000;
  /** EPERM, what a strict seal of a holey file answers. */
  private static final int EPERM = 1;
  /** Exit status after Ctrl-C (128 + SIGINT, as a shell reports a job ended by it). */
  static final int EXIT_INTERRUPTED = 130;
  /** How long the Ctrl-C hook waits for the story to stop and clean up before it cleans up. */
  private static final long STOP_WAIT_MS = 30_000;

  /** Leave the filesystem mounted at the end. */
  @Option(names = "--keep",
      description = "Leave the filesystem mounted (and its files) for exploring afterwards.")
  boolean keep;

  /** Where to create the temporary directory. */
  @Option(names = "--dir", paramLabel = "DIR",
      description = "Create the temporary directory under DIR (default: java.io.tmpdir).")
  Path parent;

  /** picocli's model of this command, for its output streams. */
  @Spec
  CommandSpec spec;

  /** Where the story is told. */
  private PrintWriter out;
  /** The temporary filesystem. */
  private DemoSession s;
  /** Checks that behaved as expected. */
  private int passed;
  /** Checks that did not. */
  private final List<String> failed = new ArrayList<>();
  /** Set by the Ctrl-C hook: the story stops at its next output or check. */
  private volatile boolean interrupted;
  /** Counted down when the story has stopped and its cleanup is done. */
  private final CountDownLatch storyDone = new CountDownLatch(1);

  /** Thrown at the story's next output or check once Ctrl-C has been pressed. */
  private static final class Interrupted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the signal to unwind the story. */
    Interrupted() {
      super("interrupted", null, false, false);
    }
  }

  /** Runs the story; always cleans up; returns 0 if every check passed. */
  @Override
  public Integer call() {
    out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path base = parent != null ? parent : Paths.get(System.getProperty("java.io.tmpdir"));
    try {
      s = new DemoSession(base);
    } catch (IOException e) {
      err.println("sealfs: cannot create a temporary directory under " + base + ": "
          + e.getMessage());
      err.flush();
      return Main.EXIT_FAILURE;
    }
    DemoSession session = s;
    // Ctrl-C (SIGINT; also SIGTERM, SIGHUP): stop the story where it is, ending the command it
    // waits for, and let it unwind into its own cleanup below; clean up here only if it does
    // not get there in time. The JVM then exits 130 (128 + SIGINT).
    Thread hook = new Thread(() -> {
      interrupted = true;
      err.println();
      err.println("sealfs: demo interrupted; unmounting and deleting " + session.dir);
      err.flush();
      session.stop(err);
      try {
        if (storyDone.await(STOP_WAIT_MS, TimeUnit.MILLISECONDS)) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      session.cleanup(false, err);
    }, "sealfs-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    boolean finished = false;
    try {
      story();
      finished = true;
    } catch (IOException | RuntimeException e) {
      if (!interrupted) {
        fail("the demo stopped early: " + oneLine(e));
      }
    } finally {
      boolean leave = keep && finished && !interrupted;
      s.cleanup(leave, err);
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the hook is waiting for storyDone
      }
      if (!interrupted) {
        summary(leave);
      }
      storyDone.countDown();
    }
    if (interrupted) {
      return EXIT_INTERRUPTED;
    }
    return failed.isEmpty() ? 0 : Main.EXIT_FAILURE;
  }

  /** Ends the story (by unwinding it) once Ctrl-C has been pressed. */
  private void stopIfInterrupted() {
    if (interrupted) {
      throw new Interrupted();
    }
  }

  /** Tells the whole story, step by step. */
  private void story() throws IOException {
    stepFilesystem();
    Path data = s.mnt.resolve("data");
    List<LayoutExtent> dataMap = stepLayout(data);
    stepDeviceWrite(data, dataMap);
    SealHandle holder = stepSeal(data);
    stepRefusals(data);
    stepInPlace(data);
    stepReuse(data, holder, dataMap);
    stepOrphan();
    stepModes();
    stepLifetime();
    new DemoLeaseActs(this, s).play();
    new DemoShareActs(this, s).play();
  }

  // ---------------------------------------------------------------------------------------------
  // the steps

  /** Step 1: mkfs and mount. */
  private void stepFilesystem() throws IOException {
    heading("1. A fresh filesystem");
    say("sealfs keeps every file in blocks of one device: here an image file of 64 MiB. We make"
        + " the filesystem and mount it, like `sealfs mkfs -s 64M IMG` and `sealfs mount IMG"
        + " MNT`.");
    indent("IMG=" + s.image + "\nMNT=" + s.mnt);
    shown("sealfs mkfs -s 64M $IMG");
    indent(Mkfs.run(s.image, IMAGE_BYTES, BLOCK_BYTES, false, false));
    long pid = s.mount();
    shown("sealfs mount $IMG $MNT");
    indent("mounted (daemon pid " + pid + ", log " + s.log + ")");
    say("Every command below runs in $MNT.");
  }

  /** Step 2: a file and its extents. */
  private List<LayoutExtent> stepLayout(Path data) throws IOException {
    heading("2. A file and where its bytes live");
    say("We write a 16 KiB file. Its layout (block map) says where each byte sits on the device:"
        + " logical offset in the file -> physical offset in the image.");
    byte[] text = repeat("hello, sealfs\n", FILE_BYTES);
    writeFile(data, text);
    shown("sealfs layout data");
    LayoutPage page = layout(data);
    indent(LayoutCommand.format("data", page, LayoutCommand.Units.BLOCKS));
    showXattr("data", SealAbi.XATTR_LAYOUT);
    long covered = 0;
    boolean allWritten = true;
    for (LayoutExtent e : page.extents()) {
      covered += e.length();
      allWritten &= e.flags() == 0;
    }
    check(covered == FILE_BYTES && allWritten && !page.extents().isEmpty(),
        "the file's " + FILE_BYTES + " bytes are in written extents");
    return page.extents();
  }

  /** Step 3: write the device directly, read it back through the mount. */
  private void stepDeviceWrite(Path data, List<LayoutExtent> map) throws IOException {
    heading("3. Going around the filesystem");
    long phys = map.get(0).physical();
    say("A direct client (think: an RDMA NIC, or a DAX mapping) does not call write(2) on the"
        + " file; it writes the device at the physical offset the layout gave. We write the"
        + " image at byte " + phys + " and read the file through the mount with O_DIRECT, which"
        + " asks sealfs itself: the mount keeps the file's pages cached across opens, and only a"
        + " seal's end tells it that the device changed underneath (SPEC 5 is about sealed"
        + " files; this one is not sealed yet).");
    String msg = "WRITTEN STRAIGHT TO THE DEVICE";
    show(List.of("sh", "-c", "printf '" + msg + "\\n' | dd of=$IMG bs=1 seek=" + phys
        + " conv=notrunc status=none"));
    DemoSession.Result r = show(List.of("sh", "-c",
        "dd if=data iflag=direct bs=" + BLOCK_BYTES + " count=1 status=none | head -n 1"));
    check(r.output().equals(msg), "an O_DIRECT read through the mount reads the device write");
  }

  /** Step 4: seal with the client library. */
  private SealHandle stepSeal(Path data) throws IOException {
    heading("4. Sealing");
    say("That is only safe while the file's blocks cannot move or be freed. A seal guarantees"
        + " it: the holder (one open file handle) asks with the SEALFS_IOC_SEAL ioctl. Here this"
        + " demo itself is the holder, through the Java client library (dev.sealfs.client).");
    SealHandle h = s.open(data, true);
    java("SealClient.open(data, true).seal(0 /* strict */)");
    SealResult r = h.seal(0);
    indent("generation=" + r.generation() + " holders=" + r.holders());
    String seal = showXattr("data", SealAbi.XATTR_SEAL);
    check(seal.startsWith("sealed holders=1"), "the file is sealed with one holder");
    return h;
  }

  /** Step 5: every map or size change is refused with ETXTBSY. */
  private void stepRefusals(Path data) throws IOException {
    heading("5. Map changes are refused: Text file busy (ETXTBSY)");
    say("While sealed, anything that would change the block map or the size fails with ETXTBSY,"
        + " checked before any data is accepted: truncate (shrink or grow), fallocate in every"
        + " mode, and writes that would extend the file or fill a hole.");
    long genBefore = status(data).generation();
    expectBusy("truncate", "-s", "0", "data");
    expectBusy("truncate", "-s", "1M", "data");
    expectBusy("fallocate", "-l", "1M", "data");
    expectBusy("fallocate", "--punch-hole", "-o", "0", "-l", "4096", "data");
    if (onPath("xfs_io")) {
      expectBusy("xfs_io", "-c", "falloc 0 64k", "data");
    }
    expectBusy("sh", "-c", "echo more | dd of=data oflag=append conv=notrunc status=none");
    java("new RandomAccessFile(data, \"rw\").setLength(0)");
    try (RandomAccessFile raf = new RandomAccessFile(data.toFile(), "rw")) {
      raf.setLength(0);
      indent("succeeded");
      check(false, "ftruncate from Java is refused");
    } catch (IOException e) {
      indent("IOException: " + e.getMessage());
      check(String.valueOf(e.getMessage()).contains("Text file busy"),
          "ftruncate from Java is refused with ETXTBSY");
    }
    SealStatus after = status(data);
    check(after.size() == FILE_BYTES && after.generation() == genBefore,
        "size (" + after.size() + ") and generation (" + after.generation() + ") unchanged");
  }

  /** Step 6: writes inside written extents are allowed. */
  private void stepInPlace(Path data) throws IOException {
    heading("6. Writes inside the file are still allowed");
    say("A seal freezes the map, not the data: overwriting bytes that already have blocks is"
        + " fine, through the mount or through the device.");
    DemoSession.Result r = show(List.of("sh", "-c",
        "printf 'IN PLACE' | dd of=data conv=notrunc status=none"));
    check(r.status() == 0, "an in-place write through the mount succeeds");
    DemoSession.Result back = show(List.of("head", "-n", "1", "data"));
    check(back.output().startsWith("IN PLACE"), "the new bytes are there");
  }

  /** Step 7: unseal, truncate, and watch another file get the freed blocks. */
  private void stepReuse(Path data, SealHandle holder, List<LayoutExtent> oldMap)
      throws IOException {
    heading("7. Unsealed, the blocks are free to go to someone else");
    say("Now the holder lets go (SEALFS_IOC_UNSEAL; closing the handle would do the same) and"
        + " we truncate the file: its blocks return to the allocator. (They become reusable once"
        + " the freeing commit is durable: at once on fsync, else within a second.)");
    java("handle.unseal(); handle.close()");
    holder.unseal();
    holder.close();
    indent("unsealed");
    DemoSession.Result r = show(List.of("truncate", "-s", "0", "data"));
    check(r.status() == 0, "truncate works once the seal is gone");
    show(List.of("sync", "data"));
    say("A new file is written, and the allocator hands it the blocks that were just freed:");
    Path other = s.mnt.resolve("other");
    writeFile(other, repeat("other file's data\n", FILE_BYTES));
    LayoutPage page = layout(other);
    showXattr("other", SealAbi.XATTR_LAYOUT);
    shown("sealfs map -r 2 $MNT");
    indent(MapText.render(MapCommand.collect(s.mnt, List.of()), 64, 2, false));
    long overlap = overlapBytes(oldMap, page.extents());
    if (overlap == 0) {
      note("the allocator chose other blocks this time; the point below still stands");
      return;
    }
    indent("-> " + overlap + " bytes of 'other' sit exactly where 'data' was");
    long phys = oldMap.get(0).physical();
    say("This is the danger sealing exists for. A NIC that was told \"data lives at byte "
        + phys + "\" and is still DMAing there now scribbles over 'other', a file it was never"
        + " given:");
    String msg = "A NIC STILL DMAING";
    show(List.of("sh", "-c", "printf '" + msg + "' | dd of=$IMG bs=1 seek=" + phys
        + " conv=notrunc status=none"));
    long at = firstLogicalAt(page.extents(), phys);
    DemoSession.Result r2 = show(List.of("sh", "-c", "dd if=other iflag=direct bs="
        + FILE_BYTES + " count=1 status=none | " + (at == 0 ? "" : "tail -c +" + (at + 1)
        + " | ") + "head -c " + msg.length()));
    check(r2.output().equals(msg), "the stale direct write landed in 'other'");
    say("With the seal held, the truncate above was refused (step 5), and even unlinking the"
        + " file cannot free the blocks, as the next step shows.");
  }

  /** Step 8: an unlinked sealed file is an orphan whose blocks are not reused. */
  private void stepOrphan() throws IOException {
    heading("8. Orphans: unlink while sealed");
    say("Unlink is allowed on a sealed file, but its blocks stay allocated and are given to"
        + " nobody until the last holder lets go.");
    Path buf = s.mnt.resolve("buffer");
    writeFile(buf, repeat("rdma buffer\n", FILE_BYTES));
    SealHandle h = s.open(buf, true);
    h.seal(0);
    List<LayoutExtent> map = h.layout();
    long usedBefore = usedBytes();
    java("seal 'buffer' through a handle, then Files.delete(buffer)");
    Files.delete(buf);
    indent("the orphan still has its blocks: " + describe(map));
    check(!Files.exists(buf), "the name is gone");
    Path next = s.mnt.resolve("next");
    writeFile(next, repeat("next file\n", FILE_BYTES));
    LayoutPage nextPage = layout(next);
    showXattr("next", SealAbi.XATTR_LAYOUT);
    check(overlapBytes(map, nextPage.extents()) == 0,
        "a new file does not get the orphan's blocks");
    check(h.layout().equals(map) && usedBytes() == usedBefore + FILE_BYTES,
        "the orphan keeps its layout and its space (" + FILE_BYTES + " bytes still in use)");
    java("handle.close()   /* last holder of the orphan goes */");
    h.close();
    boolean freed = waitUntil(() -> usedBytes() == usedBefore);
    indent("used space back to " + usedBytes() + " bytes");
    check(freed, "the orphan's blocks are freed after the last holder");
  }

  /** Step 9: strict, asis and prepare seals of a sparse file. */
  private void stepModes() throws IOException {
    heading("9. Seal modes on a sparse file");
    say("A sparse file has holes (no blocks) and may have unwritten (preallocated) extents. The"
        + " three modes treat them differently: strict refuses to seal (EPERM), asis freezes the"
        + " map with its holes (writes into them are then refused), prepare first allocates"
        + " everything and then seals.");
    Path sp = s.mnt.resolve("sparse");
    show(List.of("truncate", "-s", "32K", "sparse"));
    show(List.of("sh", "-c", "printf data | dd of=sparse bs=4096 seek=2 conv=notrunc"
        + " status=none"));
    show(List.of("fallocate", "-o", "16K", "-l", "8K", "sparse"));
    shown("sealfs layout sparse");
    indent(LayoutCommand.format("sparse", layout(sp), LayoutCommand.Units.BLOCKS));
    try (SealHandle h = SealClient.open(sp, true)) {
      java("seal(0 /* strict */)");
      try {
        h.seal(0);
        indent("sealed");
        check(false, "strict seal of a holey file is refused");
      } catch (SealClientException e) {
        indent(e.symbol() + ": " + e.reason());
        check(e.errno() == EPERM, "strict seal of a holey file is refused with EPERM");
      }
      java("seal(SEALFS_SEAL_ASIS)");
      h.seal(SealAbi.SEAL_ASIS);
      indent("sealed, holes and all");
      DemoSession.Result inside = show(List.of("sh", "-c",
          "printf x | dd of=sparse bs=1 seek=8192 conv=notrunc status=none"));
      check(inside.status() == 0, "asis: a write inside a written extent is allowed");
      DemoSession.Result hole = show(List.of("sh", "-c",
          "printf x | dd of=sparse bs=1 seek=0 conv=notrunc status=none"));
      check(hole.busy(), "asis: a write into a hole is refused with ETXTBSY");
      h.unseal();
      java("unseal(); seal(SEALFS_SEAL_PREPARE)");
      h.seal(SealAbi.SEAL_PREPARE);
      LayoutPage page = layout(sp);
      shown("sealfs layout sparse");
      indent(LayoutCommand.format("sparse", page, LayoutCommand.Units.BLOCKS));
      long covered = 0;
      boolean written = true;
      for (LayoutExtent e : page.extents()) {
        covered += e.length();
        written &= e.flags() == 0;
      }
      check(covered == 32768 && written && page.sealed(),
          "prepare: no holes or unwritten extents left, and sealed");
      h.unseal();
    }
  }

  /** Step 10: holders go away on close, on kill -9, and live on in forked children. */
  private void stepLifetime() throws IOException {
    heading("10. Holders and lifetime");
    say("A holder is one open file handle. It is dropped by unseal, or when the handle is"
        + " released: after the last close (and munmap), also when the process dies. dup and"
        + " fork share the handle, so a child keeps the seal alive.");
    Path sp = s.mnt.resolve("sparse");
    java("start 'sealfs seal sparse' as a child process, then kill -9 it");
    List<String> cmd = new ArrayList<>(DemoSession.selfCommand());
    cmd.addAll(List.of("seal", sp.toString()));
    Process p = s.start(new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD));
    boolean sealed = waitUntil(() -> holders(sp) == 1, CHILD_START_MS);
    indent("holders=" + holders(sp) + " while 'sealfs seal' (pid " + p.pid() + ") runs");
    check(sealed, "a background 'sealfs seal' holds the file");
    p.destroyForcibly();
    boolean gone = waitUntil(() -> holders(sp) == 0);
    indent("holders=" + holders(sp) + " after kill -9 " + p.pid());
    check(gone, "kill -9 of the holder drops its seal");

    say("user.sealfs.seal_on_open makes every open for writing a holder, so unmodified programs"
        + " can hold seals. A shell opens the file on fd 7, forks `sleep` (which inherits fd 7),"
        + " closes its own fd 7 and exits: the sleeping child still holds the seal.");
    UserDefinedFileAttributeView view =
        Files.getFileAttributeView(sp, UserDefinedFileAttributeView.class);
    java("setxattr(sparse, \"user.sealfs.seal_on_open\", \"strict\")  /* = setfattr */");
    view.write("sealfs.seal_on_open", ByteBuffer.wrap("strict".getBytes(StandardCharsets.UTF_8)));
    show(List.of("sh", "-c", "cat sparse > /dev/null"));
    indent("holders=" + holders(sp) + " after a read-only open (reads never seal)");
    DemoSession.Result r = show(List.of("sh", "-c",
        "exec 7<>sparse; sleep 600 >/dev/null 2>&1 & echo \"sleep pid $!\"; exec 7>&-"));
    long sleeper = Long.parseLong(r.output().replaceAll("[^0-9]", ""));
    s.adopt(sleeper);
    boolean held = waitUntil(() -> holders(sp) == 1);
    indent("holders=" + holders(sp) + " (the shell is gone; its child sleep has the handle)");
    check(held, "a forked child keeps the seal after the parent closed and exited");
    shown("kill " + sleeper);
    ProcessHandle.of(sleeper).ifPresent(ProcessHandle::destroy);
    boolean released = waitUntil(() -> holders(sp) == 0);
    indent("holders=" + holders(sp));
    check(released, "the seal goes with the last process holding the handle");
    java("removexattr(sparse, \"user.sealfs.seal_on_open\")");
    view.delete("sealfs.seal_on_open");
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  /** Runs {@code cmd}, expecting it to fail with "Text file busy". */
  void expectBusy(String... cmd) throws IOException {
    DemoSession.Result r = show(List.of(cmd));
    check(r.busy(), String.join(" ", cmd).replace("sh -c ", "") + ": refused with ETXTBSY");
  }

  /** Runs {@code cmd} in the mount point, printing it and its output. */
  DemoSession.Result show(List<String> cmd) throws IOException {
    shown(render(cmd));
    DemoSession.Result r = s.run(cmd);
    if (!r.output().isEmpty()) {
      indent(r.output());
    }
    if (r.status() != 0) {
      indent("(exit " + r.status() + ")");
    }
    return r;
  }

  /** Renders a command line the way a user would type it. */
  private static String render(List<String> cmd) {
    if (cmd.size() == 3 && cmd.get(0).equals("sh") && cmd.get(1).equals("-c")) {
      return cmd.get(2);
    }
    StringBuilder sb = new StringBuilder();
    for (String a : cmd) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(a.matches("[A-Za-z0-9_./=:-]+") ? a : "\"" + a + "\"");
    }
    return sb.toString();
  }

  /** Returns the whole layout of {@code file}, read through a query handle. */
  static LayoutPage layout(Path file) throws SealClientException {
    try (SealHandle h = SealClient.openForQuery(file)) {
      return h.layoutAll();
    }
  }

  /** Returns the seal status of {@code file}, read through a query handle. */
  private static SealStatus status(Path file) throws SealClientException {
    try (SealHandle h = SealClient.openForQuery(file)) {
      return h.status();
    }
  }

  /** Returns the number of holders of {@code file}, or -1 if it cannot be read. */
  private static long holders(Path file) {
    try {
      return status(file).holders();
    } catch (SealClientException e) {
      return -1;
    }
  }

  /**
   * Shows xattr {@code name} of mount-relative {@code file} with getfattr(1) (or, without it,
   * through the client library) and returns its value.
   */
  String showXattr(String file, String name) throws IOException {
    String value = SealClient.getXattr(s.mnt.resolve(file), name).orElse("");
    if (onPath("getfattr")) {
      show(List.of("getfattr", "--only-values", "-n", name, file));
    } else {
      java("SealClient.getXattr(" + file + ", \"" + name + "\")");
      indent(value);
    }
    return value;
  }

  /** Returns the bytes in use on the mount, from statfs. */
  long usedBytes() {
    try {
      java.nio.file.FileStore st = Files.getFileStore(s.mnt);
      return st.getTotalSpace() - st.getUnallocatedSpace();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Writes {@code bytes} as {@code file}'s whole content and fsyncs it. */
  static void writeFile(Path file, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
  }

  /** Reads {@code n} bytes of {@code file} at {@code pos} through a fresh open. */
  private static byte[] readFile(Path file, long pos, int n) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(n);
      while (b.hasRemaining() && ch.read(b, pos + b.position()) > 0) {
        // keep reading
      }
      return java.util.Arrays.copyOf(b.array(), b.position());
    }
  }

  /** Writes {@code bytes} to the image at {@code physical} and flushes it. */
  private void writeDevice(long physical, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(s.image, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b, physical + b.position());
      }
      ch.force(true);
    }
  }

  /** Returns {@code unit} repeated and cut to {@code n} bytes. */
  static byte[] repeat(String unit, int n) {
    byte[] u = unit.getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      out[i] = u[i % u.length];
    }
    return out;
  }

  /** Returns how many physical bytes the two maps share. */
  static long overlapBytes(List<LayoutExtent> a, List<LayoutExtent> b) {
    long total = 0;
    for (LayoutExtent x : a) {
      for (LayoutExtent y : b) {
        long lo = Math.max(x.physical(), y.physical());
        long hi = Math.min(x.physical() + x.length(), y.physical() + y.length());
        total += Math.max(0, hi - lo);
      }
    }
    return total;
  }

  /** Returns the logical offset that maps to {@code physical} in {@code map} (0 if none). */
  private static long firstLogicalAt(List<LayoutExtent> map, long physical) {
    for (LayoutExtent e : map) {
      if (physical >= e.physical() && physical < e.physical() + e.length()) {
        return e.logical() + (physical - e.physical());
      }
    }
    return 0;
  }

  /** Returns "N extent(s) at physical P.." for a short description. */
  private static String describe(List<LayoutExtent> map) {
    StringBuilder sb = new StringBuilder();
    for (LayoutExtent e : map) {
      sb.append(sb.length() == 0 ? "" : ", ").append("physical ").append(e.physical())
          .append("+").append(e.length());
    }
    return sb.length() == 0 ? "no extents" : sb.toString();
  }

  /** Returns true if {@code prog} is an executable on PATH. */
  private static boolean onPath(String prog) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String d : path.split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Paths.get(d, prog))) {
        return true;
      }
    }
    return false;
  }

  /** A condition polled by {@link #waitUntil}. */
  interface Condition {
    /** Returns true once the awaited state is reached. */
    boolean holds();
  }

  /** Polls {@code c} until it holds or {@link #RELEASE_WAIT_MS} pass; true if it held. */
  private boolean waitUntil(Condition c) {
    return waitUntil(c, RELEASE_WAIT_MS);
  }

  /** Polls {@code c} until it holds or {@code ms} pass; true if it held. */
  boolean waitUntil(Condition c, long ms) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (true) {
      stopIfInterrupted();
      if (c.holds()) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      DemoSession.sleepMs(50);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // output

  /** Records one expectation and prints whether it held. */
  void check(boolean ok, String what) {
    stopIfInterrupted();
    if (ok) {
      passed++;
      out.println("  [ok] " + what);
    } else {
      fail(what);
    }
    out.flush();
  }

  /** Records and prints an expectation that did not hold. */
  private void fail(String what) {
    failed.add(what);
    out.println("  [UNEXPECTED] " + what);
    out.flush();
  }

  /** Prints a side remark that is not a check. */
  void note(String what) {
    stopIfInterrupted();
    out.println("  [note] " + what);
    out.flush();
  }

  /** Prints a step's heading. */
  void heading(String title) {
    stopIfInterrupted();
    out.println();
    out.println("== " + title + " ==");
    out.flush();
  }

  /** Prints a paragraph of explanation, wrapped. */
  void say(String text) {
    stopIfInterrupted();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (line.length() > 0 && line.length() + 1 + word.length() > WIDTH) {
        out.println(line);
        line.setLength(0);
      }
      if (line.length() > 0) {
        line.append(' ');
      }
      line.append(word);
    }
    if (line.length() > 0) {
      out.println(line);
    }
    out.flush();
  }

  /** Prints a call the demo makes itself, in Java, through the client library or the JDK. */
  void java(String call) {
    stopIfInterrupted();
    out.println("  [java] " + call);
    out.flush();
  }

  /** Prints a command as typed at a prompt. */
  void shown(String command) {
    stopIfInterrupted();
    out.println("  $ " + command);
    out.flush();
  }

  /** Prints command output, indented. */
  void indent(String text) {
    stopIfInterrupted();
    for (String l : text.strip().split("\n", -1)) {
      out.println("    " + l);
    }
    out.flush();
  }

  /** Prints the final verdict and, with --keep, how to explore and clean up. */
  private void summary(boolean left) {
    out.println();
    if (failed.isEmpty()) {
      out.println("All " + passed + " checks behaved as expected.");
    } else {
      out.println(failed.size() + " of " + (passed + failed.size())
          + " checks did not behave as expected:");
      for (String f : failed) {
        out.println("  - " + f);
      }
    }
    if (left) {
      out.println("Left mounted for exploring: " + s.image + " at " + s.mnt + " (daemon pid "
          + s.daemonPid() + ").");
      out.println("Clean up with: fusermount3 -u " + s.mnt + " && rm -r " + s.dir);
    } else {
      out.println("Unmounted and deleted " + s.dir + ".");
    }
    out.println("The walk-through with every command: docs/sealing.md");
    out.flush();
  }

  /** Returns the first line of an exception's message (or its class). */
  private static String oneLine(Throwable t) {
    String m = t.getMessage();
    if (t instanceof FsException || t instanceof SealClientException) {
      return Main.oneLine(m);
    }
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + Main.oneLine(m));
  }
}
