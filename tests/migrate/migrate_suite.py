"""weave-admin export and import, end to end (started by run.sh).

A SQLite server is filled through the Storage API (several users, custom collections,
non-ASCII payloads, ttl, sortindex, parentid/predecessorid, deletions); it is exported,
imported into a MariaDB server and from there into a new SQLite server. Each copy must
answer every GET (records, info/collections, info/collection_counts) as the original did,
with the original passwords, and export byte for byte the same file. An import killed
with SIGKILL midway and run again must end where one clean run ends.

Environment (set by run.sh): WEAVE_ADMIN (weave-server is next to it), MYSQL_DIR,
MYSQL_PORT, MYSQL_PASSWORD, MIGRATE_TMP (a scratch folder), WEAVE_COUNTS_FILE ("passed
failed" is written there). Standard library only.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "functional"))
from weave import Account, Server  # noqa: E402
from weave_instance import Instance  # noqa: E402

TMP = os.environ["MIGRATE_TMP"]
MYSQL_DIR = os.environ["MYSQL_DIR"]
MYSQL_PORT = int(os.environ["MYSQL_PORT"])
MYSQL_PASSWORD = os.environ["MYSQL_PASSWORD"]
USERS = {"alice": "alice-password-1", "bob": "bob-password-22", "carol": "carol-password-333"}
NOW = int(time.time())


def admin_user():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def mysql(statements):
    command = ["mariadb", "--no-defaults", "--protocol=socket",
               "--socket=" + os.path.join(MYSQL_DIR, "mysqld.sock"), "-u", admin_user(),
               "--batch", "--skip-column-names"]
    done = subprocess.run(command, input=statements.encode(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120)
    if done.returncode != 0:
        raise AssertionError("mariadb: " + done.stderr.decode(errors="replace"))
    return done.stdout.decode()


def mysql_instance(name):
    database = "weave_" + name
    mysql("DROP DATABASE IF EXISTS `%(d)s`; CREATE DATABASE `%(d)s` CHARACTER SET utf8mb4;"
          " GRANT ALL PRIVILEGES ON `%(d)s`.* TO 'weave'@'127.0.0.1';"
          " GRANT ALL PRIVILEGES ON `%(d)s`.* TO 'weave'@'localhost';" % {"d": database})
    password_file = os.path.join(TMP, name + "-db-password")
    with open(password_file, "w") as out:
        out.write(MYSQL_PASSWORD + "\n")
    return Instance(TMP, name, {"database": {"driver": "mysql", "mysql": {
        "host": "127.0.0.1", "port": MYSQL_PORT, "user": "weave",
        "password_file": password_file, "database": database}}})


def client(instance, user):
    return Account(Server(instance.url), user, USERS[user])


def check_status(response, status=200):
    if response.status != status:
        raise AssertionError("HTTP %d, expected %d: %r" % (response.status, status,
                                                          response.body[:300]))
    return response


def fill(instance):
    """Content of several kinds, written through the Storage API."""
    for user, password in USERS.items():
        instance.add_user(user, password, user + "@example.org")
    alice = client(instance, "alice")
    bookmarks = [{"id": "bm%03d" % i, "sortindex": i * 3 - 50, "parentid": "menu",
                  "predecessorid": "bm%03d" % (i - 1) if i else None,
                  "payload": json.dumps({"title": "Lesezeichen %d \u00fc\u00df \u2713 \U0001F600" % i,
                                         "n": i}, ensure_ascii=False)}
                 for i in range(240)]
    for start in range(0, len(bookmarks), 100):
        check_status(alice.post("storage/bookmarks",
                                json.dumps(bookmarks[start:start + 100], ensure_ascii=False)))
    check_status(alice.post("storage/history", json.dumps(
        [{"id": "h%d" % i, "payload": "\u65e5\u672c\u8a9e %d" % i} for i in range(50)],
        ensure_ascii=False)))
    check_status(alice.delete("storage/history?ids=h3,h4"))
    check_status(alice.put("storage/my_addon_data/cfg", json.dumps({"payload": "x" * 5000})))
    bob = client(instance, "bob")
    check_status(bob.post("storage/tabs", json.dumps(
        [{"id": "t%d" % i, "ttl": 86400 * (i + 1), "payload": "tab \u00e9 %d" % i}
         for i in range(20)], ensure_ascii=False)))
    check_status(bob.post("storage/forms", json.dumps([{"id": "f1", "payload": "form"}])))
    check_status(bob.delete("storage/forms"))  # a collection emptied entirely
    carol = client(instance, "carol")
    check_status(carol.put("storage/meta/global", json.dumps({"payload": "{\"v\":5}"})))
    check_status(carol.put("storage/crypto/keys", json.dumps({"payload": "k\u00eay"},
                                                              ensure_ascii=False)))


def snapshot(instance):
    """Everything a client can read of each user, through nginx."""
    view = {}
    for user in USERS:
        c = client(instance, user)
        collections = check_status(c.get("info/collections")).json()
        counts = check_status(c.get("info/collection_counts")).json()
        records = {}
        for name in sorted(collections):
            body = check_status(c.get("storage/%s?full=1&sort=index" % name)).json()
            records[name] = sorted(body, key=lambda record: record["id"])
        view[user] = {"collections": collections, "counts": counts, "records": records}
    return view


def export(instance, path):
    done = instance.admin("export", "-o", path)
    if done.returncode != 0:
        raise AssertionError("export failed: " + done.stderr.decode(errors="replace"))
    with open(path, "rb") as exported:
        return exported.read()


def import_file(instance, path, *extra, expect=0):
    done = subprocess.run([instance.admin_bin, "-c", instance.config, "import", "weave", path]
                          + list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=600)
    if done.returncode != expect:
        raise AssertionError("import exited %d, expected %d:\n%s\n%s" % (
            done.returncode, expect, done.stdout.decode(errors="replace"),
            done.stderr.decode(errors="replace")[-3000:]))
    return done.stdout.decode(errors="replace")


def assert_same(a, b, what):
    if a != b:
        for user in a:
            if a[user] != b.get(user):
                raise AssertionError("%s differs for %s:\n%s\n%s" % (
                    what, user, json.dumps(a[user])[:1500], json.dumps(b.get(user))[:1500]))
        raise AssertionError(what + " differs")


STATE = {}


def test_sqlite_to_mariadb_and_back():
    source = Instance(TMP, "source").start()
    try:
        fill(source)
        original = snapshot(source)
        if original["bob"]["collections"].get("forms") is not None:
            raise AssertionError("an emptied collection shows in info/collections")
        original_file = export(source, os.path.join(TMP, "source.jsonl"))
        STATE["original"], STATE["file"] = original, original_file
    finally:
        source.stop()
    maria = mysql_instance("maria").start()
    try:
        summary = import_file(maria, os.path.join(TMP, "source.jsonl"), "--verify")
        if "imported 3 accounts" not in summary or "verify: 0 differences" not in summary:
            raise AssertionError("unexpected summary:\n" + summary)
        assert_same(original, snapshot(maria), "MariaDB copy")
        if export(maria, os.path.join(TMP, "maria.jsonl")) != original_file:
            raise AssertionError("the MariaDB copy exports another file")
    finally:
        maria.stop()
    back = Instance(TMP, "back").start()
    try:
        # Through a pipe, as an operator moves between two servers.
        with open(os.path.join(TMP, "maria.jsonl"), "rb") as piped:
            done = subprocess.run([back.admin_bin, "-c", back.config, "import", "weave", "-",
                                   "--verify"], stdin=piped, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=600)
        if done.returncode != 0:
            raise AssertionError("import from stdin: " + done.stdout.decode() +
                                 done.stderr.decode())
        assert_same(original, snapshot(back), "SQLite copy of the MariaDB copy")
        if export(back, os.path.join(TMP, "back.jsonl")) != original_file:
            raise AssertionError("the copy back exports another file")
    finally:
        back.stop()


def test_conflicts_and_hostile_files_change_nothing():
    target = Instance(TMP, "conflict").start()
    try:
        target.add_user("alice", "someone-else-entirely")
        path = os.path.join(TMP, "source.jsonl")
        out = import_file(target, path, expect=1)
        if "alice" not in out or "imported 0 accounts" not in out:
            raise AssertionError("conflict not reported:\n" + out)
        if target.admin("list").stdout.decode().count("\n") != 1:
            raise AssertionError("an import refused on a conflict wrote accounts")
        cut = os.path.join(TMP, "cut.jsonl")
        with open(cut, "wb") as out_file:
            out_file.write(STATE["file"][:len(STATE["file"]) // 2])
        done = target.admin("import", "weave", cut)
        if done.returncode != 1 or b"line" not in done.stderr:
            raise AssertionError("a cut-off file: %r" % (done.stderr,))
        done = target.admin("import", "nosuchkind", cut)
        if done.returncode != 2 or b"unknown kind" not in done.stderr:
            raise AssertionError("an unknown kind: %r" % (done.stderr,))
        out = import_file(target, path, "--on-conflict", "skip")
        if "imported 2 accounts" not in out:
            raise AssertionError("skip:\n" + out)
        check_status(Account(Server(target.url), "alice", "someone-else-entirely").get(
            "info/collections"))
    finally:
        target.stop()


def synthetic_export(path, users, records_per_user):
    """A large export written directly in the format (as another tool would)."""
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"format":"weave-sync-export","version":1}\n')
        for u in range(users):
            out.write(json.dumps({"type": "account", "name": "user%03d" % u, "email": "",
                                  "password_hash": "0cc175b9c0f1b6a831c399e269772661",
                                  "disabled": False}) + "\n")
            out.write(json.dumps({"type": "collection", "name": "history",
                                  "modified": 150000000000 + u}) + "\n")
            for r in range(records_per_user):
                line = {"type": "record", "collection": "history", "id": "r%05d" % r,
                        "modified": 140000000000 + r, "sortindex": r,
                        "payload": "visite \u00e0 %d" % r}
                if r % 10 == 0:
                    line["expires"] = NOW + 86400 * 30
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        out.write(json.dumps({"type": "end", "accounts": users,
                              "records": users * records_per_user}) + "\n")


def done_accounts(database):
    try:
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True, timeout=5) as db:
            return db.execute("SELECT count(*) FROM imported_accounts"
                              " WHERE state = 'done'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_killed_import_run_again_ends_as_one_clean_run():
    path = os.path.join(TMP, "synthetic.jsonl")
    synthetic_export(path, 40, 500)  # 20,000 records
    clean = Instance(TMP, "clean")
    clean.start()
    try:
        import_file(clean, path)
        clean_file = export(clean, os.path.join(TMP, "clean.jsonl"))
    finally:
        clean.stop()
    killed = Instance(TMP, "killed").start()
    try:
        database = killed.settings["database"]["sqlite"]["path"]
        proc = subprocess.Popen([killed.admin_bin, "-c", killed.config, "import", "weave", path],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 300
        while done_accounts(database) < 3 and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        if proc.poll() is not None:
            raise AssertionError("the import ended before it could be killed")
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        if done_accounts(database) >= 40:
            raise AssertionError("the import was not killed midway")
        out = import_file(killed, path, "--verify")
        if "verify: 0 differences" not in out or "earlier run" not in out:
            raise AssertionError("rerun:\n" + out)
        if export(killed, os.path.join(TMP, "killed.jsonl")) != clean_file:
            raise AssertionError("the rerun's end state differs from a clean run's")
        user = Account(Server(killed.url), "user007", "a")  # the MD5 hash of "a" carried over
        counts = check_status(user.get("info/collection_counts")).json()
        stamps = check_status(user.get("info/collections")).json()
        if counts != {"history": 500} or stamps != {"history": 1500000000.07}:
            raise AssertionError("user007 reads %r %r" % (counts, stamps))
    finally:
        killed.stop()


def main():
    tests = [test_sqlite_to_mariadb_and_back, test_conflicts_and_hostile_files_change_nothing,
             test_killed_import_run_again_ends_as_one_clean_run]
    passed = failed = 0
    for test in tests:
        started = time.time()
        try:
            test()
            passed += 1
            print("ok   %s (%.1f s)" % (test.__name__, time.time() - started), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s\n%s" % (test.__name__, traceback.format_exc()), flush=True)
    counts = os.environ.get("WEAVE_COUNTS_FILE")
    if counts:
        with open(counts, "w") as out:
            out.write("%d %d\n" % (passed, failed))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
