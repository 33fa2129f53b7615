#!/bin/bash
# TIMEOUT: 300
# power-cut with -o device_io=mmap (file data stored through a shared mapping of the image, on
# cutfs, whose files the kernel maps through its page cache): CUT_ROUNDS (default 4) power
# cuts under the same workloads, and the same checks: fsck -n clean, recovery, every fsync'd
# file exactly as logged, no file holding another's data. This is what proves that the
# fdatasync of a commit covers the mapping's stores (MappedData), with no msync. Here the
# stores sit dirty in the kernel's page cache of the layer's file until writeback or fsync sends
# them down, so a cut loses every one not yet sent (the layer's "dropped" count is mostly the
# canary), and the fsync'd files that survive intact are the point.
export SEALFS_DEVICE_IO=mmap CUT_ROUNDS=${CUT_ROUNDS:-4}
exec "$(dirname "$0")/power-cut.sh"
