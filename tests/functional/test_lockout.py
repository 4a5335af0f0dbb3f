"""Login lockout (accounts.lockout_*), against a server that trusts nginx's X-Forwarded-For
so the tests can play several client addresses:
WEAVE_LOCKOUT_URL, WEAVE_LOCKOUT_USER/_PASSWORD, WEAVE_LOCKOUT_USER2/_PASSWORD2,
WEAVE_LOCKOUT_MAX_FAILURES, WEAVE_LOCKOUT_SECONDS."""

import time
import unittest

from weave import Account, Server, WeaveTestCase, basic, env, env_int


class Lockout(WeaveTestCase):
    @classmethod
    def setUpClass(cls):
        url = env("WEAVE_LOCKOUT_URL")
        if not url or not env("WEAVE_LOCKOUT_USER2"):
            raise unittest.SkipTest("no lockout server configured")
        server = Server(url)
        cls.lola = Account(server, env("WEAVE_LOCKOUT_USER"), env("WEAVE_LOCKOUT_PASSWORD"))
        cls.lenny = Account(server, env("WEAVE_LOCKOUT_USER2"), env("WEAVE_LOCKOUT_PASSWORD2"))
        cls.max_failures = env_int("WEAVE_LOCKOUT_MAX_FAILURES", 3)
        cls.lock_seconds = env_int("WEAVE_LOCKOUT_SECONDS", 2)

    def get(self, acct, address, password=None, forwarded=None):
        headers = {"X-Forwarded-For": forwarded or address}
        auth = basic(acct.user, password) if password is not None else True
        return acct.get("info/collections", headers=headers, auth=auth)

    def fail_login(self, acct, address, forwarded=None):
        response = self.get(acct, address, "wrong-password", forwarded)
        self.assertStatus(response, 401)
        return response

    def assertLocked(self, response):
        self.assertStatus(response, 401)
        self.assertIsNotNone(response.header("WWW-Authenticate"))
        self.assertTimestampHeader(response)
        self.assertNotIn(b"{", response.body)

    def wait_for_expiry(self):
        time.sleep(self.lock_seconds + 0.5)

    def test_user_is_locked_from_every_address_but_its_trusted_ones(self):
        self.assertOk(self.get(self.lola, "10.0.0.1"))  # lola's home: a trusted address
        for i in range(self.max_failures - 1):
            self.fail_login(self.lola, "10.0.1.%d" % i)
        # One failure short of the limit: the right password still works.
        self.assertOk(self.get(self.lola, "10.0.2.1"))
        self.fail_login(self.lola, "10.0.1.99")
        # Now locked from every address she has not logged in from, even with the right
        # password...
        for address in ("10.0.2.2", "192.168.7.7"):
            self.assertLocked(self.get(self.lola, address))
        self.assertLocked(self.lola.put("storage/forms/f1", {"id": "f1", "payload": "x"},
                                        headers={"X-Forwarded-For": "10.0.2.3"}))
        # ...but a guesser cannot lock her out where she syncs from...
        self.assertOk(self.get(self.lola, "10.0.0.1"))
        self.assertOk(self.get(self.lola, "10.0.2.1"))
        # ...and only that user is locked.
        self.assertOk(self.get(self.lenny, "10.0.2.2"))
        self.wait_for_expiry()
        self.assertOk(self.get(self.lola, "10.0.2.2"))

    def test_a_guesser_at_a_trusted_address_is_locked_there(self):
        address = "10.0.5.1"
        self.assertOk(self.get(self.lenny, address))
        for _ in range(self.max_failures):
            self.fail_login(self.lenny, address)
        self.assertLocked(self.get(self.lenny, address))
        self.wait_for_expiry()
        self.assertOk(self.get(self.lenny, address))

    def test_ipv6_addresses_count_by_their_64_network(self):
        ghosts = [Account(self.lola.server, "ghost6x%d" % i, "nothing")
                  for i in range(self.max_failures)]
        for i, ghost in enumerate(ghosts):
            response = ghost.get("info/collections",
                                 headers={"X-Forwarded-For": "2001:db8:7:7::%x" % (i + 1)})
            self.assertStatus(response, 401)
        # Another address of the same /64 is locked; another /64 is not.
        self.assertLocked(self.get(self.lenny, "2001:db8:7:7:abcd::1"))
        self.assertOk(self.get(self.lenny, "2001:db8:7:8::1"))
        self.wait_for_expiry()

    def test_address_is_locked_for_every_user(self):
        address = "10.9.0.1"
        ghosts = [Account(self.lola.server, "ghost%d" % i, "nothing") for i in range(self.max_failures)]
        for ghost in ghosts:
            response = ghost.get("info/collections", headers={"X-Forwarded-For": address})
            self.assertStatus(response, 401)
        # Every user is refused from that address, the others are not affected.
        self.assertLocked(self.get(self.lenny, address))
        self.assertLocked(self.get(self.lola, address))
        self.assertOk(self.get(self.lenny, "10.9.0.2"))
        self.wait_for_expiry()
        self.assertOk(self.get(self.lenny, address))

    def test_spoofed_forwarded_entries_do_not_escape(self):
        # Only the entry added by the trusted proxy counts, not what the client wrote.
        address = "10.8.0.1"
        for i in range(self.max_failures):
            response = self.lenny.get("info/collections", auth=basic("ghostx%d" % i, "x"),
                                      path_user="ghostx%d" % i,
                                      headers={"X-Forwarded-For": "1.2.3.%d, %s" % (i, address)})
            self.assertStatus(response, 401)
        self.assertLocked(self.get(self.lenny, address, forwarded="5.6.7.8, " + address))
        self.assertLocked(self.get(self.lenny, address))
        self.wait_for_expiry()
        self.assertOk(self.get(self.lenny, address))

    def test_missing_or_mismatched_credentials_do_not_count(self):
        address = "10.7.0.1"
        for _ in range(self.max_failures + 2):
            response = self.lenny.get("info/collections", auth=False,
                                      headers={"X-Forwarded-For": address})
            self.assertStatus(response, 401)
            # Valid credentials of another user on lola's path: refused before any
            # password check, so not a guess either.
            response = self.lola.get("info/collections", auth=self.lenny.auth(),
                                     headers={"X-Forwarded-For": address})
            self.assertStatus(response, 401)
        self.assertOk(self.get(self.lenny, address))
        self.assertOk(self.get(self.lola, address))


if __name__ == "__main__":
    unittest.main()
