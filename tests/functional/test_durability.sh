#!/bin/sh
# Durability under faults: the sync bound of synchronous: normal, a full disk, a file system
# the kernel remounts read-only, a database another process has locked. Each check of
# tests/functional/durability_checks.py starts its own weave-server + nginx; the file system
# checks mount a small ext4 image (loop device) or a tmpfs, so they need root.
# Usage: tests/functional/test_durability.sh BUILD_DIR
#        DURABILITY_FILTER="substring ..." runs only the checks whose name contains one.
# The last line is "N passed, N failed".
# shellcheck source-path=SCRIPTDIR
set -u

# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
resolve_build "${1:-}"
need_built "$build/weave-server" "$build/weave-admin"
need_tools nginx python3 strace mkfs.ext4 e2fsck mount umount fsfreeze

make_tmp durability
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() {
  # A check that failed half-way may leave a file system mounted in the folder.
  awk -v dir="$tmp/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | while read -r mounted; do
    umount "$mounted" 2>/dev/null || umount -l "$mounted"
  done
}

# shellcheck disable=SC2086
WEAVE_SERVER_BIN="$build/weave-server" WEAVE_ADMIN="$build/weave-admin" DURABILITY_TMP="$tmp" \
  timeout -k 10 600 python3 "$here/durability_checks.py" ${DURABILITY_FILTER:-} \
  > "$tmp/checks.out" 2>&1
sed 's/^/      /' "$tmp/checks.out"
add_counts "$tmp/checks.out" || fail "durability_checks.py did not finish"
for log in "$tmp"/*/server.log; do
  [ -f "$log" ] || continue
  if sanitizer_report "$log"; then
    fail "sanitizer report in $(basename "$(dirname "$log")")/server.log (above)"
  fi
done
finish
