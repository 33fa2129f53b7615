package dev.sealfs.core;

/**
 * The attributes of one inode, as {@code stat(2)} reports them.
 *
 * @param ino stable, unique inode number
 * @param mode file type and permission bits (S_IFMT | 07777)
 * @param nlink number of hard links
 * @param uid owner
 * @param gid group
 * @param rdev device number for device nodes
 * @param size size in bytes
 * @param blocks512 allocated space in 512-byte units
 * @param blockSize preferred I/O size (the filesystem block size)
 * @param atimeNs access time, nanoseconds since the epoch
 * @param mtimeNs modification time, nanoseconds since the epoch
 * @param ctimeNs change time, nanoseconds since the epoch
 */
public record Stat(long ino, int mode, long nlink, int uid, int gid, long rdev, long size,
    long blocks512, int blockSize, long atimeNs, long mtimeNs, long ctimeNs) {}
