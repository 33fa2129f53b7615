package dev.sealfs.fuse.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What mount(2) gets for a native mount, translated from sealfs's -o option list (the same list
 * the jnr-fuse binding hands libfuse): the source (fsname), the type ({@code fuse.SUBTYPE}), the
 * MS_* flags and the kernel's option string (to which {@code fd=}, {@code rootmode=},
 * {@code user_id=} and {@code group_id=} are added at mount time). libfuse-level options that
 * mean nothing to the kernel are dropped; unknown ones go to the kernel, which refuses them.
 *
 * @param source the mount source (fsname=)
 * @param type the filesystem type, {@code fuse.sealfs}
 * @param flags MS_* flags
 * @param kernelOptions options for the kernel, comma-separated (may be empty)
 * @param threads worker threads (-o threads=N; default the number of cores)
 * @param killPrivV2 whether to offer HANDLE_KILLPRIV_V2 (-o nokillpriv_v2 turns it off)
 * @param keepCache keep the page cache across opens of unsealed files (the default;
 *     -o nokeep_cache drops it at every open)
 * @param ioUring the transport choice (-o io_uring, -o io_uring=off; default {@code AUTO})
 */
public record KernelMount(String source, String type, long flags, String kernelOptions,
    int threads, boolean killPrivV2, boolean keepCache, IoUring ioUring) {

  /** Whether requests may come through FUSE-over-io_uring (see {@link UringTransport}). */
  public enum IoUring {
    /** Use io_uring when the kernel allows it (enable_uring is Y), else /dev/fuse. */
    AUTO,
    /** Asked for with -o io_uring: the same, but falling back is logged as a warning. */
    ON,
    /** -o io_uring=off: /dev/fuse only. */
    OFF
  }

  /** Our option choosing the transport: {@code io_uring}, {@code io_uring=on|off|auto}. */
  public static final String IO_URING = "io_uring";

  /** True if {@code o} is the transport option (the native binding's own, never libfuse's). */
  public static boolean isIoUringOption(String o) {
    return o.equals(IO_URING) || o.startsWith(IO_URING + "=");
  }

  /** Parses a transport option; throws IllegalArgumentException for an unknown value. */
  static IoUring parseIoUring(String o) {
    String v = o.equals(IO_URING) ? "on" : o.substring(IO_URING.length() + 1);
    switch (v) {
      case "on": return IoUring.ON;
      case "off": return IoUring.OFF;
      case "auto": return IoUring.AUTO;
      default: throw new IllegalArgumentException("io_uring must be on, off or auto, not " + v);
    }
  }

  /** Our option: keep the page cache across opens of unsealed files (see CacheInvalidator). */
  public static final String KEEP_CACHE = "keep_cache";
  /** Our option: drop a file's page cache at every open, as the jnr-fuse binding does. */
  public static final String NO_KEEP_CACHE = "nokeep_cache";

  /** libfuse options with no meaning for the kernel (the native binding has fixed values). */
  static final Set<String> LIBFUSE_ONLY = Set.of("big_writes", "use_ino", "readdir_ino",
      "hard_remove", "auto_cache", "noauto_cache", "kernel_cache", "direct_io", "noforget",
      "intr", "nopath", "splice_read", "splice_write", "splice_move", "no_splice_read",
      "no_splice_write", "no_splice_move", "auto_unmount", "atomic_o_trunc");
  /** Prefixes of libfuse options with a value that the native binding ignores. */
  static final List<String> LIBFUSE_ONLY_PREFIXES = List.of("max_write=", "attr_timeout=",
      "entry_timeout=", "negative_timeout=", "ac_attr_timeout=", "umask=", "uid=", "gid=",
      "modules=", "max_readahead=", "max_background=", "congestion_threshold=",
      "intr_signal=", "remember=", "max_idle_threads=");
  /** Options that only the binding selection and session use. */
  static final List<String> SESSION_PREFIXES = List.of("binding=", "threads=");

  /** Translates {@code options} (the effective -o list); throws IllegalArgumentException. */
  public static KernelMount of(List<String> options, int defaultThreads) {
    String source = "sealfs";
    String type = "fuse";
    long flags = Libc.MS_NOSUID | Libc.MS_NODEV;
    List<String> kernel = new ArrayList<>();
    int threads = defaultThreads;
    boolean killPrivV2 = true;
    boolean keepCache = true;
    IoUring ioUring = IoUring.AUTO;
    for (String o : options) {
      if (o.startsWith("fsname=")) {
        source = unescape(o.substring("fsname=".length()));
      } else if (o.startsWith("subtype=")) {
        type = "fuse." + o.substring("subtype=".length());
      } else if (o.startsWith("threads=")) {
        threads = Integer.parseInt(o.substring("threads=".length()));
        if (threads < 1 || threads > 256) {
          throw new IllegalArgumentException("threads must be 1..256, not " + threads);
        }
      } else if (o.equals("nokillpriv_v2")) {
        killPrivV2 = false;
      } else if (o.equals(KEEP_CACHE)) {
        keepCache = true;
      } else if (o.equals(NO_KEEP_CACHE)) {
        keepCache = false;
      } else if (isIoUringOption(o)) {
        ioUring = parseIoUring(o);
      } else if (o.equals("ro")) {
        flags |= Libc.MS_RDONLY;
      } else if (o.equals("rw") || o.equals("noallow_other") || o.startsWith("binding=")
          || LIBFUSE_ONLY.contains(o) || LIBFUSE_ONLY_PREFIXES.stream().anyMatch(o::startsWith)) {
        continue;
      } else if (o.equals("suid")) {
        flags &= ~Libc.MS_NOSUID;
      } else if (o.equals("dev")) {
        flags &= ~Libc.MS_NODEV;
      } else if (flag(o) != 0) {
        flags |= flag(o);
      } else if (!kernel.contains(o)) {
        kernel.add(o);
      }
    }
    return new KernelMount(source, type, flags, String.join(",", kernel), threads, killPrivV2,
        keepCache, ioUring);
  }

  /** Returns the MS_* flag an option stands for, or 0. */
  static long flag(String o) {
    for (int k = 0; k < FLAG_NAMES.length; k++) {
      if (FLAG_NAMES[k].equals(o)) {
        return FLAG_BITS[k];
      }
    }
    return 0;
  }

  /** Undoes libfuse -o escaping ({@code \,} and {@code \\}). */
  static String unescape(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        c = s.charAt(++i);
      }
      sb.append(c);
    }
    return sb.toString();
  }

  /** MS_* flags and the fusermount3 option naming each, in the order they are written. */
  private static final long[] FLAG_BITS = {Libc.MS_RDONLY, Libc.MS_NOSUID, Libc.MS_NODEV,
      Libc.MS_NOEXEC, Libc.MS_SYNCHRONOUS, Libc.MS_DIRSYNC, Libc.MS_NOATIME, Libc.MS_NODIRATIME,
      Libc.MS_RELATIME, Libc.MS_STRICTATIME};
  /** The option names of {@link #FLAG_BITS}. */
  private static final String[] FLAG_NAMES = {"ro", "nosuid", "nodev", "noexec", "sync",
      "dirsync", "noatime", "nodiratime", "relatime", "strictatime"};

  /**
   * The -o list for {@code fusermount3} (a user's mount): fsname= (escaped as libfuse does),
   * subtype=, the flags by name and the kernel options; fusermount3 adds fd=, rootmode=,
   * user_id= and group_id= itself, and refuses what a user may not ask for (suid, dev,
   * allow_other without user_allow_other in /etc/fuse.conf).
   */
  String fusermountOptions() {
    List<String> o = new ArrayList<>();
    o.add("fsname=" + source.replace("\\", "\\\\").replace(",", "\\,"));
    if (type.startsWith("fuse.")) {
      o.add("subtype=" + type.substring("fuse.".length()));
    }
    for (int k = 0; k < FLAG_BITS.length; k++) {
      if ((flags & FLAG_BITS[k]) != 0) {
        o.add(FLAG_NAMES[k]);
      }
    }
    if (!kernelOptions.isEmpty()) {
      o.add(kernelOptions);
    }
    return String.join(",", o);
  }

  /** The kernel's option string for {@code fd}, the root mode and the mounting user. */
  String data(int fd, int uid, int gid) {
    String base = "fd=" + fd + ",rootmode=40000,user_id=" + uid + ",group_id=" + gid;
    return kernelOptions.isEmpty() ? base : base + "," + kernelOptions;
  }
}
