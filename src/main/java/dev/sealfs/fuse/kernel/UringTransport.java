package dev.sealfs.fuse.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The choice between FUSE-over-io_uring and plain /dev/fuse reads, and the io_uring queues when
 * they are chosen: one queue per possible CPU (the kernel's {@code num_possible_cpus()}, queue id
 * = CPU number), each with {@code entriesPerQueue} {@link UringWorker}s.
 *
 * <h2>Theory of operation</h2>
 *
 * <pre>
 *   before INIT  prepare():  -o io_uring=off, no enable_uring parameter (kernel without
 *                            CONFIG_FUSE_IO_URING) or enable_uring=N: no rings.
 *                            Else set up every entry's ring and buffers and round-trip a NOP on
 *                            each; any failure: no rings.
 *                            INIT asks for FUSE_OVER_IO_URING only if the rings are ready.
 *   after INIT   start():    not agreed: free the rings.
 *                            Agreed: the first entry registers alone; a refusal (the kernel then
 *                            turns io_uring off for the connection) leaves /dev/fuse. Then the
 *                            others; the kernel switches to the rings once every queue has an
 *                            entry registered.
 * </pre>
 *
 * Exactly one log line says which transport runs and why. INIT, FORGET, INTERRUPT and
 * notifications stay on /dev/fuse in every case (the kernel does not send them by io_uring),
 * so the session's /dev/fuse workers run either way. The NOP probe matters: once INIT has agreed
 * on io_uring the kernel holds every request until the queues are registered or a registration
 * is refused, so a ring that could not submit at all after INIT would hang the mount.
 *
 * <p>Used by the session thread only ({@link #prepare}, {@link #start}, {@link #join},
 * {@link #freeUnstarted}); each entry's thread owns its entry once started.
 */
final class UringTransport {

  private static final Logger LOG = LoggerFactory.getLogger(UringTransport.class);

  /** The logger of the one transport line; logback.xml keeps it at INFO under the WARN default. */
  private static final Logger TRANSPORT_LOG = LoggerFactory.getLogger("sealfs.transport");

  /** The fuse module's switch for io_uring (present with CONFIG_FUSE_IO_URING). */
  static final Path ENABLE_URING = Path.of("/sys/module/fuse/parameters/enable_uring");
  /** The possible CPUs (the kernel has one queue for each). */
  static final Path POSSIBLE_CPUS = Path.of("/sys/devices/system/cpu/possible");
  /** How long the session waits for one entry's registration to be answered. */
  private static final long REGISTER_WAIT_S = 30;

  /** What the mount asked for. */
  private final KernelMount.IoUring mode;
  /** The entries, empty when io_uring is not used. */
  private final List<UringWorker> entries;
  /** Why there are no entries (null if there are). */
  private final String whyNot;
  /** Queues and entries per queue. */
  private final int queueCount;
  private final int entriesPerQueue;
  /** The entries' threads, once started. */
  private final List<Thread> threads = new ArrayList<>();
  /** Entries not started (freed by {@link #freeUnstarted}). */
  private final List<UringWorker> unstarted = new ArrayList<>();
  /** True once the rings serve requests. */
  private boolean running;

  private UringTransport(KernelMount.IoUring mode, List<UringWorker> entries, String whyNot,
      int queueCount, int entriesPerQueue) {
    this.mode = mode;
    this.entries = entries;
    this.whyNot = whyNot;
    this.queueCount = queueCount;
    this.entriesPerQueue = entriesPerQueue;
    unstarted.addAll(entries);
  }

  /** A transport that stays on /dev/fuse because of {@code why}. */
  private static UringTransport none(KernelMount.IoUring mode, String why) {
    return new UringTransport(mode, List.of(), why, 0, 0);
  }

  /**
   * Prepares the rings for session fd {@code fd} if {@code mode} and the kernel allow it; never
   * throws for a kernel that does not (the transport then stays on /dev/fuse).
   */
  static UringTransport prepare(KernelMount.IoUring mode, int fd, Ops ops, int entriesPerQueue) {
    if (mode == KernelMount.IoUring.OFF) {
      return none(mode, "-o io_uring=off");
    }
    String enabled = readLine(ENABLE_URING);
    if (enabled == null) {
      return none(mode, "this kernel has no FUSE-over-io_uring (no " + ENABLE_URING + ")");
    }
    if (!enabled.equals("Y")) {
      return none(mode, ENABLE_URING + " is " + enabled);
    }
    int queues = countCpus(readLine(POSSIBLE_CPUS));
    if (queues <= 0) {
      return none(mode, "cannot count the possible CPUs in " + POSSIBLE_CPUS);
    }
    List<UringWorker> made = new ArrayList<>();
    try {
      for (int q = 0; q < queues; q++) {
        for (int k = 0; k < entriesPerQueue; k++) {
          UringWorker e = new UringWorker(q, fd, ops);
          made.add(e);
          e.probe();
        }
      }
    } catch (RuntimeException e) {
      for (UringWorker w : made) {
        w.free();
      }
      return none(mode, "cannot set up io_uring: " + e.getMessage());
    }
    return new UringTransport(mode, made, null, queues, entriesPerQueue);
  }

  /** True if the rings are ready, so INIT may ask for FUSE_OVER_IO_URING. */
  boolean prepared() {
    return !entries.isEmpty();
  }

  /** True once the rings serve requests. */
  boolean running() {
    return running;
  }

  /**
   * After INIT: registers the entries if INIT {@code agreed} on FUSE_OVER_IO_URING (else frees
   * them) and logs the one line saying which transport runs and why.
   */
  void start(boolean agreed) {
    if (entries.isEmpty()) {
      logDevFuse(whyNot);
      return;
    }
    if (!agreed) {
      freeUnstarted();
      logDevFuse("the kernel did not offer FUSE_OVER_IO_URING at INIT");
      return;
    }
    int refused = startAndWait(entries.get(0));
    if (refused != 0) {
      freeUnstarted();
      logDevFuse("the kernel refused FUSE_IO_URING_CMD_REGISTER (errno " + refused + ")");
      return;
    }
    List<UringWorker> rest = new ArrayList<>(entries.subList(1, entries.size()));
    for (UringWorker e : rest) {
      startThread(e);
    }
    int failed = 0;
    int lastErrno = 0;
    for (UringWorker e : rest) {
      int r = await(e);
      if (r != 0) {
        failed++;
        lastErrno = r;
      }
    }
    running = true;
    String what = queueCount + " queue(s) x " + entriesPerQueue + " entries";
    if (failed == 0) {
      TRANSPORT_LOG.info("FUSE transport: io_uring ({}): {} is Y and the kernel took FUSE_OVER_IO_URING",
          what, ENABLE_URING);
    } else {
      TRANSPORT_LOG.warn("FUSE transport: io_uring ({}), but {} entries were refused (last errno {});"
          + " a queue without an entry keeps the kernel on /dev/fuse", what, failed, lastErrno);
    }
  }

  /** The one line for /dev/fuse: INFO unless -o io_uring asked for io_uring. */
  private void logDevFuse(String why) {
    if (mode == KernelMount.IoUring.ON) {
      TRANSPORT_LOG.warn("FUSE transport: /dev/fuse, not io_uring as -o io_uring asked: {}", why);
    } else {
      TRANSPORT_LOG.info("FUSE transport: /dev/fuse: {}", why);
    }
  }

  /** Starts {@code e}'s thread and returns its registration's errno (0: registered). */
  private int startAndWait(UringWorker e) {
    startThread(e);
    return await(e);
  }

  /** Starts the thread of entry {@code e}. */
  private void startThread(UringWorker e) {
    unstarted.remove(e);
    Thread t = new Thread(e, "sealfs-uring-q" + e.qid + "-" + threads.size());
    t.setDaemon(true);
    t.start();
    threads.add(t);
  }

  /** Waits for {@code e}'s registration; returns its errno (ETIMEDOUT: no answer). */
  private static int await(UringWorker e) {
    try {
      return e.registered.get(REGISTER_WAIT_S, TimeUnit.SECONDS);
    } catch (InterruptedException x) {
      Thread.currentThread().interrupt();
      return Libc.EINTR;
    } catch (ExecutionException | TimeoutException x) {
      return 110; // ETIMEDOUT
    }
  }

  /** Waits up to {@code timeoutMs} for every entry thread to end (after the unmount). */
  void join(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    for (Thread t : threads) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left > 0) {
        t.join(left);
      }
      if (t.isAlive()) {
        LOG.warn("sealfs: {} still running after the session ended", t.getName());
      }
    }
    if (running) {
      long served = 0;
      for (UringWorker e : entries) {
        served += e.served();
      }
      LOG.info("io_uring entries served {} requests", served);
    }
  }

  /** Frees the entries that never started (their rings were never used by another thread). */
  void freeUnstarted() {
    for (UringWorker e : unstarted) {
      e.free();
    }
    unstarted.clear();
  }

  /** Returns the first line of {@code p}, trimmed, or null if it cannot be read. */
  static String readLine(Path p) {
    try {
      String s = Files.readString(p, StandardCharsets.US_ASCII).trim();
      int nl = s.indexOf('\n');
      return nl < 0 ? s : s.substring(0, nl).trim();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Counts the CPUs in a kernel CPU list such as {@code 0-3,8}; -1 if it does not parse. */
  static int countCpus(String list) {
    if (list == null || list.isEmpty()) {
      return -1;
    }
    int n = 0;
    try {
      for (String part : list.split(",")) {
        int dash = part.indexOf('-');
        if (dash < 0) {
          Integer.parseInt(part.trim());
          n++;
        } else {
          int lo = Integer.parseInt(part.substring(0, dash).trim());
          int hi = Integer.parseInt(part.substring(dash + 1).trim());
          if (hi < lo) {
            return -1;
          }
          n += hi - lo + 1;
        }
      }
    } catch (NumberFormatException e) {
      return -1;
    }
    return n;
  }
}
