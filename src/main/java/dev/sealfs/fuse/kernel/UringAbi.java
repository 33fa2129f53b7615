package dev.sealfs.fuse.kernel;

/**
 * The io_uring and FUSE-over-io_uring ABI the io_uring transport speaks (x86-64, native byte
 * order, which is little-endian there).
 *
 * <p>The io_uring part comes from {@code include/uapi/linux/io_uring.h} and is pinned by
 * {@code UringAbiHeaderTest} against Debian 12's {@code /usr/include/linux/io_uring.h} (6.1, which
 * has every value used here). The FUSE part ({@code FUSE_OVER_IO_URING}, {@code fuse_uring_*})
 * is FUSE protocol 7.42, first in Linux 6.14 ({@code include/uapi/linux/fuse.h}); Debian 12's
 * {@code linux/fuse.h} (7.38) predates it, so the test compiles the 6.14 definitions it carries
 * itself and checks every value here against them.
 */
final class UringAbi {

  private UringAbi() {}

  // ---------------------------------------------------------------------------------------------
  // io_uring (include/uapi/linux/io_uring.h)

  /** Syscall number of io_uring_setup(2) (the same on every architecture since 5.1). */
  static final int NR_IO_URING_SETUP = 425;
  /** Syscall number of io_uring_enter(2). */
  static final int NR_IO_URING_ENTER = 426;
  /** Syscall number of mmap(2) on x86-64 (the ring mappings are made through syscall(2)). */
  static final int NR_MMAP = 9;
  /** Syscall number of munmap(2) on x86-64. */
  static final int NR_MUNMAP = 11;

  /** io_uring_setup flag IORING_SETUP_SQE128: 128-byte SQEs (80 bytes of command data). */
  static final int SETUP_SQE128 = 1 << 10;
  /** io_uring_enter flag IORING_ENTER_GETEVENTS: wait for min_complete completions. */
  static final int ENTER_GETEVENTS = 1;
  /** io_uring_params.features bit IORING_FEAT_SINGLE_MMAP: SQ and CQ rings share one mmap. */
  static final int FEAT_SINGLE_MMAP = 1;
  /** mmap offset of the SQ ring (and the CQ ring with FEAT_SINGLE_MMAP). */
  static final long OFF_SQ_RING = 0L;
  /** mmap offset of the CQ ring. */
  static final long OFF_CQ_RING = 0x8000000L;
  /** mmap offset of the SQE array. */
  static final long OFF_SQES = 0x10000000L;

  /** Opcode IORING_OP_NOP (the ring tests' round trip). */
  static final int OP_NOP = 0;
  /** Opcode IORING_OP_URING_CMD: a command for the file's driver (here /dev/fuse). */
  static final int OP_URING_CMD = 46;

  // struct io_uring_params (120)
  static final int PARAMS_SIZE = 120;
  static final int PARAMS_SQ_ENTRIES = 0;
  static final int PARAMS_CQ_ENTRIES = 4;
  static final int PARAMS_FLAGS = 8;
  static final int PARAMS_FEATURES = 20;
  static final int PARAMS_SQ_OFF = 40;
  static final int PARAMS_CQ_OFF = 80;

  // struct io_sqring_offsets (40), offsets into the SQ ring mapping
  static final int SQRING_HEAD = 0;
  static final int SQRING_TAIL = 4;
  static final int SQRING_RING_MASK = 8;
  static final int SQRING_RING_ENTRIES = 12;
  static final int SQRING_ARRAY = 24;

  // struct io_cqring_offsets (40), offsets into the CQ ring mapping
  static final int CQRING_HEAD = 0;
  static final int CQRING_TAIL = 4;
  static final int CQRING_RING_MASK = 8;
  static final int CQRING_RING_ENTRIES = 12;
  static final int CQRING_CQES = 20;

  // struct io_uring_sqe (64; 128 with SQE128, the rest is command data)
  static final int SQE_SIZE = 64;
  /** Bytes of one SQE of a ring set up with SETUP_SQE128. */
  static final int SQE128_SIZE = 128;
  static final int SQE_OPCODE = 0;
  static final int SQE_FD = 4;
  static final int SQE_CMD_OP = 8;
  static final int SQE_ADDR = 16;
  static final int SQE_LEN = 24;
  static final int SQE_USER_DATA = 32;
  static final int SQE_CMD = 48;

  // struct io_uring_cqe (16)
  static final int CQE_SIZE = 16;
  static final int CQE_USER_DATA = 0;
  static final int CQE_RES = 8;
  static final int CQE_FLAGS = 12;

  // struct iovec (16)
  static final int IOVEC_SIZE = 16;
  static final int IOVEC_IOV_BASE = 0;
  static final int IOVEC_IOV_LEN = 8;

  // ---------------------------------------------------------------------------------------------
  // FUSE over io_uring (include/uapi/linux/fuse.h, protocol 7.42, Linux 6.14)

  /** INIT flag FUSE_OVER_IO_URING (bit 41, so bit 9 of flags2): requests may come by io_uring. */
  static final long FUSE_OVER_IO_URING = 1L << 41;
  /** io_uring_sqe.cmd_op FUSE_IO_URING_CMD_REGISTER: register an entry and fetch a request. */
  static final int FUSE_IO_URING_CMD_REGISTER = 1;
  /** io_uring_sqe.cmd_op FUSE_IO_URING_CMD_COMMIT_AND_FETCH: reply, then fetch the next. */
  static final int FUSE_IO_URING_CMD_COMMIT_AND_FETCH = 2;
  /** FUSE_URING_IN_OUT_HEADER_SZ: room for fuse_in_header / fuse_out_header. */
  static final int FUSE_URING_IN_OUT_HEADER_SZ = 128;
  /** FUSE_URING_OP_IN_OUT_SZ: room for the op struct (the request's first argument). */
  static final int FUSE_URING_OP_IN_OUT_SZ = 128;

  // struct fuse_uring_req_header (288): iov[0] of an entry
  static final int REQ_HEADER_SIZE = 288;
  static final int REQ_HEADER_IN_OUT = 0;
  static final int REQ_HEADER_OP_IN = 128;
  static final int REQ_HEADER_RING_ENT_IN_OUT = 256;

  // struct fuse_uring_ent_in_out (32), at REQ_HEADER_RING_ENT_IN_OUT
  static final int ENT_IN_OUT_SIZE = 32;
  static final int ENT_IN_OUT_FLAGS = 0;
  static final int ENT_IN_OUT_COMMIT_ID = 8;
  static final int ENT_IN_OUT_PAYLOAD_SZ = 16;

  // struct fuse_uring_cmd_req (24), in the SQE's command data (SQE_CMD)
  static final int CMD_REQ_SIZE = 24;
  static final int CMD_REQ_FLAGS = 0;
  static final int CMD_REQ_COMMIT_ID = 8;
  static final int CMD_REQ_QID = 16;
}
