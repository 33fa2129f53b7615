package dev.sealfs.core;

/**
 * One name in a directory listing.
 *
 * @param name the entry's name (no slash)
 * @param ino the inode it names
 * @param mode the inode's mode (type bits matter for d_type)
 */
public record DirEntry(String name, long ino, int mode) {}
