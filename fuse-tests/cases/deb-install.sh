#!/bin/bash
# TIMEOUT: 900
# The Debian package (target/sealfs_*_all.deb, built by mvn package) on a fresh, debootstrapped
# bookworm (the docker case's base image): dpkg installs it over its Depends, and then what an
# operator types works: mkfs -t sealfs (with mkfs(8)'s trailing block count), mount -t
# fuse.sealfs and an fstab line (mount.fuse3 finds /usr/bin/sealfs), a seal that refuses a
# truncate, the Python module (import sealfs, a sealed() block, its layout), fsck -t sealfs and
# fsck -t fuse.sealfs with fsck(8)'s options and exit codes, the man pages (man sealfs, man
# mkfs.sealfs) and bash completion.
. "$(dirname "$0")/../lib/common.sh"
. "$FUSE_TESTS/lib/docker.sh"
REPO=$(cd "$FUSE_TESTS/.." && pwd)
BASE=sealfs-base:bookworm
DEPS=sealfs-deb-deps:bookworm
debs=("$REPO"/target/sealfs_*_all.deb)
[[ -f ${debs[0]} ]] || fail "target/sealfs_*_all.deb missing: build first (mvn -q -B package -DskipTests)"
((${#debs[@]} == 1)) || fail "more than one .deb in target/: ${debs[*]} (mvn clean package)"
docker_up
docker_base_image "$BASE"

# The Depends (and man-db, bash-completion, python3 for the checks) in a cached image, so a
# rerun only installs the .deb itself. apt needs the network; the test run itself has none.
step "image with the package's dependencies ($DEPS)"
printf '%s\n' "FROM $BASE" \
  'RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless fuse3 libfuse2 man-db bash-completion python3 util-linux && rm -rf /var/lib/apt/lists/*' \
  | docker build --network host -t "$DEPS" - > "$CASE_DIR/build.log" 2>&1 \
  || { tail -n 30 "$CASE_DIR/build.log"; fail "docker build of $DEPS failed"; }

mkdir -p "$CASE_DIR/deb"
cp "${debs[0]}" "$CASE_DIR/deb/sealfs.deb"
step "install ${debs[0]##*/} and use it"
timeout 300 docker run --rm --network none --device /dev/fuse --cap-add SYS_ADMIN \
    --security-opt apparmor:unconfined -v "$CASE_DIR/deb:/deb:ro" "$DEPS" /bin/bash -euxc '
  dpkg -i /deb/sealfs.deb
  [ "$(dpkg-query -W -f="\${Status}" sealfs)" = "install ok installed" ]
  daemons() { for p in /proc/[0-9]*; do case $(readlink $p/exe) in */java) echo ${p#/proc/} ;; esac; done; }
  settle() { set +x; i=0; while [ -n "$(daemons)" ]; do i=$((i+1)); [ $i -lt 300 ] || exit 3; sleep 0.1; done; set -x; }
  mkdir -p /data /mnt/s

  : mkfs -t sealfs, a trailing size in 1 KiB blocks
  mkfs -t sealfs /data/img 65536
  [ "$(stat -c %s /data/img)" = 67108864 ]
  mkfs -t sealfs /data/img 2>/tmp/again && exit 4 || grep -q "already holds a sealfs" /tmp/again
  mkfs -t sealfs -f -s 64M /data/img

  : mount -t fuse.sealfs
  mount -t fuse.sealfs /data/img /mnt/s
  grep " /mnt/s fuse.sealfs " /proc/mounts
  head -c 1048576 /dev/urandom > /tmp/r
  cp /tmp/r /mnt/s/r

  : a seal refuses a truncate
  sealfs seal /mnt/s/r -- sh -c "truncate -s 0 /mnt/s/r" 2>/tmp/trunc && exit 5
  grep -q "Text file busy" /tmp/trunc
  cmp /tmp/r /mnt/s/r

  : the Python module
  python3 - <<PY
import errno, os, sealfs
with sealfs.sealed("/mnt/s/r", "strict") as s:
    assert s.result.holders == 1, s.result
    st = s.status()
    assert st.sealed and st.held_by_me and st.size == 1048576, st
    lay = s.layout()
    assert lay.sealed and not lay.holes() and sum(e.length for e in lay.extents) == 1048576, lay
    assert sealfs.seal_state("/mnt/s/r").startswith("sealed holders=1"), sealfs.seal_state("/mnt/s/r")
    try:
        os.truncate("/mnt/s/r", 0)
        raise SystemExit("truncate of a sealed file succeeded")
    except OSError as e:
        assert e.errno == errno.ETXTBSY, e
assert sealfs.seal_state("/mnt/s/r") == "unsealed"
print("python-ok", sealfs.device("/mnt/s/r"), len(lay.extents), "extent(s)")
PY
  fusermount3 -u /mnt/s
  settle

  : fsck -t sealfs, the options and exit codes of fsck 8
  fsck -t sealfs -n /data/img
  fsck -t sealfs -a /data/img
  fsck -t sealfs -fy /data/img
  fsck.fuse.sealfs -p /data/img
  rc=0; fsck -t sealfs -n -y /data/img || rc=$?
  [ $rc = 16 ]

  : fstab, with a pass number
  echo "/data/img /mnt/s fuse.sealfs defaults 0 2" >> /etc/fstab
  fsck -A -T -a -t fuse.sealfs
  mount /mnt/s
  cmp /tmp/r /mnt/s/r
  fusermount3 -u /mnt/s
  settle

  : man pages and completion
  MANPAGER=cat MANWIDTH=80 man sealfs | grep -q "sealfs \(-\|‐\) A FUSE filesystem"
  MANPAGER=cat MANWIDTH=80 man mkfs.sealfs | grep -q "Create a sealfs filesystem"
  MANPAGER=cat MANWIDTH=80 man 8 sealfs-fsck | grep -q "errors left uncorrected"
  man -w sealfs-mount
  bash -c ". /usr/share/bash-completion/bash_completion; . /usr/share/bash-completion/completions/sealfs;
    COMP_WORDS=(sealfs mk); COMP_CWORD=1; COMP_LINE=\"sealfs mk\"; COMP_POINT=9; _complete_sealfs;
    printf \"%s\n\" \"\${COMPREPLY[@]}\"" > /tmp/compl
  grep -qx mkfs /tmp/compl
  [ -f /usr/include/sealfs.h ]
  echo deb-install-ok
' > "$CASE_DIR/run.log" 2>&1 || true
cat "$CASE_DIR/run.log"
grep -q python-ok "$CASE_DIR/run.log" || fail "the python module did not work in the container"
grep -q deb-install-ok "$CASE_DIR/run.log" || fail "the installed package did not work (see the log above)"
