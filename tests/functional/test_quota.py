"""Quota (protocol §2.9, §8.9), against a second server with a tiny quota
(WEAVE_QUOTA_URL, WEAVE_QUOTA_USER, WEAVE_QUOTA_PASSWORD, WEAVE_QUOTA_QUOTA_KIB)."""

import json
import unittest

from weave import Account, Server, WeaveTestCase, env, env_int, wbo


class Quota(WeaveTestCase):
    @classmethod
    def setUpClass(cls):
        url, user, password = (env("WEAVE_QUOTA_URL"), env("WEAVE_QUOTA_USER"),
                               env("WEAVE_QUOTA_PASSWORD"))
        if not (url and user and password and env("WEAVE_QUOTA_QUOTA_KIB")):
            raise unittest.SkipTest("no quota server configured")
        cls.q = Account(Server(url), user, password)
        cls.quota_kib = env_int("WEAVE_QUOTA_QUOTA_KIB", 0)
        cls.quota = cls.quota_kib * 1024

    def setUp(self):
        self.q.wipe()

    def used_bytes(self):
        used, quota = self.assertOk(self.q.get("info/quota")).json()
        self.assertEqual(quota, self.quota_kib)
        return used * 1024

    def assertRemaining(self, response, usage_bytes):
        value = response.header("X-Weave-Quota-Remaining")
        self.assertIsNotNone(value, response)
        self.assertAlmostEqual(float(value), (self.quota - usage_bytes) / 1024, places=1)

    def fill(self):
        """Writes 10 KiB records until the quota is reached; returns the stored ids."""
        ids = []
        while self.used_bytes() < self.quota:
            id_ = "fill%03d" % len(ids)
            response = self.q.put("storage/history/" + id_, wbo(id_, "f" * 10240))
            self.assertTimestampBody(response)
            ids.append(id_)
            self.assertLess(len(ids), self.quota // 10240 + 5)
        return ids

    def test_info_quota(self):
        self.assertEqual(self.assertOk(self.q.get("info/quota")).json(), [0, self.quota_kib])
        self.put_record(self.q, "forms", "f1", payload="x" * 2048)
        self.assertAlmostEqual(self.used_bytes(), 2048, places=3)

    def test_remaining_header_near_quota(self):
        response = self.q.put("storage/forms/f1", wbo("f1", "a" * 20480))
        self.assertTimestampBody(response)
        self.assertRemaining(response, 20480)
        response = self.q.post("storage/forms", [wbo("f2", "b" * 10240), wbo("f3", "c" * 5120)])
        self.assertPostOk(response, success=["f2", "f3"])
        self.assertRemaining(response, 20480 + 10240 + 5120)
        # Replacing a record counts its new size only.
        response = self.q.put("storage/forms/f1", wbo("f1", "a" * 1024))
        self.assertRemaining(response, 1024 + 10240 + 5120)

    def test_over_quota_is_400_14(self):
        ids = self.fill()
        before = self.q.get("storage/history?full=1&sort=index").body
        for response in (self.q.put("storage/history/over", wbo("over", "x")),
                         self.q.post("storage/history", [wbo("over", "x")]),
                         self.q.post("storage/tabs", [wbo("t", "x")]),
                         self.q.put("storage/history/" + ids[0], wbo(ids[0], "small"))):
            self.assertStatus(response, 400, "14")
            self.assertTimestampHeader(response)
        self.assertEqual(self.q.get("storage/history?full=1&sort=index").body, before)
        self.assertStatus(self.q.get("storage/history/over"), 404)
        self.assertNotIn("tabs", self.assertOk(self.q.get("info/collections")).json())
        # Reads and deletes still work; freeing space lets writes through again.
        self.assertOk(self.q.get("info/collections"))
        self.assertTimestampBody(self.q.delete("storage/history/" + ids[0]))
        self.assertTimestampBody(self.q.delete("storage/history/" + ids[1]))
        response = self.q.put("storage/history/again", wbo("again", "y" * 100))
        self.assertTimestampBody(response)
        self.assertIsNotNone(response.header("X-Weave-Quota-Remaining"))

    def test_expired_records_do_not_count(self):
        # Records with ttl 0 are stored but invisible: they must not use up the quota.
        for batch in range(3):
            records = [wbo("e%d_%d" % (batch, i), "e" * 10240, ttl=0) for i in range(5)]
            self.assertPostOk(self.q.post("storage/history", records))
        self.assertEqual(self.used_bytes(), 0)
        response = self.q.put("storage/history/fresh", wbo("fresh", "z" * 1024))
        self.assertTimestampBody(response)
        self.assertAlmostEqual(self.used_bytes(), 1024, places=3)
        self.assertEqual(self.get_ids(self.q, "history"), ["fresh"])

    def test_body_over_server_limit_is_413_17(self):
        limit = env_int("WEAVE_QUOTA_MAX_BODY_BYTES", 0)
        if not limit:
            self.skipTest("WEAVE_QUOTA_MAX_BODY_BYTES not set")
        body = b"[" + b" " * limit + b"]"
        for response in (self.q.post("storage/forms", body),
                         self.q.put("storage/forms/f1", body)):
            self.assertStatus(response, 413, "17")
            self.assertTimestampHeader(response)
        self.assertEqual(self.get_ids(self.q, "forms"), [])
        # A body just under the limit is read normally.
        records = [wbo("ok", "x" * 1000)]
        rest = json.dumps(records)[1:].encode()
        padded = b"[" + b" " * (limit - 1 - len(rest)) + rest
        self.assertEqual(len(padded), limit)
        self.assertPostOk(self.q.post("storage/forms", padded), success=["ok"])
        for _ in range(4):
            self.assertEqual(self.get_ids(self.q, "forms"), ["ok"])

    def test_over_quota_after_wipe_is_fine(self):
        self.fill()
        self.q.wipe()
        self.assertEqual(self.used_bytes(), 0)
        self.put_record(self.q, "forms", "f1")


if __name__ == "__main__":
    unittest.main()
