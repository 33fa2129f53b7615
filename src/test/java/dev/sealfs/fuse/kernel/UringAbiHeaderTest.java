package dev.sealfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins every {@link UringAbi} constant: the io_uring ones against Debian's
 * {@code /usr/include/linux/io_uring.h}, the FUSE-over-io_uring ones against the definitions of
 * {@code include/uapi/linux/fuse.h} at protocol 7.42 (Linux 6.14), which Debian 12's header
 * (7.38) lacks and which this test therefore declares itself, field for field as the kernel
 * does. Each constant has its C expression below; a constant without one fails the test.
 */
final class UringAbiHeaderTest {

  /** The system header the io_uring constants are pinned against. */
  private static final Path IO_URING_H = Path.of("/usr/include/linux/io_uring.h");

  /** The FUSE 7.42 (Linux 6.14) io_uring declarations, as include/uapi/linux/fuse.h has them. */
  private static final String FUSE_7_42 = String.join("\n",
      "#define FUSE_OVER_IO_URING (1ULL << 41)",
      "#define FUSE_URING_IN_OUT_HEADER_SZ 128",
      "#define FUSE_URING_OP_IN_OUT_SZ 128",
      "struct fuse_uring_ent_in_out {",
      "  uint64_t flags; uint64_t commit_id; uint32_t payload_sz; uint32_t padding;",
      "  uint64_t reserved;",
      "};",
      "struct fuse_uring_req_header {",
      "  char in_out[FUSE_URING_IN_OUT_HEADER_SZ];",
      "  char op_in[FUSE_URING_OP_IN_OUT_SZ];",
      "  struct fuse_uring_ent_in_out ring_ent_in_out;",
      "};",
      "enum fuse_uring_cmd {",
      "  FUSE_IO_URING_CMD_INVALID = 0, FUSE_IO_URING_CMD_REGISTER = 1,",
      "  FUSE_IO_URING_CMD_COMMIT_AND_FETCH = 2,",
      "};",
      "struct fuse_uring_cmd_req {",
      "  uint64_t flags; uint64_t commit_id; uint16_t qid; uint8_t padding[6];",
      "};");

  /** Each constant's C expression. */
  private static Map<String, String> expressions() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("NR_IO_URING_SETUP", "__NR_io_uring_setup");
    m.put("NR_IO_URING_ENTER", "__NR_io_uring_enter");
    m.put("NR_MMAP", "__NR_mmap");
    m.put("NR_MUNMAP", "__NR_munmap");
    m.put("SETUP_SQE128", "IORING_SETUP_SQE128");
    m.put("ENTER_GETEVENTS", "IORING_ENTER_GETEVENTS");
    m.put("FEAT_SINGLE_MMAP", "IORING_FEAT_SINGLE_MMAP");
    m.put("OFF_SQ_RING", "IORING_OFF_SQ_RING");
    m.put("OFF_CQ_RING", "IORING_OFF_CQ_RING");
    m.put("OFF_SQES", "IORING_OFF_SQES");
    m.put("OP_NOP", "IORING_OP_NOP");
    m.put("OP_URING_CMD", "IORING_OP_URING_CMD");
    m.put("PARAMS_SIZE", "sizeof(struct io_uring_params)");
    m.put("PARAMS_SQ_ENTRIES", "offsetof(struct io_uring_params, sq_entries)");
    m.put("PARAMS_CQ_ENTRIES", "offsetof(struct io_uring_params, cq_entries)");
    m.put("PARAMS_FLAGS", "offsetof(struct io_uring_params, flags)");
    m.put("PARAMS_FEATURES", "offsetof(struct io_uring_params, features)");
    m.put("PARAMS_SQ_OFF", "offsetof(struct io_uring_params, sq_off)");
    m.put("PARAMS_CQ_OFF", "offsetof(struct io_uring_params, cq_off)");
    m.put("SQRING_HEAD", "offsetof(struct io_sqring_offsets, head)");
    m.put("SQRING_TAIL", "offsetof(struct io_sqring_offsets, tail)");
    m.put("SQRING_RING_MASK", "offsetof(struct io_sqring_offsets, ring_mask)");
    m.put("SQRING_RING_ENTRIES", "offsetof(struct io_sqring_offsets, ring_entries)");
    m.put("SQRING_ARRAY", "offsetof(struct io_sqring_offsets, array)");
    m.put("CQRING_HEAD", "offsetof(struct io_cqring_offsets, head)");
    m.put("CQRING_TAIL", "offsetof(struct io_cqring_offsets, tail)");
    m.put("CQRING_RING_MASK", "offsetof(struct io_cqring_offsets, ring_mask)");
    m.put("CQRING_RING_ENTRIES", "offsetof(struct io_cqring_offsets, ring_entries)");
    m.put("CQRING_CQES", "offsetof(struct io_cqring_offsets, cqes)");
    m.put("SQE_SIZE", "sizeof(struct io_uring_sqe)");
    m.put("SQE128_SIZE", "2 * sizeof(struct io_uring_sqe)");
    m.put("SQE_OPCODE", "offsetof(struct io_uring_sqe, opcode)");
    m.put("SQE_FD", "offsetof(struct io_uring_sqe, fd)");
    m.put("SQE_CMD_OP", "offsetof(struct io_uring_sqe, cmd_op)");
    m.put("SQE_ADDR", "offsetof(struct io_uring_sqe, addr)");
    m.put("SQE_LEN", "offsetof(struct io_uring_sqe, len)");
    m.put("SQE_USER_DATA", "offsetof(struct io_uring_sqe, user_data)");
    m.put("SQE_CMD", "offsetof(struct io_uring_sqe, cmd)");
    m.put("CQE_SIZE", "sizeof(struct io_uring_cqe)");
    m.put("CQE_USER_DATA", "offsetof(struct io_uring_cqe, user_data)");
    m.put("CQE_RES", "offsetof(struct io_uring_cqe, res)");
    m.put("CQE_FLAGS", "offsetof(struct io_uring_cqe, flags)");
    m.put("IOVEC_SIZE", "sizeof(struct iovec)");
    m.put("IOVEC_IOV_BASE", "offsetof(struct iovec, iov_base)");
    m.put("IOVEC_IOV_LEN", "offsetof(struct iovec, iov_len)");
    m.put("FUSE_OVER_IO_URING", "FUSE_OVER_IO_URING");
    m.put("FUSE_IO_URING_CMD_REGISTER", "FUSE_IO_URING_CMD_REGISTER");
    m.put("FUSE_IO_URING_CMD_COMMIT_AND_FETCH", "FUSE_IO_URING_CMD_COMMIT_AND_FETCH");
    m.put("FUSE_URING_IN_OUT_HEADER_SZ", "FUSE_URING_IN_OUT_HEADER_SZ");
    m.put("FUSE_URING_OP_IN_OUT_SZ", "FUSE_URING_OP_IN_OUT_SZ");
    m.put("REQ_HEADER_SIZE", "sizeof(struct fuse_uring_req_header)");
    m.put("REQ_HEADER_IN_OUT", "offsetof(struct fuse_uring_req_header, in_out)");
    m.put("REQ_HEADER_OP_IN", "offsetof(struct fuse_uring_req_header, op_in)");
    m.put("REQ_HEADER_RING_ENT_IN_OUT",
        "offsetof(struct fuse_uring_req_header, ring_ent_in_out)");
    m.put("ENT_IN_OUT_SIZE", "sizeof(struct fuse_uring_ent_in_out)");
    m.put("ENT_IN_OUT_FLAGS", "offsetof(struct fuse_uring_ent_in_out, flags)");
    m.put("ENT_IN_OUT_COMMIT_ID", "offsetof(struct fuse_uring_ent_in_out, commit_id)");
    m.put("ENT_IN_OUT_PAYLOAD_SZ", "offsetof(struct fuse_uring_ent_in_out, payload_sz)");
    m.put("CMD_REQ_SIZE", "sizeof(struct fuse_uring_cmd_req)");
    m.put("CMD_REQ_FLAGS", "offsetof(struct fuse_uring_cmd_req, flags)");
    m.put("CMD_REQ_COMMIT_ID", "offsetof(struct fuse_uring_cmd_req, commit_id)");
    m.put("CMD_REQ_QID", "offsetof(struct fuse_uring_cmd_req, qid)");
    return m;
  }

  /** Every constant has a C expression, and gcc computes the Java value for each. */
  @Test
  void constantsMatchTheHeaders(@TempDir Path tmp) throws Exception {
    Assumptions.assumeTrue(Files.exists(IO_URING_H), "no " + IO_URING_H);
    Map<String, Long> java = CProbe.constants(UringAbi.class);
    Map<String, String> exprs = expressions();
    assertEquals(java.keySet(), new TreeMap<>(exprs).keySet(),
        "UringAbi constants and the test's C expressions");
    Map<String, Long> actual = CProbe.values(tmp, "#include <stdint.h>\n#include <sys/uio.h>\n"
        + "#include <sys/syscall.h>\n#include <linux/io_uring.h>\n" + FUSE_7_42, exprs);
    assertEquals(java, actual, "UringAbi against linux/io_uring.h and fuse.h 7.42");
  }
}
