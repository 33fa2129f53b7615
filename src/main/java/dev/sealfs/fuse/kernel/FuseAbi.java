package dev.sealfs.fuse.kernel;

/**
 * The FUSE kernel protocol as sealfs speaks it: opcodes, INIT flags and the size and field
 * offsets of every struct the binding reads or writes (include/uapi/linux/fuse.h, protocol 7.38,
 * x86-64, little-endian). {@code FuseAbiHeaderTest} compiles the same names against Debian's
 * {@code /usr/include/linux/fuse.h} and checks every value here. The few 7.39 names sealfs uses
 * (DIRECT_IO_ALLOW_MMAP, STATX and its structs) are newer than Debian 12's header; the test
 * declares them as the kernel's header has them when the installed header lacks them.
 *
 * <p>Offsets of an op struct are relative to the start of that struct, which follows the
 * 40-byte {@code fuse_in_header} in a request and the 16-byte {@code fuse_out_header} in a reply.
 */
final class FuseAbi {

  private FuseAbi() {}

  /** FUSE_KERNEL_VERSION: the protocol major sealfs speaks. */
  static final int KERNEL_VERSION = 7;
  /** The highest protocol minor sealfs implements (the 7.38 header it is pinned against). */
  static final int KERNEL_MINOR = 38;
  /** FUSE_DEV_IOC_CLONE = _IOR(229, 0, uint32_t): attach a new /dev/fuse fd to a connection. */
  static final long DEV_IOC_CLONE = 0x8004e500L;

  // opcodes (enum fuse_opcode)
  static final int LOOKUP = 1;
  static final int FORGET = 2;
  static final int GETATTR = 3;
  static final int SETATTR = 4;
  static final int READLINK = 5;
  static final int SYMLINK = 6;
  static final int MKNOD = 8;
  static final int MKDIR = 9;
  static final int UNLINK = 10;
  static final int RMDIR = 11;
  static final int RENAME = 12;
  static final int LINK = 13;
  static final int OPEN = 14;
  static final int READ = 15;
  static final int WRITE = 16;
  static final int STATFS = 17;
  static final int RELEASE = 18;
  static final int FSYNC = 20;
  static final int SETXATTR = 21;
  static final int GETXATTR = 22;
  static final int LISTXATTR = 23;
  static final int REMOVEXATTR = 24;
  static final int FLUSH = 25;
  static final int INIT = 26;
  static final int OPENDIR = 27;
  static final int READDIR = 28;
  static final int RELEASEDIR = 29;
  static final int FSYNCDIR = 30;
  static final int ACCESS = 34;
  static final int CREATE = 35;
  static final int INTERRUPT = 36;
  static final int DESTROY = 38;
  static final int IOCTL = 39;
  static final int BATCH_FORGET = 42;
  static final int READDIRPLUS = 44;
  static final int FALLOCATE = 43;
  static final int RENAME2 = 45;
  static final int LSEEK = 46;
  static final int COPY_FILE_RANGE = 47;
  /** FUSE_STATX (protocol 7.39): statx(2) asking for more than the basic stats (btime). */
  static final int STATX = 52;
  /** One past the highest opcode the dispatch table has a slot for. */
  static final int OPCODE_SLOTS = 64;

  // INIT flags (fuse_init_in.flags / fuse_init_out.flags; bits 32+ go in flags2)
  static final long ASYNC_READ = 1L << 0;
  static final long ATOMIC_O_TRUNC = 1L << 3;
  static final long BIG_WRITES = 1L << 5;
  static final long HAS_IOCTL_DIR = 1L << 11;
  static final long DO_READDIRPLUS = 1L << 13;
  static final long READDIRPLUS_AUTO = 1L << 14;
  static final long WRITEBACK_CACHE = 1L << 16;
  static final long PARALLEL_DIROPS = 1L << 18;
  static final long ABORT_ERROR = 1L << 21;
  static final long MAX_PAGES = 1L << 22;
  static final long HANDLE_KILLPRIV_V2 = 1L << 28;
  static final long INIT_EXT = 1L << 30;
  /** Protocol 7.39: shared mmap of a FOPEN_DIRECT_IO handle goes through the page cache. */
  static final long DIRECT_IO_ALLOW_MMAP = 1L << 36;

  // other flag values
  /** fuse_getattr_in.getattr_flags: fh is valid. */
  static final int GETATTR_FH = 1;
  /** fuse_ioctl_in.flags: the ioctl was made on a directory. */
  static final int IOCTL_FLAG_DIR = 1 << 4;
  /** fuse_write_in.write_flags: a delayed write from the page cache (mmap writeback). */
  static final int WRITE_CACHE = 1;
  /** fuse_open_out.open_flags: bypass the page cache for this handle's reads and writes. */
  static final int FOPEN_DIRECT_IO = 1 << 0;
  /** fuse_open_out.open_flags: keep the page cache at this open. */
  static final int FOPEN_KEEP_CACHE = 1 << 1;
  /** Notification code (fuse_out_header.error of an unsolicited message): invalidate an inode. */
  static final int NOTIFY_INVAL_INODE = 2;
  /** fuse_open_in.open_flags: kill setuid/setgid on O_TRUNC (HANDLE_KILLPRIV_V2). */
  static final int OPEN_KILL_SUIDGID = 1;

  // setattr valid bits
  static final int FATTR_MODE = 1 << 0;
  static final int FATTR_UID = 1 << 1;
  static final int FATTR_GID = 1 << 2;
  static final int FATTR_SIZE = 1 << 3;
  static final int FATTR_ATIME = 1 << 4;
  static final int FATTR_MTIME = 1 << 5;
  static final int FATTR_FH = 1 << 6;
  static final int FATTR_ATIME_NOW = 1 << 7;
  static final int FATTR_MTIME_NOW = 1 << 8;
  static final int FATTR_LOCKOWNER = 1 << 9;
  static final int FATTR_CTIME = 1 << 10;
  static final int FATTR_KILL_SUIDGID = 1 << 11;

  // struct fuse_in_header (40)
  static final int IN_HEADER_SIZE = 40;
  static final int IN_LEN = 0;
  static final int IN_OPCODE = 4;
  static final int IN_UNIQUE = 8;
  static final int IN_NODEID = 16;
  static final int IN_UID = 24;
  static final int IN_GID = 28;
  static final int IN_PID = 32;

  // struct fuse_out_header (16)
  static final int OUT_HEADER_SIZE = 16;
  static final int OUT_LEN = 0;
  static final int OUT_ERROR = 4;
  static final int OUT_UNIQUE = 8;

  // struct fuse_init_in (64) / fuse_init_out (64)
  static final int INIT_IN_SIZE = 64;
  static final int INIT_IN_MAJOR = 0;
  static final int INIT_IN_MINOR = 4;
  static final int INIT_IN_MAX_READAHEAD = 8;
  static final int INIT_IN_FLAGS = 12;
  static final int INIT_IN_FLAGS2 = 16;
  static final int INIT_OUT_SIZE = 64;
  static final int INIT_OUT_MAJOR = 0;
  static final int INIT_OUT_MINOR = 4;
  static final int INIT_OUT_MAX_READAHEAD = 8;
  static final int INIT_OUT_FLAGS = 12;
  static final int INIT_OUT_MAX_BACKGROUND = 16;
  static final int INIT_OUT_CONGESTION_THRESHOLD = 18;
  static final int INIT_OUT_MAX_WRITE = 20;
  static final int INIT_OUT_TIME_GRAN = 24;
  static final int INIT_OUT_MAX_PAGES = 28;
  static final int INIT_OUT_FLAGS2 = 32;

  // struct fuse_attr (88)
  static final int ATTR_SIZE = 88;
  static final int ATTR_INO = 0;
  static final int ATTR_SIZE_BYTES = 8;
  static final int ATTR_BLOCKS = 16;
  static final int ATTR_ATIME = 24;
  static final int ATTR_MTIME = 32;
  static final int ATTR_CTIME = 40;
  static final int ATTR_ATIMENSEC = 48;
  static final int ATTR_MTIMENSEC = 52;
  static final int ATTR_CTIMENSEC = 56;
  static final int ATTR_MODE = 60;
  static final int ATTR_NLINK = 64;
  static final int ATTR_UID = 68;
  static final int ATTR_GID = 72;
  static final int ATTR_RDEV = 76;
  static final int ATTR_BLKSIZE = 80;

  // struct fuse_entry_out (128)
  static final int ENTRY_OUT_SIZE = 128;
  static final int ENTRY_OUT_NODEID = 0;
  static final int ENTRY_OUT_GENERATION = 8;
  static final int ENTRY_OUT_ENTRY_VALID = 16;
  static final int ENTRY_OUT_ATTR_VALID = 24;
  static final int ENTRY_OUT_ENTRY_VALID_NSEC = 32;
  static final int ENTRY_OUT_ATTR_VALID_NSEC = 36;
  static final int ENTRY_OUT_ATTR = 40;

  // struct fuse_attr_out (104)
  static final int ATTR_OUT_SIZE = 104;
  static final int ATTR_OUT_ATTR_VALID = 0;
  static final int ATTR_OUT_ATTR_VALID_NSEC = 8;
  static final int ATTR_OUT_ATTR = 16;

  // struct fuse_forget_in (8), fuse_batch_forget_in (8), fuse_forget_one (16)
  static final int FORGET_IN_NLOOKUP = 0;
  static final int BATCH_FORGET_IN_SIZE = 8;
  static final int BATCH_FORGET_IN_COUNT = 0;
  static final int FORGET_ONE_SIZE = 16;
  static final int FORGET_ONE_NODEID = 0;
  static final int FORGET_ONE_NLOOKUP = 8;

  // struct fuse_getattr_in (16)
  static final int GETATTR_IN_SIZE = 16;
  static final int GETATTR_IN_FLAGS = 0;
  static final int GETATTR_IN_FH = 8;

  // struct fuse_setattr_in (88)
  static final int SETATTR_IN_SIZE = 88;
  static final int SETATTR_IN_VALID = 0;
  static final int SETATTR_IN_FH = 8;
  static final int SETATTR_IN_SIZE_BYTES = 16;
  static final int SETATTR_IN_ATIME = 32;
  static final int SETATTR_IN_MTIME = 40;
  static final int SETATTR_IN_ATIMENSEC = 56;
  static final int SETATTR_IN_MTIMENSEC = 60;
  static final int SETATTR_IN_MODE = 68;
  static final int SETATTR_IN_UID = 76;
  static final int SETATTR_IN_GID = 80;

  // struct fuse_mknod_in (16), fuse_mkdir_in (8)
  static final int MKNOD_IN_SIZE = 16;
  static final int MKNOD_IN_MODE = 0;
  static final int MKNOD_IN_RDEV = 4;
  static final int MKDIR_IN_SIZE = 8;
  static final int MKDIR_IN_MODE = 0;

  // struct fuse_rename_in (8), fuse_rename2_in (16), fuse_link_in (8)
  static final int RENAME_IN_SIZE = 8;
  static final int RENAME_IN_NEWDIR = 0;
  static final int RENAME2_IN_SIZE = 16;
  static final int RENAME2_IN_NEWDIR = 0;
  static final int RENAME2_IN_FLAGS = 8;
  static final int LINK_IN_SIZE = 8;
  static final int LINK_IN_OLDNODEID = 0;

  // struct fuse_open_in (8), fuse_create_in (16), fuse_open_out (16)
  static final int OPEN_IN_SIZE = 8;
  static final int OPEN_IN_FLAGS = 0;
  static final int OPEN_IN_OPEN_FLAGS = 4;
  static final int CREATE_IN_SIZE = 16;
  static final int CREATE_IN_FLAGS = 0;
  static final int CREATE_IN_MODE = 4;
  static final int CREATE_IN_OPEN_FLAGS = 12;
  static final int OPEN_OUT_SIZE = 16;
  static final int OPEN_OUT_FH = 0;
  static final int OPEN_OUT_OPEN_FLAGS = 8;

  // struct fuse_read_in (40), fuse_write_in (40), fuse_write_out (8)
  static final int READ_IN_SIZE = 40;
  static final int READ_IN_FH = 0;
  static final int READ_IN_OFFSET = 8;
  static final int READ_IN_SIZE_BYTES = 16;
  static final int WRITE_IN_SIZE = 40;
  static final int WRITE_IN_FH = 0;
  static final int WRITE_IN_OFFSET = 8;
  static final int WRITE_IN_SIZE_BYTES = 16;
  static final int WRITE_IN_WRITE_FLAGS = 20;
  static final int WRITE_OUT_SIZE = 8;
  static final int WRITE_OUT_SIZE_BYTES = 0;

  // struct fuse_release_in (24), fuse_fsync_in (16)
  static final int RELEASE_IN_SIZE = 24;
  static final int RELEASE_IN_FH = 0;
  static final int FSYNC_IN_SIZE = 16;
  static final int FSYNC_IN_FH = 0;
  static final int FSYNC_IN_FSYNC_FLAGS = 8;

  // struct fuse_kstatfs (80) inside fuse_statfs_out (80)
  static final int STATFS_OUT_SIZE = 80;
  static final int KSTATFS_BLOCKS = 0;
  static final int KSTATFS_BFREE = 8;
  static final int KSTATFS_BAVAIL = 16;
  static final int KSTATFS_FILES = 24;
  static final int KSTATFS_FFREE = 32;
  static final int KSTATFS_BSIZE = 40;
  static final int KSTATFS_NAMELEN = 44;
  static final int KSTATFS_FRSIZE = 48;

  // xattrs: fuse_setxattr_in without SETXATTR_EXT (8), fuse_getxattr_in (8), _out (8)
  static final int SETXATTR_IN_SIZE = 8;
  static final int SETXATTR_IN_SIZE_BYTES = 0;
  static final int SETXATTR_IN_FLAGS = 4;
  static final int GETXATTR_IN_SIZE = 8;
  static final int GETXATTR_IN_SIZE_BYTES = 0;
  static final int GETXATTR_OUT_SIZE = 8;
  static final int GETXATTR_OUT_SIZE_BYTES = 0;

  // struct fuse_dirent (24 + name, padded to 8)
  static final int DIRENT_SIZE = 24;
  static final int DIRENT_INO = 0;
  static final int DIRENT_OFF = 8;
  static final int DIRENT_NAMELEN = 16;
  static final int DIRENT_TYPE = 20;

  // struct fuse_direntplus (152 + name, padded to 8): a fuse_entry_out, then a fuse_dirent
  static final int DIRENTPLUS_SIZE = 152;
  static final int DIRENTPLUS_ENTRY_OUT = 0;
  static final int DIRENTPLUS_DIRENT = 128;

  // struct fuse_statx_in (24), fuse_statx_out (288) with a fuse_statx (256) at STAT
  static final int STATX_IN_SIZE = 24;
  static final int STATX_IN_GETATTR_FLAGS = 0;
  static final int STATX_IN_FH = 8;
  static final int STATX_IN_SX_FLAGS = 16;
  static final int STATX_IN_SX_MASK = 20;
  static final int STATX_OUT_SIZE = 288;
  static final int STATX_OUT_ATTR_VALID = 0;
  static final int STATX_OUT_ATTR_VALID_NSEC = 8;
  static final int STATX_OUT_FLAGS = 12;
  static final int STATX_OUT_STAT = 32;
  static final int SX_SIZE = 256;
  static final int SX_MASK = 0;
  static final int SX_BLKSIZE = 4;
  static final int SX_ATTRIBUTES = 8;
  static final int SX_NLINK = 16;
  static final int SX_UID = 20;
  static final int SX_GID = 24;
  static final int SX_MODE = 28;
  static final int SX_INO = 32;
  static final int SX_SIZE_BYTES = 40;
  static final int SX_BLOCKS = 48;
  static final int SX_ATTRIBUTES_MASK = 56;
  static final int SX_ATIME = 64;
  static final int SX_BTIME = 80;
  static final int SX_CTIME = 96;
  static final int SX_MTIME = 112;
  static final int SX_RDEV_MAJOR = 128;
  static final int SX_RDEV_MINOR = 132;
  static final int SX_DEV_MAJOR = 136;
  static final int SX_DEV_MINOR = 140;
  // struct fuse_sx_time (16)
  static final int SX_TIME_SIZE = 16;
  static final int SX_TIME_TV_SEC = 0;
  static final int SX_TIME_TV_NSEC = 8;

  // struct fuse_ioctl_in (32), fuse_ioctl_out (16)
  static final int IOCTL_IN_SIZE = 32;
  static final int IOCTL_IN_FH = 0;
  static final int IOCTL_IN_FLAGS = 8;
  static final int IOCTL_IN_CMD = 12;
  static final int IOCTL_IN_IN_SIZE = 24;
  static final int IOCTL_IN_OUT_SIZE = 28;
  static final int IOCTL_OUT_SIZE = 16;
  static final int IOCTL_OUT_RESULT = 0;

  // struct fuse_fallocate_in (32)
  static final int FALLOCATE_IN_SIZE = 32;
  static final int FALLOCATE_IN_FH = 0;
  static final int FALLOCATE_IN_OFFSET = 8;
  static final int FALLOCATE_IN_LENGTH = 16;
  static final int FALLOCATE_IN_MODE = 24;

  // struct fuse_lseek_in (24), fuse_lseek_out (8)
  static final int LSEEK_IN_SIZE = 24;
  static final int LSEEK_IN_FH = 0;
  static final int LSEEK_IN_OFFSET = 8;
  static final int LSEEK_IN_WHENCE = 16;
  static final int LSEEK_OUT_SIZE = 8;
  static final int LSEEK_OUT_OFFSET = 0;

  // struct fuse_copy_file_range_in (56)
  static final int COPY_FILE_RANGE_IN_SIZE = 56;
  static final int COPY_FILE_RANGE_IN_FH_IN = 0;
  static final int COPY_FILE_RANGE_IN_OFF_IN = 8;
  static final int COPY_FILE_RANGE_IN_NODEID_OUT = 16;
  static final int COPY_FILE_RANGE_IN_FH_OUT = 24;
  static final int COPY_FILE_RANGE_IN_OFF_OUT = 32;
  static final int COPY_FILE_RANGE_IN_LEN = 40;
  static final int COPY_FILE_RANGE_IN_FLAGS = 48;

  // struct fuse_notify_inval_inode_out (24)
  static final int NOTIFY_INVAL_INODE_OUT_SIZE = 24;
  static final int NOTIFY_INVAL_INODE_OUT_INO = 0;
  static final int NOTIFY_INVAL_INODE_OUT_OFF = 8;
  static final int NOTIFY_INVAL_INODE_OUT_LEN = 16;

  // struct fuse_interrupt_in (8)
  static final int INTERRUPT_IN_UNIQUE = 0;
}
