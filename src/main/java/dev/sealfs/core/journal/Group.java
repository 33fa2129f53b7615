package dev.sealfs.core.journal;

/**
 * A closed journal group: the redo records of one transaction, as {@link Metadata} emitted them.
 *
 * @param records the encoded records ([u16 type][u32 len][payload]...)
 * @param count how many records
 */
public record Group(byte[] records, int count) {}
