package dev.sealfs.core;

/**
 * The Linux errno values sealfs answers with; the single errno type of the project.
 *
 * <p>The FUSE adapter returns {@code -errno.code}; the core throws {@link FsException} carrying one.
 */
public enum Errno {
  EPERM(1),
  ENOENT(2),
  EINTR(4),
  EIO(5),
  EBADF(9),
  EAGAIN(11),
  EACCES(13),
  EBUSY(16),
  EEXIST(17),
  EXDEV(18),
  ENODEV(19),
  ENOTDIR(20),
  EISDIR(21),
  EINVAL(22),
  EMFILE(24),
  ENOTTY(25),
  ETXTBSY(26),
  EFBIG(27),
  ENOSPC(28),
  EROFS(30),
  EMLINK(31),
  ERANGE(34),
  ENAMETOOLONG(36),
  ENOSYS(38),
  ENOTEMPTY(39),
  ELOOP(40),
  ENODATA(61),
  EOVERFLOW(75),
  EOPNOTSUPP(95),
  ESTALE(116),
  EUCLEAN(117),
  EDQUOT(122);

  /** The positive Linux errno number. */
  public final int code;

  Errno(int code) {
    this.code = code;
  }
}
