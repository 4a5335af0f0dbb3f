"""MySQL back end checks against a running throwaway MariaDB (started by run.sh).

Environment (set by run.sh): WEAVE_BUILD (weave-server, weave-admin, unit_tests), MYSQL_DIR
(the MariaDB folder with mysqld.sock), MYSQL_PORT, MYSQL_PASSWORD (of the `weave` user),
MYSQL_TMP (a scratch folder), WEAVE_COUNTS_FILE ("passed failed" is written there).
Arguments: substrings; only checks whose name contains one of them run.

Every wait has a deadline and every load loop a bound, so the suite ends by itself.
Standard library only.
"""

import base64
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("WEAVE_BUILD", os.path.join(ROOT, "build"))
MYSQL_DIR = os.environ["MYSQL_DIR"]
MYSQL_PORT = int(os.environ["MYSQL_PORT"])
MYSQL_PASSWORD = os.environ.get("MYSQL_PASSWORD", "weave-test-password")
TMP = os.environ.get("MYSQL_TMP") or MYSQL_DIR
SOCKET = os.path.join(MYSQL_DIR, "mysqld.sock")
MARIADB_SH = os.path.join(ROOT, "scripts", "mariadb.sh")
NO_EXPIRY = 2100000000

sys.path.insert(0, os.path.join(ROOT, "tests", "functional"))
from durability_checks import Skip, SmallFs  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from mariadb_session import MariadbSession, admin_user  # noqa: E402
import check_runner  # noqa: E402


# --- MariaDB, as the administrator on the socket ------------------------------------------

def sql(database, statements, charset=None):
    """Runs statements with the mariadb client; returns the result rows as lists of str."""
    command = ["mariadb", "--no-defaults", "--protocol=socket", "--socket=" + SOCKET,
               "-u", admin_user(), "--batch", "--skip-column-names", "--connect-timeout=5"]
    if charset:
        command.append("--default-character-set=" + charset)
    if database:
        command.append(database)
    data = statements if isinstance(statements, bytes) else statements.encode("utf-8")
    done = subprocess.run(command, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120)
    if done.returncode != 0:
        raise AssertionError("mariadb failed: %s\n%s" % (done.stderr.decode(errors="replace"),
                                                        data[:2000].decode(errors="replace")))
    text = done.stdout.decode("utf-8", "replace")
    return [line.split("\t") for line in text.splitlines()]


def create_database(name):
    sql(None, """
DROP DATABASE IF EXISTS `%(db)s`;
CREATE DATABASE `%(db)s` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
GRANT ALL PRIVILEGES ON `%(db)s`.* TO 'weave'@'127.0.0.1';
GRANT ALL PRIVILEGES ON `%(db)s`.* TO 'weave'@'localhost';
""" % {"db": name})


def mariadb_ctl(*args, timeout=120):
    subprocess.run(["sh", MARIADB_SH] + list(args), check=True, timeout=timeout,
                   stdout=subprocess.DEVNULL)


def mariadb_pid():
    with open(os.path.join(MYSQL_DIR, "mariadbd.pid")) as pid_file:
        return int(pid_file.read().strip())


# --- weave-server + nginx -------------------------------------------------------------------

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Instance:
    """weave-server on a MariaDB database, behind its own nginx on loopback."""

    def __init__(self, name, database, workers=3, mysql_extra=None, extra_yaml="",
                 server_extra=""):
        self.name = name
        self.dir = os.path.join(TMP, name)
        os.makedirs(os.path.join(self.dir, "nginx"), exist_ok=True)
        os.chmod(self.dir, 0o711)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.config = os.path.join(self.dir, "weave.yaml")
        self.log = os.path.join(self.dir, "server.log")
        self.database = database
        self.workers = workers
        mysql = {"host": "127.0.0.1", "port": MYSQL_PORT, "user": "weave",
                 "password_file": os.path.join(self.dir, "db-password"),
                 "database": database}
        mysql.update(mysql_extra or {})
        with open(mysql["password_file"], "w") as out:
            out.write(MYSQL_PASSWORD + "\n")
        lines = ["server:",
                 '  listen: "unix:%s/weave.sock"' % self.dir,
                 '  socket_mode: "0666"',
                 "  workers: %d" % workers,
                 "  shutdown_timeout_seconds: 5",
                 '  public_url: "%s/"' % self.url]
        if server_extra:
            lines.append(server_extra.rstrip("\n"))
        lines += ["database:", "  driver: mysql", "  sqlite:",
                  '    path: "%s/unused.db"' % self.dir, "  mysql:"]
        for key, value in mysql.items():
            lines.append("    %s: %s" % (key, value if isinstance(value, int) else
                                          json.dumps(value)))
        lines += ["auth:", "  cache_seconds: 300", "log:", "  level: info",
                  "security_log:", "  target: file", '  file: "%s/security.log"' % self.dir]
        if extra_yaml:
            lines.append(extra_yaml.rstrip("\n"))
        with open(self.config, "w") as out:
            out.write("\n".join(lines) + "\n")
        self.server = None
        self.nginx = None

    def start(self, timeout=60):
        nginx_dir = os.path.join(self.dir, "nginx")
        conf = subprocess.run(["sh", os.path.join(ROOT, "scripts", "nginx-conf.sh"), nginx_dir,
                               str(self.port), "unix:%s/weave.sock" % self.dir, ROOT],
                              check=True, stdout=subprocess.PIPE, timeout=30).stdout
        with open(os.path.join(nginx_dir, "nginx.conf"), "wb") as out:
            out.write(conf)
        with open(self.log, "ab") as log:
            self.server = subprocess.Popen([os.path.join(BUILD, "weave-server"), "-c", self.config],
                                           stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        with open(os.path.join(nginx_dir, "stderr.log"), "ab") as log:
            self.nginx = subprocess.Popen(["nginx", "-p", nginx_dir, "-c",
                                           os.path.join(nginx_dir, "nginx.conf"),
                                           "-g", "daemon off;"],
                                          stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.server.poll() is not None:
                break
            try:
                if request(self, "GET", "/1.1/nobody/info/collections", timeout=3)[0] == 401:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError("%s did not come up:\n%s" % (self.name, self.log_text()[-3000:]))

    def stop(self):
        for proc in (self.nginx, self.server):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (self.nginx, self.server):
            if proc is None:
                continue
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.nginx = self.server = None

    def add_user(self, name, password, email=None):
        done = subprocess.run([os.path.join(BUILD, "weave-admin"), "-c", self.config, "add", name,
                               email or name + "@example.org"],
                              input=(password + "\n").encode(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)
        if done.returncode != 0:
            raise AssertionError("weave-admin add %s: %s" % (name, done.stderr.decode()))

    def log_text(self):
        try:
            with open(self.log, errors="replace") as log:
                return log.read()
        except FileNotFoundError:
            return ""


def request(instance, method, path, body=None, auth=None, headers=None, timeout=30):
    """(status, {lower-case header: value}, body bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=timeout)
    try:
        sent = dict(headers or {})
        if auth:
            token = base64.b64encode(("%s:%s" % auth).encode("utf-8")).decode()
            sent["Authorization"] = "Basic " + token
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            sent.setdefault("Content-Type", "application/json")
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        return (response.status, {k.lower(): v for k, v in response.getheaders()},
                response.read())
    finally:
        connection.close()


def ok_json(instance, method, path, auth, body=None, headers=None):
    status, got_headers, data = request(instance, method, path, body, auth, headers)
    assert status == 200, "%s %s -> %d %r" % (method, path, status, data[:300])
    return json.loads(data.decode("utf-8")), got_headers


# --- the checks -----------------------------------------------------------------------------

CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


def functional_suite(results):
    """tests/functional/runner.py against weave-server on MariaDB (its own counts)."""
    settings = {
        "main": (3, "limits:\n  quota_kib: 102400\n  max_body_bytes: 8388608\n"
                    "accounts:\n  lockout_max_failures: 0", ""),
        "quota": (2, "limits:\n  quota_kib: 100\n  max_body_bytes: 1048576\n"
                     "accounts:\n  lockout_max_failures: 0", ""),
        "lockout": (2, "accounts:\n  lockout_max_failures: 3\n"
                       "  lockout_max_failures_per_address: 3\n  lockout_window_seconds: 600\n"
                       "  lockout_seconds: 2", '  trusted_proxies: ["127.0.0.1"]'),
    }
    instances = {}
    try:
        for name, (workers, extra, server_extra) in settings.items():
            create_database("weave_func_" + name)
            instances[name] = Instance("func-" + name, "weave_func_" + name, workers,
                                       extra_yaml=extra, server_extra=server_extra).start()
        main, quota, lockout = instances["main"], instances["quota"], instances["lockout"]
        users = {
            "WEAVE_USER": ("alice", "alice-password-1"),
            "WEAVE_USER2": ("bob", "bob-password-22"),
            "WEAVE_USER_SPECIAL": ("carol", "co:lon pässwörd:✓"),
            "WEAVE_USER_CLIENT": ("erin", "erin-password-4"),
            "WEAVE_USER_ADMIN": ("dave", "dave-password-3"),
            "WEAVE_USER_CRASH": ("frank", "frank-password-5"),
        }
        env = dict(os.environ)
        for key, (name, password) in users.items():
            main.add_user(name, password)
            env[key] = name
            env[key.replace("USER", "PASSWORD")] = password
        quota.add_user("quinn", "quinn-password-6")
        lockout.add_user("lola", "lola-password-7")
        lockout.add_user("lenny", "lenny-password-8")
        counts = os.path.join(TMP, "functional-counts")
        env.update({
            "WEAVE_URL": main.url, "WEAVE_ADMIN": os.path.join(BUILD, "weave-admin"),
            "WEAVE_SERVER_BIN": os.path.join(BUILD, "weave-server"),
            "WEAVE_CONFIG": main.config, "WEAVE_MASTER_PID": str(main.server.pid),
            "WEAVE_WORKERS": "3", "WEAVE_QUOTA_KIB": "102400",
            "WEAVE_MAX_BODY_BYTES": "8388608", "WEAVE_MAX_PAYLOAD_BYTES": "262144",
            "WEAVE_BATCH_MAX_COUNT": "100", "WEAVE_BATCH_MAX_BYTES": "1048576",
            "WEAVE_QUOTA_URL": quota.url, "WEAVE_QUOTA_USER": "quinn",
            "WEAVE_QUOTA_PASSWORD": "quinn-password-6", "WEAVE_QUOTA_QUOTA_KIB": "100",
            "WEAVE_QUOTA_MAX_BODY_BYTES": "1048576",
            "WEAVE_LOCKOUT_URL": lockout.url, "WEAVE_LOCKOUT_MAX_FAILURES": "3",
            "WEAVE_LOCKOUT_SECONDS": "2", "WEAVE_LOCKOUT_USER": "lola",
            "WEAVE_LOCKOUT_PASSWORD": "lola-password-7", "WEAVE_LOCKOUT_USER2": "lenny",
            "WEAVE_LOCKOUT_PASSWORD2": "lenny-password-8", "WEAVE_COUNTS_FILE": counts,
        })
        runner = os.path.join(ROOT, "tests", "functional", "runner.py")
        if not os.path.exists(runner):
            raise AssertionError("tests/functional/runner.py is missing")
        # test_hostile attacks a server of its own (on SQLite), which the main run covers.
        filters = os.environ.get("FUNC_FILTER", "").split() + ["-test_hostile."]
        done = subprocess.run([sys.executable, runner] + filters, env=env, timeout=1200)
        passed = failed = 0
        if os.path.exists(counts):
            with open(counts) as text:
                passed, failed = (int(x) for x in text.read().split())
        if done.returncode != 0 and failed == 0:
            failed = 1
        results["passed"] += passed
        results["failed"] += failed
        print("functional suite on MariaDB: %d passed, %d failed" % (passed, failed), flush=True)
        for instance in instances.values():
            assert "runtime error:" not in instance.log_text(), instance.name
    finally:
        for instance in instances.values():
            instance.stop()


# PHP's storage node schema (its README), in the latin1 default of the MySQL of 2010.
PHP_SCHEMA = """
CREATE TABLE collections (
  userid int(11) NOT NULL,
  collectionid smallint(6) NOT NULL,
  name varchar(32) NOT NULL,
  PRIMARY KEY (userid, collectionid),
  KEY nameindex (userid, name)
) ENGINE=InnoDB DEFAULT CHARSET=latin1;
CREATE TABLE wbo (
  username int(11) NOT NULL,
  collection smallint(6) NOT NULL default '0',
  id varbinary(64) NOT NULL default '',
  parentid varbinary(64) default NULL,
  predecessorid varbinary(64) default NULL,
  sortindex int(11) default NULL,
  modified bigint(20) default NULL,
  payload longtext,
  payload_size int(11) default NULL,
  PRIMARY KEY (username, collection, id),
  KEY parentindex (username, collection, parentid),
  KEY modified (username, collection, modified),
  KEY weightindex (username, collection, sortindex),
  KEY predecessorindex (username, collection, predecessorid),
  KEY size_index (username, payload_size)
) ENGINE=InnoDB DEFAULT CHARSET=latin1;
CREATE TABLE users (
  id int(11) NOT NULL auto_increment,
  username varchar(32) NOT NULL,
  password_hash varbinary(128) default NULL,
  email varbinary(64) default NULL,
  status tinyint(4) default 1,
  alert text,
  reset varbinary(32) default NULL,
  PRIMARY KEY (id),
  UNIQUE KEY username (username)
) ENGINE=InnoDB DEFAULT CHARSET=latin1;
"""

PHP_USER, PHP_PASSWORD, PHP_USER_ID = "phpuser", "php-era-password", 7


def ssha256(password, salt):
    digest = hashlib.sha256(password.encode("utf-8") + salt).digest()
    return "{SSHA-256}" + base64.b64encode(digest + salt).decode()


def quote(value):
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# Rows as PHP wrote them: (collection id, id, parentid, predecessorid, sortindex, modified
# in centiseconds, payload). Payloads are UTF-8 text written through a latin1 connection.
PHP_ROWS = [
    (7, "menu", "places", None, 100, 126500000012, '{"ciphertext":"h\u00e9llo \u2713 \U0001F600","IV":"a"}'),
    (7, "ABC", "menu", "menu", -5, 126500000050, '{"ciphertext":"upper"}'),
    (7, "abc", "menu", "ABC", None, 126500000049, '{"ciphertext":"lower"}'),
    (4, "h1", None, None, None, 126400000100, '{"ciphertext":"history one"}'),
    (1, "client1", None, None, None, 126300000000, '{"ciphertext":"clients"}'),
    (101, "c1", None, None, 3, 126600000077, '{"ciphertext":"custom \u00fc"}'),
]


def load_php_database(database):
    create_database(database)
    sql(database, PHP_SCHEMA)
    statements = ["INSERT INTO users (id, username, password_hash, email, status) VALUES "
                  "(%d, %s, %s, 'php@example.org', 1);" % (
                      PHP_USER_ID, quote(PHP_USER), quote(ssha256(PHP_PASSWORD, b"saltsalt")))]
    statements.append("INSERT INTO users (id, username, password_hash, email, status) VALUES "
                      "(8, 'otherphp', %s, 'o@example.org', 1);" % quote(ssha256("x" * 12, b"s1")))
    statements.append("INSERT INTO collections VALUES (%d, 101, 'custom1');" % PHP_USER_ID)
    for collection, wbo_id, parent, predecessor, sortindex, modified, payload in PHP_ROWS:
        statements.append(
            "INSERT INTO wbo (username, collection, id, parentid, predecessorid, sortindex, "
            "modified, payload, payload_size) VALUES (%d, %d, %s, %s, %s, %s, %d, %s, %d);" % (
                PHP_USER_ID, collection, quote(wbo_id), quote(parent), quote(predecessor),
                quote(sortindex), modified, quote(payload), len(payload.encode("utf-8"))))
    statements.append("INSERT INTO wbo (username, collection, id, modified, payload, payload_size)"
                      " VALUES (8, 7, 'other', 126500000000, 'x', 1);")
    # PHP's connections were latin1: UTF-8 bytes went into latin1 columns unchanged.
    sql(database, "\n".join(statements).encode("utf-8"), charset="latin1")


def stats_match_rows(database, tables=("wbo",)):
    """collection_stats equals a recount of the records tables."""
    union = " UNION ALL ".join(
        "SELECT username, collection, payload_size FROM %s" % table for table in tables)
    rows = sql(database, """
SELECT COUNT(*) FROM (
  SELECT r.username, r.collection, COUNT(*) AS n, COALESCE(SUM(r.payload_size), 0) AS bytes
    FROM (%s) r GROUP BY r.username, r.collection) counted
  LEFT JOIN collection_stats s ON s.userid = counted.username AND s.collection = counted.collection
 WHERE s.userid IS NULL OR s.item_count <> counted.n OR s.payload_bytes <> counted.bytes;
SELECT COUNT(*) FROM collection_stats s WHERE s.item_count <> 0 AND NOT EXISTS (
  SELECT 1 FROM (%s) r WHERE r.username = s.userid AND r.collection = s.collection);
""" % (union, union))
    assert rows == [["0"], ["0"]], "collection_stats differs from the rows: %r" % rows


@check
def php_rows_are_served_unchanged():
    database = "weave_php"
    load_php_database(database)
    instance = Instance("php", database, workers=2).start()
    try:
        auth = (PHP_USER, PHP_PASSWORD)
        # The migration added ttl, the triggers and the first stats, and kept PHP's rows.
        columns = [row[0] for row in sql(database, "SHOW COLUMNS FROM wbo")]
        assert columns[-1] == "ttl" and columns[:9] == [
            "username", "collection", "id", "parentid", "predecessorid", "sortindex",
            "modified", "payload", "payload_size"], columns
        stats_match_rows(database)

        status, headers, body = request(instance, "GET", "/1.1/phpuser/info/collections",
                                        auth=auth)
        assert status == 200, (status, body)
        collections = json.loads(body)
        assert collections == {"bookmarks": 1265000000.50, "history": 1264000001.00,
                               "clients": 1263000000.00, "custom1": 1266000000.77}, collections
        for text in (b"1265000000.50", b"1264000001.00", b"1266000000.77"):
            assert text in body, body

        items, headers = ok_json(instance, "GET", "/1.1/phpuser/storage/bookmarks?full=1&sort=index",
                                 auth)
        assert headers.get("x-weave-records") == "3", headers
        by_id = {item["id"]: item for item in items}
        assert set(by_id) == {"menu", "ABC", "abc"}, by_id
        for collection, wbo_id, parent, predecessor, sortindex, modified, payload in PHP_ROWS:
            if collection != 7:
                continue
            item = by_id[wbo_id]
            assert item["payload"] == payload, (item, payload)
            assert item["modified"] == modified / 100.0, item
            assert item.get("parentid") == parent and item.get("predecessorid") == predecessor
            assert item.get("sortindex") == sortindex, item
        assert [item["id"] for item in items] == ["menu", "ABC", "abc"], items

        item, _ = ok_json(instance, "GET", "/1.1/phpuser/storage/custom1/c1", auth)
        assert item["payload"] == PHP_ROWS[5][6] and item["sortindex"] == 3, item
        counts, _ = ok_json(instance, "GET", "/1.1/phpuser/info/collection_counts", auth)
        assert counts == {"bookmarks": 3, "history": 1, "clients": 1, "custom1": 1}, counts
        usage, _ = ok_json(instance, "GET", "/1.1/phpuser/info/quota", auth)
        total = sum(len(row[6].encode("utf-8")) for row in PHP_ROWS)
        assert abs(usage[0] - total / 1024.0) < 0.01, (usage, total)
        newer, _ = ok_json(instance, "GET", "/1.1/phpuser/storage/bookmarks?newer=1265000000.12",
                           auth)
        assert sorted(newer) == ["ABC", "abc"], newer
        # The other PHP user's rows stay theirs.
        status, _, _ = request(instance, "GET", "/1.1/phpuser/storage/bookmarks/other", auth=auth)
        assert status == 404, status
        # A PHP-era user added by weave-admin lands in PHP's users table and logs in.
        instance.add_user("newcomer", "newcomer-password")
        rows = sql(database, "SELECT id, status FROM users WHERE username = 'newcomer'")
        assert rows and int(rows[0][0]) == 9 and rows[0][1] == "1", rows
        ok_json(instance, "GET", "/1.1/newcomer/info/collections", ("newcomer", "newcomer-password"))
    finally:
        instance.stop()


@check
def api_writes_are_rows_php_can_read():
    database = "weave_php"  # the database of the previous check, migrated
    instance = Instance("php-write", database, workers=2).start()
    try:
        auth = (PHP_USER, PHP_PASSWORD)
        payload = "\u00fcn\u00efcode \u2713 \U0001F680 \"quoted\""
        status, headers, body = request(instance, "PUT", "/1.1/phpuser/storage/bookmarks/new1",
                                        {"payload": payload, "sortindex": 5, "parentid": "menu"},
                                        auth=auth)
        assert status == 200, (status, body)
        stamp = round(float(body) * 100)
        rows = sql(database, "SELECT username, collection, id, parentid, IFNULL(predecessorid, 'NULL'),"
                             " sortindex, modified, HEX(payload), payload_size, ttl FROM wbo"
                             " WHERE id = 'new1'")
        expected = [str(PHP_USER_ID), "7", "new1", "menu", "NULL", "5", str(stamp),
                    payload.encode("utf-8").hex().upper(), str(len(payload.encode("utf-8"))),
                    str(NO_EXPIRY)]
        assert rows == [expected], (rows, expected)
        # Read as PHP did, through a latin1 connection: the same bytes.
        raw = sql(database, "SELECT payload FROM wbo WHERE id = 'new1'", charset="latin1")
        assert raw == [[payload]], raw

        # A new custom collection takes PHP's next id (101 exists, so 102).
        ok_json(instance, "PUT", "/1.1/phpuser/storage/newcoll/n1", auth, {"payload": "n"})
        rows = sql(database, "SELECT collectionid, name FROM collections WHERE userid = %d"
                             " ORDER BY collectionid" % PHP_USER_ID)
        assert rows == [["101", "custom1"], ["102", "newcoll"]], rows
        rows = sql(database, "SELECT collection FROM wbo WHERE id = 'n1'")
        assert rows == [["102"]], rows

        # Ids that differ only in case are two records (VARBINARY ids).
        ok_json(instance, "POST", "/1.1/phpuser/storage/bookmarks", auth,
                [{"id": "Case", "payload": "upper"}, {"id": "case", "payload": "lower"}])
        upper, _ = ok_json(instance, "GET", "/1.1/phpuser/storage/bookmarks/Case", auth)
        lower, _ = ok_json(instance, "GET", "/1.1/phpuser/storage/bookmarks/case", auth)
        assert (upper["payload"], lower["payload"]) == ("upper", "lower"), (upper, lower)

        # ttl is stored as an absolute expiry and hides the record once past.
        status, _, body = request(instance, "PUT", "/1.1/phpuser/storage/history/short",
                                  {"payload": "p", "ttl": 1000}, auth=auth)
        stamp_s = int(float(body))
        rows = sql(database, "SELECT ttl FROM wbo WHERE id = 'short'")
        assert rows == [[str(stamp_s + 1000)]], (rows, stamp_s)
        sql(database, "UPDATE wbo SET ttl = 1 WHERE id = 'short'")
        status, _, _ = request(instance, "GET", "/1.1/phpuser/storage/history/short", auth=auth)
        assert status == 404, status

        # A row a PHP server writes meanwhile shows up, timestamps included (the triggers).
        sql(database, "INSERT INTO wbo (username, collection, id, modified, payload, payload_size)"
                      " VALUES (%d, 4, 'from-php', 199900000001, 'p', 1)" % PHP_USER_ID)
        collections, _ = ok_json(instance, "GET", "/1.1/phpuser/info/collections", auth)
        assert collections["history"] == 1999000000.01, collections

        # Deletes through the API, with limit and with an offset (a derived-table subselect).
        ok_json(instance, "POST", "/1.1/phpuser/storage/forms", auth,
                [{"id": "f%d" % i, "payload": "x" * i, "sortindex": i} for i in range(1, 8)])
        ok_json(instance, "DELETE", "/1.1/phpuser/storage/forms?sort=index&limit=2", auth)
        ok_json(instance, "DELETE", "/1.1/phpuser/storage/forms?sort=index&limit=2&offset=1", auth)
        left, _ = ok_json(instance, "GET", "/1.1/phpuser/storage/forms?sort=index", auth)
        assert left == ["f5", "f2", "f1"], left
        ok_json(instance, "DELETE", "/1.1/phpuser/storage/history?ids=h1,from-php", auth)
        stats_match_rows(database)

        # The {SSHA-256} login worked above; the user's rows keep user id 7 in wbo.username.
        rows = sql(database, "SELECT DISTINCT username FROM wbo WHERE username <> 8")
        assert rows == [[str(PHP_USER_ID)]], rows
    finally:
        instance.stop()


@check
def own_schema_compares_ids_and_names_byte_for_byte():
    database = "weave_case"
    create_database(database)  # the server's default collation is case-insensitive
    instance = Instance("case", database, workers=2).start()
    try:
        instance.add_user("casey", "casey-password")
        auth = ("casey", "casey-password")
        ok_json(instance, "POST", "/1.1/casey/storage/bookmarks", auth,
                [{"id": "Abc", "payload": "upper"}, {"id": "abc", "payload": "lower"},
                 {"id": "ABC", "payload": "caps"}])
        items, _ = ok_json(instance, "GET", "/1.1/casey/storage/bookmarks?full=1", auth)
        assert sorted((i["id"], i["payload"]) for i in items) == [
            ("ABC", "caps"), ("Abc", "upper"), ("abc", "lower")], items
        ok_json(instance, "PUT", "/1.1/casey/storage/Foo/x", auth, {"payload": "Foo"})
        ok_json(instance, "PUT", "/1.1/casey/storage/foo/x", auth, {"payload": "foo"})
        first, _ = ok_json(instance, "GET", "/1.1/casey/storage/Foo/x", auth)
        second, _ = ok_json(instance, "GET", "/1.1/casey/storage/foo/x", auth)
        assert (first["payload"], second["payload"]) == ("Foo", "foo"), (first, second)
        collections, _ = ok_json(instance, "GET", "/1.1/casey/info/collections", auth)
        assert set(collections) == {"bookmarks", "Foo", "foo"}, collections
        stats_match_rows(database)
        # Starting again on the same database changes nothing (idempotent schema).
        before = sql(database, "SELECT COUNT(*) FROM collection_stats")
        instance.stop()
        instance.start()
        assert sql(database, "SELECT COUNT(*) FROM collection_stats") == before
        ok_json(instance, "GET", "/1.1/casey/storage/Foo/x", auth)
    finally:
        instance.stop()


@check
def sharding_puts_each_user_in_wbo_user_mod_n():
    database = "weave_shard"
    create_database(database)
    instance = Instance("shard", database, workers=2, mysql_extra={"shards": 4}).start()
    try:
        tables = [row[0] for row in sql(database, "SHOW TABLES LIKE 'wbo%'")]
        assert sorted(tables) == ["wbo0", "wbo1", "wbo2", "wbo3"], tables
        triggers = sql(database, "SELECT COUNT(*) FROM information_schema.TRIGGERS"
                                 " WHERE TRIGGER_SCHEMA = '%s'" % database)
        assert triggers == [["12"]], triggers
        names = ["shard%d" % i for i in range(6)]
        for name in names:
            instance.add_user(name, name + "-password")
        ids = {}
        for name in names:
            auth = (name, name + "-password")
            ok_json(instance, "POST", "/1.1/%s/storage/history" % name, auth,
                    [{"id": "%s-%d" % (name, i), "payload": "p" * i} for i in range(1, 6)])
            ok_json(instance, "PUT", "/1.1/%s/storage/custom/x" % name, auth, {"payload": name})
            ids[name] = int(sql(database, "SELECT id FROM users WHERE username = '%s'" % name)[0][0])
        for name, user_id in ids.items():
            for shard in range(4):
                count = int(sql(database, "SELECT COUNT(*) FROM wbo%d WHERE username = %d"
                                          % (shard, user_id))[0][0])
                assert count == (6 if shard == user_id % 4 else 0), (name, user_id, shard, count)
            auth = (name, name + "-password")
            items, _ = ok_json(instance, "GET", "/1.1/%s/storage/history?sort=newest" % name, auth)
            assert sorted(items) == sorted("%s-%d" % (name, i) for i in range(1, 6)), items
            counts, _ = ok_json(instance, "GET", "/1.1/%s/info/collection_counts" % name, auth)
            assert counts == {"history": 5, "custom": 1}, counts
            usage, _ = ok_json(instance, "GET", "/1.1/%s/info/collection_usage" % name, auth)
            assert abs(usage["history"] - 15 / 1024.0) < 0.001, usage
        victim = names[1]
        auth = (victim, victim + "-password")
        ok_json(instance, "DELETE", "/1.1/%s/storage/history?ids=%s-1,%s-2" % (victim, victim, victim),
                auth)
        ok_json(instance, "DELETE", "/1.1/%s/storage" % names[2], (names[2], names[2] + "-password"),
                headers={"X-Confirm-Delete": "1"})
        items, _ = ok_json(instance, "GET", "/1.1/%s/storage/history" % victim, auth)
        assert len(items) == 3, items
        stats_match_rows(database, tables)
    finally:
        instance.stop()


# The indexes of a records table this server creates, with their columns: the primary key and
# the four its statements use (sql/mysql/schema.sql says which statement uses which).
OWN_RECORD_INDEXES = {
    "PRIMARY": ["username", "collection", "id"],
    "modified": ["username", "collection", "modified", "id"],
    "weightindex": ["username", "collection", "sortindex", "id"],
    "ttl_index": ["username", "ttl"],
    "expiry_index": ["ttl"],
}
# PHP's indexes that no statement of this server reads: weave-admin drop-unused-indexes.
UNUSED_RECORD_INDEXES = ["parentindex", "predecessorindex", "size_index"]


def record_indexes(database, table="wbo"):
    """{index name: [column, ...]} of a table."""
    indexes = {}
    for name, column in sql(None, "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS"
                                  " WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = '%s'"
                                  " ORDER BY INDEX_NAME, SEQ_IN_INDEX" % (database, table)):
        indexes.setdefault(name, []).append(column)
    return indexes


def weave_admin(instance, *args):
    """(exit status, standard output) of weave-admin on instance's configuration."""
    done = subprocess.run([os.path.join(BUILD, "weave-admin"), "-c", instance.config] + list(args),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120)
    return done.returncode, done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")


def executed_record_statements():
    """The statements on a records table that clients executed (server-side prepared, so the
    general log shows them with their values) since the log was emptied: reads and deletes."""
    rows = sql(None, "SELECT HEX(argument) FROM mysql.general_log"
                     " WHERE command_type = 'Execute'")
    statements = []
    for (encoded,) in rows:
        text = bytes.fromhex(encoded).decode("utf-8", "replace")
        words = text.split()
        # A riding read joins the table in parentheses: "LEFT JOIN (wbo ...) ON".
        if words and words[0].upper() in ("SELECT", "DELETE") and re.search(
                r"[\s(]wbo(\s|\)|$)", text):
            statements.append(text)
    return statements


def record_plan(database, statement):
    """EXPLAIN's rows for the records table (its alias w too): dicts of EXPLAIN's columns."""
    # EXPLAIN takes no RETURNING clause; the plan is the DELETE's.
    statement = statement.split(" RETURNING ")[0]
    columns = ["id", "select_type", "table", "type", "possible_keys", "key", "key_len", "ref",
               "rows", "Extra"]
    plan = [dict(zip(columns, row)) for row in sql(database, "EXPLAIN " + statement)]
    return [row for row in plan if row["table"] in ("wbo", "w")]


@check
def own_records_table_has_only_the_indexes_its_reads_use():
    """A records table this server creates has the primary key and the four indexes its
    statements use, no more; and the plans MariaDB makes for the statements each request
    type runs (taken from the general log, with their values) read through the intended
    index, never sort a user's records (filesort) nor scan the table."""
    database = "weave_plans"
    create_database(database)
    instance = Instance("plans", database, workers=1,
                        extra_yaml="upkeep:\n  enabled: false").start()
    try:
        assert record_indexes(database) == OWN_RECORD_INDEXES, record_indexes(database)
        instance.add_user("planner", "planner-password")
        auth = ("planner", "planner-password")
        user = int(sql(database, "SELECT id FROM users WHERE username = 'planner'")[0][0])
        # Other users' records (so the statistics look like a shared node's: a few expired
        # ones not purged yet), then the user's: 600 bookmarks and 600 history records a second apart from 1300000000 s
        # (children of 20 folders, each the predecessor of the next), and 20 tabs, half of
        # them expired.
        sql(database, """
SET @now = UNIX_TIMESTAMP();
INSERT INTO wbo (username, collection, id, parentid, predecessorid, sortindex, modified,
                 payload, payload_size, ttl)
SELECT 100000 + seq DIV 400, IF(seq MOD 2, 7, 4), CONCAT('o', seq), CONCAT('folder', seq MOD 20),
       NULL, seq MOD 100, 130000000000 + seq * 100, REPEAT('x', 60), 60,
       IF(seq MOD 50 = 0, @now - 60, 2100000000)
  FROM seq_0_to_39999;
INSERT INTO wbo (username, collection, id, parentid, predecessorid, sortindex, modified,
                 payload, payload_size, ttl)
SELECT %(user)d, c.collection, CONCAT(c.prefix, LPAD(s.seq, 4, '0')),
       CONCAT('folder', s.seq MOD 20), CONCAT(c.prefix, LPAD(CAST(s.seq AS SIGNED) - 1, 4, '0')),
       s.seq MOD 100,
       130000000000 + s.seq * 100, REPEAT('x', 60), 60, 2100000000
  FROM seq_1_to_600 s JOIN (SELECT 7 AS collection, 'b' AS prefix
                            UNION ALL SELECT 4, 'h') c;
INSERT INTO wbo (username, collection, id, modified, payload, payload_size, ttl)
SELECT %(user)d, 9, CONCAT('t', seq), 130000000000 + seq, 'tab', 3,
       IF(seq < 10, @now - 3600, @now + 86400) FROM seq_0_to_19;
ANALYZE TABLE wbo;
""" % {"user": user})
        ok_json(instance, "GET", "/1.1/planner/info/collections", auth)  # the login, cached
        # (method, path, the indexes the plan may read the records through); a filesort
        # is allowed only for the counts, usage and quota, which group the user's expired
        # records by collection.
        collection_keys = ("PRIMARY", "modified", "weightindex")
        cases = [
            ("GET", "storage/bookmarks?full=1&newer=1300000590&sort=newest&limit=5", ("modified",)),
            ("GET", "storage/bookmarks?full=1&newer=1300000590&sort=oldest", ("modified",)),
            ("GET", "storage/bookmarks?full=1&newer=1300000590", ("modified",)),
            ("GET", "storage/history?full=1&sort=newest&limit=50", ("modified",)),
            ("GET", "storage/bookmarks?full=1&sort=index&limit=20", ("weightindex",)),
            ("GET", "storage/bookmarks?index_above=97&sort=index", ("weightindex",)),
            ("GET", "storage/bookmarks?ids=b0001,b0002,b0003", ("PRIMARY",)),
            ("GET", "storage/bookmarks/b0005", ("PRIMARY",)),
            ("GET", "storage/bookmarks?parentid=folder3&full=1", collection_keys),
            ("GET", "storage/bookmarks?predecessorid=b0010", collection_keys),
            ("GET", "info/collection_counts", ("ttl_index",)),
            ("GET", "info/collection_usage", ("ttl_index",)),
            ("GET", "info/quota", ("ttl_index",)),
            ("POST", "storage/history", ("PRIMARY",)),
            ("DELETE", "storage/history?ids=h0001,h0002", ("PRIMARY",)),
            ("DELETE", "storage/history?older=1300000010", ("modified",)),
            ("ADMIN", "purge", ("expiry_index",)),
        ]
        grouped = ("info/collection_counts", "info/collection_usage", "info/quota")
        sql(None, "SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log;"
                  " SET GLOBAL general_log = ON;")
        try:
            problems = []
            for method, path, keys in cases:
                sql(None, "TRUNCATE mysql.general_log")
                if method == "ADMIN":
                    status, output = weave_admin(instance, path)
                    assert status == 0, output
                elif method == "POST":
                    ok_json(instance, method, "/1.1/planner/" + path, auth,
                            [{"id": "h0003", "payload": "new"}, {"id": "hnew", "payload": "new"}])
                else:
                    ok_json(instance, method, "/1.1/planner/" + path, auth)
                statements = executed_record_statements()
                if not statements:
                    problems.append("%s %s: no statement on wbo was logged" % (method, path))
                for statement in statements:
                    for row in record_plan(database, statement):
                        print("      %-6s %-58s %-12s %-6s rows %-5s %s | candidates %s" % (
                            method, path[:58], row["key"], row["type"], row["rows"],
                            row["Extra"], row["possible_keys"]), flush=True)
                        if (row["key"] not in keys or row["type"] in ("ALL", "index")
                                or ("filesort" in row["Extra"] and path not in grouped)):
                            problems.append("%s %s: %r for %s" % (method, path, row, statement))
            assert not problems, "\n".join(problems)
        finally:
            sql(None, "SET GLOBAL general_log = OFF; SET GLOBAL log_output = 'FILE';"
                      " TRUNCATE mysql.general_log;")
    finally:
        instance.stop()


@check
def drop_unused_indexes_keeps_what_the_reads_use():
    """weave-admin drop-unused-indexes on a PHP-era database (served meanwhile): --dry-run
    names PHP's three unused indexes and changes nothing; then they go, without a copy, and
    the other indexes stay as they were; the records, parentid and predecessorid filters
    included, are served as before; the schema applied at the next start does not bring
    them back, and a second run has nothing to do. With shards, each wbo<N> table that has
    one is named."""
    database = "weave_php_indexes"
    load_php_database(database)
    instance = Instance("php-indexes", database, workers=2).start()
    try:
        before = record_indexes(database)
        assert set(UNUSED_RECORD_INDEXES) <= set(before), before
        assert set(before) - set(UNUSED_RECORD_INDEXES) == set(OWN_RECORD_INDEXES), before
        status, output = weave_admin(instance, "drop-unused-indexes", "--dry-run")
        assert (status, output) == (0, "wbo: would drop parentindex, predecessorindex, "
                                       "size_index\n"), (status, output)
        assert record_indexes(database) == before
        auth = (PHP_USER, PHP_PASSWORD)
        status, output = weave_admin(instance, "drop-unused-indexes")
        assert (status, output) == (0, "wbo: dropped parentindex, predecessorindex, "
                                       "size_index\n"), (status, output)
        after = record_indexes(database)
        assert after == {name: columns for name, columns in before.items()
                         if name not in UNUSED_RECORD_INDEXES}, after
        with open(os.path.join(instance.dir, "security.log")) as log:
            assert "act=drop-unused-indexes" in log.read()
        children, _ = ok_json(instance, "GET", "/1.1/phpuser/storage/bookmarks?parentid=menu",
                              auth)
        assert sorted(children) == ["ABC", "abc"], children
        follower, _ = ok_json(instance, "GET",
                              "/1.1/phpuser/storage/bookmarks?predecessorid=ABC", auth)
        assert follower == ["abc"], follower
        items, _ = ok_json(instance, "GET", "/1.1/phpuser/storage/bookmarks?full=1&sort=index",
                           auth)
        assert [item["id"] for item in items] == ["menu", "ABC", "abc"], items
        instance.stop()
        instance.start()
        assert record_indexes(database) == after
        assert weave_admin(instance, "drop-unused-indexes") == (0, "no unused indexes\n")
    finally:
        instance.stop()

    database = "weave_shard_indexes"
    create_database(database)
    instance = Instance("shard-indexes", database, workers=1, mysql_extra={"shards": 3}).start()
    try:
        sql(database, "ALTER TABLE wbo1 ADD INDEX size_index (username, payload_size);"
                      " ALTER TABLE wbo2 ADD INDEX parentindex (username, collection, parentid),"
                      " ADD INDEX predecessorindex (username, collection, predecessorid);")
        status, output = weave_admin(instance, "drop-unused-indexes")
        assert (status, output) == (0, "wbo1: dropped size_index\n"
                                       "wbo2: dropped parentindex, predecessorindex\n"), output
        for table in ("wbo0", "wbo1", "wbo2"):
            assert record_indexes(database, table) == OWN_RECORD_INDEXES, table
    finally:
        instance.stop()


def load_worker(instance, user, password, stop_at, index, log, lock):
    """Writes records one by one (and reads) until stop_at; logs every outcome."""
    auth = (user, password)
    number = 0
    while time.time() < stop_at:
        number += 1
        wbo_id = "w%d-%d" % (index, number)
        began = time.time()
        try:
            if number % 3 == 0:
                status, headers, body = request(instance, "GET", "/1.1/%s/storage/history?limit=5"
                                                % user, auth=auth, timeout=40)
                kind = "read"
            else:
                status, headers, body = request(instance, "POST", "/1.1/%s/storage/history" % user,
                                                [{"id": wbo_id, "payload": "load %s" % wbo_id}],
                                                auth=auth, timeout=40)
                kind = "write"
                if status == 200 and wbo_id not in json.loads(body).get("success", []):
                    status = -2  # acknowledged but not stored: a failure
        except OSError as error:
            status, headers, body, kind = -1, {}, str(error).encode(), "error"
        with lock:
            log.append({"kind": kind, "id": wbo_id, "status": status, "began": began,
                        "seconds": time.time() - began, "headers": headers, "body": body[:200]})
        if status != 200:
            time.sleep(0.05)


def run_load(instance, user, password, seconds, threads=4):
    log, lock = [], threading.Lock()
    stop_at = time.time() + seconds
    workers = [threading.Thread(target=load_worker,
                                args=(instance, user, password, stop_at, i, log, lock))
               for i in range(threads)]
    for worker in workers:
        worker.start()
    return workers, log


@check
def outage_gives_503_then_service_resumes_without_restart():
    database = "weave_outage"
    create_database(database)
    timeouts = {"connect_timeout_seconds": 2, "read_timeout_seconds": 3,
                "write_timeout_seconds": 3, "lock_wait_timeout_seconds": 2}
    # Workers are recycled every 200 requests, so some start while MariaDB is down.
    instance = Instance("outage", database, workers=3, mysql_extra=timeouts,
                        server_extra="  retry_after_seconds: 7\n  max_requests_per_worker: 200"
                        ).start()
    master = instance.server.pid
    # A request may wait for one connect (2 s) and a read (3 s, which the client library may
    # try up to three times) before it is answered 503: no answer may take longer than this.
    bound = 2 + 3 * 3 + 3
    try:
        instance.add_user("loader", "loader-password")
        workers, log = run_load(instance, "loader", "loader-password", 40)
        time.sleep(4)
        crash_at = time.time()
        mariadb_ctl("kill", MYSQL_DIR)  # a crash: connections reset, nothing flushed late
        time.sleep(5)
        restart_at = time.time()
        mariadb_ctl("start", MYSQL_DIR, str(MYSQL_PORT), "weave", "weave", MYSQL_PASSWORD)
        time.sleep(4)
        # A server that hangs instead of refusing: requests end by the timeouts.
        pid = mariadb_pid()
        freeze_at = time.time()
        os.kill(pid, signal.SIGSTOP)
        time.sleep(6)
        os.kill(pid, signal.SIGCONT)
        thaw_at = time.time()
        for worker in workers:
            worker.join(120)
        assert not any(worker.is_alive() for worker in workers), "load threads hang"

        statuses = {}
        for entry in log:
            statuses[entry["status"]] = statuses.get(entry["status"], 0) + 1
        print("      outage load: %d requests, statuses %s" % (len(log), statuses), flush=True)
        bad = [e for e in log if e["status"] not in (200, 503)]
        assert not bad, "answers other than 200/503: %r" % bad[:5]
        unavailable = [e for e in log if e["status"] == 503]
        assert unavailable, "no 503 during the outage"
        for entry in unavailable:
            assert entry["headers"].get("retry-after") == "7", entry
            assert entry["headers"].get("x-weave-backoff") == "7", entry
        slowest = max(e["seconds"] for e in log)
        print("      slowest answer %.2f s (bound %d s); 503s from %.1f s after the crash to"
              " %.1f s after the restart" % (
                  slowest, bound,
                  min(e["began"] for e in unavailable) - crash_at,
                  max(e["began"] + e["seconds"] for e in unavailable) - restart_at), flush=True)
        assert slowest <= bound, "an answer took %.1f s" % slowest
        # Service came back by itself after the crash, and after the freeze.
        after_restart = [e for e in log if e["began"] > restart_at + 2
                         and e["began"] + e["seconds"] < freeze_at]
        assert after_restart and all(e["status"] == 200 for e in after_restart), [
            (e["status"], round(e["began"] - restart_at, 1)) for e in after_restart
            if e["status"] != 200][:10]
        after_thaw = [e for e in log if e["began"] > thaw_at + bound]
        assert after_thaw and all(e["status"] == 200 for e in after_thaw), [
            (e["status"], round(e["began"] - thaw_at, 1)) for e in after_thaw
            if e["status"] != 200][:10]
        # Every acknowledged write is there, through the API and in the table.
        acknowledged = {e["id"] for e in log if e["kind"] == "write" and e["status"] == 200}
        stored, _ = ok_json(instance, "GET", "/1.1/loader/storage/history", ("loader", "loader-password"))
        missing = acknowledged - set(stored)
        assert not missing, "acknowledged writes lost: %r" % sorted(missing)[:10]
        rows = {row[0] for row in sql(database, "SELECT id FROM wbo")}
        assert acknowledged <= rows
        print("      %d acknowledged writes, all present; %d rows stored" % (
            len(acknowledged), len(rows)), flush=True)
        stats_match_rows(database)
        assert instance.server.poll() is None and instance.server.pid == master
        assert "runtime error:" not in instance.log_text()
    finally:
        try:
            os.kill(mariadb_pid(), signal.SIGCONT)
        except (OSError, ValueError):
            pass
        instance.stop()


def upsert_waiting(database):
    """True once a record upsert into wbo has run for 300 ms: one row takes microseconds,
    so it is waiting for a row lock."""
    return int(sql(None, "SELECT count(*) FROM information_schema.PROCESSLIST WHERE db = '%s'"
                         " AND info LIKE 'INSERT INTO wbo %%' AND time_ms >= 300"
                         % database)[0][0]) > 0


def put_in_thread(instance, path, auth, payload):
    """Starts a PUT; returns (thread, result dict with status, body, seconds)."""
    result = {}

    def put():
        began = time.time()
        try:
            status, _, body = request(instance, "PUT", path, {"payload": payload}, auth, timeout=60)
        except OSError as error:
            status, body = -1, repr(error).encode()
        result.update(status=status, body=body[:300], seconds=time.time() - began)

    thread = threading.Thread(target=put)
    thread.start()
    return thread, result


@check
def weave_server_t_prints_the_durability_window_of_mariadb():
    database = "weave_window"
    create_database(database)
    instance = Instance("window", database)

    def window():
        done = subprocess.run([os.path.join(BUILD, "weave-server"), "-t", "-c", instance.config],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        text = done.stdout.decode(errors="replace")
        assert done.returncode == 0, text
        return text

    text = window()
    assert "on stable storage at commit (innodb_flush_log_at_trx_commit: 1)" in text, text
    try:
        sql(None, "SET GLOBAL innodb_flush_log_at_trx_commit = 2")
        text = window()
        assert "within about 1 s for a crash of the machine" in text, text
    finally:
        sql(None, "SET GLOBAL innodb_flush_log_at_trx_commit = 1")


@check
def deadlocked_write_is_retried_and_succeeds():
    database = "weave_deadlock"
    create_database(database)
    instance = Instance("deadlock", database, workers=2).start()
    session = None
    try:
        instance.add_user("dl", "dl-password")
        auth = ("dl", "dl-password")
        ok_json(instance, "PUT", "/1.1/dl/storage/history/x", auth, {"payload": "first"})
        user = int(sql(database, "SELECT id FROM users WHERE username = 'dl'")[0][0])
        sql(database, "CREATE TABLE ballast (n INT PRIMARY KEY) ENGINE=InnoDB")
        session = MariadbSession(SOCKET, database)
        # The second transaction locks the record the PUT will write, and is made heavier
        # (500 undo records), so that InnoDB picks the PUT's transaction as the victim.
        collection = int(sql(database, "SELECT collection FROM wbo WHERE username = %d"
                                       " AND id = 'x'" % user)[0][0])
        lines = session.run(
            "START TRANSACTION; INSERT INTO ballast SELECT seq FROM seq_1_to_500;"
            " SELECT id FROM wbo WHERE username = %d AND collection = %d AND id = 'x'"
            " FOR UPDATE" % (user, collection))
        assert lines == ["x"], lines
        thread, result = put_in_thread(instance, "/1.1/dl/storage/history/x", auth, "second")
        # The PUT holds the collection's row lock and waits for the record's.
        deadline = time.time() + 20
        while not upsert_waiting(database):
            assert time.time() < deadline and thread.is_alive(), result
            time.sleep(0.05)
        # Now ask for the collection's row: a lock cycle, which InnoDB breaks at once.
        lines = session.run("SELECT modified FROM collection_stats WHERE userid = %d"
                            " AND collection = %d FOR UPDATE" % (user, collection))
        assert not any("ERROR" in line for line in lines), "the other side lost: %r" % lines
        session.run("ROLLBACK")
        thread.join(60)
        print("      PUT in the deadlock: %r" % result, flush=True)
        assert result.get("status") == 200, result
        log = instance.log_text()
        assert "deadlock, running the transaction again" in log, log[-3000:]
        stored, _ = ok_json(instance, "GET", "/1.1/dl/storage/history/x", auth)
        assert stored["payload"] == "second", stored
    finally:
        if session is not None:
            session.close()
        instance.stop()


def stats_inserts_waiting(database, count):
    """True once `count` inserts into collection_stats have run for 300 ms (waiting)."""
    return int(sql(None, "SELECT count(*) FROM information_schema.PROCESSLIST WHERE db = '%s'"
                         " AND info LIKE 'INSERT INTO collection_stats %%' AND time_ms >= 300"
                         % database)[0][0]) >= count


@check
def first_writes_to_new_collections_do_not_deadlock():
    # Two users' first writes: neither has a collection_stats row yet, so both rows fall in
    # one gap of the index. A writer that read its missing row FOR UPDATE kept a gap lock
    # there while it inserted the row; two such writers waited for each other (the bench's
    # "storing records: deadlock"). A third session holds the gap first, so that both
    # writers reach their insert before either can finish: the order that deadlocked.
    database = "weave_firstwrites"
    create_database(database)
    instance = Instance("firstwrites", database, workers=2).start()
    session = None
    try:
        for name in ("fw1", "fw2"):
            instance.add_user(name, name + "-password")
        session = MariadbSession(SOCKET, database)
        lines = session.run("START TRANSACTION; SELECT modified FROM collection_stats"
                            " WHERE userid = 999999 AND collection = 1 FOR UPDATE")
        assert lines == [], lines
        puts = [put_in_thread(instance, "/1.1/%s/storage/history/a" % name,
                              (name, name + "-password"), "first of " + name)
                for name in ("fw1", "fw2")]
        deadline = time.time() + 20
        while not stats_inserts_waiting(database, 2):
            assert time.time() < deadline and all(t.is_alive() for t, _ in puts), puts
            time.sleep(0.05)
        session.run("ROLLBACK")
        for thread, result in puts:
            thread.join(60)
            assert result.get("status") == 200, result
        log = instance.log_text()
        assert "deadlock, running the transaction again" not in log, log[-3000:]
        for name in ("fw1", "fw2"):
            stored, _ = ok_json(instance, "GET", "/1.1/%s/storage/history/a" % name,
                                (name, name + "-password"))
            assert stored["payload"] == "first of " + name, stored
    finally:
        if session is not None:
            session.close()
        instance.stop()


@check
def lock_wait_timeout_is_retried_once_and_succeeds():
    database = "weave_lockwait"
    create_database(database)
    instance = Instance("lockwait", database, workers=2,
                        mysql_extra={"lock_wait_timeout_seconds": 1}).start()
    session = None
    try:
        instance.add_user("lw", "lw-password")
        auth = ("lw", "lw-password")
        ok_json(instance, "PUT", "/1.1/lw/storage/history/y", auth, {"payload": "first"})
        user = int(sql(database, "SELECT id FROM users WHERE username = 'lw'")[0][0])
        collection = int(sql(database, "SELECT collection FROM wbo WHERE username = %d"
                                       " AND id = 'y'" % user)[0][0])
        session = MariadbSession(SOCKET, database)
        lines = session.run("START TRANSACTION; SELECT id FROM wbo WHERE username = %d"
                            " AND collection = %d AND id = 'y' FOR UPDATE" % (user, collection))
        assert lines == ["y"], lines
        thread, result = put_in_thread(instance, "/1.1/lw/storage/history/y", auth, "second")
        time.sleep(1.6)  # the first wait has timed out; the retry waits
        session.run("ROLLBACK")
        thread.join(60)
        print("      PUT behind a held lock: %r" % result, flush=True)
        assert result.get("status") == 200, result
        assert result["seconds"] >= 1.0, result
        log = instance.log_text()
        assert "lock wait timeout, running the transaction again" in log, log[-3000:]
        stored, _ = ok_json(instance, "GET", "/1.1/lw/storage/history/y", auth)
        assert stored["payload"] == "second", stored
    finally:
        if session is not None:
            session.close()
        instance.stop()


def fill_file_system(folder):
    """Writes a filler file into folder until its file system is full; returns its path."""
    filler = os.path.join(folder, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12):
            while True:
                try:
                    if os.write(fd, b"\xa5" * size) < size:
                        break
                except OSError:
                    break
        os.fsync(fd)
    finally:
        os.close(fd)
    return filler


def process_alive(pid_file):
    try:
        with open(pid_file) as text:
            pid = int(text.read().strip())
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, ValueError):
        return False


@check
def full_disk_under_mariadb_writes_503_then_resume_nothing_lost():
    """A MariaDB whose data folder is on a small file system that fills up. Writes get 503
    with the back-off headers; reads go on while MariaDB does (on this machine InnoDB may stop
    itself when a page write finds no space: then it is started again once space is freed);
    then writes succeed without restarting weave-server, and nothing acknowledged is lost."""
    fs = SmallFs("mariadb-full", 400, need_ext4=True, base=TMP)
    db_dir = os.path.join(fs.dir, "db")
    port = free_port()
    instance = None
    try:
        mariadb_ctl("start", db_dir, str(port), "weave", "weave", MYSQL_PASSWORD)
        instance = Instance("fullmariadb", "weave", workers=2, mysql_extra={"port": port},
                            server_extra="  retry_after_seconds: 7").start()
        master = instance.server.pid
        instance.add_user("fd", "fd-password")
        auth = ("fd", "fd-password")
        acknowledged = set()
        for n in range(3):
            batch = [{"id": "b%d-%02d" % (n, i), "payload": "base %d %d" % (n, i)}
                     for i in range(50)]
            ok_json(instance, "POST", "/1.1/fd/storage/base", auth, batch)
            acknowledged |= {("base", r["id"]) for r in batch}
        filler = fill_file_system(fs.dir)
        # InnoDB has some room left inside its files: write until it needs more.
        refused = None
        for n in range(40):
            batch = [{"id": "f%02d-%03d" % (n, i), "payload": ("full %d %d " % (n, i)) * 900}
                     for i in range(100)]
            status, headers, body = request(instance, "POST", "/1.1/fd/storage/f%02d" % n,
                                            batch, auth, timeout=60)
            if status == 200:
                assert len(json.loads(body)["success"]) == 100, body[:200]
                acknowledged |= {("f%02d" % n, r["id"]) for r in batch}
                continue
            assert status == 503, (status, body[:300])
            assert headers.get("retry-after") == "7" and headers.get("x-weave-backoff") == "7"
            refused = ("f%02d" % n, batch)
            break
        assert refused, "the disk never filled up"
        mariadb_alive = process_alive(os.path.join(db_dir, "mariadbd.pid"))
        print("      POST %s refused with 503; MariaDB %s" % (
            refused[0], "still up" if mariadb_alive else "stopped itself"), flush=True)
        if mariadb_alive:
            for _ in range(4):
                items, _ = ok_json(instance, "GET", "/1.1/fd/storage/base", auth)
                assert len(items) == 150
        os.unlink(filler)
        if not process_alive(os.path.join(db_dir, "mariadbd.pid")):
            mariadb_ctl("start", db_dir, str(port), "weave", "weave", MYSQL_PASSWORD)
        counts, _ = ok_json(instance, "GET", "/1.1/fd/info/collection_counts", auth)
        assert refused[0] not in counts, "a half-written POST: %r" % counts
        deadline, status = time.time() + 30, None
        while time.time() < deadline:
            status, _, body = request(instance, "POST", "/1.1/fd/storage/" + refused[0],
                                      refused[1], auth, timeout=60)
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, "after freeing space: %r %r" % (status, body[:200])
        acknowledged |= {(refused[0], r["id"]) for r in refused[1]}
        admin = ["mariadb", "--no-defaults", "--protocol=socket",
                 "--socket=" + os.path.join(db_dir, "mysqld.sock"), "-u", admin_user(),
                 "--batch", "--skip-column-names", "weave"]
        checked = subprocess.run(admin, input=b"CHECK TABLE wbo, collection_stats, collections;"
                                 b" SELECT c.name, w.id FROM wbo w JOIN collections c"
                                 b" ON c.userid = w.username AND c.collectionid = w.collection;",
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        lines = checked.stdout.decode(errors="replace").splitlines()
        assert checked.returncode == 0, lines[:5]
        statuses = [line.split("\t") for line in lines[:3]]
        assert all(row[-1] == "OK" for row in statuses), statuses
        stored = {tuple(line.split("\t")) for line in lines[3:]}
        lost = acknowledged - stored
        assert not lost, "acknowledged records lost: %r" % sorted(lost)[:5]
        assert instance.server.poll() is None and instance.server.pid == master
        assert "runtime error:" not in instance.log_text()
    finally:
        if instance is not None:
            instance.stop()
        try:
            mariadb_ctl("stop", db_dir)
        except Exception:  # noqa: BLE001 - the mount goes anyway
            pass
        fs.umount()


@check
def deleted_accounts_ids_are_never_reused():
    """A PHP-era database whose highest ids belong to deleted users (their rows left in wbo
    and collections) is upgraded at start: new accounts get ids above them. An account
    deleted and created again gets a new id, also after MariaDB restarts (servers before
    MariaDB 10.2 rebuilt AUTO_INCREMENT counters from the highest remaining row)."""
    database = "weave_ids"
    create_database(database)
    sql(database, PHP_SCHEMA)
    sql(database, """
INSERT INTO users (id, username, password_hash, email) VALUES (3, 'kept', 'x', 'k@example.org');
INSERT INTO wbo (username, collection, id, modified, payload, payload_size)
  VALUES (50, 7, 'orphan', 126500000000, 'left by a deleted user', 22);
INSERT INTO collections VALUES (60, 101, 'orphaned');
""")

    def account_id(name):
        rows = sql(database, "SELECT id FROM users WHERE username = %s" % quote(name))
        return int(rows[0][0]) if rows else None

    instance = Instance("ids", database, workers=2).start()
    try:
        instance.add_user("again", "again-password")
        first = account_id("again")
        assert first == 61, first
        auth = ("again", "again-password")
        ok_json(instance, "PUT", "/1.1/again/storage/bookmarks/b1", auth, {"payload": "old"})
        status, _, body = request(instance, "DELETE", "/user/1.0/again", auth=auth)
        assert status == 200 and body == b"0", (status, body)
        assert account_id("again") is None
        assert sql(database, "SELECT COUNT(*) FROM wbo WHERE username = %d" % first) == [["0"]]
        # The records a request racing the deletion wrote.
        sql(database, "INSERT INTO wbo (username, collection, id, modified, payload, payload_size)"
                      " VALUES (%d, 7, 'late', 130000000000, 'raced', 5);" % first)
        mariadb_ctl("stop", MYSQL_DIR)
        mariadb_ctl("start", MYSQL_DIR, str(MYSQL_PORT), "weave", "weave", MYSQL_PASSWORD)
        instance.add_user("again", "again-password")
        second = account_id("again")
        assert second > first, (first, second)
        deadline = time.time() + 30
        while True:
            status, _, body = request(instance, "GET", "/1.1/again/info/collections", auth=auth)
            if status != 503 or time.time() > deadline:
                break
            time.sleep(0.5)
        assert status == 200 and json.loads(body) == {}, (status, body)
        status, _, _ = request(instance, "GET", "/1.1/again/storage/bookmarks/late", auth=auth)
        assert status == 404, status
    finally:
        instance.stop()


@check
def account_id_unit_suites_on_mysql():
    """The unit binary's account_ids, upkeep, login_rider and ldap_enrolments suites, their
    MySQL cases against this MariaDB."""
    binary = os.path.join(BUILD, "unit_tests")
    assert os.access(binary, os.X_OK), "%s is missing (build it first)" % binary
    create_database("weave_ids_unit")
    env = dict(os.environ, WEAVE_TEST_MYSQL_HOST="127.0.0.1", WEAVE_TEST_MYSQL_PORT=str(MYSQL_PORT),
               WEAVE_TEST_MYSQL_USER="weave", WEAVE_TEST_MYSQL_PASSWORD=MYSQL_PASSWORD,
               WEAVE_TEST_MYSQL_DATABASE="weave_ids_unit", ASAN_OPTIONS="detect_leaks=1")
    suites = "account_ids:upkeep:login_rider" + (":ldap_enrolments" if os.environ.get("WITH_LDAP", "1") == "1" else "")
    done = subprocess.run([binary, "--run_test=" + suites, "--log_level=message"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    output = done.stdout.decode(errors="replace")
    assert done.returncode == 0, output[-8000:]
    assert "skipped:" not in output, "cases skipped although the server is set:\n" + output[-4000:]
    assert "No errors detected" in output, output[-4000:]


@check
def statement_counts_per_request_type_on_mysql():
    """The unit binary's statement_counts suite: the statements each request type of the
    benchmark's mix costs, counted by this MariaDB's Questions counter, printed and pinned.
    The counter is global: nothing else may use the server meanwhile (the checks run one
    after another)."""
    binary = os.path.join(BUILD, "unit_tests")
    assert os.access(binary, os.X_OK), "%s is missing (build it first)" % binary
    create_database("weave_statements")
    env = dict(os.environ, WEAVE_TEST_MYSQL_HOST="127.0.0.1", WEAVE_TEST_MYSQL_PORT=str(MYSQL_PORT),
               WEAVE_TEST_MYSQL_USER="weave", WEAVE_TEST_MYSQL_PASSWORD=MYSQL_PASSWORD,
               WEAVE_TEST_MYSQL_DATABASE="weave_statements", ASAN_OPTIONS="detect_leaks=1")
    done = subprocess.run([binary, "--run_test=statement_counts/mysql_statements_per_request_type",
                           "--log_level=message"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=300)
    output = done.stdout.decode(errors="replace")
    table = [line for line in output.splitlines() if line.startswith("  ")]
    print("      " + "\n      ".join(table), flush=True)
    assert done.returncode == 0, output[-8000:]
    assert "skipped:" not in output, "skipped although the server is set:\n" + output[-4000:]
    assert "No errors detected" in output, output[-4000:]


@check
def storage_contract_suite_on_mysql():
    """The unit binary's storage_contract suite, its MySQL cases against this MariaDB."""
    binary = os.path.join(BUILD, "unit_tests")
    assert os.access(binary, os.X_OK), "%s is missing (build it first)" % binary
    create_database("weave_contract")
    work = os.path.join(TMP, "contract")
    os.makedirs(work, exist_ok=True)
    report = os.path.join(work, "report.xml")
    env = dict(os.environ, WEAVE_TEST_MYSQL_HOST="127.0.0.1", WEAVE_TEST_MYSQL_PORT=str(MYSQL_PORT),
               WEAVE_TEST_MYSQL_USER="weave", WEAVE_TEST_MYSQL_PASSWORD=MYSQL_PASSWORD,
               WEAVE_TEST_MYSQL_DATABASE="weave_contract", ASAN_OPTIONS="detect_leaks=1")
    done = subprocess.run([binary, "--run_test=storage_contract", "--log_level=message",
                           "--report_format=XML", "--report_level=detailed",
                           "--report_sink=" + report], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=600)
    output = done.stdout.decode(errors="replace")
    # Every case of each back end ran (none skipped for want of a server) and passed.
    import xml.etree.ElementTree as ET
    cases = {}
    for case in ET.parse(report).getroot().iter("TestCase"):
        name = case.get("name", "")
        if "MysqlBackend" in name:
            backend = "mysql"
        elif "SqliteFileBackend" in name:
            backend = "sqlite"
        else:
            continue  # the cache-held collections' back ends, which have their own suites
        ok = case.get("result") == "passed" and case.get("assertions_failed", "0") == "0"
        cases.setdefault(backend, [0, 0])[0 if ok else 1] += 1
    mysql, sqlite = cases.get("mysql", [0, 0]), cases.get("sqlite", [0, 0])
    print("      storage_contract cases: MySQL %d passed, %d failed; SQLite %d passed, %d failed"
          % (mysql[0], mysql[1], sqlite[0], sqlite[1]), flush=True)
    assert done.returncode == 0, output[-8000:]
    assert "skipped:" not in output, "cases skipped although the server is set:\n" + output[-4000:]
    assert mysql[0] > 0 and mysql == sqlite, "MySQL cases differ from SQLite ones: %r" % cases


@check
def import_source_readers_on_mysql():
    """The unit binary's migration_sources suite (the importers' readers of FSyncMS, Mozilla's
    Python and PHP servers), its MySQL cases against this MariaDB."""
    binary = os.path.join(BUILD, "unit_tests")
    assert os.access(binary, os.X_OK), "%s is missing (build it first)" % binary
    create_database("weave_import_sources")
    env = dict(os.environ, WEAVE_TEST_MYSQL_HOST="127.0.0.1", WEAVE_TEST_MYSQL_PORT=str(MYSQL_PORT),
               WEAVE_TEST_MYSQL_USER="weave", WEAVE_TEST_MYSQL_PASSWORD=MYSQL_PASSWORD,
               WEAVE_TEST_MYSQL_DATABASE="weave_import_sources", ASAN_OPTIONS="detect_leaks=1")
    done = subprocess.run([binary, "--run_test=migration_sources", "--log_level=message"],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    output = done.stdout.decode(errors="replace")
    assert done.returncode == 0, output[-8000:]
    assert "skipped" not in output, "cases skipped although the server is set:\n" + output[-4000:]
    assert "No errors detected" in output, output[-4000:]


def admin_add_fails(instance, name):
    """Runs weave-admin add on instance's configuration; returns its error text, or None."""
    done = subprocess.run([os.path.join(BUILD, "weave-admin"), "-c", instance.config, "add",
                           name, name + "@example.org"], input=b"tls-test-password-1\n",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return None if done.returncode == 0 else done.stderr.decode(errors="replace")


@check
def tls_on_encrypts_and_verifies_the_server_certificate():
    """database.mysql.tls: on reaches an account that requires TLS; off and a wrong CA do not."""
    create_database("weave_tls")
    sql(None, """
DROP USER IF EXISTS 'weave_tls'@'127.0.0.1';
CREATE USER 'weave_tls'@'127.0.0.1' IDENTIFIED BY '%s' REQUIRE SSL;
GRANT ALL PRIVILEGES ON `weave_tls`.* TO 'weave_tls'@'127.0.0.1';
""" % MYSQL_PASSWORD)
    ca_file = os.path.join(MYSQL_DIR, "tls", "ca.pem")
    wrong_ca = os.path.join(TMP, "tls-wrong-ca")
    os.makedirs(wrong_ca, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30", "-subj",
                    "/CN=another CA", "-keyout", os.path.join(wrong_ca, "key.pem"), "-out",
                    os.path.join(wrong_ca, "ca.pem")], check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = {"user": "weave_tls", "database": "weave_tls"}
    plain = Instance("tls-off", "weave_tls", mysql_extra=base)
    error = admin_add_fails(plain, "plainuser")
    assert error and "Access denied" in error, "a clear-text connection got in: %r" % error
    wrong = Instance("tls-wrong-ca", "weave_tls", mysql_extra=dict(
        base, tls="on", ca_file=os.path.join(wrong_ca, "ca.pem")))
    error = admin_add_fails(wrong, "wrongca")
    assert error and "certificate" in error, "a server the CA did not sign was trusted: %r" % error
    instance = Instance("tls-on", "weave_tls", mysql_extra=dict(base, tls="on", ca_file=ca_file))
    error = admin_add_fails(instance, "tlsuser")
    assert error is None, error
    instance.start()
    try:
        auth = ("tlsuser", "tls-test-password-1")
        ok_json(instance, "PUT", "/1.1/tlsuser/storage/bookmarks/a", auth, {"payload": "x"})
        record, _ = ok_json(instance, "GET", "/1.1/tlsuser/storage/bookmarks/a", auth)
        assert record["payload"] == "x", record
    finally:
        instance.stop()


@check
def cache_suite_on_mariadb():
    """tests/functional/test_cache.py (the shared cache with memcached and Redis, logins in
    the cache) with its servers on MariaDB instead of SQLite."""
    prefix = "weave_cache"
    for kind in ("memcached", "redis"):
        create_database(prefix + "_" + kind)
    env = dict(os.environ, WEAVE_CACHE_MYSQL_PORT=str(MYSQL_PORT),
               WEAVE_CACHE_MYSQL_PASSWORD=MYSQL_PASSWORD, WEAVE_CACHE_MYSQL_DATABASE=prefix)
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tests", "functional", "test_cache.py"), BUILD],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
    output = done.stdout.decode("utf-8", "replace")
    last = output.strip().splitlines()[-1:] or ["(no output)"]
    if done.returncode != 0 or not last[0].endswith(" 0 failed") or last[0].startswith("0 "):
        raise AssertionError("test_cache.py on MariaDB:\n" + output[-6000:])
    print("      test_cache.py on MariaDB: " + last[0], flush=True)


def main():
    filters = sys.argv[1:]
    results = {"passed": 0, "failed": 0}
    began = time.time()
    if not filters or any(f in "functional_suite" for f in filters):
        try:
            functional_suite(results)
        except Exception:  # noqa: BLE001 - reported as one failure
            traceback.print_exc()
            results["failed"] += 1
    check_runner.run_checks(CHECKS, filters, results, skip=(Skip,))
    print("mysql suite: %d passed, %d failed in %.1fs" % (
        results["passed"], results["failed"], time.time() - began), flush=True)
    return check_runner.write_counts(results)


if __name__ == "__main__":
    sys.exit(main())
