package dev.sealfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins every {@link FuseAbi} constant (opcodes, flags, struct sizes and field offsets) to
 * Debian's {@code /usr/include/linux/fuse.h}: each constant's C expression is derived from its
 * name (prefix = struct, rest = field, SIZE = sizeof), compiled by gcc and printed; the values
 * must equal the Java ones. A constant the rules cannot map fails the test, so none escapes.
 */
final class FuseAbiHeaderTest {

  /** The kernel's UAPI header the binding is pinned against. */
  private static final Path HEADER = Path.of("/usr/include/linux/fuse.h");

  /** Name prefix to struct; longer prefixes first where one is a prefix of another. */
  private static final List<String[]> STRUCTS = List.of(
      new String[] {"IN_", "fuse_in_header"}, new String[] {"OUT_", "fuse_out_header"},
      new String[] {"INIT_IN_", "fuse_init_in"}, new String[] {"INIT_OUT_", "fuse_init_out"},
      new String[] {"ATTR_OUT_", "fuse_attr_out"}, new String[] {"ATTR_", "fuse_attr"},
      new String[] {"ENTRY_OUT_", "fuse_entry_out"}, new String[] {"FORGET_IN_", "fuse_forget_in"},
      new String[] {"BATCH_FORGET_IN_", "fuse_batch_forget_in"},
      new String[] {"FORGET_ONE_", "fuse_forget_one"},
      new String[] {"GETATTR_IN_", "fuse_getattr_in"},
      new String[] {"SETATTR_IN_", "fuse_setattr_in"}, new String[] {"MKNOD_IN_", "fuse_mknod_in"},
      new String[] {"MKDIR_IN_", "fuse_mkdir_in"}, new String[] {"RENAME2_IN_", "fuse_rename2_in"},
      new String[] {"RENAME_IN_", "fuse_rename_in"}, new String[] {"LINK_IN_", "fuse_link_in"},
      new String[] {"OPEN_IN_", "fuse_open_in"}, new String[] {"CREATE_IN_", "fuse_create_in"},
      new String[] {"OPEN_OUT_", "fuse_open_out"}, new String[] {"READ_IN_", "fuse_read_in"},
      new String[] {"WRITE_IN_", "fuse_write_in"}, new String[] {"WRITE_OUT_", "fuse_write_out"},
      new String[] {"RELEASE_IN_", "fuse_release_in"}, new String[] {"FSYNC_IN_", "fuse_fsync_in"},
      new String[] {"STATFS_OUT_", "fuse_statfs_out"}, new String[] {"KSTATFS_", "fuse_kstatfs"},
      new String[] {"SETXATTR_IN_", "fuse_setxattr_in"},
      new String[] {"GETXATTR_IN_", "fuse_getxattr_in"},
      new String[] {"GETXATTR_OUT_", "fuse_getxattr_out"}, new String[] {"DIRENT_", "fuse_dirent"},
      new String[] {"IOCTL_IN_", "fuse_ioctl_in"}, new String[] {"IOCTL_OUT_", "fuse_ioctl_out"},
      new String[] {"FALLOCATE_IN_", "fuse_fallocate_in"},
      new String[] {"LSEEK_IN_", "fuse_lseek_in"}, new String[] {"LSEEK_OUT_", "fuse_lseek_out"},
      new String[] {"COPY_FILE_RANGE_IN_", "fuse_copy_file_range_in"},
      new String[] {"INTERRUPT_IN_", "fuse_interrupt_in"},
      new String[] {"NOTIFY_INVAL_INODE_OUT_", "fuse_notify_inval_inode_out"},
      new String[] {"DIRENTPLUS_", "fuse_direntplus"},
      new String[] {"STATX_IN_", "fuse_statx_in"}, new String[] {"STATX_OUT_", "fuse_statx_out"},
      new String[] {"SX_TIME_", "fuse_sx_time"}, new String[] {"SX_", "fuse_statx"});

  /**
   * The protocol 7.39 names sealfs uses, declared as the kernel's include/uapi/linux/fuse.h
   * (7.39, Linux 6.6) declares them, for an installed header older than that (Debian 12 ships
   * 7.38). With a 7.39+ header the header's own declarations are what the test checks.
   */
  static final String PROTOCOL_7_39 = "#if FUSE_KERNEL_MINOR_VERSION < 39\n"
      + "#define FUSE_DIRECT_IO_ALLOW_MMAP (1ULL << 36)\n"
      + "#define FUSE_STATX 52\n"
      + "struct fuse_sx_time { int64_t tv_sec; uint32_t tv_nsec; int32_t __reserved; };\n"
      + "struct fuse_statx { uint32_t mask; uint32_t blksize; uint64_t attributes;\n"
      + "  uint32_t nlink; uint32_t uid; uint32_t gid; uint16_t mode; uint16_t __spare0[1];\n"
      + "  uint64_t ino; uint64_t size; uint64_t blocks; uint64_t attributes_mask;\n"
      + "  struct fuse_sx_time atime; struct fuse_sx_time btime;\n"
      + "  struct fuse_sx_time ctime; struct fuse_sx_time mtime;\n"
      + "  uint32_t rdev_major; uint32_t rdev_minor; uint32_t dev_major; uint32_t dev_minor;\n"
      + "  uint64_t __spare2[14]; };\n"
      + "struct fuse_statx_in { uint32_t getattr_flags; uint32_t reserved; uint64_t fh;\n"
      + "  uint32_t sx_flags; uint32_t sx_mask; };\n"
      + "struct fuse_statx_out { uint64_t attr_valid; uint32_t attr_valid_nsec; uint32_t flags;\n"
      + "  uint64_t spare[2]; struct fuse_statx stat; };\n"
      + "#endif\n";

  /** Constants whose C expression does not follow from the naming rules. */
  private static Map<String, String> overrides() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("KERNEL_VERSION", "FUSE_KERNEL_VERSION");
    m.put("DEV_IOC_CLONE", "FUSE_DEV_IOC_CLONE");
    m.put("GETATTR_FH", "FUSE_GETATTR_FH");
    m.put("IOCTL_FLAG_DIR", "FUSE_IOCTL_DIR");
    m.put("WRITE_CACHE", "FUSE_WRITE_CACHE");
    m.put("OPEN_KILL_SUIDGID", "FUSE_OPEN_KILL_SUIDGID");
    m.put("IN_HEADER_SIZE", "sizeof(struct fuse_in_header)");
    m.put("OUT_HEADER_SIZE", "sizeof(struct fuse_out_header)");
    m.put("ATTR_SIZE_BYTES", "offsetof(struct fuse_attr, size)");
    m.put("SETATTR_IN_SIZE_BYTES", "offsetof(struct fuse_setattr_in, size)");
    m.put("READ_IN_SIZE_BYTES", "offsetof(struct fuse_read_in, size)");
    m.put("WRITE_IN_SIZE_BYTES", "offsetof(struct fuse_write_in, size)");
    m.put("WRITE_OUT_SIZE_BYTES", "offsetof(struct fuse_write_out, size)");
    m.put("SETXATTR_IN_SIZE", "FUSE_COMPAT_SETXATTR_IN_SIZE");
    m.put("SETXATTR_IN_SIZE_BYTES", "offsetof(struct fuse_setxattr_in, size)");
    m.put("GETXATTR_IN_SIZE_BYTES", "offsetof(struct fuse_getxattr_in, size)");
    m.put("GETXATTR_OUT_SIZE_BYTES", "offsetof(struct fuse_getxattr_out, size)");
    m.put("GETATTR_IN_FLAGS", "offsetof(struct fuse_getattr_in, getattr_flags)");
    m.put("DIRENT_SIZE", "FUSE_NAME_OFFSET");
    m.put("FOPEN_KEEP_CACHE", "FOPEN_KEEP_CACHE");
    m.put("FOPEN_DIRECT_IO", "FOPEN_DIRECT_IO");
    m.put("SX_SIZE_BYTES", "offsetof(struct fuse_statx, size)");
    m.put("NOTIFY_INVAL_INODE", "FUSE_NOTIFY_INVAL_INODE");
    m.put("OPCODE_SLOTS", null); // not a kernel value
    // The protocol minor sealfs speaks may trail the header it is compiled against, never lead.
    m.put("KERNEL_MINOR", null);
    return m;
  }

  /** Opcodes and INIT flags: FUSE_ + name. */
  private static boolean isFuseName(String n) {
    return !n.contains("_IN_") && !n.contains("_OUT_") && !n.startsWith("IN_")
        && !n.startsWith("OUT_") && !n.startsWith("ATTR_") && !n.startsWith("KSTATFS_")
        && !n.startsWith("DIRENT_") && !n.startsWith("FATTR_") && !n.startsWith("FORGET_ONE_");
  }

  /** Returns the C expression pinning constant {@code name}, or null for none. */
  static String cExpression(String name) {
    Map<String, String> o = overrides();
    if (o.containsKey(name)) {
      return o.get(name);
    }
    if (name.startsWith("FATTR_")) {
      return name;
    }
    String best = null;
    String struct = null;
    for (String[] s : STRUCTS) {
      if (name.startsWith(s[0]) && (best == null || s[0].length() > best.length())) {
        best = s[0];
        struct = s[1];
      }
    }
    if (best != null) {
      String field = name.substring(best.length());
      return field.equals("SIZE") ? "sizeof(struct " + struct + ")"
          : "offsetof(struct " + struct + ", " + field.toLowerCase() + ")";
    }
    if (isFuseName(name)) {
      return "FUSE_" + name;
    }
    throw new AssertionError("no C expression for FuseAbi." + name);
  }

  /** Every constant gcc computes from linux/fuse.h equals the Java one. */
  @Test
  void constantsMatchTheKernelHeader(@TempDir Path tmp) throws Exception {
    Assumptions.assumeTrue(Files.exists(HEADER), "no " + HEADER);
    Map<String, Long> java = CProbe.constants(FuseAbi.class);
    Map<String, String> expressions = new TreeMap<>();
    Map<String, Long> expected = new TreeMap<>();
    for (Map.Entry<String, Long> e : java.entrySet()) {
      String expr = cExpression(e.getKey());
      if (expr != null) {
        expressions.put(e.getKey(), expr);
        expected.put(e.getKey(), e.getValue());
      }
    }
    expressions.put("HEADER_MINOR", "FUSE_KERNEL_MINOR_VERSION");
    Map<String, Long> actual = new TreeMap<>(CProbe.values(tmp,
        "#include <sys/ioctl.h>\n#include <linux/fuse.h>\n" + PROTOCOL_7_39, expressions));
    long headerMinor = actual.remove("HEADER_MINOR");
    Map<String, String> wrong = new TreeMap<>();
    for (Map.Entry<String, Long> e : expected.entrySet()) {
      Long inC = actual.get(e.getKey());
      if (!e.getValue().equals(inC)) {
        wrong.put(e.getKey(), "java " + e.getValue() + ", C " + inC);
      }
    }
    assertEquals(Map.of(), wrong, "FuseAbi constants that differ from linux/fuse.h");
    assertEquals(expected.keySet(), actual.keySet());
    assertTrue(FuseAbi.KERNEL_MINOR <= headerMinor,
        "sealfs speaks 7." + FuseAbi.KERNEL_MINOR + " but the header is 7." + headerMinor);
  }
}
