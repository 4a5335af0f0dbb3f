#!/bin/sh
# make bench-migrate: a large export/import through weave-admin, timed, with peak RSS.
# Usage: bench/migrate.sh BUILD_DIR [RECORDS] [USERS]   (default 600000 records, 60 users)
# Writes a synthetic export of RECORDS records (payloads of 300 to 700 bytes, non-ASCII,
# every tenth with a ttl), imports it into a new SQLite database, exports that again, and
# with DB=mysql does the same against a throwaway MariaDB. Each step prints its wall time,
# records per second and peak resident memory (getrusage); the same run at a tenth of the
# size shows whether memory grows with the data. Removes its folder at the end.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "$1" && pwd)
records=${2:-600000}
users=${3:-60}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/weave-bench-migrate.XXXXXX")
db_dir="$tmp/mariadb"
cleanup() {
  [ -d "$db_dir" ] && sh "$root/scripts/mariadb.sh" stop "$db_dir" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

generate() {  # FILE RECORDS USERS
  python3 - "$@" <<'PY'
import json, sys, time
path, records, users = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
per_user = records // users
now = int(time.time())
with open(path, "w", encoding="utf-8") as out:
    out.write('{"format":"weave-sync-export","version":1}\n')
    for u in range(users):
        out.write(json.dumps({"type": "account", "name": "bench%03d" % u, "email": "",
                              "password_hash": "0cc175b9c0f1b6a831c399e269772661",
                              "disabled": False}) + "\n")
        for name in ("bookmarks", "history"):
            out.write(json.dumps({"type": "collection", "name": name,
                                  "modified": 150000000000 + u}) + "\n")
        for r in range(per_user):
            line = {"type": "record", "collection": "history" if r % 3 else "bookmarks",
                    "id": "rec%07d" % r, "modified": 140000000000 + r, "sortindex": r % 1000,
                    "payload": ("{\"ciphertext\":\"" + "d\u00e9j\u00e0 vu %d " % r * (30 + r % 40))[:300 + r % 400] + "\"}"}
            if r % 10 == 0:
                line["expires"] = now + 86400 * 30
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    out.write(json.dumps({"type": "end", "accounts": users, "records": per_user * users}) + "\n")
PY
}

config() {  # NAME [mysql] -> prints the configuration's path
  file="$tmp/$1.yaml"
  if [ "${2:-}" = mysql ]; then
    { echo "database:"; sh "$root/scripts/mariadb.sh" yaml "$db_dir" "$port"; } > "$file"
  else
    printf 'database:\n  sqlite:\n    path: "%s/%s.db"\n' "$tmp" "$1" > "$file"
  fi
  echo "$file"
}

measure() {  # LABEL RECORDS COMMAND...: wall time and the command's peak RSS (getrusage)
  python3 - "$tmp" "$@" <<'PY'
import resource, subprocess, sys, time
tmp, label, count, command = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
started = time.monotonic()
with open(tmp + "/out", "wb") as out, open(tmp + "/err", "wb") as err:
    status = subprocess.call(command, stdout=out, stderr=err)
seconds = time.monotonic() - started
if status != 0:
    sys.stderr.write(open(tmp + "/err").read())
    sys.exit(1)
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("%-26s %8d records %7.1f s %9.0f records/s  peak RSS %6.1f MiB"
      % (label, count, seconds, count / max(seconds, 0.01), peak_kib / 1024), flush=True)
PY
}

run_size() {  # RECORDS
  n=$1
  generate "$tmp/in-$n.jsonl" "$n" "$users"
  echo "input: $n records, $(du -m "$tmp/in-$n.jsonl" | cut -f1) MiB"
  sqlite=$(config "sqlite-$n")
  measure "import weave -> SQLite" "$n" "$build/weave-admin" -c "$sqlite" import weave "$tmp/in-$n.jsonl"
  measure "export SQLite" "$n" "$build/weave-admin" -c "$sqlite" export -o "$tmp/out-$n.jsonl"
  if [ "${DB:-sqlite}" = mysql ]; then
    sh "$root/scripts/mariadb.sh" sql "$db_dir" -e "DROP DATABASE IF EXISTS weave; CREATE DATABASE weave CHARACTER SET utf8mb4;" >/dev/null
    maria=$(config "maria-$n" mysql)
    measure "import weave -> MariaDB" "$n" "$build/weave-admin" -c "$maria" import weave "$tmp/out-$n.jsonl"
    measure "export MariaDB" "$n" "$build/weave-admin" -c "$maria" export -o "$tmp/maria-$n.jsonl"
    cmp -s "$tmp/out-$n.jsonl" "$tmp/maria-$n.jsonl" || { echo "the MariaDB copy exports another file" >&2; exit 1; }
  fi
  rm -f "$tmp"/*-"$n".jsonl
}

if [ "${DB:-sqlite}" = mysql ]; then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  sh "$root/scripts/mariadb.sh" start "$db_dir" "$port" >/dev/null
fi
run_size $((records / 10))
run_size "$records"
