"""Authentication on every storage route (protocol §2.2, §8.2)."""

import base64
import subprocess
import unittest

from weave import WeaveTestCase, basic, env, require_account, wbo

# Every route, with a body where one is needed.
ROUTES = [
    ("GET", "info/collections", None),
    ("GET", "info/collection_counts", None),
    ("GET", "info/collection_usage", None),
    ("GET", "info/quota", None),
    ("GET", "storage/secret", None),
    ("GET", "storage/secret?full=1", None),
    ("POST", "storage/secret", [wbo("s1", "intruder")]),
    ("PUT", "storage/secret", [wbo("s1", "intruder")]),
    ("DELETE", "storage/secret", None),
    ("DELETE", "storage/secret?ids=s1", None),
    ("GET", "storage/secret/s1", None),
    ("PUT", "storage/secret/s1", wbo("s1", "intruder")),
    ("DELETE", "storage/secret/s1", None),
    ("DELETE", "storage", None),
]


class Authentication(WeaveTestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = require_account()
        cls.b = require_account("2")

    def setUp(self):
        # B's data, which nobody but B may see or change.
        self.b.wipe()
        self.b_ts = self.put_record(self.b, "secret", "s1", payload="b's secret")
        self.b_snapshot = self.b.get("storage/secret?full=1").body
        self.assertIn(b"b's secret", self.b_snapshot)

    def tearDown(self):
        self.assertEqual(self.b.get("storage/secret?full=1").body, self.b_snapshot)
        self.assertEqual(self.assertOk(self.b.get("info/collections")).json(),
                         {"secret": self.b_ts})

    def assertUnauthorized(self, response):
        self.assertStatus(response, 401)
        self.assertTimestampHeader(response)
        self.assertNotIn(b"secret", response.body)
        self.assertNotIn(b"intruder", response.body)

    def all_routes(self, target, auth, **kw):
        headers = {"X-Confirm-Delete": "1"}
        for method, rel, body in ROUTES:
            yield (method, rel), target.request(method, rel, body, auth=auth, headers=headers, **kw)

    def test_missing_authorization(self):
        for route, response in self.all_routes(self.b, auth=False):
            self.assertUnauthorized(response)
            challenge = response.header("WWW-Authenticate")
            self.assertIsNotNone(challenge, route)
            self.assertTrue(challenge.lower().startswith("basic"), challenge)
            self.assertIn("realm=", challenge)

    def test_wrong_password(self):
        for route, response in self.all_routes(self.b, auth=basic(self.b.user, "wrong-password")):
            self.assertUnauthorized(response)
        for password in ("", self.b.password.upper(), self.b.password + " ", self.b.password[:-1]):
            self.assertUnauthorized(self.b.get("info/collections",
                                               auth=basic(self.b.user, password)))

    def test_unknown_user(self):
        ghost = basic("nosuchuser", "whatever-password")
        for route, response in self.all_routes(self.b, auth=ghost, path_user="nosuchuser"):
            self.assertUnauthorized(response)

    def test_path_user_differs_from_auth_user(self):
        # A's valid credentials on B's path, for every route.
        for route, response in self.all_routes(self.b, auth=self.a.auth()):
            self.assertUnauthorized(response)
        # And B's credentials on A's path cannot touch A either.
        self.a.wipe()
        ts = self.put_record(self.a, "mine", "m1", payload="a's data")
        for route, response in self.all_routes(self.a, auth=self.b.auth()):
            self.assertUnauthorized(response)
        self.assertEqual(self.assertOk(self.a.get("info/collections")).json(), {"mine": ts})

    def test_user_name_is_case_sensitive(self):
        other_case = self.b.user.upper() if self.b.user != self.b.user.upper() else self.b.user.lower()
        self.assertUnauthorized(self.b.get("info/collections", path_user=other_case))
        self.assertUnauthorized(self.b.get("info/collections", path_user=other_case,
                                           auth=basic(other_case, self.b.password)))
        self.assertUnauthorized(self.b.get("info/collections",
                                           auth=basic(other_case, self.b.password)))

    def test_valid_credentials_on_every_route(self):
        self.a.wipe()
        statuses = []
        for method, rel, body in ROUTES[:-1]:
            statuses.append((method, rel, self.a.request(method, rel, body).status))
        # The item GET comes after the collection DELETEs: 404 is the right answer there.
        self.assertEqual(statuses, [(m, r, 404 if (m, r) == ("GET", "storage/secret/s1") else 200)
                                    for m, r, _ in ROUTES[:-1]])
        self.assertOk(self.a.delete("storage", headers={"X-Confirm-Delete": "1"}))

    def test_malformed_basic_headers(self):
        user = self.b.user
        headers = [
            "Basic",
            "Basic ",
            "Basic !!!notbase64!!!",
            "Basic " + base64.b64encode(b"no colon here").decode(),
            "Basic " + base64.b64encode((":" + self.b.password).encode()).decode(),
            "Basic " + base64.b64encode(user.encode() + b"\x00:" + self.b.password.encode()).decode(),
            "Basic " + base64.b64encode(user.encode() + b" :" + self.b.password.encode()).decode(),
            "Basic " + base64.b64encode(user.encode() + b":" + self.b.password.encode())
            .decode()[:-6],
            "Bearer " + base64.b64encode(user.encode() + b":" + self.b.password.encode()).decode(),
            "Digest username=\"%s\"" % user,
            "Basic" + base64.b64encode(user.encode() + b":" + self.b.password.encode()).decode(),
            "Basic " + "A" * 6000,
        ]
        for header in headers:
            response = self.b.get("info/collections", auth=header)
            self.assertUnauthorized(response)
        # A lower-case scheme and extra spaces are still Basic.
        good = base64.b64encode(user.encode() + b":" + self.b.password.encode()).decode()
        self.assertOk(self.b.get("info/collections", auth="basic " + good))
        self.assertOk(self.b.get("info/collections", auth="Basic   " + good))


class Isolation(WeaveTestCase):
    """Two users with the same collection names and record ids never see each other."""

    @classmethod
    def setUpClass(cls):
        cls.a = require_account()
        cls.b = require_account("2")

    def test_same_names_different_data(self):
        stamps = {}
        for acct in (self.a, self.b):
            acct.wipe()
        for acct in (self.a, self.b):
            for coll in ("bookmarks", "custom-shared"):
                stamps[acct.user, coll] = self.post_records(
                    acct, coll, [wbo("same-id", "%s of %s" % (coll, acct.user)),
                                 wbo("only-" + acct.user, "x")])["modified"]
        for acct in (self.a, self.b):
            self.assertEqual(self.assertOk(acct.get("info/collections")).json(),
                             {coll: stamps[acct.user, coll]
                              for coll in ("bookmarks", "custom-shared")})
            for coll in ("bookmarks", "custom-shared"):
                stored = self.get_full(acct, coll)
                self.assertEqual(sorted(stored), sorted(["same-id", "only-" + acct.user]))
                self.assertEqual(stored["same-id"]["payload"], "%s of %s" % (coll, acct.user))
        # Deleting one user's collection leaves the other's alone.
        self.assertTimestampBody(self.a.delete("storage/custom-shared"))
        self.assertEqual(len(self.get_ids(self.b, "custom-shared")), 2)
        self.assertTimestampBody(self.a.delete("storage", headers={"X-Confirm-Delete": "1"}))
        self.assertEqual(len(self.get_ids(self.b, "bookmarks")), 2)
        self.assertEqual(sorted(self.assertOk(self.b.get("info/collections")).json()),
                         ["bookmarks", "custom-shared"])


class SpecialPasswords(WeaveTestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = require_account("_SPECIAL")

    def test_password_with_colon_and_non_ascii(self):
        self.assertIn(":", self.c.password)
        self.assertTrue(any(ord(ch) > 127 for ch in self.c.password))
        self.c.wipe()
        ts = self.put_record(self.c, "forms", "f1", payload="special")
        self.assertEqual(self.assertOk(self.c.get("info/collections")).json(), {"forms": ts})

    def test_near_misses_are_refused(self):
        password = self.c.password
        for wrong in (password.split(":")[0],  # cut at the first colon
                      password.replace(":", "", 1),
                      password.encode("utf-8").decode("latin-1")):  # double-encoded
            response = self.c.get("info/collections", auth=basic(self.c.user, wrong))
            self.assertStatus(response, 401)
        # Latin-1 bytes instead of UTF-8 (invalid UTF-8) are refused, not mangled.
        latin1 = password.encode("latin-1", "replace")
        response = self.c.get("info/collections", auth=basic(self.c.user.encode(), latin1))
        self.assertStatus(response, 401)


class AdminCommands(WeaveTestCase):
    """weave-admin disable / enable / passwd take effect at once, even for a worker that
    has the password cached."""

    @classmethod
    def setUpClass(cls):
        cls.d = require_account("_ADMIN")
        cls.admin = env("WEAVE_ADMIN")
        cls.config = env("WEAVE_CONFIG")
        if not cls.admin or not cls.config:
            raise unittest.SkipTest("WEAVE_ADMIN / WEAVE_CONFIG not set")

    def run_admin(self, *args, stdin=""):
        done = subprocess.run([self.admin, "-c", self.config] + list(args), input=stdin.encode(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr.decode(errors="replace"))
        return done.stdout.decode(errors="replace")

    def warm(self, acct, times=6):
        """Several requests, so that every worker has verified (and cached) the password."""
        for _ in range(times):
            self.assertOk(acct.get("info/collections"))

    def test_disable_and_enable(self):
        self.d.wipe()
        ts = self.put_record(self.d, "forms", "f1", payload="kept while disabled")
        self.warm(self.d)
        self.run_admin("disable", self.d.user)
        try:
            for _ in range(6):
                response = self.d.get("info/collections")
                self.assertStatus(response, 401)
                self.assertIsNotNone(response.header("WWW-Authenticate"))
            self.assertStatus(self.d.put("storage/forms/f2", wbo("f2", "x")), 401)
            self.assertIn("disabled", self.run_admin("list"))
        finally:
            self.run_admin("enable", self.d.user)
        for _ in range(6):
            self.assertEqual(self.assertOk(self.d.get("info/collections")).json(), {"forms": ts})
        self.assertEqual(self.assertOk(self.d.get("storage/forms/f1")).json()["payload"],
                         "kept while disabled")

    def test_add_wipe_delete(self):
        name, password = "tmpuser-admin-test", "tmp-pässword-1"
        self.run_admin("delete", name) if name in self.run_admin("list") else None
        self.run_admin("add", name, "tmp@example.org", stdin=password + "\n")
        temp = type(self.d)(self.d.server, name, password)
        try:
            self.assertEqual(self.assertOk(temp.get("info/collections")).json(), {})
            self.put_record(temp, "forms", "f1")
            self.run_admin("wipe", name)
            self.assertEqual(self.assertOk(temp.get("info/collections")).json(), {})
            self.put_record(temp, "forms", "f2")
        finally:
            self.run_admin("delete", name)
        for _ in range(6):
            self.assertStatus(temp.get("info/collections"), 401)
        # A new account under the same name starts empty.
        self.run_admin("add", name, stdin=password + "\n")
        try:
            self.assertEqual(self.assertOk(temp.get("info/collections")).json(), {})
        finally:
            self.run_admin("delete", name)

    def test_password_change(self):
        self.warm(self.d)
        new_password = "new-pässword:%s" % self.d.password
        self.run_admin("passwd", self.d.user, stdin=new_password + "\n")
        try:
            for _ in range(6):
                self.assertStatus(self.d.get("info/collections"), 401)
            changed = type(self.d)(self.d.server, self.d.user, new_password)
            self.warm(changed)
        finally:
            self.run_admin("passwd", self.d.user, stdin=self.d.password + "\n")
        self.warm(self.d)


if __name__ == "__main__":
    unittest.main()
