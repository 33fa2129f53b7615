package dev.sealfs.core;

/**
 * Filesystem-wide counters, as {@code statfs(2)} reports them.
 *
 * @param blockSize the block size in bytes
 * @param totalBlocks data blocks usable by files
 * @param freeBlocks data blocks free for files
 * @param totalInodes inode numbers available in all
 * @param freeInodes inode numbers still free
 * @param nameMax longest name in bytes
 */
public record StatFs(int blockSize, long totalBlocks, long freeBlocks, long totalInodes,
    long freeInodes, int nameMax) {}
