"""End-to-end checks of `weave-admin import KIND SOURCE` for the foreign servers' databases.

For each kind (fsyncms, weave-minimal, mozilla-python, mozilla-php) it builds a source in
that server's own layout (the schemas of src/migrate/source_*.h, with SQLite: the MySQL
forms are read by the same code and covered by the unit suite on MariaDB), imports it into
a fresh weave-server behind nginx, and checks through the Storage API what a browser would
see: every account logs in with its source password (a deleted one does not), info/collections
answers the source's timestamps, and every record comes back with its id, modified,
sortindex, parentid, predecessorid and payload byte for byte, expired ones hidden.
Run by test_import_sources.sh (argument: a fresh folder to work in); prints "N passed,
N failed" last. Standard library only.
"""

import base64
import hashlib
import http.client
import json
import os
import sqlite3
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weave_instance  # noqa: E402

WIDE = "gr\u00fc\u00df \u20ac \U0001F600"
NOW = int(time.time())
FUTURE = NOW + 365 * 86400  # an expiry a year ahead
PAST = NOW - 86400          # an expiry that has passed
# weave-minimal's fixed salt: the text of a Python raw string, backslashes included.
WM_SALT = r"\x14Q\xd4JbDk\x1bN\x84J\xd0\x05\x8a\x1b\x8b\xa6&V\x1b\xc5\x91\x97\xc4"


class Expected:
    """What the source server answered: accounts (name -> password), deleted names, and per
    account the collections' timestamps and the visible records."""

    def __init__(self):
        self.passwords = {}
        self.deleted = []
        self.collections = {}  # name -> {collection: centiseconds}
        self.records = {}      # name -> {collection: {id: {field: value}}}

    def record(self, user, collection, rid, modified_cs, visible=True, **fields):
        stamps = self.collections.setdefault(user, {})
        stamps[collection] = max(stamps.get(collection, 0), modified_cs)
        if visible:
            wbo = {"id": rid, "modified": modified_cs}
            wbo.update({k: v for k, v in fields.items() if v is not None})
            self.records.setdefault(user, {}).setdefault(collection, {})[rid] = wbo


def build_fsyncms(folder):
    path = os.path.join(folder, "weave_db")
    db = sqlite3.connect(path)
    db.executescript(
        "create table wbo (username varchar(100), id varchar(65), collection varchar(100), "
        "parentid varchar(65), predecessorid int, modified real, sortindex int, payload text, "
        "payload_size int, ttl int, primary key (username, collection, id));"
        "create table users (username varchar(255), md5 varchar(64), primary key (username));")
    want = Expected()
    want.passwords = {"alice": "alice-fsync-pw", "bob": "bob-fsync-pw"}
    for name, password in want.passwords.items():
        db.execute("insert into users values (?, ?)",
                   (name, hashlib.md5(password.encode()).hexdigest()))
    rows = [("alice", "menu", "bookmarks", "places", None, 1300000000.25, 100, '{"t":"%s"}' % WIDE),
            ("alice", "toolbar", "bookmarks", "places", 4, 1300000005.1, -3, "tb"),
            ("alice", "global", "meta", None, None, 1299999999.01, None, "{}"),
            ("bob", "c1", "clients", None, None, 1310000000.5, 0, WIDE)]
    for user, rid, coll, parent, pred, modified, sortindex, payload in rows:
        db.execute("insert into wbo values (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                   (user, rid, coll, parent, pred, modified, sortindex, payload,
                    len(payload.encode())))
        want.record(user, coll, rid, round(modified * 100), parentid=parent,
                    predecessorid=None if pred is None else str(pred), sortindex=sortindex,
                    payload=payload)
    # a deleted account's leftovers
    db.execute("insert into wbo values ('dave', 'f', 'forms', NULL, NULL, 1300000000, NULL, "
               "'x', 1, NULL)")
    want.deleted = ["dave"]
    db.commit()
    db.close()
    return path, want


def build_weave_minimal(folder):
    data = os.path.join(folder, "data")
    os.makedirs(data)
    want = Expected()
    want.passwords = {"carol": "carol-minimal-pw", "dan.smith": "d\u00e4n-minimal-pw"}
    files = {}
    for name, password in want.passwords.items():
        digits = hashlib.sha1((WM_SALT + password).encode("utf-8")).hexdigest()[:16]
        files[name] = sqlite3.connect(os.path.join(data, "%s.%s" % (name, digits)))
    schema = ("CREATE TABLE IF NOT EXISTS main.%s (id VARCHAR(64) PRIMARY KEY, modified FLOAT, "
              "sortindex INTEGER, payload VARCHAR(256), payload_size INTEGER, "
              "parentid VARCHAR(64), predecessorid VARCHAR(64), ttl INTEGER)")
    rows = [("carol", "bookmarks", "menu", 1300000000.25, 7, WIDE, "places", "prev", None),
            ("carol", "tabs", "dev", 1300000010.99, None, "tabs", None, None,
             FUTURE - 1300000011),
            ("carol", "tabs", "old", 1300000011.5, None, "old", None, None, 60),
            ("dan.smith", "clients", "c", 1400000000.0, None, WIDE, None, None, None)]
    for user, coll, rid, modified, sortindex, payload, parent, pred, ttl in rows:
        db = files[user]
        db.execute(schema % coll)
        db.execute("INSERT INTO %s (id, modified, sortindex, payload, payload_size, parentid, "
                   "predecessorid, ttl) VALUES (?, ?, ?, ?, ?, ?, ?, ?)" % coll,
                   (rid, modified, sortindex, payload, len(payload), parent, pred, ttl))
        visible = ttl is None or modified + ttl > NOW
        want.record(user, coll, rid, round(modified * 100), visible, sortindex=sortindex,
                    payload=payload, parentid=parent, predecessorid=pred)
    for db in files.values():
        db.commit()
        db.close()
    # a removed account leaves nothing but, at most, a journal
    with open(os.path.join(data, "erin.0123456789abcdef-journal"), "w") as out:
        out.write("x")
    want.deleted = ["erin"]
    return data, want


def ssha256(password, salt):
    digest = hashlib.sha256(password.encode() + salt).digest()
    return "{SSHA-256}" + base64.b64encode(digest + salt).decode()


def sscrypt(password, salt):
    digest = hashlib.scrypt(password.encode(), salt=salt, n=16384, r=8, p=1, dklen=64)
    return "{SSCRYPT}" + base64.b64encode(digest + salt).decode()


def build_mozilla(folder, php):
    path = os.path.join(folder, "php.db" if php else "python.db")
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, username VARCHAR(32), "
        "password_hash VARCHAR(128), email VARCHAR(64), status INT DEFAULT 1, alert TEXT);"
        "CREATE TABLE collections (userid INT NOT NULL, collectionid SMALLINT NOT NULL, "
        "name VARCHAR(32) NOT NULL, PRIMARY KEY (userid, collectionid));"
        "CREATE TABLE wbo (username INT NOT NULL, collection SMALLINT NOT NULL, "
        "id VARCHAR(64) NOT NULL, parentid VARCHAR(64), predecessorid VARCHAR(64), "
        "sortindex INT, modified BIGINT, payload TEXT, payload_size INT%s, "
        "PRIMARY KEY (username, collection, id));" % ("" if php else ", ttl INT"))
    want = Expected()
    want.passwords = {"frank": "frank-moz-password", "grace": "grace-moz-password"}
    hashes = {"frank": ssha256("frank-moz-password", b"s4ltS4lt"),
              "grace": (hashlib.md5(b"grace-moz-password").hexdigest() if php
                        else sscrypt("grace-moz-password", b"Ab3dEf7h"))}
    ids = {"frank": 1, "grace": 2}
    for name, uid in ids.items():
        db.execute("INSERT INTO users (id, username, password_hash, email) VALUES (?, ?, ?, ?)",
                   (uid, name, hashes[name], name + "@example.org"))
    custom = 101 if php else 100
    db.execute("INSERT INTO collections VALUES (1, ?, 'greasemonkey')", (custom,))
    rows = [("frank", 7, "bookmarks", "menu", "places", "prev", 5, 130000000025, WIDE, None),
            ("frank", custom, "greasemonkey", "g", None, None, None, 130000000099, "g", None),
            ("frank", 9, "tabs", "t", None, None, None, 130000001000, "t", FUTURE),
            ("frank", 9, "tabs", "t-old", None, None, None, 130000001099, "o", PAST),
            ("grace", 1, "clients", "c", None, None, -1, 140000000001, WIDE, None)]
    for user, cid, coll, rid, parent, pred, sortindex, modified, payload, ttl in rows:
        if php:
            if ttl is not None:
                continue  # the PHP server had no ttl
            db.execute("INSERT INTO wbo VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (ids[user], cid, rid, parent, pred, sortindex, modified, payload,
                        len(payload.encode())))
        else:
            db.execute("INSERT INTO wbo VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (ids[user], cid, rid, parent, pred, sortindex, modified, payload,
                        len(payload.encode()), 2100000000 if ttl is None else ttl))
        want.record(user, coll, rid, modified, ttl is None or ttl > NOW, parentid=parent,
                    predecessorid=pred, sortindex=sortindex, payload=payload)
    db.execute("INSERT INTO wbo VALUES (%s)" % ", ".join(
        ["5", "7", "'gone'", "NULL", "NULL", "NULL", "1", "'z'", "1"] + ([] if php else ["NULL"])))
    want.deleted = ["henry"]  # user id 5: a deleted account's leftovers
    db.commit()
    db.close()
    return path, want


def request(instance, method, path, auth):
    connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=30)
    token = base64.b64encode(("%s:%s" % auth).encode("utf-8")).decode()
    connection.request(method, instance.prefix + path, headers={"Authorization": "Basic " + token})
    response = connection.getresponse()
    return response.status, response.read()


def check_account(instance, name, password, want):
    status, body = request(instance, "GET", "/1.1/%s/info/collections" % name, (name, password))
    assert status == 200, "%s cannot log in with the source password: %d %r" % (name, status, body)
    got = json.loads(body)
    expected = {c: cs / 100 for c, cs in want.collections.get(name, {}).items()}
    assert got == expected, "%s info/collections: %r, the source answered %r" % (name, got, expected)
    status, _ = request(instance, "GET", "/1.1/%s/info/collections" % name, (name, password + "x"))
    assert status == 401, "%s logs in with a wrong password: %d" % (name, status)
    for collection, records in want.records.get(name, {}).items():
        status, body = request(instance, "GET", "/1.1/%s/storage/%s?full=1" % (name, collection),
                               (name, password))
        assert status == 200, (name, collection, status, body)
        got = {wbo["id"]: wbo for wbo in json.loads(body)}
        assert sorted(got) == sorted(records), (name, collection, sorted(got), sorted(records))
        for rid, fields in records.items():
            wbo = got[rid]
            for field, value in fields.items():
                if field == "modified":
                    assert round(wbo["modified"] * 100) == value, (name, rid, wbo, value)
                else:
                    assert wbo.get(field) == value, (name, rid, field, wbo.get(field), value)


def import_kind(base, kind, source, want):
    instance = weave_instance.Instance(base, kind, {"registration": {"policy": "closed"}})
    instance.start()
    try:
        done = instance.admin("import", kind, source)
        assert done.returncode == 0, "weave-admin import %s: %s%s" % (
            kind, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"))
        for name, password in want.passwords.items():
            check_account(instance, name, password, want)
        for name in want.deleted:
            status, _ = request(instance, "GET", "/1.1/%s/info/collections" % name, (name, "x"))
            assert status == 401, "the deleted account %s was imported: %d" % (name, status)
        report = instance.sanitizer_report()
        assert report is None, report
    finally:
        instance.stop()


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="weave-import-")
    os.chmod(base, 0o711)  # nginx workers may run as another user
    builders = [("fsyncms", build_fsyncms), ("weave-minimal", build_weave_minimal),
                ("mozilla-python", lambda folder: build_mozilla(folder, False)),
                ("mozilla-php", lambda folder: build_mozilla(folder, True))]
    passed = failed = 0
    for kind, build in builders:
        started = time.time()
        try:
            folder = os.path.join(base, kind + "-source")
            os.makedirs(folder)
            source, want = build(folder)
            import_kind(base, kind, source, want)
            passed += 1
            print("ok    import %s (%.1fs)" % (kind, time.time() - started), flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported and counted
            failed += 1
            print("FAIL  import %s" % kind, flush=True)
            traceback.print_exc()
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
