package dev.sealfs.client;

import java.util.Map;

/**
 * glibc's English strerror texts and symbolic names for the errnos a sealfs client meets;
 * a fixed table so messages do not depend on the process locale.
 */
public final class ErrnoText {
  /** errno number to {symbol, glibc message}. */
  private static final Map<Integer, String[]> TABLE = Map.ofEntries(
      e(1, "EPERM", "Operation not permitted"),
      e(2, "ENOENT", "No such file or directory"),
      e(3, "ESRCH", "No such process"),
      e(4, "EINTR", "Interrupted system call"),
      e(5, "EIO", "Input/output error"),
      e(6, "ENXIO", "No such device or address"),
      e(7, "E2BIG", "Argument list too long"),
      e(9, "EBADF", "Bad file descriptor"),
      e(11, "EAGAIN", "Resource temporarily unavailable"),
      e(12, "ENOMEM", "Cannot allocate memory"),
      e(13, "EACCES", "Permission denied"),
      e(14, "EFAULT", "Bad address"),
      e(16, "EBUSY", "Device or resource busy"),
      e(17, "EEXIST", "File exists"),
      e(18, "EXDEV", "Invalid cross-device link"),
      e(19, "ENODEV", "No such device"),
      e(20, "ENOTDIR", "Not a directory"),
      e(21, "EISDIR", "Is a directory"),
      e(22, "EINVAL", "Invalid argument"),
      e(23, "ENFILE", "Too many open files in system"),
      e(24, "EMFILE", "Too many open files"),
      e(25, "ENOTTY", "Inappropriate ioctl for device"),
      e(26, "ETXTBSY", "Text file busy"),
      e(27, "EFBIG", "File too large"),
      e(28, "ENOSPC", "No space left on device"),
      e(29, "ESPIPE", "Illegal seek"),
      e(30, "EROFS", "Read-only file system"),
      e(31, "EMLINK", "Too many links"),
      e(34, "ERANGE", "Numerical result out of range"),
      e(36, "ENAMETOOLONG", "File name too long"),
      e(38, "ENOSYS", "Function not implemented"),
      e(39, "ENOTEMPTY", "Directory not empty"),
      e(40, "ELOOP", "Too many levels of symbolic links"),
      e(61, "ENODATA", "No data available"),
      e(75, "EOVERFLOW", "Value too large for defined data type"),
      e(95, "EOPNOTSUPP", "Operation not supported"),
      e(107, "ENOTCONN", "Transport endpoint is not connected"),
      e(116, "ESTALE", "Stale file handle"),
      e(117, "EUCLEAN", "Structure needs cleaning"),
      e(122, "EDQUOT", "Disk quota exceeded"));

  private ErrnoText() {}

  /** Builds one table entry. */
  private static Map.Entry<Integer, String[]> e(int errno, String symbol, String message) {
    return Map.entry(errno, new String[] {symbol, message});
  }

  /** Returns the strerror(3) text for {@code errno}, e.g. "Text file busy" for 26. */
  public static String message(int errno) {
    String[] v = TABLE.get(errno);
    return v != null ? v[1] : "Unknown error " + errno;
  }

  /** Returns the symbolic name for {@code errno}, e.g. "ETXTBSY" for 26, or "E" + number. */
  public static String symbol(int errno) {
    String[] v = TABLE.get(errno);
    return v != null ? v[0] : "E" + errno;
  }
}
