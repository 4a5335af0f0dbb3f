"""Many storage nodes through nginx, run by test_nodes.sh: one registration server and two
storage nodes, each on its own nginx port, the nodes' records in databases of their own and
the accounts in the registration server's.

Environment: NODES_REG_URL, NODES_NODE1_URL, NODES_NODE2_URL (nginx ports, the node URLs
ending in /), NODES_ADMIN (weave-admin), NODES_REG_CONFIG, NODES_NODE1_CONFIG,
NODES_NODE2_CONFIG, NODES_NODE1_DB, NODES_NODE2_DB (SQLite files; with NODES_DB=mysql the
MariaDB of NODES_MYSQL_DIR (scripts/mariadb.sh) holds databases node1 and node2), NODES_SECURITY_LOG (the
security log weave-admin writes with the registration server's configuration).
Prints one line per test, then "N passed, N failed"; exit status 1 when any failed.
"""

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import unittest

import test_client
from weave import Account, Server, WeaveTestCase

REG = Server(os.environ["NODES_REG_URL"])
NODE1 = os.environ["NODES_NODE1_URL"]
NODE2 = os.environ["NODES_NODE2_URL"]
DB_OF = {NODE1: os.environ["NODES_NODE1_DB"], NODE2: os.environ["NODES_NODE2_DB"]}
PASSWORD = "node-test-password"


def admin(*args, check=True):
    command = [os.environ["NODES_ADMIN"], "-c", os.environ["NODES_REG_CONFIG"],
               "-n", os.environ["NODES_NODE1_CONFIG"], "-n", os.environ["NODES_NODE2_CONFIG"]]
    result = subprocess.run(command + list(args), capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError("weave-admin %s: %s%s" % (args, result.stdout, result.stderr))
    return result


def create(name):
    response = REG.request("PUT", "/user/1.0/" + name,
                           json.dumps({"password": PASSWORD, "email": name + "@example.org"}))
    assert response.status == 200, response
    return name


def node_of(name):
    response = REG.request("GET", "/user/1.0/%s/node/weave" % name)
    assert response.status == 200, response
    return response.text


def loads():
    """{url: (state, load, capacity, backoff)} from weave-admin nodes list."""
    nodes = {}
    for line in admin("nodes", "list").stdout.splitlines():
        url, state, load, backoff = line.split("\t")
        used, capacity = load.split(" ")[0].split("/")
        nodes[url] = (state, int(used), int(capacity), int(backoff.split()[1]))
    return nodes


def stored_ids(node, user_id):
    if os.environ.get("NODES_DB") == "mysql":
        database = "node1" if node == NODE1 else "node2"
        result = subprocess.run(
            ["sh", os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "mariadb.sh"),
             "sql", os.environ["NODES_MYSQL_DIR"], "-N", "-e",
             "SELECT count(*) FROM %s.wbo WHERE username = %d" % (database, user_id)],
            capture_output=True, text=True, timeout=60, check=True)
        return int(result.stdout.strip())
    with sqlite3.connect(DB_OF[node], timeout=30) as db:
        return db.execute("SELECT count(*) FROM wbo WHERE username = ?", (user_id,)).fetchone()[0]


def user_id(name):
    for line in admin("list").stdout.splitlines():
        fields = line.split("\t")
        if fields[1] == name:
            return int(fields[0])
    raise AssertionError("no user " + name)


class Nodes(WeaveTestCase):
    """In order: each test leaves the nodes as the next expects."""

    def test_1_spread_by_capacity(self):
        self.assertEqual(admin("nodes", "list").stdout, "")
        admin("nodes", "add", NODE1, "1")
        admin("nodes", "add", NODE2.rstrip("/"), "3")  # the / is added
        self.assertEqual(admin("nodes", "add", NODE1, "5", check=False).returncode, 1)
        placed = [node_of(create("spread%d" % i)) for i in range(4)]
        self.assertEqual(sorted(placed), sorted([NODE1] + [NODE2] * 3))
        self.assertEqual(loads(), {NODE1: ("active", 1, 1, 0), NODE2: ("active", 3, 3, 0)})
        # Both full: "null", and the client retries later.
        self.assertEqual(node_of(create("nospace")), "null")

    def test_2_concurrent_creations_keep_capacity(self):
        admin("nodes", "set-capacity", NODE1, "3")
        admin("nodes", "set-capacity", NODE2, "5")
        names = ["race%d" % i for i in range(12)]
        errors = []

        def make(name):
            try:
                create(name)
            except AssertionError as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=make, args=(name,)) for name in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        placed = [node_of(name) for name in names]
        self.assertEqual(placed.count(NODE1), 2)
        self.assertEqual(placed.count(NODE2), 2)
        self.assertEqual(placed.count("null"), 8)
        self.assertEqual(loads(), {NODE1: ("active", 3, 3, 0), NODE2: ("active", 5, 5, 0)})

    def test_3_draining_node_gets_no_new_users(self):
        admin("nodes", "set-capacity", NODE1, "100")
        admin("nodes", "set-capacity", NODE2, "1000")
        admin("nodes", "drain", NODE2)
        self.assertEqual(node_of(create("drained")), NODE1)
        self.assertEqual(loads()[NODE2][0], "draining")
        admin("nodes", "up", NODE2)
        self.assertEqual(node_of(create("undrained")), NODE2)

    def test_4_other_node_answers_401(self):
        name = create("homed")
        home = node_of(name)
        other = NODE2 if home == NODE1 else NODE1
        self.assertOk(Account(Server(home), name, PASSWORD).get("info/collections"))
        response = Account(Server(other), name, PASSWORD).get("info/collections")
        self.assertEqual(response.status, 401, response)
        self.assertIn("Basic", response.header("WWW-Authenticate"))
        # A wrong password is still a wrong password, on either node.
        response = Account(Server(home), name, "wrong-password").get("info/collections")
        self.assertEqual(response.status, 401)

    def test_5_down_node_and_backoff(self):
        name = create("downed")
        home = node_of(name)
        acct = Account(Server(home), name, PASSWORD)
        admin("nodes", "down", home)
        response = acct.get("info/collections")
        self.assertEqual(response.status, 503, response)
        self.assertIsNotNone(response.header("Retry-After"))
        self.assertEqual(response.header("X-Weave-Backoff"), response.header("Retry-After"))
        admin("nodes", "up", home)
        admin("nodes", "backoff", home, "300")
        response = acct.get("info/collections")
        self.assertOk(response)
        self.assertEqual(response.header("X-Weave-Backoff"), "300")
        admin("nodes", "backoff", home, "0")
        self.assertIsNone(acct.get("info/collections").header("X-Weave-Backoff"))

    def test_6_client_flow_across_a_move(self):
        name = create("mover")
        home = node_of(name)
        other = NODE2 if home == NODE1 else NODE1
        replay = test_client.RealClient("test_first_sync")
        replay.acct = Account(Server(home), name, PASSWORD)
        desktop = test_client.Device(self, replay.acct, "desktop")
        data, meta, meta_ts, keys_ts = replay.first_sync(desktop)
        before = desktop.info_collections()
        moved = admin("users", "move", name, other)
        self.assertIn("records verified", moved.stdout)
        self.assertIn("switched", moved.stdout)
        # The old node now refuses the user as Firefox expects of a moved node; the client
        # asks node/weave again and gets the new node.
        self.assertEqual(replay.acct.get("info/collections").status, 401)
        self.assertEqual(node_of(name), other)
        self.assertEqual(stored_ids(home, user_id(name)), 0)
        desktop.acct = Account(Server(other), name, PASSWORD)
        # The next sync: nothing changed, so nothing is downloaded or uploaded again.
        self.assertEqual(desktop.info_collections(), before)
        response = desktop.request("GET", "storage/meta/global")
        self.assertEqual(json.loads(response.json()["payload"]), meta)
        self.assertEqual(response.json()["modified"], meta_ts)
        for engine, records in data.items():
            self.assertEqual(desktop.download(engine), [])
            stored = self.get_full(desktop.acct, engine)
            self.assertEqual({i: r["payload"] for i, r in stored.items()},
                             {r["id"]: r["payload"] for r in records})
        self.assertEqual(self.get_full(desktop.acct, "crypto")["keys"]["modified"], keys_ts)
        desktop.upload("clients", [replay.client_record(desktop)])

    def test_7_move_under_continuous_writes(self):
        name = create("busy")
        home = node_of(name)
        other = NODE2 if home == NODE1 else NODE1
        acked = {}
        stop = threading.Event()
        seen = {"503": 0, "401": 0, "writes": 0}
        failures = []

        def writer():
            node = home
            counter = 0
            deadline = time.time() + 100
            while (not stop.is_set() or node == home) and time.time() < deadline:
                counter += 1
                records = [{"id": "r%d" % (counter * 3 + k), "payload": "p%d-%d" % (counter, k)}
                           for k in range(3)]
                records.append({"id": "same", "payload": "v%d" % counter})
                response = Account(Server(node), name, PASSWORD).post("storage/history",
                                                                      records)
                if response.status == 401:
                    seen["401"] += 1
                    node = node_of(name)
                    continue
                if response.status == 503:
                    seen["503"] += 1
                    if int(response.header("Retry-After")) > 30:
                        failures.append("long Retry-After " + response.header("Retry-After"))
                    time.sleep(0.2)
                    continue
                if response.status != 200:
                    failures.append(repr(response))
                    return
                for record_id in response.json()["success"]:
                    acked[record_id] = next(r["payload"] for r in records if r["id"] == record_id)
                seen["writes"] += 1

        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(1.5)
        moved = admin("users", "move", name, other)
        time.sleep(1.0)
        stop.set()
        thread.join(120)
        self.assertFalse(thread.is_alive())
        self.assertEqual(failures, [])
        print("\n" + moved.stdout + "writer: %(writes)d acknowledged POSTs, %(503)d answered "
              "503, %(401)d answered 401" % seen)
        self.assertIn("copied", moved.stdout)
        self.assertGreater(seen["writes"], 5, seen)
        self.assertGreaterEqual(seen["401"], 1, seen)  # the writer followed the move
        stored = self.get_full(Account(Server(other), name, PASSWORD), "history")
        self.assertEqual({i: r["payload"] for i, r in stored.items()}, acked)
        self.assertEqual(stored_ids(home, user_id(name)), 0)

    def test_8_evacuate(self):
        target = NODE1
        source = NODE2
        before = loads()
        users = before[source][1]
        evacuated = admin("nodes", "evacuate", source)
        self.assertIn("evacuated %d of %d users" % (users, users), evacuated.stdout)
        after = loads()
        self.assertEqual(after[source][:2], ("draining", 0))
        self.assertEqual(after[target][1], before[target][1] + users)

    def test_9_node_actions_are_audited_and_counted(self):
        with open(os.environ["NODES_SECURITY_LOG"]) as log:
            events = [line for line in log if "|AdminAction|" in line]

        def acts(action):
            return [line for line in events if " act=%s " % action in line]

        self.assertEqual(len(acts("nodes-add")), 2)  # the refused third add wrote none
        self.assertTrue(any("msg=%s capacity 3" % NODE2 in line for line in acts("nodes-add")))
        for action in ("nodes-set-capacity", "nodes-drain", "nodes-up", "nodes-down",
                       "nodes-backoff"):
            self.assertTrue(acts(action), action)
        self.assertTrue(any("msg=%s backoff 300" % NODE1 in line or
                            "msg=%s backoff 300" % NODE2 in line for line in acts("nodes-backoff")))
        moves = acts("users-move")
        self.assertTrue(any(" duser=mover " in line for line in moves), moves)
        self.assertTrue(any(" duser=busy " in line and "records" in line for line in moves))
        evacuations = acts("nodes-evacuate")
        self.assertEqual(len(evacuations), 1)
        self.assertIn("msg=%s: " % NODE2, evacuations[0])
        # weave-admin stats: one line per node, users against capacity.
        stats = admin("stats").stdout
        for url, (state, used, capacity, _) in loads().items():
            line = next(line for line in stats.splitlines() if line.startswith(url))
            self.assertEqual(line.split()[1:4], [state, str(used), str(capacity)], stats)


def main():
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Nodes)
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, failfast=False).run(suite)
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
