#!/bin/bash
# TIMEOUT: 60
# The ABI never drifts: include/sealfs.h compiled by gcc (examples/sealctl.c "abi") prints the
# same request codes, flags and struct sizes as fuse-tests/lib/sealfs_ioctl.py. (The Java side
# is pinned by the JUnit SealAbiHeaderTest.) No mount needed.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd gcc python3
ROOT=$(cd "$FUSE_TESTS/.." && pwd)
gcc -Wall -Werror -o "$CASE_DIR/sealctl" "$ROOT/examples/sealctl.c" -I"$ROOT/include" \
  || fail "sealctl.c does not compile against include/sealfs.h"
"$CASE_DIR/sealctl" abi >"$CASE_DIR/c.abi" || fail "sealctl abi"
sio abi >"$CASE_DIR/py.abi" || fail "sealfs_ioctl.py abi"
diff -u "$CASE_DIR/c.abi" "$CASE_DIR/py.abi" || fail "C header and python module disagree"
grep -qx "SEALFS_IOC_SEAL=0xc0407301" "$CASE_DIR/c.abi" || fail "SEALFS_IOC_SEAL"
grep -qx "SEALFS_IOC_UNSEAL=0x00007302" "$CASE_DIR/c.abi" || fail "SEALFS_IOC_UNSEAL"
grep -qx "SEALFS_IOC_STATUS=0x80407303" "$CASE_DIR/c.abi" || fail "SEALFS_IOC_STATUS"
grep -qx "SEALFS_IOC_LAYOUT=0xd0007304" "$CASE_DIR/c.abi" || fail "SEALFS_IOC_LAYOUT"
grep -qx "sizeof_layout=4096" "$CASE_DIR/c.abi" || fail "sizeof(struct sealfs_layout)"
# The header also builds as C++ and with -pedantic (it is meant for other projects).
printf '#include "sealfs.h"\nint main(void) { return 0; }\n' >"$CASE_DIR/h.c"
gcc -std=c11 -Wall -Wextra -pedantic -Werror -I"$ROOT/include" -o "$CASE_DIR/h" "$CASE_DIR/h.c" \
  || fail "header not clean under -std=c11 -pedantic"
if command -v g++ >/dev/null; then
  g++ -x c++ -Wall -Werror -fsyntax-only -I"$ROOT/include" "$CASE_DIR/h.c" \
    || fail "header not valid C++"
fi
