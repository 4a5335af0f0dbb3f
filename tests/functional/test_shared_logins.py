"""Verified logins shared by the workers of one server (README.md, "The login cache").

On an instance of its own with three workers and debug logging: the login cache logs
"login cache: checking the password of NAME" each time it runs the real password check,
and the access log names the worker (its pid) that served each request. Bursts of
concurrent requests reach several workers, so the tests can see that

- a login checked by one worker is trusted by the others without checking it again;
- a password change through the User API, and a password change, disable or enable with
  weave-admin, take effect at once on every worker (the old password refused at the first
  request each worker serves after the change), with no lifetime to wait for.
"""

import os
import re
import secrets
import shutil
import tempfile
import threading
import unittest

import weave_instance
from weave import Account, Server, WeaveTestCase

WORKERS = 3
BURST = 6        # concurrent requests per burst
MAX_BURSTS = 40  # bursts tried before giving up on reaching a second worker
PASSWORD = "first-password-1"


class SharedLogins(WeaveTestCase):
    @classmethod
    def setUpClass(cls):
        missing = weave_instance.tools_missing()
        if missing:
            raise unittest.SkipTest(missing)
        cls.folder = tempfile.mkdtemp(prefix="weave-logins.")
        os.chmod(cls.folder, 0o711)
        # Refused logins would otherwise lock the names these tests refuse on purpose.
        settings = {"log": {"level": "debug"},
                    "accounts": {"lockout_max_failures": 0,
                                 "lockout_max_failures_per_address": 0}}
        cls.instance = weave_instance.Instance(cls.folder, "shared", settings,
                                               workers=WORKERS).start()
        cls.server = Server(cls.instance.url)

    @classmethod
    def tearDownClass(cls):
        cls.instance.stop()
        report = cls.instance.sanitizer_report()
        if not os.environ.get("WEAVE_KEEP_TMP"):
            shutil.rmtree(cls.folder, ignore_errors=True)
        if report:
            raise AssertionError("sanitizer report in the server log:\n" + report)

    def new_account(self):
        name = "shared" + secrets.token_hex(5)
        self.instance.add_user(name, PASSWORD)
        return Account(self.server, name, PASSWORD)

    def log_size(self):
        return os.path.getsize(self.instance.server_log)

    def log_since(self, offset):
        with open(self.instance.server_log, "rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")

    def password_checks(self, name, offset=0):
        line = "login cache: checking the password of %s\n" % name
        return self.log_since(offset).count(line)

    def burst(self, account, password):
        """BURST concurrent GET info/collections as account with password: the statuses."""
        login = Account(self.server, account.user, password)
        statuses = []
        lock = threading.Lock()

        def one():
            status = login.get("info/collections").status
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=one) for _ in range(BURST)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return statuses

    def spread(self, account, password, status):
        """Bursts until requests of account have been served by two workers or more, every
        one answered with status; returns the pids of the workers that served them."""
        access = re.compile(r"\[(\d+)\] info: \S+ GET /1\.1/%s/info/collections -> (\d+) "
                            % re.escape(account.user))
        offset = self.log_size()
        pids = set()
        for _ in range(MAX_BURSTS):
            statuses = self.burst(account, password)
            self.assertEqual(statuses, [status] * BURST)
            served = access.findall(self.log_since(offset))
            self.assertTrue(all(int(code) == status for _, code in served), served)
            pids = {pid for pid, _ in served}
            if len(pids) >= 2:
                return pids
        self.fail("%d bursts of %d requests all reached one worker" % (MAX_BURSTS, BURST))
        return pids

    def test_login_checked_by_one_worker_serves_the_others(self):
        account = self.new_account()
        offset = self.log_size()
        self.assertOk(account.get("info/collections"))
        self.assertEqual(self.password_checks(account.user, offset), 1)
        pids = self.spread(account, PASSWORD, 200)
        self.assertGreaterEqual(len(pids), 2)
        self.assertEqual(self.password_checks(account.user, offset), 1,
                         "workers %s checked the password again" % sorted(pids))

    def test_password_change_through_the_user_api_is_at_once_everywhere(self):
        account = self.new_account()
        self.spread(account, PASSWORD, 200)
        response = self.server.request(
            "POST", "/user/1.0/%s/password" % account.user, "second-password-2",
            {"Authorization": account.auth(), "Content-Type": "text/plain"})
        self.assertOk(response)
        self.spread(account, PASSWORD, 401)
        # One login first: concurrent first logins may each be checked, one per worker.
        offset = self.log_size()
        self.assertOk(Account(self.server, account.user, "second-password-2")
                      .get("info/collections"))
        self.spread(account, "second-password-2", 200)
        self.assertEqual(self.password_checks(account.user, offset), 1)

    def test_weave_admin_changes_are_at_once_everywhere(self):
        account = self.new_account()
        self.spread(account, PASSWORD, 200)
        result = self.instance.admin("passwd", account.user, stdin="second-password-2\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.spread(account, PASSWORD, 401)
        self.spread(account, "second-password-2", 200)
        self.assertEqual(self.instance.admin("disable", account.user).returncode, 0)
        self.spread(account, "second-password-2", 401)
        self.assertEqual(self.instance.admin("enable", account.user).returncode, 0)
        self.spread(account, "second-password-2", 200)


if __name__ == "__main__":
    unittest.main()
