# shellcheck shell=sh disable=SC2154  # lib_name, lib_packages: set by the caller
# Functions shared by scripts/mariadb.sh (one throwaway MariaDB) and scripts/galera.sh (a
# three-node cluster): finding the programs, the administrator's client, a fresh data
# folder, stopping by pid file, the service account's password. Source it after setting
# $lib_name (the calling script's name, for messages) and $lib_packages (what to install).

# find_tool NAME...: the path of the first program found (PATH, then the sbin folders)
find_tool() {
  for candidate in "$@"; do
    if command -v "$candidate" >/dev/null 2>&1; then command -v "$candidate"; return 0; fi
    for tool_dir in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
      if [ -x "$tool_dir/$candidate" ]; then echo "$tool_dir/$candidate"; return 0; fi
    done
  done
  echo "$lib_name: none of [$*] found; install $lib_packages" >&2
  return 1
}

# socket_sql FOLDER ARGS...: the mariadb client as the administrator (the calling OS user,
# unix_socket authentication) on FOLDER/mysqld.sock
socket_sql() {
  sql_dir=$1; shift
  "$(find_tool mariadb mysql)" --no-defaults --protocol=socket --socket="$sql_dir/mysqld.sock" \
    -u "$(id -un)" --connect-timeout=5 "$@"
}

# run_as_flag: --user=root when run as root (mariadbd refuses root otherwise)
run_as_flag() {
  if [ "$(id -u)" = 0 ]; then echo "--user=root"; fi
}

# install_data FOLDER: FOLDER/data made by mariadb-install-db on first use (its output in
# FOLDER/install.log), the administrator authenticated by unix_socket
install_data() {
  [ -d "$1/data/mysql" ] && return 0
  mkdir -p "$1"
  # shellcheck disable=SC2046
  "$(find_tool mariadb-install-db mysql_install_db)" --no-defaults --datadir="$1/data" \
    $(run_as_flag) --auth-root-authentication-method=socket --skip-test-db \
    > "$1/install.log" 2>&1 ||
    { echo "$lib_name: mariadb-install-db failed:" >&2; cat "$1/install.log" >&2; return 1; }
}

# stop_pidfile PIDFILE SIGNAL: sends SIGNAL to the server whose pid PIDFILE holds and waits
# until it is gone (SIGKILL after 30 s); removes PIDFILE. No PIDFILE: nothing to stop.
stop_pidfile() {
  [ -f "$1" ] || return 0
  stop_pid=$(cat "$1")
  kill "-$2" "$stop_pid" 2>/dev/null || true
  tries=0
  # A server whose parent shell is gone may linger as a zombie: that counts as stopped.
  while kill -0 "$stop_pid" 2>/dev/null &&
      ! grep -q '^State:.*Z' "/proc/$stop_pid/status" 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -eq 300 ]; then kill -KILL "$stop_pid" 2>/dev/null || true; fi
    if [ "$tries" -gt 350 ]; then echo "$lib_name: pid $stop_pid does not stop" >&2; return 1; fi
    sleep 0.1
  done
  rm -f "$1"
}

# password_file FILE: FILE's password, a random one written on first use (mode 0600)
password_file() {
  if [ ! -s "$1" ]; then
    (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$1")
  fi
  cat "$1"
}
