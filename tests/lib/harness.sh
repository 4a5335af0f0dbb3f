# shellcheck shell=sh disable=SC2034  # the variables set here are read by the callers
# The common prologue of the shell test harnesses. Source it first:
#   . "$(dirname "$0")/../lib/harness.sh"      (from tests/<suite>/; bench/: ../tests/lib)
# It sets $here (the script's folder), $root (the checkout), $me (the script's name) and
# the counters $passed and $failed, and defines:
#   resolve_build ARG [DEFAULT]  $build: the absolute build folder (ARG, else DEFAULT; with
#                                neither, prints the usage line and exits 2)
#   need_built FILE...           the built binaries exist, or the suite fails: build first
#   need_tools TOOL...           the programs are installed, or the suite fails, naming them
#   setup_fail MESSAGE           "me: MESSAGE", then "0 passed, 1 failed" and exit 1
#   make_tmp NAME                $tmp: a fresh folder (0711), removed on exit, INT or TERM
#                                unless WEAVE_KEEP_TMP is set; on_exit (define your own)
#                                runs first, to stop what the suite started
#   free_port                    a free TCP port on 127.0.0.1
#   pass / fail / check / add_counts   count results (see below)
#   suite_counts STATUS          adds the "passed failed" a Python suite wrote to
#                                $tmp/counts (WEAVE_COUNTS_FILE); STATUS is its exit status
#   sanitizer_report LOG         prints a sanitizer report of LOG, 0 when there is one
#   finish                       prints "N passed, N failed" and exits (1 if any failed)

here=$(cd "$(dirname "$0")" && pwd)
root=$here
while [ ! -f "$root/tests/lib/harness.sh" ]; do
  if [ "$root" = / ]; then
    echo "harness.sh: $0 is not inside the checkout" >&2
    exit 2
  fi
  root=$(dirname "$root")
done
me=$(basename "$0")
passed=0
failed=0
tmp=""

setup_fail() {
  echo "$me: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

resolve_build() {
  if [ -z "$1" ] && [ -z "${2:-}" ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
  fi
  build_arg=${1:-$2}
  build=$(cd "$build_arg" 2>/dev/null && pwd) || build=$(cd "$root/$build_arg" 2>/dev/null && pwd) ||
    setup_fail "no such folder: $build_arg"
}

need_built() {
  for built in "$@"; do
    [ -x "$built" ] || setup_fail "$built is missing (build it first: make)"
  done
}

# A name is looked up in PATH and /usr/sbin (slapd and apache2 live there); a path must be
# an executable file.
need_tools() {
  missing_tools=""
  for tool in "$@"; do
    case $tool in
      */*) [ -x "$tool" ] || missing_tools="$missing_tools $tool" ;;
      *) command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
           missing_tools="$missing_tools $tool" ;;
    esac
  done
  if [ -n "$missing_tools" ]; then
    setup_fail "not installed:$missing_tools (as root: sh scripts/install-deps.sh test)"
  fi
}

on_exit() { :; }
harness_cleanup() {
  on_exit
  if [ -n "$tmp" ] && [ -d "$tmp" ]; then
    if [ -n "${WEAVE_KEEP_TMP:-}" ]; then
      echo "$me: kept $tmp" >&2
    else
      rm -rf "$tmp"
    fi
  fi
}

make_tmp() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/weave-$1.XXXXXX") || setup_fail "cannot make a temporary folder"
  # Web server workers may run as another user (www-data, nobody): they may reach the
  # files inside, but not list the folder.
  chmod 0711 "$tmp"
  trap 'trap - EXIT; harness_cleanup; exit 130' INT
  trap 'trap - EXIT; harness_cleanup; exit 143' TERM
  trap harness_cleanup EXIT
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_unix_socket PATH [TENTHS]: waits (default 20 s) until something accepts connections on
# the Unix socket PATH; fails (status 1) when nothing does in time.
wait_unix_socket() {
  python3 - "$1" "${2:-200}" <<'PY'
import socket, sys, time
for _ in range(int(sys.argv[2])):
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(sys.argv[1])
            sys.exit(0)
        except OSError:
            time.sleep(0.1)
sys.exit(1)
PY
}

pass() {
  passed=$((passed + 1))
  echo "ok    $*"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL  $*"
}
# check DESCRIPTION COMMAND...: pass or fail by the command's status
check() {
  what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
# add_counts FILE: adds the "N passed, N failed" of FILE's last line; 1 if there is none
add_counts() {
  counts=$(tail -n 1 "$1" 2>/dev/null)
  case $counts in
    *" passed, "*" failed")
      passed=$((passed + ${counts%% passed*}))
      rest=${counts#* passed, }
      failed=$((failed + ${rest%% failed*}))
      return 0
      ;;
  esac
  return 1
}

# suite_counts STATUS: adds the counts a Python suite left in $tmp/counts ("passed failed");
# one that left none, or exited with STATUS non-zero without counting a failure, counts one
suite_counts() {
  suite_passed=0 suite_failed=0
  if [ -s "$tmp/counts" ]; then
    read -r suite_passed suite_failed < "$tmp/counts"
  else
    echo "$me: the suite left no counts" >&2
    suite_failed=1
  fi
  if [ "$1" -ne 0 ] && [ "$suite_failed" -eq 0 ]; then
    echo "$me: the suite exited with status $1" >&2
    suite_failed=1
  fi
  passed=$((passed + suite_passed))
  failed=$((failed + suite_failed))
}

sanitizer_report() {
  [ -f "$1" ] || return 1
  grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|AddressSanitizer|LeakSanitizer' "$1" ||
    return 1
  grep -E -A 30 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$1" | head -n 80
  return 0
}

finish() {
  echo "$passed passed, $failed failed"
  if [ "$failed" -eq 0 ]; then exit 0; fi
  exit 1
}
