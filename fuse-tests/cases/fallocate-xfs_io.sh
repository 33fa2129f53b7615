#!/bin/bash
# TIMEOUT: 240
# xfs_io pwrite/falloc/fpunch/fzero/truncate: after every step the whole file read back equals a
# byte model (and st_blocks moves as on ext4 for block-aligned punches); again after remount.
. "$(dirname "$0")/../lib/common.sh"
require_cmd xfs_io
fs_mkfs
fs_mount
f=$SEALFS_MNT/f
"$PYTHON" - "$f" "$CASE_DIR/model" <<'PY'
import os, subprocess, sys
path, model_path = sys.argv[1], sys.argv[2]
K = 1024
model = bytearray()

def grow(n):
    if len(model) < n:
        model.extend(bytes(n - len(model)))

def step(cmd, apply):
    subprocess.run(["xfs_io", "-f", "-c", cmd, "-c", "fsync", path], check=True,
                   stdout=subprocess.DEVNULL)
    apply()
    with open(path, "rb") as fh:
        data = fh.read()
    if data != bytes(model):
        first = next((i for i in range(min(len(data), len(model))) if data[i] != model[i]),
                     min(len(data), len(model)))
        sys.exit(f"after '{cmd}': file ({len(data)} bytes) differs from model ({len(model)} bytes)"
                 f" first at byte {first}")
    st = os.stat(path)
    print(f"ok  {cmd:<28} size={st.st_size} blocks={st.st_blocks}")
    return st

def pwrite(val, off, n):
    def a():
        grow(off + n)
        model[off:off + n] = bytes([val]) * n
    return step(f"pwrite -S {val:#x} {off} {n}", a)

def zero(off, n, keep, verb):
    def a():
        if not keep:
            grow(off + n)
        end = min(off + n, len(model))
        model[off:end] = bytes(max(0, end - off))
    return step(f"{verb} {'-k ' if keep and verb != 'fpunch' else ''}{off} {n}", a)

def falloc(off, n, keep):
    def a():
        if not keep:
            grow(off + n)
    return step(f"falloc {'-k ' if keep else ''}{off} {n}", a)

def truncate(n):
    def a():
        del model[n:]
        grow(n)
    return step(f"truncate {n}", a)

st0 = pwrite(0xab, 0, 64 * K)
st1 = zero(4 * K, 8 * K, True, "fpunch")
if st0.st_blocks - st1.st_blocks != 16:
    sys.exit(f"fpunch 8k freed {st0.st_blocks - st1.st_blocks} sectors, expected 16")
zero(16 * K, 8 * K, False, "fzero")
zero(30 * K, 2 * K, True, "fzero")
zero(1000, 3000, True, "fpunch")          # unaligned: partial blocks zeroed, not freed
zero(40 * K + 123, 5000, True, "fpunch")
st = falloc(64 * K, 64 * K, True)         # keep size: blocks grow, size stays 64k
if st.st_size != 64 * K or st.st_blocks * 512 < 64 * K:
    sys.exit(f"falloc -k: size {st.st_size} blocks {st.st_blocks}")
falloc(64 * K, 64 * K, False)             # size becomes 128k, reads as zeros
pwrite(0xcd, 64 * K, 64 * K)
truncate(100 * K)                         # shrink ...
truncate(200 * K)                         # ... and grow: [100k, 200k) must read as zeros
zero(200 * K, 8 * K, False, "fzero")      # zero range past EOF extends the file
falloc(300 * K, 4 * K, False)             # allocation past EOF after a hole
pwrite(0x11, 250 * K, 1)                  # single byte in the hole
truncate(0)
pwrite(0x22, 1 * K * K, 4 * K)            # write far past EOF: leading hole
open(model_path, "wb").write(model)
PY
sha=$(file_sha "$f")
fs_remount
assert_eq "$sha" "$(file_sha "$f")" "file after remount"
cmp "$f" "$CASE_DIR/model" || fail "file differs from model after remount"
