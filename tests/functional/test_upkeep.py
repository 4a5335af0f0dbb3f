"""Upkeep without cron, and weave-admin's operator commands, on servers of their own.

Background purge: expired records, reset codes, invites and lockout rows leave the database
(not only the answers) while nobody sends a request. weave-admin: purge, usage, stats,
--help on every command, progress, exit codes and the AdminAction audit events.
"""

import os
import pty
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest

import weave_instance
from weave import Account, Server, WeaveTestCase, wbo

COMMANDS = ("add", "passwd", "delete", "disable", "enable", "list", "wipe", "invite",
            "invites", "purge", "usage", "stats", "drop-unused-indexes")


def count(db_path, sql, *params):
    """One number from the server's database, read from outside the server."""
    with sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=10) as db:
        return db.execute(sql, params).fetchone()[0]


def write(db_path, sql, *params):
    db = sqlite3.connect(db_path, timeout=10)
    try:
        with db:
            db.execute(sql, params)
    finally:
        db.close()


def store_records(instance, user, password, expiring, lasting=1):
    """Stores `expiring` tabs with ttl 1 and `lasting` bookmarks without a ttl."""
    account = Account(Server(instance.url), user, password)
    records = [wbo("t%d" % i, "x" * 10, ttl=1) for i in range(expiring)]
    response = account.post("storage/tabs", records)
    if response.status != 200 or response.json()["failed"]:
        raise AssertionError("storing: %r" % response)
    for i in range(lasting):
        response = account.put("storage/bookmarks/b%d" % i, wbo("b%d" % i, "y" * 10))
        if response.status != 200:
            raise AssertionError("storing: %r" % response)


class UpkeepCase(WeaveTestCase):
    @classmethod
    def setUpClass(cls):
        missing = weave_instance.tools_missing()
        if missing:
            raise unittest.SkipTest(missing)
        cls.folder = tempfile.mkdtemp(prefix="weave-upkeep.")
        os.chmod(cls.folder, 0o711)
        cls.instance = None

    @classmethod
    def tearDownClass(cls):
        if cls.instance is not None:
            cls.instance.stop()
        shutil.rmtree(cls.folder, ignore_errors=True)

    @classmethod
    def start(cls, name, upkeep):
        cls.instance = weave_instance.Instance(cls.folder, name, {"upkeep": upkeep}).start()
        cls.db = cls.instance.settings["database"]["sqlite"]["path"]
        return cls.instance

    def admin(self, *args, stdin=""):
        return self.instance.admin(*args, stdin=stdin)

    def user_id(self, name):
        return count(self.db, "SELECT id FROM users WHERE username = ?", name)


class BackgroundPurge(UpkeepCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Small batches, one per run: the purge takes several runs (several turns).
        cls.start("background", {"interval_seconds": 1, "batch_rows": 2, "batches_per_run": 1})

    def test_expired_rows_leave_the_database_without_any_request(self):
        self.instance.add_user("idle-owner", "password-1")
        store_records(self.instance, "idle-owner", "password-1", expiring=7)
        user = self.user_id("idle-owner")
        now = int(time.time())
        old = now - 400 * 86400  # used or not, older than any lifetime
        write(self.db, "INSERT INTO password_resets VALUES ('idle-owner', 'h1', ?)", now - 5)
        write(self.db, "INSERT INTO invites (code_hash, created, expires) VALUES ('h2', ?, ?)",
              old, old)
        write(self.db, "INSERT INTO login_failures VALUES ('user:x', 3, ?, 0)", old)
        write(self.db, "INSERT INTO trusted_addresses VALUES ('x', '10.0.0.1', ?)",
              now - 100 * 86400)
        # From here on, no request reaches the server: only idle workers can delete these.
        checks = {
            "expired records": ("SELECT count(*) FROM wbo WHERE username = ? AND ttl <= "
                                "strftime('%s', 'now')", user),
            "reset codes": ("SELECT count(*) FROM password_resets",),
            "invites": ("SELECT count(*) FROM invites",),
            "lockout counters": ("SELECT count(*) FROM login_failures",),
            # (not the owner's own address: the logins above made it trusted just now)
            "trusted addresses": ("SELECT count(*) FROM trusted_addresses "
                                  "WHERE username = 'x'",),
        }
        deadline = time.time() + 60
        left = {}
        while time.time() < deadline:
            left = {name: count(self.db, *query) for name, query in checks.items()}
            if not any(left.values()) and count(self.db, "SELECT count(*) FROM wbo") == 1:
                break
            time.sleep(0.5)
        self.assertEqual(left, dict.fromkeys(checks, 0))
        # The record without a ttl stays; the totals follow the purge.
        self.assertEqual(count(self.db, "SELECT count(*) FROM wbo WHERE username = ?", user), 1)
        self.assertEqual(count(self.db, "SELECT sum(item_count) FROM collection_stats "
                                        "WHERE userid = ?", user), 1)
        with open(self.instance.server_log, errors="replace") as log:
            self.assertIn("upkeep: purged", log.read())


class AdminCommands(UpkeepCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # No background purge: what expires stays until weave-admin purge.
        cls.start("admin", {"enabled": False, "batch_rows": 3})

    def audit_events(self):
        with open(self.instance.security_log, errors="replace") as log:
            return [line for line in log if "|AdminAction|" in line]

    def assertAudited(self, action, account=None):
        for line in self.audit_events():
            if " act=%s " % action in line + " " and (
                    account is None or " duser=%s" % account in line):
                self.assertIn(" suid=%d" % os.getuid(), line)
                return
        self.fail("no AdminAction act=%s duser=%s in %r" % (action, account, self.audit_events()))

    def test_unknown_command_is_an_error_naming_it(self):
        result = self.admin("frobnicate")
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"unknown command: frobnicate", result.stderr)

    def test_every_command_has_help(self):
        for command in COMMANDS:
            with self.subTest(command=command):
                result = self.admin(command, "--help")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertTrue(result.stdout.startswith(
                    b"usage: weave-admin [-c CONFIG] " + command.encode()), result.stdout)
        self.assertIn(b"purge", self.admin("--help").stdout)

    def test_exit_codes(self):
        self.assertEqual(self.admin("wipe").returncode, 2)  # missing USER
        self.assertEqual(self.admin("stats", "extra").returncode, 2)
        self.assertEqual(self.admin("invite", "many").returncode, 2)
        result = self.admin("wipe", "nobody-here")
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"no such user: nobody-here", result.stderr)

    def test_purge_deletes_what_expired_with_progress(self):
        self.instance.add_user("purged", "password-1")
        store_records(self.instance, "purged", "password-1", expiring=10)
        user = self.user_id("purged")
        time.sleep(2.1)  # the ttl of 1 s has passed
        # Nothing purges in the background here (upkeep.enabled: false).
        self.assertEqual(count(self.db, "SELECT count(*) FROM wbo WHERE username = ?", user), 11)
        result = self.admin("purge")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout.decode(), r"^purged \d+ expired records")
        self.assertGreaterEqual(int(result.stdout.split()[1]), 10)
        # Not a terminal: plain lines, the last one complete.
        lines = result.stderr.decode().splitlines()
        self.assertTrue(lines and lines[-1].startswith("purging expired records: "), lines)
        self.assertTrue(lines[-1].endswith("(100%)"), lines)
        self.assertNotIn("\r", result.stderr.decode())
        self.assertEqual(count(self.db, "SELECT count(*) FROM wbo WHERE username = ?", user), 1)
        self.assertAudited("purge")

    def test_drop_unused_indexes_has_nothing_to_do_on_sqlite(self):
        # Only MariaDB tables ever had them (tests/mysql drops them there).
        for args in (("drop-unused-indexes",), ("drop-unused-indexes", "--dry-run")):
            result = self.admin(*args)
            self.assertEqual((result.returncode, result.stdout), (0, b"no unused indexes\n"),
                             result.stderr)
        self.assertEqual(self.admin("drop-unused-indexes", "--now").returncode, 2)

    def test_usage_and_stats(self):
        self.instance.add_user("counted", "password-1")
        store_records(self.instance, "counted", "password-1", expiring=0, lasting=4)
        result = self.admin("usage", "counted")
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = [line.split() for line in result.stdout.decode().splitlines()[1:]]
        self.assertIn(["bookmarks", "4", str(4 * 10)], rows)
        per_user = [line.split("\t") for line in self.admin("usage").stdout.decode().splitlines()]
        self.assertIn([str(self.user_id("counted")), "counted", "4", "40"], per_user)
        stats = self.admin("stats")
        self.assertEqual(stats.returncode, 0, stats.stderr)
        text = stats.stdout.decode()
        self.assertRegex(text, r"(?m)^accounts +\d+$")
        self.assertRegex(text, r"(?m)^records +\d+$")
        self.assertRegex(text, r"(?m)^bookmarks +\d+ +\d+$")
        self.assertEqual(self.admin("usage", "nobody-here").returncode, 1)

    def test_account_changes_are_audited(self):
        self.instance.add_user("audited", "password-1")
        self.assertAudited("add", "audited")
        self.assertEqual(self.admin("passwd", "audited", stdin="password-2\n").returncode, 0)
        self.assertAudited("passwd", "audited")
        for action in ("disable", "enable"):
            self.assertEqual(self.admin(action, "audited").returncode, 0)
            self.assertAudited(action, "audited")
        self.assertEqual(self.admin("invite", "2").returncode, 0)
        self.assertAudited("invite")
        store_records(self.instance, "audited", "password-2", expiring=0, lasting=7)
        wipe = self.admin("wipe", "audited")
        self.assertEqual(wipe.returncode, 0, wipe.stderr)
        self.assertIn("wiping audited: 7/7 (100%)", wipe.stderr.decode())
        self.assertAudited("wipe", "audited")
        self.assertEqual(self.admin("delete", "audited").returncode, 0)
        self.assertAudited("delete", "audited")
        # A change that did not happen is not audited.
        before = len(self.audit_events())
        self.assertEqual(self.admin("disable", "audited").returncode, 1)
        self.assertEqual(len(self.audit_events()), before)

    def test_progress_is_a_bar_on_a_terminal(self):
        self.instance.add_user("barred", "password-1")
        store_records(self.instance, "barred", "password-1", expiring=0, lasting=5)
        controller, terminal = pty.openpty()
        try:
            result = subprocess.run(
                [self.instance.admin_bin, "-c", self.instance.config, "wipe", "barred"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=terminal, timeout=60)
            os.close(terminal)
            terminal = -1
            shown = b""
            while True:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # EIO: the terminal's other end is closed
                    break
                if not chunk:
                    break
                shown += chunk
        finally:
            if terminal >= 0:
                os.close(terminal)
            os.close(controller)
        self.assertEqual(result.returncode, 0)
        self.assertIn(b"\rwiping barred [", shown)
        self.assertIn(b"] 100% 5/5", shown)
        self.assertTrue(shown.rstrip(b" ").endswith(b"\n"), shown)


if __name__ == "__main__":
    unittest.main()
