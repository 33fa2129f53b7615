#!/bin/bash
# TIMEOUT: 900
# docker/Dockerfile builds (on a debootstrapped bookworm base, no Docker Hub needed) and the
# container mkfs's, mounts, writes, unmounts and mounts again with the data intact; the image's
# default entrypoint serves the mount, `docker stop` ends it cleanly, and with
# -v HOST:/mnt/sealfs:rshared the mount is visible on the host.
. "$(dirname "$0")/../lib/common.sh"
. "$FUSE_TESTS/lib/docker.sh"
REPO=$(cd "$FUSE_TESTS/.." && pwd)
BASE=sealfs-base:bookworm
TAG=sealfs:fuse-tests
NAME=sealfs-fuse-tests-$$

docker_up
on_exit 'docker rm -f $NAME > /dev/null 2>&1'

docker_base_image "$BASE"

step "docker build"
[[ -f $REPO/target/sealfs.jar ]] || fail "target/sealfs.jar missing: build first (mvn -q -B package -DskipTests)"
[[ -f $REPO/bin/sealfs ]] || fail "bin/sealfs missing"
ctx=$CASE_DIR/context
mkdir -p "$ctx/docker" "$ctx/target" "$ctx/bin"
cp "$REPO/docker/Dockerfile" "$ctx/docker/"
cp "$REPO/target/sealfs.jar" "$ctx/target/"
cp "$REPO/bin/sealfs" "$ctx/bin/"
docker build --network host -f "$ctx/docker/Dockerfile" --build-arg BASE="$BASE" -t "$TAG" "$ctx" \
  > "$CASE_DIR/build.log" 2>&1 || { tail -n 30 "$CASE_DIR/build.log"; fail "docker build failed"; }

RUN=(timeout 120 docker run --network none --device /dev/fuse --cap-add SYS_ADMIN
  --security-opt apparmor:unconfined -v "$CASE_DIR/data:/data")
mkdir -p "$CASE_DIR/data"

step "mkfs, mount, write, unmount, mount, check inside a container"
"${RUN[@]}" --rm --entrypoint /bin/sh "$TAG" -euc '
  set -x
  sealfs mkfs -s 64M /data/sealfs.img
  sealfs mount /data/sealfs.img /mnt/sealfs --pidfile /tmp/pid
  grep " /mnt/sealfs fuse.sealfs " /proc/mounts
  echo hello-from-docker > /mnt/sealfs/hello
  head -c 1000000 /dev/urandom > /tmp/r
  cp /tmp/r /mnt/sealfs/r
  pid=$(cat /tmp/pid)
  fusermount3 -u /mnt/sealfs
  i=0; while kill -0 "$pid" 2>/dev/null; do i=$((i+1)); [ $i -lt 300 ] || exit 3; sleep 0.1; done
  sealfs mount /data/sealfs.img /mnt/sealfs
  test "$(cat /mnt/sealfs/hello)" = hello-from-docker
  cmp /tmp/r /mnt/sealfs/r
  fusermount3 -u /mnt/sealfs
  echo container-roundtrip-ok
' > "$CASE_DIR/run1.log" 2>&1 || true
cat "$CASE_DIR/run1.log"
grep -q container-roundtrip-ok "$CASE_DIR/run1.log" || fail "round trip inside the container failed"

step "default entrypoint, host visibility through rshared, docker stop"
host=$CASE_DIR/host-mnt
mkdir -p "$host"
mount --bind "$host" "$host"
mount --make-rshared "$host"
on_exit 'umount -l $host 2>/dev/null'
"${RUN[@]}" -d --name "$NAME" -v "$host:/mnt/sealfs:rshared" "$TAG" > /dev/null
served() { docker exec "$NAME" grep -q " /mnt/sealfs fuse.sealfs " /proc/mounts 2>/dev/null; }
settled() {   # mounted, or the container has already exited
  [[ $(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null) == true ]] || return 0
  served
}
wait_for 60 settled || true
if ! served; then
  docker logs "$NAME"
  fail "default entrypoint did not mount /mnt/sealfs"
fi
assert_eq hello-from-docker "$(docker exec "$NAME" cat /mnt/sealfs/hello)" "file via the default entrypoint"
docker exec "$NAME" sh -c 'echo second > /mnt/sealfs/second'
wait_for 10 eval '[[ -f $host/hello ]]' || fail "mount not visible on the host through :rshared"
assert_eq hello-from-docker "$(cat "$host/hello")" "file read on the host"
t0=$SECONDS
docker stop -t 30 "$NAME" > /dev/null
took=$((SECONDS - t0))
((took < 25)) || fail "docker stop took ${took} s: the daemon did not exit on SIGTERM"
docker logs "$NAME" 2>&1 | tail -n 5
docker rm "$NAME" > /dev/null
"${RUN[@]}" --rm --entrypoint /bin/sh "$TAG" -euc '
  sealfs fsck -n /data/sealfs.img
  sealfs mount /data/sealfs.img /mnt/sealfs
  test "$(cat /mnt/sealfs/second)" = second
  fusermount3 -u /mnt/sealfs
  echo after-stop-ok
' > "$CASE_DIR/run2.log" 2>&1 || true
cat "$CASE_DIR/run2.log"
grep -q after-stop-ok "$CASE_DIR/run2.log" || fail "data written before docker stop is missing"
