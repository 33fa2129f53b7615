# shellcheck shell=bash
# bin/lib.sh — shared by bin/setup and bin/test: repo root, messages, package installation.

SEALFS_REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)

# Prints a message prefixed with the calling script's name.
note() { printf '%s: %s\n' "$(basename "$0")" "$*"; }

# Prints an error and exits 1.
die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# Runs a command as root (directly, or through sudo when not root).
as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi
}

# Prints the state of mount point DIR (an absolute path): "none" when /proc/mounts does not list
# it; "dead" when it is listed but stat(2) fails with ENOTCONN, ECONNABORTED or ECANCELED (a
# FUSE mount whose daemon is gone: new requests get the first, requests caught waiting the
# second, requests handed to a killed daemon's io_uring ring entries the third); "live"
# when stat works; else "error: MESSAGE".
mount_state() {
  local dir=$1 out
  if ! awk -v m="$dir" '
      function unesc(s) { gsub(/\\040/, " ", s); gsub(/\\011/, "\t", s); gsub(/\\134/, "\\", s); return s }
      unesc($2) == m { found = 1 } END { exit !found }' /proc/mounts; then
    echo none
    return 0
  fi
  if out=$(LC_ALL=C stat -c %i -- "$dir" 2>&1); then
    echo live
  elif [[ $out == *"Transport endpoint is not connected"* || $out == *"Software caused connection abort"* \
    || $out == *"Operation canceled"* ]]; then
    echo dead
  else
    echo "error: ${out#stat: }"
  fi
}

# Installs the Debian packages sealfs needs to build, mount and test, if any is missing:
# fuse3 libfuse2 fio xfsprogs attr (gcc, pkg-config, libfuse3-dev: the power-cut case builds
# its FUSE layer), plus openjdk-17-jdk-headless / maven when java / mvn are
# missing. Runs apt-get update first, and only when something is to be installed.
install_missing_packages() {
  local want=(fuse3 libfuse2 fio xfsprogs attr gcc pkg-config libfuse3-dev) missing=() p
  command -v java > /dev/null || want+=(openjdk-17-jdk-headless)
  command -v mvn > /dev/null || want+=(maven)
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get > /dev/null || die "missing packages (${missing[*]}) and no apt-get to install them"
  note "installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null
}

# Builds target/sealfs.jar (no tests).
build_jar() {
  note "building (mvn -q -B package -DskipTests)"
  (cd "$SEALFS_REPO" && mvn -q -B package -DskipTests) || die "build failed"
}
