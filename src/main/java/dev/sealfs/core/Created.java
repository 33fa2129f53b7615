package dev.sealfs.core;

/**
 * What FUSE CREATE answers: the new (or existing) file's attributes and the open handle.
 *
 * @param attr the file's attributes after the create
 * @param fh the new file handle
 */
public record Created(Stat attr, long fh) {}
