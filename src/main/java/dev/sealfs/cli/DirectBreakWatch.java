package dev.sealfs.cli;

import dev.sealfs.client.HandleStatus;
import dev.sealfs.client.SealClientException;
import dev.sealfs.client.SealHandle;

/**
 * The lease side of {@code sealfs direct --breakable} (SPEC 10): a thread that waits for POLLPRI
 * on the holder's handle ({@link SealHandle#pollPri}, woken by FUSE_NOTIFY_POLL on the native
 * binding) and reads STATUS after every quiet {@link #POLL_MS} (the way to learn of a break
 * where POLL is not forwarded). When the seal begins to break, or was revoked, it records when
 * and how it was told and raises {@link #told()}; the I/O loop checks that flag before every
 * device I/O, stops, and the command releases the seal and reports how long it all took.
 *
 * <p>Threads: {@link #run} on its own thread; the getters from any thread (volatile fields).
 */
final class DirectBreakWatch implements Runnable {
  /** How long one poll waits for POLLPRI before STATUS is read, in milliseconds. */
  static final int POLL_MS = 100;

  /** The holder handle watched. */
  private final SealHandle handle;
  /** Set once a break (or a revocation) was seen; the I/O loop stops at the next I/O. */
  private volatile boolean told;
  /** System.nanoTime() when the break was seen. */
  private volatile long toldNanos;
  /** "pollpri" or "status": how the break was seen. */
  private volatile String toldVia = "";
  /**
   * True if the handle reported POLLPRI when the break was seen (a break that begins between a
   * poll's timeout and the STATUS read after it is seen by STATUS; a poll then reports it too).
   */
  private volatile boolean pollPriSeen;
  /** The revocation deadline STATUS gave (CLOCK_REALTIME ms), 0 if none. */
  private volatile long deadlineMs;
  /** True if the seal was already revoked when it was seen. */
  private volatile boolean revokedWhenTold;
  /** Set by {@link #stop} to end the thread. */
  private volatile boolean stopped;

  /** Creates the watch of {@code handle}'s seal. */
  DirectBreakWatch(SealHandle handle) {
    this.handle = handle;
  }

  /** Waits for POLLPRI or a break in STATUS until told or stopped. */
  @Override
  public void run() {
    while (!stopped) {
      boolean pri;
      HandleStatus st;
      try {
        pri = handle.pollPri(POLL_MS);
        st = handle.handleStatus();
      } catch (SealClientException e) {
        return; // the handle is gone (released): nothing left to watch
      }
      if (pri || st.breaking() || st.revoked() || !st.seal().heldByMe()) {
        toldNanos = System.nanoTime();
        toldVia = pri ? "pollpri" : "status";
        try {
          pollPriSeen = pri || handle.pollPri(0);
        } catch (SealClientException e) {
          pollPriSeen = false;
        }
        deadlineMs = st.breakDeadlineMs();
        revokedWhenTold = st.revoked();
        told = true;
        return;
      }
    }
  }

  /** Ends the thread at its next look. */
  void stop() {
    stopped = true;
  }

  /** True once the seal began to break or was revoked. */
  boolean told() {
    return told;
  }

  /** System.nanoTime() when the break was seen. */
  long toldNanos() {
    return toldNanos;
  }

  /** How the break was seen: "pollpri" or "status". */
  String toldVia() {
    return toldVia;
  }

  /** True if the handle reported POLLPRI when the break was seen. */
  boolean pollPriSeen() {
    return pollPriSeen;
  }

  /** The revocation deadline (CLOCK_REALTIME ms) STATUS showed when told, 0 if none. */
  long deadlineMs() {
    return deadlineMs;
  }

  /** True if the seal was already revoked when the watch saw it. */
  boolean revokedWhenTold() {
    return revokedWhenTold;
  }
}
