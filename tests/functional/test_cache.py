"""The shared cache through nginx, with a real memcached and a real redis-server.

Usage: python3 tests/functional/test_cache.py BUILD_DIR
(on SQLite; tests/mysql/run.sh runs it on MariaDB too: see database_settings)
Starts memcached and redis-server on loopback in a temporary folder, and weave-server
instances (3 workers each, tests/functional/weave_instance.py) configured with them; checks
that clients read their own writes on any worker and on a second server sharing the
database and the cache, and that a cache killed, frozen (SIGSTOP), restarted or flushed
never fails a request nor makes the server answer stale data, in particular after a write
the cache missed while it was frozen and that it then answers with its old entries.
Ends with the line "N passed, N failed"; exit status non-zero on failure.
"""

import base64
import http.client
import json
import os
import shutil
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import weave_instance  # noqa: E402

USER = "cacheuser"
PASSWORD = "cache-password-1"
LOGIN_SECRET = "functional-test-login-secret-0123456789"


def wait_connectable(address, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(address, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on %s:%d" % address)


def database_settings(folder, kind):
    """SQLite in folder; or, with WEAVE_CACHE_MYSQL_PORT set (tests/mysql/mysql_suite.py sets
    it), the MariaDB database WEAVE_CACHE_MYSQL_DATABASE + "_" + kind on 127.0.0.1, user
    weave, password WEAVE_CACHE_MYSQL_PASSWORD (the database exists and is empty)."""
    port = os.environ.get("WEAVE_CACHE_MYSQL_PORT")
    if not port:
        return {"sqlite": {"path": os.path.join(folder, "weave.db")}}
    return {"driver": "mysql",
            "mysql": {"host": "127.0.0.1", "port": int(port), "user": "weave",
                      "password": os.environ.get("WEAVE_CACHE_MYSQL_PASSWORD", ""),
                      "database": os.environ.get("WEAVE_CACHE_MYSQL_DATABASE", "weave_cache")
                      + "_" + kind}}


class CacheProcess:
    """memcached or redis-server on a loopback port, restartable with the same port."""

    def __init__(self, kind, folder):
        self.kind = kind
        self.folder = folder
        self.port = weave_instance.free_port()
        self.proc = None

    def url(self):
        return "%s://127.0.0.1:%d" % (self.kind, self.port)

    def start(self):
        if self.kind == "memcached":
            command = ["memcached", "-l", "127.0.0.1", "-p", str(self.port), "-U", "0",
                       "-m", "16"] + (["-u", "root"] if os.getuid() == 0 else [])
        else:
            command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                       "--save", "", "--appendonly", "no", "--dir", self.folder]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        wait_connectable(("127.0.0.1", self.port))

    def kill(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def freeze(self):
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.proc.send_signal(signal.SIGCONT)

    def flush(self):
        command = b"flush_all\r\n" if self.kind == "memcached" else b"FLUSHALL\r\n"
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as connection:
            connection.sendall(command)
            answer = connection.recv(100)
        if not (answer.startswith(b"OK") or answer.startswith(b"+OK")):
            raise RuntimeError("flush answered %r" % answer)


class Client:
    """One user's requests, each on a new connection (so nginx spreads them over workers)."""

    def __init__(self, instance, user=USER, password=PASSWORD):
        self.instance = instance
        self.user = user
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.headers = {"Authorization": "Basic " + token}

    def request(self, method, path, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.instance.port, timeout=30)
        try:
            headers = dict(self.headers)
            if body is not None:
                headers["Content-Type"] = "application/json"
            connection.request(method, "/1.1/%s/%s" % (self.user, path),
                               body=None if body is None else json.dumps(body),
                               headers=headers)
            response = connection.getresponse()
            data = response.read()
            return response.status, response.getheader("X-Weave-Timestamp"), data
        finally:
            connection.close()

    def put(self, collection, record_id, payload):
        status, stamp, data = self.request("PUT", "storage/%s/%s" % (collection, record_id),
                                           {"payload": payload})
        if status != 200:
            raise AssertionError("PUT answered %d %r" % (status, data))
        return round(float(data) * 100)

    def get_json(self, path):
        status, _, data = self.request("GET", path)
        if status != 200:
            raise AssertionError("GET %s answered %d %r" % (path, status, data))
        return json.loads(data)

    def timestamps(self):
        return {name: round(value * 100)
                for name, value in self.get_json("info/collections").items()}


class CacheCase(unittest.TestCase):
    kind = None  # "memcached" or "redis"

    @classmethod
    def setUpClass(cls):
        missing = weave_instance.tools_missing()
        if missing:
            raise unittest.SkipTest(missing)
        cls.folder = tempfile.mkdtemp(prefix="weave-cache.")
        os.chmod(cls.folder, 0o711)
        cls.cache = CacheProcess(cls.kind, cls.folder)
        cls.cache.start()
        settings = {"cache": {"servers": [cls.cache.url()], "timeout_ms": 100,
                              "prefix": "weave-test:", "login_secret": LOGIN_SECRET},
                    "database": database_settings(cls.folder, cls.kind),
                    # Each real password check is logged ("login cache: checking ...").
                    "log": {"level": "debug"}}
        cls.one = weave_instance.Instance(cls.folder, "one", settings, workers=3).start()
        cls.two = weave_instance.Instance(cls.folder, "two", settings, workers=2).start()
        cls.one.add_user(USER, PASSWORD)

    @classmethod
    def tearDownClass(cls):
        reports = []
        for instance in (cls.one, cls.two):
            instance.stop()
            report = instance.sanitizer_report()
            if report:
                reports.append(report)
        cls.cache.kill()
        shutil.rmtree(cls.folder, ignore_errors=True)
        if reports:
            raise AssertionError("sanitizer report:\n" + reports[0])

    def setUp(self):
        if self.cache.proc is None:
            self.cache.start()
        self.client = Client(self.one)

    def test_reads_its_writes_on_every_worker_and_server(self):
        other = Client(self.two)
        for round_number in range(12):
            writer = self.client if round_number % 2 else other
            stamp = writer.put("bookmarks", "b%d" % round_number, "x" * (round_number + 1))
            for reader in (self.client, other, self.client, other):
                self.assertEqual(reader.timestamps()["bookmarks"], stamp)
                self.assertEqual(reader.get_json("info/collection_counts")["bookmarks"],
                                 round_number + 1)
            meta = json.dumps({"round": round_number})
            writer.put("meta", "global", meta)
            for reader in (other, self.client, other):
                self.assertEqual(reader.get_json("storage/meta/global")["payload"], meta)

    def test_flushed_cache_answers_the_database(self):
        self.client.put("prefs", "p", "x" * 1024)
        self.assertEqual(self.client.get_json("info/collection_usage")["prefs"], 1)  # KB
        self.client.put("prefs", "q", "y" * 2048)
        self.cache.flush()
        for _ in range(4):
            self.assertEqual(self.client.get_json("info/collection_usage")["prefs"], 3)

    def test_write_missed_by_a_frozen_cache_is_not_served_when_it_returns(self):
        self.client.put("history", "h1", "old")
        for _ in range(6):  # every worker caches the old state
            self.assertEqual(self.client.get_json("info/collection_counts")["history"], 1)
        self.cache.freeze()
        try:
            self.client.put("history", "h2", "new")
        finally:
            self.cache.thaw()
        time.sleep(1.2)  # past the workers' back-off: the cache is used again
        for _ in range(9):
            self.assertEqual(self.client.get_json("info/collection_counts")["history"], 2)
            self.assertEqual(Client(self.two).get_json("info/collection_counts")["history"], 2)

    def test_cache_killed_frozen_and_restarted_under_load(self):
        errors = []
        stop = threading.Event()

        def load(number):
            client = Client(self.one if number % 2 else self.two)
            sequence = 0
            while not stop.is_set():
                sequence += 1
                try:
                    stamp = client.put("load%d" % number, "r", str(sequence))
                    seen = client.timestamps().get("load%d" % number)
                    if seen != stamp:
                        errors.append("worker %d read %r after writing %r" % (number, seen, stamp))
                    status, _, data = client.request("GET", "info/quota")
                    if status != 200:
                        errors.append("info/quota answered %d %r" % (status, data))
                except Exception as error:  # noqa: BLE001 - every failure counts
                    errors.append("%s: %s" % (type(error).__name__, error))

        threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1)
            self.cache.kill()
            time.sleep(1.5)
            self.cache.start()
            time.sleep(1.5)
            self.cache.freeze()
            time.sleep(1.5)
            self.cache.thaw()
            time.sleep(1.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
        self.assertEqual(errors[:5], [])


def password_checks(instance, name):
    """How often instance's login cache checked name's password for real."""
    with open(instance.server_log, errors="replace") as log:
        return log.read().count("login cache: checking the password of %s\n" % name)


class SharedLoginCase(CacheCase):
    """Verified logins kept in the cache (cache.login_secret), shared by both servers."""

    def new_user(self):
        name = "login" + secrets.token_hex(6)
        self.one.add_user(name, PASSWORD)
        return name

    def test_login_verified_on_one_server_is_not_checked_again_on_the_other(self):
        name = self.new_user()
        time.sleep(2.5)  # past any worker's back-off from the cache failures of other tests
        status, _, _ = Client(self.one, name, PASSWORD).request("GET", "info/collections")
        self.assertEqual(status, 200)
        self.assertEqual(password_checks(self.one, name), 1)
        for _ in range(6):  # every worker of both servers, most likely
            for instance in (self.two, self.one):
                status, _, _ = Client(instance, name, PASSWORD).request("GET", "info/collections")
                self.assertEqual(status, 200)
        self.assertEqual(password_checks(self.two, name), 0)
        self.assertEqual(password_checks(self.one, name), 1)

    def test_password_change_on_one_server_ends_the_login_on_the_other_at_once(self):
        name = self.new_user()
        for instance in (self.one, self.two, self.two):
            status, _, _ = Client(instance, name, PASSWORD).request("GET", "info/collections")
            self.assertEqual(status, 200)
        connection = http.client.HTTPConnection("127.0.0.1", self.one.port, timeout=30)
        token = base64.b64encode(("%s:%s" % (name, PASSWORD)).encode()).decode()
        connection.request("POST", "/user/1.0/%s/password" % name, body="second-password-2",
                           headers={"Authorization": "Basic " + token,
                                    "Content-Type": "text/plain"})
        response = connection.getresponse()
        response.read()
        connection.close()
        self.assertEqual(response.status, 200)
        for _ in range(3):
            status, _, _ = Client(self.two, name, PASSWORD).request("GET", "info/collections")
            self.assertEqual(status, 401)
        for instance in (self.two, self.one):
            status, _, _ = Client(instance, name, "second-password-2").request(
                "GET", "info/collections")
            self.assertEqual(status, 200)

    def test_disable_and_delete_end_the_login_everywhere_at_once(self):
        name = self.new_user()
        for instance in (self.one, self.two):
            status, _, _ = Client(instance, name, PASSWORD).request("GET", "info/collections")
            self.assertEqual(status, 200)
        self.assertEqual(self.one.admin("disable", name).returncode, 0)
        status, _, _ = Client(self.two, name, PASSWORD).request("GET", "info/collections")
        self.assertEqual(status, 401)
        self.assertEqual(self.one.admin("enable", name).returncode, 0)
        status, _, _ = Client(self.two, name, PASSWORD).request("GET", "info/collections")
        self.assertEqual(status, 200)
        deleted = self.one.admin("delete", name, stdin="y\n")
        self.assertEqual(deleted.returncode, 0, deleted.stderr)
        status, _, _ = Client(self.two, name, PASSWORD).request("GET", "info/collections")
        self.assertEqual(status, 401)
        # The same name and password again: another account, whose login is checked anew.
        self.one.add_user(name, PASSWORD)
        checks = password_checks(self.two, name)
        status, _, _ = Client(self.two, name, PASSWORD).request("GET", "info/collections")
        self.assertEqual(status, 200)
        self.assertEqual(password_checks(self.two, name), checks + 1)

    def test_cache_down_checks_passwords_for_real(self):
        name = self.new_user()
        status, _, _ = Client(self.one, name, PASSWORD).request("GET", "info/collections")
        self.assertEqual(status, 200)
        self.cache.kill()
        try:
            for instance in (self.two, self.one):
                status, _, _ = Client(instance, name, PASSWORD).request("GET", "info/collections")
                self.assertEqual(status, 200)
                status, _, _ = Client(instance, name, "wrong-password").request(
                    "GET", "info/collections")
                self.assertEqual(status, 401)
            self.assertGreaterEqual(password_checks(self.two, name), 1)
        finally:
            self.cache.start()


class Memcached(SharedLoginCase):
    kind = "memcached"


class Redis(SharedLoginCase):
    kind = "redis"


def main():
    return weave_instance.run_cases((Memcached, Redis))


if __name__ == "__main__":
    sys.exit(main())
