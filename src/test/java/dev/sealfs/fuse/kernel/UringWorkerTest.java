package dev.sealfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sealfs.core.Mkfs;
import dev.sealfs.core.SealFs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ring entry's request and reply layout, without the kernel: requests are written into the
 * entry's fuse_uring_req_header and payload as the kernel's fuse_uring_copy_to_ring lays them
 * out (fuse_in_header in in_out, the op struct in op_in, the rest in the payload,
 * ring_ent_in_out.payload_sz), served by {@link UringWorker#serveOne}, and the reply is read
 * back from where the kernel's commit reads it (fuse_out_header in in_out, body in the payload,
 * payload_sz).
 */
final class UringWorkerTest {

  @TempDir Path dir;

  /** Unique ids for the requests. */
  private long unique = 100;

  /** Puts a request (header fields, op struct, payload) into {@code e} and serves it. */
  private void call(UringWorker e, int opcode, long nodeId, byte[] op, byte[] payload) {
    ByteBuffer h = e.header();
    int len = FuseAbi.IN_HEADER_SIZE + op.length + payload.length;
    h.putInt(UringAbi.REQ_HEADER_IN_OUT + FuseAbi.IN_LEN, len);
    h.putInt(UringAbi.REQ_HEADER_IN_OUT + FuseAbi.IN_OPCODE, opcode);
    h.putLong(UringAbi.REQ_HEADER_IN_OUT + FuseAbi.IN_UNIQUE, unique += 2);
    h.putLong(UringAbi.REQ_HEADER_IN_OUT + FuseAbi.IN_NODEID, nodeId);
    h.putInt(UringAbi.REQ_HEADER_IN_OUT + FuseAbi.IN_PID, 1);
    h.put(UringAbi.REQ_HEADER_OP_IN, op);
    h.putLong(UringAbi.REQ_HEADER_RING_ENT_IN_OUT + UringAbi.ENT_IN_OUT_COMMIT_ID, unique);
    h.putInt(UringAbi.REQ_HEADER_RING_ENT_IN_OUT + UringAbi.ENT_IN_OUT_PAYLOAD_SZ,
        payload.length);
    e.payload().put(0, payload);
    e.serveOne();
    assertEquals(unique, h.getLong(UringAbi.REQ_HEADER_IN_OUT + FuseAbi.OUT_UNIQUE),
        "the reply's unique in in_out");
  }

  /** The reply's error (in_out). */
  private static int error(UringWorker e) {
    return e.header().getInt(UringAbi.REQ_HEADER_IN_OUT + FuseAbi.OUT_ERROR);
  }

  /** The reply's body length (payload_sz). */
  private static int bodyLength(UringWorker e) {
    return e.header().getInt(UringAbi.REQ_HEADER_RING_ENT_IN_OUT + UringAbi.ENT_IN_OUT_PAYLOAD_SZ);
  }

  private static byte[] name(String s) {
    byte[] b = new byte[s.length() + 1];
    for (int i = 0; i < s.length(); i++) {
      b[i] = (byte) s.charAt(i);
    }
    return b;
  }

  /** INIT, MKDIR (op struct + name), LOOKUP (name only), WRITE and READ (data in the payload). */
  @Test
  void requestsAndRepliesWhereTheKernelPutsThem() throws Exception {
    Path img = dir.resolve("img");
    Mkfs.run(img, 64L << 20, 4096, true, false);
    UringWorker e;
    try (SealFs core = SealFs.open(img, false)) {
      Ops ops = new Ops(new CoreNodeFs(core), new Init(true), false, null);
      try {
        e = new UringWorker(0, -1, ops);
      } catch (Uring.UringException x) {
        Assumptions.abort("no io_uring here: " + x.getMessage());
        return;
      }
      try {
        ByteBuffer init = ByteBuffer.allocate(FuseAbi.INIT_IN_SIZE).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(FuseAbi.INIT_IN_MAJOR, 7).putInt(FuseAbi.INIT_IN_MINOR, 42)
            .putInt(FuseAbi.INIT_IN_FLAGS, (int) (FuseAbi.MAX_PAGES | FuseAbi.INIT_EXT));
        call(e, FuseAbi.INIT, 0, init.array(), new byte[0]);
        assertEquals(0, error(e));
        assertEquals(FuseAbi.INIT_OUT_SIZE, bodyLength(e));
        assertEquals(38, e.payload().getInt(FuseAbi.INIT_OUT_MINOR), "the body is in the payload");

        ByteBuffer mk = ByteBuffer.allocate(FuseAbi.MKDIR_IN_SIZE).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(FuseAbi.MKDIR_IN_MODE, 0750);
        call(e, FuseAbi.MKDIR, NodeFs.ROOT, mk.array(), name("d"));
        assertEquals(0, error(e));
        assertEquals(FuseAbi.ENTRY_OUT_SIZE, bodyLength(e));
        long node = e.payload().getLong(FuseAbi.ENTRY_OUT_NODEID);
        assertEquals(040750, e.payload().getInt(FuseAbi.ENTRY_OUT_ATTR + FuseAbi.ATTR_MODE));

        call(e, FuseAbi.LOOKUP, NodeFs.ROOT, new byte[0], name("d"));
        assertEquals(0, error(e));
        assertEquals(node, e.payload().getLong(FuseAbi.ENTRY_OUT_NODEID));
        call(e, FuseAbi.LOOKUP, NodeFs.ROOT, new byte[0], name("missing"));
        assertEquals(-2, error(e), "ENOENT");
        assertEquals(0, bodyLength(e), "errors have no body");

        ByteBuffer cr = ByteBuffer.allocate(FuseAbi.CREATE_IN_SIZE).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(FuseAbi.CREATE_IN_FLAGS, 2).putInt(FuseAbi.CREATE_IN_MODE, 0100644);
        call(e, FuseAbi.CREATE, node, cr.array(), name("f"));
        assertEquals(0, error(e));
        long file = e.payload().getLong(FuseAbi.ENTRY_OUT_NODEID);
        long fh = e.payload().getLong(FuseAbi.ENTRY_OUT_SIZE + FuseAbi.OPEN_OUT_FH);
        byte[] data = new byte[12345];
        for (int i = 0; i < data.length; i++) {
          data[i] = (byte) (i * 7);
        }
        ByteBuffer wr = ByteBuffer.allocate(FuseAbi.WRITE_IN_SIZE).order(ByteOrder.LITTLE_ENDIAN)
            .putLong(FuseAbi.WRITE_IN_FH, fh).putLong(FuseAbi.WRITE_IN_OFFSET, 0)
            .putInt(FuseAbi.WRITE_IN_SIZE_BYTES, data.length);
        call(e, FuseAbi.WRITE, file, wr.array(), data);
        assertEquals(0, error(e));
        assertEquals(data.length, e.payload().getInt(FuseAbi.WRITE_OUT_SIZE_BYTES));

        ByteBuffer rd = ByteBuffer.allocate(FuseAbi.READ_IN_SIZE).order(ByteOrder.LITTLE_ENDIAN)
            .putLong(FuseAbi.READ_IN_FH, fh).putLong(FuseAbi.READ_IN_OFFSET, 0)
            .putInt(FuseAbi.READ_IN_SIZE_BYTES, 1 << 20);
        e.payload().put(0, new byte[data.length]); // the reply must bring the data back
        call(e, FuseAbi.READ, file, rd.array(), new byte[0]);
        assertEquals(0, error(e));
        assertEquals(data.length, bodyLength(e));
        byte[] back = new byte[data.length];
        e.payload().get(0, back);
        org.junit.jupiter.api.Assertions.assertArrayEquals(data, back);
      } finally {
        e.free();
      }
    }
  }

  /** INIT asks for FUSE_OVER_IO_URING (flags2 bit 9) only when the rings are ready. */
  @Test
  void initAsksForIoUringOnlyWhenTheRingsAreReady() {
    for (boolean ready : new boolean[] {false, true}) {
      Init init = new Init(true);
      init.offerUring(ready);
      int len = FuseAbi.IN_HEADER_SIZE + FuseAbi.INIT_IN_SIZE;
      ByteBuffer in = ByteBuffer.allocateDirect(len).order(ByteOrder.LITTLE_ENDIAN);
      in.putInt(FuseAbi.IN_LEN, len).putInt(FuseAbi.IN_OPCODE, FuseAbi.INIT);
      int b = FuseAbi.IN_HEADER_SIZE;
      in.putInt(b + FuseAbi.INIT_IN_MAJOR, 7).putInt(b + FuseAbi.INIT_IN_MINOR, 44)
          .putInt(b + FuseAbi.INIT_IN_FLAGS, (int) (FuseAbi.INIT_EXT | FuseAbi.MAX_PAGES))
          .putInt(b + FuseAbi.INIT_IN_FLAGS2, (int) (UringAbi.FUSE_OVER_IO_URING >>> 32));
      Request r = new Request(in, 0);
      org.junit.jupiter.api.Assertions.assertTrue(r.reset(len));
      ByteBuffer outBuf = ByteBuffer.allocateDirect(FuseAbi.OUT_HEADER_SIZE
          + FuseAbi.INIT_OUT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      assertEquals(FuseAbi.INIT_OUT_SIZE, init.handle(r, new Reply(outBuf, 0, -1, (a, n) -> { })));
      int flags2 = outBuf.getInt(FuseAbi.OUT_HEADER_SIZE + FuseAbi.INIT_OUT_FLAGS2);
      assertEquals(ready, (flags2 & (1 << 9)) != 0, "flags2 bit 9 with the rings " + ready);
      assertEquals(ready, init.uringAgreed());
    }
  }
}
