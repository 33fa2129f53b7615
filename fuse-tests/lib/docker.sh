# shellcheck shell=bash
# Docker helpers shared by the cases that run containers (docker-roundtrip, deb-install).
# Source after common.sh.
#
#   docker_up                        # a working docker daemon (starts dockerd if needed), or skip
#   docker_base_image sealfs-base:bookworm   # debootstrapped bookworm image, built once

# docker_up: makes sure `docker info` works: starts dockerd (stopped again at exit, log in
# $CASE_DIR/dockerd.log) when none answers; skips (77) when there is no daemon to be had.
# Docker cases take turns on one machine (fd 7 on /run/lock/sealfs-docker.lock, held until the
# case exits): a case that started dockerd stops it at exit, which would pull the daemon from
# under a docker case of another run going on at the same time.
docker_up() {
  require_cmd docker
  exec 7> /run/lock/sealfs-docker.lock
  flock -w 600 7 || fail "another docker case held /run/lock/sealfs-docker.lock for 10 minutes"
  timeout 20 docker info > /dev/null 2>&1 && return 0
  command -v dockerd > /dev/null || skip "no docker daemon and no dockerd to start"
  step "starting dockerd (log: $CASE_DIR/dockerd.log)"
  dockerd > "$CASE_DIR/dockerd.log" 2>&1 &
  DOCKERD_PID=$!  # used in the on_exit command below
  export DOCKERD_PID
  on_exit 'kill -TERM $DOCKERD_PID 2>/dev/null; wait_for 30 eval "! pid_alive $DOCKERD_PID" || kill -KILL $DOCKERD_PID'
  if ! wait_for 60 eval 'timeout 10 docker info > /dev/null 2>&1'; then
    tail -n 20 "$CASE_DIR/dockerd.log"
    skip "dockerd did not come up (see its log above)"
  fi
}

# docker_base_image TAG: imports a debootstrapped bookworm (minbase) as TAG unless it exists,
# with apt pointed at the Debian mirror this host's apt uses (the one that works here).
docker_base_image() {
  local tag=$1 mirror
  docker image inspect "$tag" > /dev/null 2>&1 && return 0
  require_cmd debootstrap
  mirror=$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
      2>/dev/null || true) | grep -vE '^\s*#' | grep -oE 'https?://[^ ]+' | grep -E '/debian/?$' \
      | head -n1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  step "debootstrap bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$CASE_DIR/rootfs" "$mirror" > "$CASE_DIR/debootstrap.log" 2>&1 \
    || { tail -n 20 "$CASE_DIR/debootstrap.log"; fail "debootstrap failed"; }
  echo "deb $mirror bookworm main" > "$CASE_DIR/rootfs/etc/apt/sources.list"
  tar -C "$CASE_DIR/rootfs" -c . | docker import - "$tag"
  rm -rf --one-file-system "$CASE_DIR/rootfs"
}
