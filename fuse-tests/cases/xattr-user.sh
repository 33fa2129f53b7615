#!/bin/bash
# User xattrs: set/get/list/remove, ENODATA, XATTR_CREATE/REPLACE, binary values, directories;
# sealfs' virtual attributes are not listed.
. "$(dirname "$0")/../lib/common.sh"
require_cmd setfattr getfattr
fs_mkfs
fs_mount
cd "$SEALFS_MNT"
echo x > f
mkdir d
setfattr -n user.a -v hello f
setfattr -n user.b -v 0x000102ff f
setfattr -n user.d -v dirval d
assert_eq hello "$(getfattr --only-values -n user.a f)" "getfattr user.a"
assert_eq 0x000102ff "$(getfattr -e hex -n user.b f | sed -n 's/^user.b=//p')" "binary value"
assert_eq dirval "$(getfattr --only-values -n user.d d)" "xattr on a directory"
"$PYTHON" - f <<'PY'
import errno, os, sys
p = sys.argv[1]
names = sorted(os.listxattr(p))
assert names == ["user.a", "user.b"], f"listxattr: {names}"
assert not [n for n in names if n.startswith("user.sealfs.")], names
def expect(err, fn, *a):
    try:
        fn(*a)
    except OSError as e:
        assert e.errno == err, f"{fn.__name__}{a}: {errno.errorcode[e.errno]}, want {errno.errorcode[err]}"
    else:
        raise AssertionError(f"{fn.__name__}{a} succeeded, want {errno.errorcode[err]}")
expect(errno.EEXIST, os.setxattr, p, "user.a", b"x", os.XATTR_CREATE)
expect(errno.ENODATA, os.setxattr, p, "user.new", b"x", os.XATTR_REPLACE)
expect(errno.ENODATA, os.getxattr, p, "user.missing")
expect(errno.ENODATA, os.removexattr, p, "user.missing")
os.setxattr(p, "user.a", b"replaced", os.XATTR_REPLACE)
os.setxattr(p, "user.c", b"created", os.XATTR_CREATE)
os.setxattr(p, "user.empty", b"")
big = bytes(range(256)) * 8            # 2 KiB with NULs
os.setxattr(p, "user.big", big)
assert os.getxattr(p, "user.a") == b"replaced"
assert os.getxattr(p, "user.c") == b"created"
assert os.getxattr(p, "user.empty") == b""
assert os.getxattr(p, "user.big") == big
os.removexattr(p, "user.c")
expect(errno.ENODATA, os.getxattr, p, "user.c")
names = sorted(os.listxattr(p))
assert names == ["user.a", "user.b", "user.big", "user.empty"], f"listxattr: {names}"
print("python xattr checks ok")
PY
setfattr -x user.b f
assert_eq "user.a user.big user.empty" "$(getfattr -m - f | grep '^user' | LC_ALL=C sort | xargs)" \
  "names after remove"
expect_fail_with "No such attribute" getfattr -n user.b f
cd /
fs_remount
cd "$SEALFS_MNT"
assert_eq replaced "$(getfattr --only-values -n user.a f)" "user.a after remount"
assert_eq "user.a user.big user.empty" "$(getfattr -m - f | grep '^user' | LC_ALL=C sort | xargs)" \
  "names after remount"
assert_eq dirval "$(getfattr --only-values -n user.d d)" "dir xattr after remount"
