package dev.sealfs.core;

/**
 * What {@code SEALFS_IOC_SEAL} reports back.
 *
 * @param generation the block-map generation now frozen
 * @param holders holders of the inode after the call
 */
public record SealResult(long generation, long holders) {}
