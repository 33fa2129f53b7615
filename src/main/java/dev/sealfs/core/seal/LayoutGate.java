package dev.sealfs.core.seal;

import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.commit.Durability;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * THE seal check: the one choke point every block-map and size change passes (the analogue of
 * {@code xfs_break_layouts}).
 *
 * <h2>Theory of operation</h2>
 *
 * <p>Truncate, ftruncate, open(O_TRUNC) (which arrives as a truncate), every fallocate mode,
 * writes touching a hole or an unwritten extent, writes past EOF (O_APPEND and
 * copy_file_range's fallback writes included) and seal's own prepare step call
 * {@link #breakLayout} before they accept any data; it answers ETXTBSY while the inode has a
 * holder. After a change, {@link #mapChanged} bumps the inode's generation, records the journal
 * group that carries the change (so a seal can make it durable) and asserts, under {@code -ea},
 * that the inode is not sealed: a change that skipped the check fails tests loudly.
 *
 * <pre>
 *            SEAL (strict/prepare/asis)            SEAL by another handle
 *   +----------+ -----------------------> +--------+ ----------------------+
 *   | unsealed |                          | sealed |                       |
 *   | map may  | &lt;----------------------- | n &gt;= 1 | &lt;---------------------+
 *   | change   |  last UNSEAL / release   | holders|
 *   +----------+                          +--------+  truncate, fallocate, allocating or
 *        |  unlink of last name                |     extending write -&gt; ETXTBSY
 *        v                                     |  unlink of last name
 *   freed when last handle closes          +--------+
 *                                          | orphan | blocks kept until the last
 *                                          +--------+ holder and handle are gone
 * </pre>
 *
 * <p>Locks: the caller holds the inode's lock (so the holder set cannot change between the
 * check and the change); the refusal counter is atomic.
 */
public final class LayoutGate {
  private static final Logger LOG = LoggerFactory.getLogger(LayoutGate.class);

  /** The metadata state machine (to mark changed inodes dirty). */
  private final Metadata meta;
  /** Group numbers. */
  private final Durability dur;
  /** Operations refused with ETXTBSY so far. */
  private final AtomicLong refused = new AtomicLong();

  /** Creates the gate. */
  public LayoutGate(Metadata meta, Durability dur) {
    this.meta = meta;
    this.dur = dur;
  }

  /** The check before any block-map or size change: ETXTBSY while {@code i} is sealed. */
  public void breakLayout(Inode i, String op) {
    if (i.isSealed()) {
      refused.incrementAndGet();
      LOG.warn("refused {} of sealed inode {} ({} holders): ETXTBSY", op, i.ino,
          i.holderCount());
      throw FsException.of(Errno.ETXTBSY, op + " of a sealed file");
    }
  }

  /** Records that {@code i}'s block map or size changed: new generation, dirty attributes. */
  public void mapChanged(Inode i) {
    assert !i.isSealed() : "block map of sealed inode " + i.ino + " changed";
    i.generation++;
    i.mapGroup = dur.runningGroup();
    meta.markDirty(i);
  }

  /** Returns how many operations were refused with ETXTBSY. */
  public long refusedCount() {
    return refused.get();
  }
}
