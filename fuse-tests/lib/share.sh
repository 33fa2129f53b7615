# shellcheck shell=bash
# Helpers of the fuse-tests/cases/share-* cases (SPEC 11, shared extents through
# copy_file_range). Source after nothing else: it sources seal.sh (and so common.sh) itself.
#
#   . "$FUSE_TESTS/lib/share.sh"
#   share_setup                # native binding only (skip otherwise), mkfs 128M + mount
#   share_copy SRC DST         # copy_file_range the whole file, looping on short counts
#   share_layout PATH          # user.sealfs.layout: "logical physical length flags" lines

# shellcheck source=seal.sh
. "$FUSE_TESTS/lib/seal.sh"

# share_setup: the COPY_FILE_RANGE request reaches only the native binding (libfuse 2.9 answers
# ENOSYS and the kernel copies with writes), so the share cases skip on jnr-fuse.
share_setup() {
  seal_need_native "jnr-fuse never receives COPY_FILE_RANGE (SPEC 7)"
  require_cmd python3
  seal_setup
}

# share_copy SRC DST [OFF_IN OFF_OUT LEN]: copy_file_range(2) from SRC to DST (the whole file by
# default), looping on short counts as a caller does, then fsync(DST); prints the bytes copied.
share_copy() {
  python3 - "$@" <<'PY'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
off_in, off_out = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (0, 0)
length = int(sys.argv[5]) if len(sys.argv) > 5 else os.stat(src).st_size - off_in
i = os.open(src, os.O_RDONLY)
o = os.open(dst, os.O_WRONLY | os.O_CREAT, 0o644)
done = 0
while done < length:
    n = os.copy_file_range(i, o, length - done, off_in + done, off_out + done)
    if n == 0:
        break
    done += n
os.fsync(o)
print(done)
PY
}

# share_layout PATH: the extents of PATH from user.sealfs.layout, one per line.
share_layout() {
  python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.sealfs.layout").decode())' "$1"
}

# share_blocks PATH FLAG: the device block numbers (physical / block size) of PATH's extents
# whose flags are FLAG (written, unwritten or shared), one per line, in file order.
share_blocks() {
  share_layout "$1" | python3 -c '
import sys
bs, flag = 4096, sys.argv[1]
for line in sys.stdin:
    f = line.split()
    if len(f) == 4 and f[3] == flag:
        first, count = int(f[1]) // bs, int(f[2]) // bs
        for b in range(first, first + count):
            print(b)
' "$2"
}

# share_free: free blocks of the mount (statvfs f_bfree).
share_free() {
  python3 -c 'import os, sys; print(os.statvfs(sys.argv[1]).f_bfree)' "$SEALFS_MNT"
}

# share_fsck_clean WHAT: unmounts, runs `sealfs fsck -n` (exit 0, "clean"; its output is in
# $CASE_DIR/fsck.out), and mounts again.
share_fsck_clean() {
  local rc=0
  fs_umount
  timeout 90 "$SEALFS" fsck -n "$SEALFS_IMG" >"$CASE_DIR/fsck.out" 2>&1 || rc=$?
  sed 's/^/  /' "$CASE_DIR/fsck.out"
  assert_eq 0 "$rc" "fsck -n exit code $1"
  grep -qx clean "$CASE_DIR/fsck.out" || fail "fsck -n did not print 'clean' $1"
  fs_mount || fail "mount after fsck failed"
}
