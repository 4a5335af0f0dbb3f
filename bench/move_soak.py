#!/usr/bin/env python3
"""make soak-move: live moves between two storage nodes under the benchmark's verified load.

bench/soak.py's campaign, with moves for faults: a registration server (server.role: user)
and two storage nodes (server.role: storage, each with its records in a SQLite database of
its own and the accounts in the registration server's) behind one nginx port, the nodes under
/node1/ and /node2/ (their node URLs), so that weave-load --nodes 1 reaches all three through
one address and follows node/weave as Firefox does. DB=mysql puts the accounts and each node's
records in databases of their own on a throwaway MariaDB (scripts/mariadb.sh), so the moves
copy under InnoDB's locking (REPEATABLE READ, gap locks). While the load's Sync mix runs,
`weave-admin users move` sends random users to the other node, and every few moves
`nodes evacuate` empties a node (which is then set active again). At the end weave-load
reads every record back from the node each user lives on then and compares it byte for byte
with what was seeded and acknowledged (--check-all), and the nodes' databases are read to
check that no user's records are left on the node they left.

Expected answers: a 401 for a user from a node they were moved away from (the client then
asks node/weave), and a 503 with Retry-After for a user's write while that user is being
moved (the pause before the switch). Anything else is an unexpected error, as in soak.py.
The last line is exactly

    move: A acknowledged, U moved users (M moves, V evacuations), L lost, E unexpected errors

and the exit status is non-zero when L or E is not 0.

Environment (all optional; the other SOAK_* of soak.py apply too):
  SOAK_S=120            length of the mix
  DB=sqlite             or mysql
  SOAK_USERS=24 SOAK_RECORDS=1000 SOAK_CONNECTIONS=8 SOAK_WORKERS=3
  MOVE_EVERY=1.5        seconds between two moves (random, 0.5 to 1.5 times this)
  MOVE_EVACUATE_EVERY=6 every this many moves, an evacuation instead
  BUILD, BENCH_TOOLS, SOAK_SEED, SOAK_KEEP as in soak.py
"""

import contextlib
import io
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402  (bench/soak.py: the campaign this one reuses)
import soak_lib  # noqa: E402
from soak_lib import ROOT, env, free_port  # noqa: E402

NODES = ("node1", "node2")


class MoveSoak(soak.Soak):
    def __init__(self):
        os.environ.setdefault("SOAK_S", "120")
        os.environ.setdefault("SOAK_USERS", "24")
        os.environ.setdefault("SOAK_RECORDS", "1000")
        os.environ.setdefault("SOAK_CONNECTIONS", "8")
        os.environ.setdefault("SOAK_WORKERS", "3")
        os.environ["SOAK_DISK_FULL"] = "0"
        super().__init__()
        self.disk_note = ""
        self.move_every = env("MOVE_EVERY", 1.5)
        self.evacuate_every = env("MOVE_EVACUATE_EVERY", 6)
        self.servers = {}  # name -> Popen (reg, node1, node2)
        self.moves = []  # {"user", "from", "start", "end"}
        self.evacuations = 0
        self.failed_commands = []
        self.leftover_problems = []

    # ------------------------------------------------------------------ set-up

    def node_url(self, name):
        return "http://127.0.0.1:%d/%s/" % (self.port, name)

    def database_yaml(self, name):
        """The keys under database: for name's data (reg, node1, node2)."""
        if self.db == "mysql":
            return re.sub(r"(?m)^    database: weave$", "    database: " + name, self.mysql_yaml)
        return '  sqlite:\n    path: "%s/%s.db"\n' % (self.tmp, name)

    def write_config(self, name, role_lines):
        path = os.path.join(self.tmp, name + ".yaml")
        sections = "accounts:\n  lockout_max_failures: 0\n"
        if name != "reg":
            sections += "accounts_database:\n" + self.database_yaml("reg")
        with open(path, "w") as out:
            out.write(soak_lib.server_yaml("bench/move_soak.py", self.tmp, name, self.workers,
                                           self.max_requests, self.database_yaml(name),
                                           server_lines=role_lines, sections=sections))
        return path

    def start(self):
        if self.db == "mysql":
            self.mysql_yaml = self.start_database()  # soak.py's MariaDB, database weave
            for name in ("reg",) + NODES:
                self.mariadb("sql", "-e", "CREATE DATABASE %s; GRANT ALL PRIVILEGES ON %s.* TO "
                             "'weave'@'127.0.0.1'; GRANT ALL PRIVILEGES ON %s.* TO "
                             "'weave'@'localhost';" % (name, name, name))
        elif self.db != "sqlite":
            raise RuntimeError("DB=%s: expected sqlite or mysql" % self.db)
        self.port = free_port()
        self.config = self.write_config("reg", "  role: user\n")
        self.node_configs = [
            self.write_config(name, '  role: storage\n  node_url: "%s"\n  path_prefix: "/%s"\n'
                              % (self.node_url(name), name)) for name in NODES]
        self.listen_path = os.path.join(self.tmp, "node1.sock")
        self.server_log = os.path.join(self.tmp, "server-node1.log")
        for name in ("reg",) + NODES:
            self.servers[name] = soak_lib.start_server(
                self.build, os.path.join(self.tmp, name + ".yaml"),
                os.path.join(self.tmp, "server-%s.log" % name))
        # weave-load measures node 1 (--server-pid); the others are checked through their logs.
        self.server = self.servers["node1"]
        self.nginx = soak_lib.start_nginx(
            os.path.join(self.tmp, "nginx"),
            "".join("%d %s unix:%s/%s.sock\n" % (self.port, location, self.tmp, name)
                    for location, name in (("/", "reg"), ("/node1/", "node1"),
                                           ("/node2/", "node2"))))
        deadline = time.time() + 60
        while not all(self.heartbeat(path) for path in ("/", "/node1/", "/node2/")):
            exited = [name for name, process in self.servers.items() if process.poll() is not None]
            if time.time() > deadline or exited:
                raise RuntimeError("the servers did not come up (%s):\n%s" % (
                    ", ".join(exited) or "timeout", soak_lib.tail(self.server_log)))
            time.sleep(0.2)
        for name in NODES:
            self.admin("nodes", "add", self.node_url(name), "1000")
        self.add_accounts()

    def heartbeat(self, path):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s__heartbeat__" % (self.port, path),
                                        timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    def admin(self, *args):
        command = [os.path.join(self.build, "weave-admin"), "-c", self.config]
        for config in self.node_configs:
            command += ["-n", config]
        result = subprocess.run(command + list(args), capture_output=True, text=True,
                                timeout=300)
        if result.returncode != 0:
            raise RuntimeError("weave-admin %s: %s%s" % (" ".join(args), result.stdout,
                                                         result.stderr))
        return result.stdout

    def node_of(self, user):
        """The node name (node1, node2) node/weave gives, or None."""
        url = "http://127.0.0.1:%d/user/1.0/%s/node/weave" % (self.port, user)
        with urllib.request.urlopen(url, timeout=30) as answer:
            text = answer.read().decode()
        for name in NODES:
            if text == self.node_url(name):
                return name
        return None

    # ------------------------------------------------------------------ the moves

    def move_one(self):
        user = self.rng.choice(self.account_names()[:self.users])
        home = self.node_of(user)
        if home is None:
            return
        other = NODES[1 - NODES.index(home)]
        entry = {"user": user, "from": home, "start": time.time()}
        self.moves.append(entry)  # before the command: its 503s may come at once
        try:
            self.admin("users", "move", user, self.node_url(other))
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            self.failed_commands.append(str(error)[:300])
        entry["end"] = time.time()
        self.faults.append({"kind": "users move", "start": entry["start"], "end": entry["end"],
                            "detail": user})
        print("move: %6.1f s  %s from %s to %s in %.2f s" % (
            entry["start"] - self.mix_start, user, home, other, entry["end"] - entry["start"]),
            flush=True)

    def evacuate(self):
        homes = {user: self.node_of(user) for user in self.account_names()}
        counts = {name: list(homes.values()).count(name) for name in NODES}
        source = max(NODES, key=lambda name: counts[name])
        start = time.time()
        entries = [{"user": user, "from": source, "start": start}
                   for user, home in homes.items() if home == source]
        self.moves += entries
        try:
            self.admin("nodes", "evacuate", self.node_url(source))
            self.admin("nodes", "up", self.node_url(source))
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            self.failed_commands.append(str(error)[:300])
        end = time.time()
        for entry in entries:
            entry["end"] = end
        self.evacuations += 1
        self.faults.append({"kind": "nodes evacuate", "start": start, "end": end,
                            "detail": source})
        print("move: %6.1f s  evacuated %s (%d users) in %.2f s" % (
            start - self.mix_start, source, len(entries), end - start), flush=True)

    def campaign(self):
        stop_at = self.mix_start + self.seconds - min(5.0, self.seconds / 5)
        turn = 0
        time.sleep(min(1.0, self.seconds / 10))
        while time.time() < stop_at and not self.mix_ended.is_set():
            turn += 1
            # An evacuation takes a few seconds per user: only while a third of the mix is
            # left, so that it ends under the load (the final check follows users anyway).
            if turn % self.evacuate_every == 0 and \
                    time.time() < self.mix_start + self.seconds * 2 / 3:
                self.evacuate()
            else:
                self.move_one()
            time.sleep(self.move_every * (0.5 + self.rng.random()))

    # ------------------------------------------------------------------ the verdict

    def expected_by(self, when, status, retry_after, backoff, request=""):
        found = re.match(r"^\S+ /(node\d)/1\.1/([^/]+)/", request)
        if not found:
            return None
        node, user = found.groups()
        # The user's last move begun by then: a 401 from the node it left, or any answer of
        # the switch while it ran (a request that was under way when it switched).
        begun = [move for move in self.moves
                 if move["user"] == user and move["start"] - 0.5 <= when]
        if not begun:
            return None
        last = begun[-1]
        switching = when <= last.get("end", time.time()) + 2
        if status == 401 and (last["from"] == node or switching):
            return "401 from the node the user left"
        if status == 503 and retry_after != "-" and switching:
            return "503 with Retry-After while the user was switched"
        return None

    def worker_deaths(self):
        deaths = []
        for name in self.servers:
            self.server_log = os.path.join(self.tmp, "server-%s.log" % name)
            deaths += ["%s: %s" % (name, line) for line in super().worker_deaths()]
            with open(self.server_log, errors="replace") as log:
                deaths += ["%s: %s" % (name, line.strip()) for line in log
                           if "] error: " in line]
        self.server_log = os.path.join(self.tmp, "server-node1.log")
        return deaths

    def resources(self):
        print("  resource readings: not taken (three servers; make soak measures them)")
        return []

    def leftovers(self):
        """Users whose records are on a node they do not live on (after a move)."""
        ids = {}
        for line in self.admin("list").splitlines():
            fields = line.split("\t")
            ids[fields[1]] = int(fields[0])
        problems = []
        for user in self.account_names():
            home = self.node_of(user)
            for name in NODES:
                count = self.stored_records(name, ids[user])
                if name != home and count:
                    problems.append("%s lives on %s but %d records are left on %s"
                                    % (user, home, count, name))
        return problems

    def stored_records(self, node, user_id):
        """How many records of the user node's database holds."""
        if self.db == "mysql":
            result = subprocess.run(
                ["sh", os.path.join(ROOT, "scripts", "mariadb.sh"), "sql", self.mariadb_dir,
                 "-N", "-e", "SELECT count(*) FROM %s.wbo WHERE username = %d" % (node, user_id)],
                check=True, capture_output=True, text=True, timeout=60)
            return int(result.stdout.strip())
        with contextlib.closing(sqlite3.connect(os.path.join(self.tmp, node + ".db"),
                                                timeout=30)) as db:
            return db.execute("SELECT count(*) FROM wbo WHERE username = ?",
                              (user_id,)).fetchone()[0]

    def stop(self):
        # The servers soak.py does not know of first: it stops MariaDB.
        for process in self.servers.values():
            if process is not self.server and process.poll() is None:
                process.terminate()
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        super().stop()

    def report(self, load_status):
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            status = super().report(load_status)
        text = captured.getvalue()
        print(text, end="")
        found = re.search(r"^soak: (\d+) acknowledged, (\d+) lost, \d+ faults, (\d+) unexpected "
                          r"errors$", text, re.M)
        acknowledged, lost, errors = (int(x) for x in found.groups()) if found else (0, 0, 1)
        problems = self.leftover_problems + self.failed_commands
        for problem in problems:
            print("  unexpected: " + problem)
        moved = len({move["user"] for move in self.moves})
        print("move: %d acknowledged, %d moved users (%d moves, %d evacuations), %d lost, "
              "%d unexpected errors" % (acknowledged, moved, len(self.moves), self.evacuations,
                                        lost, errors + len(problems)))
        return status if not problems else 1

    def run_load(self):
        status = super().run_load()
        try:
            self.leftover_problems = self.leftovers()
        except (RuntimeError, OSError, sqlite3.Error, subprocess.SubprocessError) as error:
            self.leftover_problems = ["the nodes' databases could not be read: %s" % error]
        return status

    def load_command(self, command):
        return command + ["--nodes", "1"]


def main():
    return soak.main(MoveSoak)


if __name__ == "__main__":
    sys.exit(main())
