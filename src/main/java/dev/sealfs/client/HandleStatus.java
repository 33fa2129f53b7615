package dev.sealfs.client;

import dev.sealfs.core.SealStatus;

/**
 * A whole struct sealfs_status: the seal fields and the break fields of SPEC 10.
 *
 * @param seal the fields every version of the ABI has (sealed, holders, generation, sizes)
 * @param state {@link SealAbi#STATUS_BREAKING} and {@link SealAbi#STATUS_REVOKED} bits
 * @param breakDeadlineMs while breaking, the CLOCK_REALTIME milliseconds of the revocation
 */
public record HandleStatus(SealStatus seal, long state, long breakDeadlineMs) {
  /** True if a break of the inode's seals is under way. */
  public boolean breaking() {
    return (state & SealAbi.STATUS_BREAKING) != 0;
  }

  /** True if this handle's seal was revoked and not yet acknowledged. */
  public boolean revoked() {
    return (state & SealAbi.STATUS_REVOKED) != 0;
  }
}
