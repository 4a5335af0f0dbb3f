"""weave-server with its accounts and records on a three-node MariaDB Galera cluster.

Run by tests/cluster/run_galera.sh, which starts the cluster (scripts/galera.sh) and sets:
GALERA_DIR (the cluster's folder), GALERA_TMP (a scratch folder), WEAVE_ADMIN (the build's
weave-admin; the server is taken from the same folder), WEAVE_COUNTS_FILE ("passed failed"
is written there). Arguments: substrings; only checks whose name contains one of them run.

Two servers, A and B, each behind its own nginx, list the nodes in different orders in
database.mysql.hosts (A: 1, 2, 3; B: 2, 3, 1), so registrations and logins go through
different nodes. Every wait has a deadline and every load loop a bound. Standard library only.
"""

import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "functional"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import weave_instance  # noqa: E402
from cluster_lib import assert_clean_503, login, register, request, wait_until  # noqa: E402
import cluster_lib  # noqa: E402
from mariadb_session import MariadbSession  # noqa: E402

GALERA_DIR = os.environ["GALERA_DIR"]
TMP = os.environ.get("GALERA_TMP") or GALERA_DIR
GALERA_SH = os.path.join(ROOT, "scripts", "galera.sh")
PASSWORD_FILE = os.path.join(GALERA_DIR, "weave-password")


def galera(*args, timeout=120, stdin=None):
    done = subprocess.run(["sh", GALERA_SH] + list(args), input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout)
    text = done.stdout.decode(errors="replace")
    assert done.returncode == 0, "galera.sh %s: %s" % (" ".join(args), text)
    return text


def node_port(n):
    return int(galera("port", GALERA_DIR, str(n)).strip())


def node_sql(n, statement):
    """Rows (lists of text) of statement run on node n as the administrator."""
    text = galera("sql", GALERA_DIR, str(n), "--batch", "--skip-column-names", "weave",
                  "-e", statement)
    return [line.split("\t") for line in text.splitlines() if line]


def node_status(n, name):
    rows = node_sql(n, "SHOW STATUS LIKE '%s'" % name)
    return rows[0][1] if rows else ""


def make_server(name, nodes, workers=3):
    settings = {
        "server": {"retry_after_seconds": 5},
        "database": {"driver": "mysql", "mysql": {
            "hosts": ["127.0.0.1:%d" % node_port(n) for n in nodes],
            "user": "weave", "password_file": PASSWORD_FILE, "database": "weave",
            "connect_timeout_seconds": 2, "read_timeout_seconds": 10,
            "write_timeout_seconds": 10, "lock_wait_timeout_seconds": 5}},
        "registration": {"policy": "open", "require_hashed_username": False},
        "accounts": {"lockout_max_failures": 0, "lockout_max_failures_per_address": 0},
        "auth": {"password_hash": "bcrypt", "password_hash_cost": 4},
    }
    return weave_instance.Instance(TMP, name, settings, workers=workers)


SERVERS = {}


def servers():
    """Servers A (nodes 1, 2, 3) and B (nodes 2, 3, 1), started once."""
    if not SERVERS:
        SERVERS["a"] = make_server("server-a", (1, 2, 3)).start(timeout=60)
        SERVERS["b"] = make_server("server-b", (2, 3, 1)).start(timeout=60)
    return SERVERS["a"], SERVERS["b"]


CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


@check
def registered_on_one_node_logs_in_through_another():
    a, b = servers()
    for i in range(10):
        name, password = "cross%d" % i, "cross-password-%d" % i
        status, _, body = register(a, name, password)
        assert status == 200, (name, status, body)
        # At once, through the other server and node: wsrep_sync_wait makes B's read wait
        # until node 2 has applied the registration.
        status, _, body = login(b, name, password)
        assert status == 200, (name, status, body)
        status, _, body = request(b, "PUT", "/1.1/%s/storage/tabs/t" % name,
                                  {"payload": "p%d" % i}, auth=(name, password))
        assert status == 200, (name, status, body)
        status, _, body = request(a, "GET", "/1.1/%s/storage/tabs/t" % name,
                                  auth=(name, password))
        assert status == 200 and json.loads(body)["payload"] == "p%d" % i, (status, body)
    # Names and ids do not clash across nodes (each node hands out its own ids).
    rows = node_sql(3, "SELECT COUNT(*), COUNT(DISTINCT id) FROM users")
    assert rows[0][0] == rows[0][1], rows


@check
def certification_failure_of_a_registration_is_run_again():
    """A registration aborted by a conflicting write set from another node (1213, the
    deadlock error) is run again and succeeds, rather than answering 503."""
    a, _ = servers()
    holder = MariadbSession(os.path.join(GALERA_DIR, "node1", "mysqld.sock"), "weave")
    try:
        # Hold the name's unique key on node 1, so that the registration's transaction,
        # after taking its id, waits with that id's row locked.
        holder.run("START TRANSACTION; INSERT INTO users (id, username, password_hash)"
                   " VALUES (2000000000, 'clash', 'x')")
        result = {}
        thread = threading.Thread(
            target=lambda: result.update(answer=register(a, "clash", "clash-password")))
        thread.start()
        wait_until(lambda: node_sql(1, "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                                       " WHERE info LIKE 'INSERT IGNORE INTO users%'"
                                       " AND time_ms >= 200")[0][0] != "0",
                   "the registration to wait for the name", 20)
        taken = node_sql(1, "SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED;"
                            " SELECT MAX(id) FROM account_ids")[0][0]
        # Node 2 commits the same id: its write set reaches node 1 and aborts the
        # registration's transaction, which holds that row.
        node_sql(2, "INSERT INTO account_ids (id, used_for) VALUES (%s, 'clash')" % taken)
        time.sleep(1)
        holder.run("ROLLBACK")
        thread.join(60)
        status, _, body = result.get("answer", (-1, {}, b"no answer"))
        assert status == 200, (status, body)
        with open(a.server_log, errors="replace") as log:
            assert "creating an account: deadlock, running the transaction again" in log.read()
        status, _, body = login(a, "clash", "clash-password")
        assert status == 200, (status, body)
    finally:
        holder.close()


@check
def node_that_is_not_ready_is_left_for_the_next_one():
    """A node cut off from the cluster answers 1047 (WSREP not ready): a server listing
    other nodes goes on through them; one that lists only that node answers a clean 503."""
    a, _ = servers()
    alone = make_server("server-node1-only", (1,), workers=1).start(timeout=60)
    try:
        status, _, body = register(a, "beforecut", "before-password")
        assert status == 200, (status, body)
        node_sql(1, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'")
        try:
            wait_until(lambda: node_status(1, "wsrep_ready") == "OFF", "node 1 not ready", 60)
            for i in range(6):
                status, _, body = register(a, "duringcut%d" % i, "during-password")
                assert status == 200, (i, status, body)
                status, _, body = login(a, "beforecut", "before-password")
                assert status == 200, (i, status, body)
            status, headers, body = login(alone, "beforecut", "before-password")
            assert_clean_503(status, headers, body, "only node 1")
            status, headers, body = register(alone, "nowhere", "nowhere-password")
            assert_clean_503(status, headers, body, "only node 1")
        finally:
            node_sql(1, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'")
            wait_until(lambda: node_status(1, "wsrep_local_state_comment") == "Synced",
                       "node 1 to rejoin", 90)
        # Back in the cluster, node 1 serves again, with what was written meanwhile.
        status, _, body = login(alone, "duringcut5", "during-password")
        assert status == 200, (status, body)
    finally:
        alone.stop()
        report = alone.sanitizer_report()
        assert report is None, report


class Load:
    """Registrations (then a login through the other server) and record writes, on both
    servers, until stopped. Counts what each answer was; keeps what was acknowledged."""

    def __init__(self, a, b, tag):
        self.a, self.b, self.tag = a, b, tag
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.accounts = []  # (name, password) acknowledged with 200
        self.records = {}  # (name, id) -> payload acknowledged with 200
        self.statuses = {}
        self.bad = []  # answers that are neither 200 nor a clean 503
        self.ok_after = {}  # server name -> 200s since mark()
        self.threads = []

    def note(self, server, status, headers, body, what):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 200:
                self.ok_after[server.name] = self.ok_after.get(server.name, 0) + 1
            elif not (status == 503 and headers.get("retry-after")):
                self.bad.append((what, status, body[:200]))

    def mark(self):
        with self.lock:
            self.ok_after = {}

    def registrations(self, first, second, index):
        for i in range(100000):
            if self.stop.is_set():
                return
            name, password = "%s%s%d" % (self.tag, index, i), "load-password-%d" % i
            status, headers, body = register(first, name, password)
            self.note(first, status, headers, body, "register " + name)
            if status != 200:
                continue
            with self.lock:
                self.accounts.append((name, password))
            status, headers, body = login(second, name, password)
            self.note(second, status, headers, body, "login " + name)

    def writes(self, server, name, password):
        for i in range(100000):
            if self.stop.is_set():
                return
            payload = "%s-%d" % (server.name, i)
            status, headers, body = request(server, "PUT", "/1.1/%s/storage/forms/r%d" % (name, i),
                                            {"payload": payload}, auth=(name, password))
            self.note(server, status, headers, body, "put r%d" % i)
            if status == 200:
                with self.lock:
                    self.records[(name, "r%d" % i)] = payload

    def start(self, writers):
        jobs = [(self.registrations, (self.a, self.b, "a")),
                (self.registrations, (self.b, self.a, "b"))]
        jobs += [(self.writes, (server, name, password)) for server, name, password in writers]
        for target, args in jobs:
            thread = threading.Thread(target=target, args=args, daemon=True)
            thread.start()
            self.threads.append(thread)

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


@check
def node_killed_under_load_loses_no_acknowledged_account_or_record():
    a, b = servers()
    writers = []
    for server, name in ((a, "writer_a"), (b, "writer_b")):
        status, _, body = register(server, name, "writer-password")
        assert status == 200, (status, body)
        writers.append((server, name, "writer-password"))
    load = Load(a, b, "kill")
    load.start(writers)
    try:
        time.sleep(4)
        # Node 2 is B's first node: B's connections are cut in the middle of requests.
        galera("kill", GALERA_DIR, "2")
        load.mark()
        # The others notice the loss within evs.suspect_timeout (5 s); commits wait until then.
        time.sleep(10)
        with load.lock:
            during = dict(load.ok_after)
        galera("restart", GALERA_DIR, "2", timeout=150)
        load.mark()
        time.sleep(4)
        with load.lock:
            after = dict(load.ok_after)
    finally:
        load.finish()
    print("      answers: %r; 200s while node 2 was down %r, after its restart %r; %d accounts,"
          " %d records acknowledged" % (load.statuses, during, after, len(load.accounts),
                                        len(load.records)), flush=True)
    assert not load.bad, load.bad[:10]
    for name in ("server-a", "server-b"):
        assert during.get(name, 0) > 0, "%s served nothing while node 2 was down" % name
        assert after.get(name, 0) > 0, "%s served nothing after node 2 came back" % name
    # Every acknowledged account logs in through both servers, and on every node.
    for name, password in load.accounts:
        for server in (a, b):
            status, _, body = login(server, name, password)
            assert status == 200, (name, server.name, status, body)
    names = {name for name, _ in load.accounts}
    for n in (1, 2, 3):
        stored = {row[0] for row in node_sql(n, "SELECT username FROM users")}
        assert names <= stored, ("node %d misses" % n, sorted(names - stored)[:10])
    # Every acknowledged record is there, byte for byte.
    for (name, record_id), payload in load.records.items():
        server = a if name == "writer_a" else b
        status, _, body = request(server, "GET", "/1.1/%s/storage/forms/%s" % (name, record_id),
                                  auth=(name, "writer-password"))
        assert status == 200 and json.loads(body)["payload"] == payload, \
            (name, record_id, status, body[:200])


def main():
    return cluster_lib.run_checks(CHECKS, sys.argv[1:], SERVERS.values())


if __name__ == "__main__":
    sys.exit(main())
