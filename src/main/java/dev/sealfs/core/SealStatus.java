package dev.sealfs.core;

/**
 * What {@code SEALFS_IOC_STATUS} reports (struct sealfs_status).
 *
 * @param sealed true if the inode has any holder
 * @param heldByMe true if the asking handle is a holder
 * @param holders number of holders
 * @param generation current block-map generation
 * @param size file size in bytes
 * @param blockSize filesystem block size in bytes
 */
public record SealStatus(boolean sealed, boolean heldByMe, long holders, long generation,
    long size, long blockSize) {}
