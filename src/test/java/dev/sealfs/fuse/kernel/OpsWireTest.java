package dev.sealfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sealfs.core.Mkfs;
import dev.sealfs.core.SealFs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests built byte by byte, served by {@link Ops} through a {@link Worker} whose "device" fd
 * is a plain file, so each reply's bytes (one write(2) each) can be read back and decoded.
 */
final class OpsWireTest {

  @TempDir Path dir;

  /** A worker over a reply file, its handlers, and a cursor into what it wrote. */
  private static final class Wire implements AutoCloseable {
    final Path replies;
    final int fd;
    final Worker worker;
    final Ops ops;
    long unique = 2;
    int readAt;

    Wire(Path replies, NodeFs fs) throws Exception {
      this(replies, fs, null);
    }

    Wire(Path replies, NodeFs fs, CacheInvalidator cache) throws Exception {
      this.replies = replies;
      Files.createFile(replies);
      fd = Libc.api().open(Libc.cString(replies.toString().getBytes(StandardCharsets.UTF_8)),
          Libc.O_RDWR);
      assertTrue(fd >= 0);
      ops = new Ops(fs, new Init(true), false, cache);
      worker = new Worker(fd, ops);
    }

    /** Serves one request: header fields plus {@code body}; returns the reply (or null). */
    ByteBuffer call(int opcode, long nodeId, byte[] body) throws Exception {
      ByteBuffer b = worker.request.buf;
      int len = FuseAbi.IN_HEADER_SIZE + body.length;
      b.putInt(FuseAbi.IN_LEN, len);
      b.putInt(FuseAbi.IN_OPCODE, opcode);
      b.putLong(FuseAbi.IN_UNIQUE, unique += 2);
      b.putLong(FuseAbi.IN_NODEID, nodeId);
      b.putInt(FuseAbi.IN_UID, 0);
      b.putInt(FuseAbi.IN_GID, 0);
      b.putInt(FuseAbi.IN_PID, 1);
      b.put(FuseAbi.IN_HEADER_SIZE, body);
      assertTrue(worker.request.reset(len));
      ops.dispatch(worker);
      byte[] all = Files.readAllBytes(replies);
      if (all.length == readAt) {
        return null;
      }
      ByteBuffer r = ByteBuffer.wrap(all, readAt, all.length - readAt).slice()
          .order(ByteOrder.LITTLE_ENDIAN);
      assertEquals(all.length - readAt, r.getInt(FuseAbi.OUT_LEN), "one reply, length in header");
      assertEquals(unique, r.getLong(FuseAbi.OUT_UNIQUE));
      readAt = all.length;
      return r;
    }

    @Override
    public void close() {
      Libc.api().close(fd);
    }
  }

  private static byte[] initIn(int minor, long flags) {
    ByteBuffer b = ByteBuffer.allocate(FuseAbi.INIT_IN_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(FuseAbi.INIT_IN_MAJOR, 7).putInt(FuseAbi.INIT_IN_MINOR, minor)
        .putInt(FuseAbi.INIT_IN_MAX_READAHEAD, 131072).putInt(FuseAbi.INIT_IN_FLAGS, (int) flags)
        .putInt(FuseAbi.INIT_IN_FLAGS2, (int) (flags >>> 32));
    return b.array();
  }

  private static byte[] cName(String s) {
    byte[] n = s.getBytes(StandardCharsets.ISO_8859_1);
    byte[] out = new byte[n.length + 1];
    System.arraycopy(n, 0, out, 0, n.length);
    return out;
  }

  /** Nothing before INIT; INIT negotiates 7.38 and only offered flags; then ops work. */
  @Test
  void initThenLookup() throws Exception {
    Path img = dir.resolve("img");
    Mkfs.run(img, 64L << 20, 4096, true, false);
    try (SealFs core = SealFs.open(img, false); Wire w = new Wire(dir.resolve("r"),
        new CoreNodeFs(core))) {
      ByteBuffer r = w.call(FuseAbi.GETATTR, NodeFs.ROOT, new byte[FuseAbi.GETATTR_IN_SIZE]);
      assertEquals(-5, r.getInt(FuseAbi.OUT_ERROR), "EIO before INIT");

      long offered = FuseAbi.ASYNC_READ | FuseAbi.MAX_PAGES | FuseAbi.WRITEBACK_CACHE
          | FuseAbi.INIT_EXT | FuseAbi.HANDLE_KILLPRIV_V2;
      r = w.call(FuseAbi.INIT, 0, initIn(45, offered));
      assertEquals(0, r.getInt(FuseAbi.OUT_ERROR));
      assertEquals(FuseAbi.OUT_HEADER_SIZE + FuseAbi.INIT_OUT_SIZE, r.limit());
      int o = FuseAbi.OUT_HEADER_SIZE;
      assertEquals(38, r.getInt(o + FuseAbi.INIT_OUT_MINOR));
      long flags = (r.getInt(o + FuseAbi.INIT_OUT_FLAGS) & 0xFFFFFFFFL)
          | ((long) r.getInt(o + FuseAbi.INIT_OUT_FLAGS2) << 32);
      assertEquals(FuseAbi.ASYNC_READ | FuseAbi.MAX_PAGES | FuseAbi.INIT_EXT
          | FuseAbi.HANDLE_KILLPRIV_V2, flags, "offered and wanted only; no WRITEBACK_CACHE");
      assertEquals(1 << 20, r.getInt(o + FuseAbi.INIT_OUT_MAX_WRITE));
      assertEquals(256, r.getShort(o + FuseAbi.INIT_OUT_MAX_PAGES));

      r = w.call(FuseAbi.INIT, 0, initIn(45, offered));
      assertEquals(-5, r.getInt(FuseAbi.OUT_ERROR), "a second INIT is EIO");

      r = w.call(FuseAbi.LOOKUP, NodeFs.ROOT, cName("missing"));
      assertEquals(-2, r.getInt(FuseAbi.OUT_ERROR));
      assertEquals(FuseAbi.OUT_HEADER_SIZE, r.limit(), "errors are header-only");

      ByteBuffer mk = ByteBuffer.allocate(FuseAbi.MKDIR_IN_SIZE + 2).order(ByteOrder.LITTLE_ENDIAN);
      mk.putInt(FuseAbi.MKDIR_IN_MODE, 0750).put(FuseAbi.MKDIR_IN_SIZE, (byte) 'd');
      r = w.call(FuseAbi.MKDIR, NodeFs.ROOT, mk.array());
      assertEquals(0, r.getInt(FuseAbi.OUT_ERROR));
      long node = r.getLong(o + FuseAbi.ENTRY_OUT_NODEID);
      assertEquals(040750, r.getInt(o + FuseAbi.ENTRY_OUT_ATTR + FuseAbi.ATTR_MODE));

      r = w.call(FuseAbi.LOOKUP, NodeFs.ROOT, cName("d"));
      assertEquals(node, r.getLong(o + FuseAbi.ENTRY_OUT_NODEID));
      assertEquals(FuseAbi.OUT_HEADER_SIZE + FuseAbi.ENTRY_OUT_SIZE, r.limit());

      ByteBuffer fg = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 2);
      assertEquals(null, w.call(FuseAbi.FORGET, node, fg.array()), "FORGET gets no reply");
      r = w.call(FuseAbi.GETATTR, node, new byte[FuseAbi.GETATTR_IN_SIZE]);
      assertEquals(0, r.getInt(FuseAbi.OUT_ERROR), "forgotten, but its name holds the inode");
      assertEquals(node, r.getLong(o + FuseAbi.ATTR_OUT_ATTR + FuseAbi.ATTR_INO));

      r = w.call(63, NodeFs.ROOT, new byte[0]);
      assertEquals(-38, r.getInt(FuseAbi.OUT_ERROR), "unknown opcode: ENOSYS");
      assertEquals(null, w.call(FuseAbi.INTERRUPT, 0, new byte[8]), "INTERRUPT: ignored");
    }
  }

  /** Builds an op struct of {@code size} bytes plus a NUL-terminated name. */
  private static ByteBuffer body(int size, String name) {
    byte[] n = name == null ? new byte[0] : cName(name);
    ByteBuffer b = ByteBuffer.allocate(size + n.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(size, n);
    return b;
  }

  /** Makes a fresh 64 MiB filesystem image in the test's directory. */
  private Path image() throws Exception {
    Path img = dir.resolve("img");
    Mkfs.run(img, 64L << 20, 4096, true, false);
    return img;
  }

  /** Creates and opens "f" in the root (O_RDWR, mode 0644); returns the CREATE reply. */
  private static ByteBuffer createF(Wire w) throws Exception {
    ByteBuffer cr = body(FuseAbi.CREATE_IN_SIZE, "f");
    cr.putInt(FuseAbi.CREATE_IN_FLAGS, 2).putInt(FuseAbi.CREATE_IN_MODE, 0100644);
    return w.call(FuseAbi.CREATE, NodeFs.ROOT, cr.array());
  }

  /** Keeps the page cache at open unless sealed; the last unseal queues an invalidation. */
  @Test
  void keepCacheUntilSealedAndInvalidateAtTheLastUnseal() throws Exception {
    Path img = image();
    CacheInvalidator cache = new CacheInvalidator(-1); // not started: the queue is inspected
    try (SealFs core = SealFs.open(img, false); Wire w = new Wire(dir.resolve("r"),
        new CoreNodeFs(core), cache)) {
      int o = FuseAbi.OUT_HEADER_SIZE;
      w.call(FuseAbi.INIT, 0, initIn(38, FuseAbi.MAX_PAGES));
      ByteBuffer r = createF(w);
      long ino = r.getLong(o + FuseAbi.ENTRY_OUT_NODEID);
      long holder = r.getLong(o + FuseAbi.ENTRY_OUT_SIZE + FuseAbi.OPEN_OUT_FH);
      assertEquals(FuseAbi.FOPEN_KEEP_CACHE,
          r.getInt(o + FuseAbi.ENTRY_OUT_SIZE + FuseAbi.OPEN_OUT_OPEN_FLAGS));

      ByteBuffer io = body(FuseAbi.IOCTL_IN_SIZE + 64, null);
      io.putLong(FuseAbi.IOCTL_IN_FH, holder).putInt(FuseAbi.IOCTL_IN_CMD,
          dev.sealfs.fuse.IoctlCodec.SEAL).putInt(FuseAbi.IOCTL_IN_IN_SIZE, 64)
          .putInt(FuseAbi.IOCTL_IN_OUT_SIZE, 64);
      r = w.call(FuseAbi.IOCTL, ino, io.array());
      assertEquals(0, r.getInt(FuseAbi.OUT_ERROR), "SEAL");
      assertEquals(FuseAbi.OUT_HEADER_SIZE + FuseAbi.IOCTL_OUT_SIZE + 64, r.limit());

      ByteBuffer op = body(FuseAbi.OPEN_IN_SIZE, null).putInt(FuseAbi.OPEN_IN_FLAGS, 0);
      r = w.call(FuseAbi.OPEN, ino, op.array());
      assertEquals(0, r.getInt(o + FuseAbi.OPEN_OUT_OPEN_FLAGS), "sealed: cache dropped at open");
      long reader = r.getLong(o + FuseAbi.OPEN_OUT_FH);
      ByteBuffer rel = body(FuseAbi.RELEASE_IN_SIZE, null);
      w.call(FuseAbi.RELEASE, ino, rel.putLong(FuseAbi.RELEASE_IN_FH, reader).array());
      assertTrue(cache.mayKeepCache(ino), "closing a non-holder ends no seal");
      w.call(FuseAbi.RELEASE, ino, rel.putLong(FuseAbi.RELEASE_IN_FH, holder).array());
      assertTrue(!cache.mayKeepCache(ino), "the last holder's release queues an invalidation");
      r = w.call(FuseAbi.OPEN, ino, op.array());
      assertEquals(0, r.getInt(o + FuseAbi.OPEN_OUT_OPEN_FLAGS), "not before it is sent");
    }
  }

  /** Serves an IOCTL {@code cmd} through handle {@code fh} with {@code arg} in; returns errno. */
  private static int ioctl(Wire w, long ino, long fh, int cmd, byte[] arg) throws Exception {
    ByteBuffer io = body(FuseAbi.IOCTL_IN_SIZE + arg.length, null);
    io.putLong(FuseAbi.IOCTL_IN_FH, fh).putInt(FuseAbi.IOCTL_IN_CMD, cmd)
        .putInt(FuseAbi.IOCTL_IN_IN_SIZE, arg.length).putInt(FuseAbi.IOCTL_IN_OUT_SIZE, 0);
    io.put(FuseAbi.IOCTL_IN_SIZE, arg);
    return w.call(FuseAbi.IOCTL, ino, io.array()).getInt(FuseAbi.OUT_ERROR);
  }

  /**
   * With DIRECT_IO_ALLOW_MMAP agreed, an open while sealed is FOPEN_DIRECT_IO (no kernel split
   * of a refused write); a revocation (BREAK with FORCE) queues the cache invalidation that an
   * UNSEAL or RELEASE would; READDIRPLUS and STATX answer with attributes.
   */
  @Test
  void directIoWhileSealedRevocationReaddirplusStatx() throws Exception {
    Path img = image();
    CacheInvalidator cache = new CacheInvalidator(-1); // not started: the queue is inspected
    try (SealFs core = SealFs.open(img, false); Wire w = new Wire(dir.resolve("r"),
        new CoreNodeFs(core), cache)) {
      int o = FuseAbi.OUT_HEADER_SIZE;
      ByteBuffer r = w.call(FuseAbi.INIT, 0, initIn(45, FuseAbi.MAX_PAGES | FuseAbi.INIT_EXT
          | FuseAbi.DIRECT_IO_ALLOW_MMAP | FuseAbi.DO_READDIRPLUS | FuseAbi.READDIRPLUS_AUTO));
      long agreed = (r.getInt(o + FuseAbi.INIT_OUT_FLAGS) & 0xFFFFFFFFL)
          | ((long) r.getInt(o + FuseAbi.INIT_OUT_FLAGS2) << 32);
      assertEquals(FuseAbi.MAX_PAGES | FuseAbi.INIT_EXT | FuseAbi.DIRECT_IO_ALLOW_MMAP
          | FuseAbi.DO_READDIRPLUS | FuseAbi.READDIRPLUS_AUTO, agreed);
      r = createF(w);
      long ino = r.getLong(o + FuseAbi.ENTRY_OUT_NODEID);
      long holder = r.getLong(o + FuseAbi.ENTRY_OUT_SIZE + FuseAbi.OPEN_OUT_FH);
      assertEquals(FuseAbi.FOPEN_KEEP_CACHE,
          r.getInt(o + FuseAbi.ENTRY_OUT_SIZE + FuseAbi.OPEN_OUT_OPEN_FLAGS), "unsealed create");
      assertEquals(0, ioctl(w, ino, holder, dev.sealfs.fuse.IoctlCodec.SEAL, new byte[64]));

      ByteBuffer op = body(FuseAbi.OPEN_IN_SIZE, null).putInt(FuseAbi.OPEN_IN_FLAGS, 2);
      r = w.call(FuseAbi.OPEN, ino, op.array());
      assertEquals(FuseAbi.FOPEN_DIRECT_IO, r.getInt(o + FuseAbi.OPEN_OUT_OPEN_FLAGS),
          "an open while sealed: direct I/O, cache not kept");
      long reader = r.getLong(o + FuseAbi.OPEN_OUT_FH);

      byte[] force = {1, 0, 0, 0, 0, 0, 0, 0};
      assertTrue(cache.mayKeepCache(ino));
      assertEquals(0, ioctl(w, ino, reader, dev.sealfs.fuse.IoctlCodec.BREAK, force), "BREAK");
      assertTrue(!cache.mayKeepCache(ino), "the revocation of the last seal queues the drop");

      ByteBuffer od = body(FuseAbi.OPEN_IN_SIZE, null);
      long dh = w.call(FuseAbi.OPENDIR, NodeFs.ROOT, od.array()).getLong(o + FuseAbi.OPEN_OUT_FH);
      ByteBuffer rd = body(FuseAbi.READ_IN_SIZE, null).putLong(FuseAbi.READ_IN_FH, dh)
          .putLong(FuseAbi.READ_IN_OFFSET, 0).putInt(FuseAbi.READ_IN_SIZE_BYTES, 4096);
      r = w.call(FuseAbi.READDIRPLUS, NodeFs.ROOT, rd.array());
      assertEquals(0, r.getInt(FuseAbi.OUT_ERROR));
      java.util.Map<String, Long> nodes = new java.util.TreeMap<>();
      int at = o;
      while (at < r.limit()) {
        int d = at + FuseAbi.DIRENTPLUS_DIRENT;
        int len = r.getInt(d + FuseAbi.DIRENT_NAMELEN);
        byte[] name = new byte[len];
        r.get(d + FuseAbi.DIRENT_SIZE, name);
        long node = r.getLong(at + FuseAbi.ENTRY_OUT_NODEID);
        nodes.put(new String(name, StandardCharsets.ISO_8859_1), node);
        if (node != 0) {
          int mode = r.getInt(at + FuseAbi.ENTRY_OUT_ATTR + FuseAbi.ATTR_MODE);
          assertEquals(0100000, mode & 0170000, "a regular file's attributes");
          assertEquals(node, r.getLong(d + FuseAbi.DIRENT_INO));
        }
        at += (FuseAbi.DIRENTPLUS_SIZE + len + 7) & ~7;
      }
      assertEquals(at, r.limit(), "whole records only");
      assertEquals(java.util.Map.of(".", 0L, "..", 0L, "f", ino), nodes,
          "dot entries carry node id 0 (no lookup counted)");

      ByteBuffer sx = body(FuseAbi.STATX_IN_SIZE, null).putInt(FuseAbi.STATX_IN_SX_MASK, 0xfff);
      r = w.call(FuseAbi.STATX, ino, sx.array());
      assertEquals(0, r.getInt(FuseAbi.OUT_ERROR));
      assertEquals(o + FuseAbi.STATX_OUT_SIZE, r.limit());
      int st = o + FuseAbi.STATX_OUT_STAT;
      assertEquals(Ops.STATX_BASIC_STATS, r.getInt(st + FuseAbi.SX_MASK), "no btime claimed");
      assertEquals(0100000, r.getShort(st + FuseAbi.SX_MODE) & 0170000);
      assertEquals(ino, r.getLong(st + FuseAbi.SX_INO));
      assertEquals(1, r.getInt(st + FuseAbi.SX_NLINK));
    }
  }
}
