#!/usr/bin/env bash
# bench/conformance-build.sh — builds the tools of bench/conformance.sh from source checkouts
# the caller provides (neither is a Debian package, and neither is vendored here):
#
#   bench/conformance-build.sh PJDFSTEST_SRC XFSTESTS_SRC
#
# PJDFSTEST_SRC: a checkout of https://github.com/pjd/pjdfstest, built in place with its own
#   autotools (`autoreconf -ifs && ./configure && make pjdfstest`; Debian packages autoconf,
#   automake), giving PJDFSTEST_SRC/pjdfstest beside PJDFSTEST_SRC/tests.
# XFSTESTS_SRC: a checkout of https://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git (or its
#   GitHub mirror kdave/xfstests); only ltp/fsx.c and ltp/fsstress.c are built, without
#   xfstests' configure, against a config.h written here for Debian 12 (package xfslibs-dev for
#   <xfs/xfs.h>), with the flags ltp/Makefile gives them (-DXFS, -DHAVE_COPY_FILE_RANGE), no AIO
#   and no io_uring; the binaries land in XFSTESTS_SRC/ltp/fsx and XFSTESTS_SRC/ltp/fsstress.
set -euo pipefail
(($# == 2)) || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
pjd=$(readlink -f "$1") xfst=$(readlink -f "$2")

(cd "$pjd" && autoreconf -ifs > /dev/null 2>&1 && ./configure -q && make -s pjdfstest)

cfg=$xfst/ltp/conformance-config
mkdir -p "$cfg"
# What xfstests' configure finds on Debian 12 for these two programs (headers that exist).
for h in ASSERT ERRNO ERR DIRENT LIBGEN LINUX_FALLOC LINUX_FIEMAP MALLOC STDLIB STRINGS STRING \
  SYS_FCNTL SYS_IOCTL SYS_MMAN SYS_PARAM SYS_PRCTL SYS_STATVFS SYS_STAT SYS_TIME SYS_TYPES \
  SYS_WAIT TIME UNISTD XFS_XFS XFS_JDM; do
  printf '#define HAVE_%s_H 1\n' "$h"
done > "$cfg/config.h"
printf '#define STDC_HEADERS 1\n#define HAVE_RENAMEAT2 1\n' >> "$cfg/config.h"
for t in fsx fsstress; do
  gcc -O2 -g -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -funsigned-char -fno-strict-aliasing \
    -DXFS -DHAVE_COPY_FILE_RANGE -I"$cfg" -I"$xfst/src" -I"$xfst/include" \
    "$xfst/ltp/$t.c" -o "$xfst/ltp/$t" -lm
done
echo "built: $pjd/pjdfstest $xfst/ltp/fsx $xfst/ltp/fsstress"
