package dev.sealfs.cli;

import dev.sealfs.client.HandleStatus;
import dev.sealfs.client.SealAbi;
import dev.sealfs.client.SealClientException;
import dev.sealfs.client.SealHandle;
import dev.sealfs.core.LayoutExtent;
import dev.sealfs.core.LayoutPage;
import dev.sealfs.fuse.FuseMount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The acts of {@code sealfs demo} that go past whole-file hard seals (SPEC 9, 10, 12; the
 * chapters "A range seal on a growing log", "A lease break" and "A holder that does not let go"
 * of docs/sealing.md): a range seal a log grows into, a lease that {@code sealfs direct
 * --breakable} gives up when a truncate breaks it, and a lease held on past its deadline, whose
 * revoked holder's late device write lands in quarantined blocks instead of another file. They
 * tell the story through the {@link DemoCommand}'s narration and checks; the demo's mount has
 * {@code break_time=}{@link DemoSession#BREAK_TIME_SECONDS}.
 */
final class DemoLeaseActs {
  /** The range the log seals: its first 64 KiB. */
  private static final int LOG_RANGE_BYTES = 64 << 10;
  /** Size of the leased and revoked files. */
  private static final int LEASE_FILE_BYTES = 1 << 20;

  /** The narrator and checker. */
  private final DemoCommand demo;
  /** The temporary filesystem. */
  private final DemoSession s;

  /** Creates the acts for {@code demo}'s session {@code s}. */
  DemoLeaseActs(DemoCommand demo, DemoSession s) {
    this.demo = demo;
    this.s = s;
  }

  /** Plays the three acts; the lease acts only where the binding forwards POLL. */
  void play() throws IOException {
    rangeSealOnALog();
    if (!FuseMount.binding(List.of()).equals("native")) {
      demo.note("the lease acts need the native binding (root mounts it by default): with"
          + " jnr-fuse a waiting operation holds the only request thread, so every break ends"
          + " by revocation");
      return;
    }
    leaseToldAndGivenUp();
    leaseRevokedAndQuarantined();
  }

  /** Act 11: a PREPARE range seal of a log's first 64 KiB; the log grows into it. */
  private void rangeSealOnALog() throws IOException {
    demo.heading("11. A range seal on a growing log");
    demo.say("A seal may cover a byte range only (SPEC 9): map changes of its blocks and"
        + " shrinking below its end are refused, everything else is allowed. With PREPARE the"
        + " range may reach past EOF: its blocks are allocated, zero-filled, without changing"
        + " the size, so a log can grow into them while its map stays frozen.");
    Path log = s.mnt.resolve("log");
    demo.show(List.of("sh", "-c", "printf 'boot\\n' > log"));
    SealHandle h = s.open(log, true);
    demo.java("seal(SEALFS_SEAL_PREPARE, offset 0, length 64K)");
    h.seal(SealAbi.SEAL_PREPARE, 0, LOG_RANGE_BYTES);
    LayoutPage before = DemoCommand.layout(log);
    demo.shown("sealfs layout log");
    demo.indent(LayoutCommand.format("log", before, LayoutCommand.Units.BLOCKS));
    String holders = demo.showXattr("log", SealAbi.XATTR_HOLDERS);
    demo.check(holders.contains("range=0:" + LOG_RANGE_BYTES),
        "user.sealfs.holders shows the range");
    DemoSession.Result grow = demo.show(List.of("sh", "-c",
        "for i in 1 2 3; do echo \"line $i\" >> log; done; stat -c 'size %s' log"));
    LayoutPage after = DemoCommand.layout(log);
    demo.check(grow.status() == 0 && after.size() > before.size()
        && after.extents().equals(before.extents())
        && after.generation() == before.generation(),
        "the log grows inside its sealed blocks: same extents, same generation");
    demo.expectBusy("truncate", "-s", "10", "log");
    DemoSession.Result past = demo.show(List.of("truncate", "-s", "100K", "log"));
    demo.check(past.status() == 0, "growing past the range is allowed");
    DemoSession.Result punch = demo.show(List.of("fallocate", "--punch-hole", "-o", "80K",
        "-l", "4K", "log"));
    demo.check(punch.status() == 0, "a map change outside the sealed blocks is allowed");
    h.unseal();
    h.close();
  }

  /** Act 12: a lease held by {@code sealfs direct --breakable}, broken by a truncate. */
  private void leaseToldAndGivenUp() throws IOException {
    demo.heading("12. A lease break, told from both sides");
    demo.say("SEALFS_SEAL_BREAKABLE makes a seal a lease (SPEC 10): an operation it would refuse"
        + " waits instead, and a break begins. The holder's handle reports POLLPRI, STATUS shows"
        + " BREAKING and the deadline (break_time, " + DemoSession.BREAK_TIME_SECONDS + " s on"
        + " this mount); a holder that lets go in time just loses its seal, and the waiting"
        + " operation proceeds. Here `sealfs direct --breakable` is the holder: it writes the"
        + " device at the file's extents until it is told, then stops its device I/O, releases"
        + " the seal and says how long that took.");
    Path lease = s.mnt.resolve("lease");
    DemoCommand.writeFile(lease, new byte[LEASE_FILE_BYTES]);
    Path direct = s.dir.resolve("direct.out");
    List<String> cmd = new ArrayList<>(DemoSession.selfCommand());
    cmd.addAll(List.of("direct", lease.toString(), "--breakable", "--write", "--ops",
        "100000000", "--time", "120"));
    demo.shown("sealfs direct lease --breakable --write --time 120 &");
    Process p = s.start(new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(direct.toFile()));
    boolean running = demo.waitUntil(() -> read(direct).contains("direct: lease held"),
        DemoCommand.CHILD_START_MS);
    demo.indent(read(direct));
    demo.check(running, "the direct holder holds a breakable seal and writes the device");
    if (!running) {
      return;
    }
    DemoSession.Result t = demo.show(List.of("truncate", "-s", "4096", "lease"));
    boolean ended = demo.waitUntil(() -> !p.isAlive(), DemoCommand.CHILD_START_MS);
    String report = read(direct);
    StringBuilder told = new StringBuilder();
    for (String l : report.split("\n")) {
      if (l.startsWith("direct: break") || l.startsWith("direct: let go")
          || l.startsWith("direct: mode=") || l.startsWith("violations=")) {
        told.append(l).append('\n');
      }
    }
    demo.indent(told.toString());
    demo.check(t.status() == 0 && ended && p.exitValue() == 0
        && report.contains(" pollpri=1 ") && report.contains("direct: let go"),
        "told (POLLPRI), the holder stopped its I/O and let go; the truncate proceeded");
  }

  /** Act 13: a lease held past its deadline: revoked, quarantined, acknowledged. */
  private void leaseRevokedAndQuarantined() throws IOException {
    demo.heading("13. A holder that does not let go: revocation and quarantine");
    demo.say("A holder still there at the deadline is revoked: its seal is gone and the waiting"
        + " operation proceeds; STATUS through its handle shows REVOKED and LAYOUT is ESTALE."
        + " The blocks the operation freed are quarantined: counted as used, given to no file"
        + " until the revoked holder acknowledges (UNSEAL) or closes, so its late direct writes"
        + " land in blocks nobody owns. Compare step 7, where the stale write hit 'other'.");
    Path victim = s.mnt.resolve("victim");
    DemoCommand.writeFile(victim, new byte[LEASE_FILE_BYTES]);
    SealHandle h = s.open(victim, true);
    demo.java("seal(SEALFS_SEAL_BREAKABLE)   /* and then never look at POLLPRI */");
    h.seal(SealAbi.SEAL_BREAKABLE);
    List<LayoutExtent> old = h.layout();
    long usedBefore = demo.usedBytes();
    long t0 = System.nanoTime();
    DemoSession.Result t = demo.show(List.of("truncate", "-s", "0", "victim"));
    demo.indent(String.format("(it waited %.1f s)", (System.nanoTime() - t0) / 1e9));
    demo.check(t.status() == 0 && demo.usedBytes() >= usedBefore,
        "the truncate proceeded at the deadline; the freed blocks still count as used");
    HandleStatus st = h.handleStatus();
    demo.java("handle.status()");
    demo.indent("state=" + st.state() + (st.revoked() ? " (REVOKED)" : "") + " held_by_me="
        + (st.seal().heldByMe() ? 1 : 0));
    demo.check(st.revoked(), "the holder was revoked at the deadline");
    demo.java("handle.layout()");
    try {
      h.layout();
      demo.indent("succeeded");
      demo.check(false, "LAYOUT through a revoked handle is ESTALE");
    } catch (SealClientException e) {
      demo.indent(e.symbol() + ": " + e.reason());
      demo.check(e.errno() == 116, "LAYOUT through a revoked handle is ESTALE");
    }
    demo.show(List.of("sync", "victim"));
    Path bystander = s.mnt.resolve("bystander");
    DemoCommand.writeFile(bystander, DemoCommand.repeat("bystander's own data\n",
        LEASE_FILE_BYTES));
    demo.say("Another file is written, as in step 7; the map shows 'victim' with no blocks and"
        + " its old blocks used by no file (the quarantine):");
    demo.shown("sealfs map -r 2 $MNT");
    demo.indent(MapText.render(MapCommand.collect(s.mnt, List.of()), 64, 2, false));
    LayoutPage by = DemoCommand.layout(bystander);
    demo.check(DemoCommand.overlapBytes(old, by.extents()) == 0,
        "the quarantined blocks went to no other file");
    long phys = old.get(0).physical();
    String late = "LATE WRITE OF A REVOKED HOLDER";
    demo.say("The revoked holder, not knowing, writes where 'victim' used to be:");
    demo.show(List.of("sh", "-c", "printf '" + late + "' | dd of=$IMG bs=1 seek=" + phys
        + " conv=notrunc status=none"));
    DemoSession.Result g = demo.show(List.of("sh", "-c", "grep -c 'LATE WRITE' bystander || true;"
        + " head -c 21 bystander"));
    demo.check(g.output().startsWith("0"), "the late write did not reach another file");
    demo.java("handle.unseal()   /* acknowledges the revocation */");
    h.unseal();
    boolean back = demo.waitUntil(() -> demo.usedBytes() < usedBefore + LEASE_FILE_BYTES / 2,
        DemoCommand.RELEASE_WAIT_MS);
    demo.indent("used space now " + demo.usedBytes() + " bytes (before the truncate: "
        + usedBefore + ")");
    demo.check(back && h.handleStatus().state() == 0,
        "acknowledged: the state is clear and the quarantined blocks are free again");
    h.close();
  }

  /** Returns {@code file}'s content as text, "" if it cannot be read. */
  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return "";
    }
  }
}
