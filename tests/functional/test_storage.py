"""Storage API endpoints, versions, trailing slash and response headers (protocol §2, §8)."""

import json
import unittest

from weave import JSON_TIMESTAMP_RE, WeaveTestCase, require_account, wbo


class Endpoints(WeaveTestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = require_account()

    def setUp(self):
        self.a.wipe()

    def test_info_collections_empty_account(self):
        response = self.assertOk(self.a.get("info/collections"))
        self.assertEqual(response.content_type, "application/json")
        self.assertEqual(response.json(), {})
        self.assertEqual(response.header("X-Weave-Records"), "0")

    def test_info_collections_lists_timestamps(self):
        ts1 = self.put_record(self.a, "bookmarks", "bm1")
        ts2 = self.post_records(self.a, "history", [wbo("h1", "x"), wbo("h2", "y")])["modified"]
        ts3 = self.put_record(self.a, "custom-coll_1.x", "c1")
        response = self.assertOk(self.a.get("info/collections"))
        self.assertEqual(response.json(),
                         {"bookmarks": ts1, "history": ts2, "custom-coll_1.x": ts3})
        self.assertEqual(response.header("X-Weave-Records"), "3")
        # Values are JSON numbers with two decimals.
        for value in json.loads(response.body, parse_float=lambda s: s).values():
            self.assertRegex(value.encode(), JSON_TIMESTAMP_RE)

    def test_info_collections_read_your_writes(self):
        for i in range(5):
            ts = self.put_record(self.a, "crypto", "keys", payload="k%d" % i)
            collections = self.assertOk(self.a.get("info/collections")).json()
            self.assertIn("crypto", collections)
            self.assertGreaterEqual(collections["crypto"], ts)

    def test_info_collections_after_delete(self):
        self.put_record(self.a, "forms", "f1")
        ts = self.put_record(self.a, "prefs", "p1")
        self.assertTimestampBody(self.a.delete("storage/forms"))
        self.assertEqual(self.assertOk(self.a.get("info/collections")).json(), {"prefs": ts})
        # Deleting the only item also removes the collection from the map.
        self.assertTimestampBody(self.a.delete("storage/prefs/p1"))
        self.assertEqual(self.assertOk(self.a.get("info/collections")).json(), {})

    def test_info_collection_counts(self):
        self.post_records(self.a, "bookmarks", [wbo("b%d" % i, "x") for i in range(3)])
        self.put_record(self.a, "tabs", "t1")
        response = self.assertOk(self.a.get("info/collection_counts"))
        self.assertEqual(response.json(), {"bookmarks": 3, "tabs": 1})
        self.assertIs(type(response.json()["bookmarks"]), int)
        self.assertEqual(response.header("X-Weave-Records"), "2")

    def test_info_collection_usage(self):
        self.post_records(self.a, "history", [wbo("h1", "a" * 1024), wbo("h2", "b" * 512)])
        self.put_record(self.a, "forms", "f1", payload="é" * 100)  # 200 UTF-8 bytes
        usage = self.assertOk(self.a.get("info/collection_usage")).json()
        self.assertEqual(set(usage), {"history", "forms"})
        self.assertAlmostEqual(usage["history"], 1.5, places=3)
        self.assertAlmostEqual(usage["forms"], 200 / 1024, places=3)

    def test_info_quota(self):
        empty = self.assertOk(self.a.get("info/quota")).json()
        self.assertIsInstance(empty, list)
        self.assertEqual(len(empty), 2)
        self.assertEqual(empty[0], 0)
        self.post_records(self.a, "history", [wbo("h%d" % i, "q" * 2048) for i in range(5)])
        used, quota = self.assertOk(self.a.get("info/quota")).json()
        self.assertAlmostEqual(used, 10.0, places=3)
        if quota is not None:
            self.assertIsInstance(quota, (int, float))
            self.assertGreater(quota, used)

    def test_get_collection_ids_and_full(self):
        ts = self.post_records(self.a, "bookmarks",
                               [wbo("aaaaaaaaaaaa", "p1", sortindex=3),
                                wbo("bbbbbbbbbbbb", "p2", parentid="aaaaaaaaaaaa",
                                    predecessorid="zzz")])["modified"]
        response = self.assertOk(self.a.get("storage/bookmarks"))
        self.assertEqual(response.content_type, "application/json")
        self.assertEqual(sorted(response.json()), ["aaaaaaaaaaaa", "bbbbbbbbbbbb"])
        self.assertEqual(response.header("X-Weave-Records"), "2")
        full = self.get_full(self.a, "bookmarks")
        self.assertEqual(full["aaaaaaaaaaaa"],
                         {"id": "aaaaaaaaaaaa", "modified": ts, "sortindex": 3, "payload": "p1"})
        self.assertEqual(full["bbbbbbbbbbbb"],
                         {"id": "bbbbbbbbbbbb", "modified": ts, "payload": "p2",
                          "parentid": "aaaaaaaaaaaa", "predecessorid": "zzz"})

    def test_get_empty_and_unknown_collection(self):
        for coll in ("bookmarks", "neverused", "clients"):
            response = self.assertOk(self.a.get("storage/" + coll))
            self.assertEqual(response.json(), [])
            self.assertEqual(response.header("X-Weave-Records"), "0")
            self.assertEqual(self.assertOk(self.a.get("storage/%s?full=1" % coll)).json(), [])

    def test_post_collection(self):
        response = self.a.post("storage/history",
                               [wbo("h1", "one", sortindex=5, ttl=3600), wbo("h2", "two")])
        result = self.assertPostOk(response, success=["h1", "h2"], failed={})
        full = self.get_full(self.a, "history")
        self.assertEqual(full["h1"], {"id": "h1", "modified": result["modified"],
                                      "sortindex": 5, "payload": "one"})
        # Upsert: a second POST replaces the payload and keeps the record count.
        result2 = self.post_records(self.a, "history", [wbo("h1", "uno")])
        self.assertGreater(result2["modified"], result["modified"])
        full = self.get_full(self.a, "history")
        self.assertEqual(len(full), 2)
        self.assertEqual(full["h1"]["payload"], "uno")
        self.assertEqual(full["h1"]["modified"], result2["modified"])
        self.assertEqual(full["h1"]["sortindex"], 5)
        self.assertEqual(full["h2"]["modified"], result["modified"])

    def test_put_collection_is_batch_upload(self):
        response = self.a.put("storage/forms", [wbo("f1", "one"), wbo("f2", "two")])
        result = self.assertPostOk(response, success=["f1", "f2"], failed={})
        self.assertEqual({k: v["payload"] for k, v in self.get_full(self.a, "forms").items()},
                         {"f1": "one", "f2": "two"})
        self.assertEqual(self.get_full(self.a, "forms")["f1"]["modified"], result["modified"])

    def test_delete_collection(self):
        self.post_records(self.a, "tabs", [wbo("t1", "x"), wbo("t2", "y")])
        self.put_record(self.a, "forms", "keep")
        ts = self.assertTimestampBody(self.a.delete("storage/tabs"))
        self.assertEqual(self.get_ids(self.a, "tabs"), [])
        self.assertStatus(self.a.get("storage/tabs/t1"), 404)
        self.assertEqual(self.get_ids(self.a, "forms"), ["keep"])
        self.assertGreater(ts, 0)
        # Missing collections delete fine too.
        self.assertTimestampBody(self.a.delete("storage/tabs"))
        self.assertTimestampBody(self.a.delete("storage/nosuchcollection"))

    def test_get_item(self):
        ts = self.put_record(self.a, "bookmarks", "abcdefghijkl", payload="hello")
        response = self.assertOk(self.a.get("storage/bookmarks/abcdefghijkl"))
        self.assertEqual(response.content_type, "application/json")
        self.assertEqual(response.json(), {"id": "abcdefghijkl", "modified": ts, "payload": "hello"})
        self.assertIn(b'"modified":' + ("%.2f" % ts).encode(), response.body.replace(b" ", b""))

    def test_get_missing_item_is_404(self):
        self.put_record(self.a, "bookmarks", "exists")
        for rel in ("storage/bookmarks/missing", "storage/nosuchcoll/missing"):
            response = self.a.get(rel)
            self.assertStatus(response, 404)
            self.assertTimestampHeader(response)

    def test_put_item_timestamps(self):
        response = self.a.put("storage/meta/global", wbo("global", "{\"syncID\":\"x\"}"))
        ts = self.assertTimestampBody(response)
        record = self.assertOk(self.a.get("storage/meta/global")).json()
        self.assertEqual(record["modified"], ts)
        self.assertEqual(record["payload"], "{\"syncID\":\"x\"}")
        # Replacing moves the timestamp forward and the header always equals the body.
        ts2 = self.assertTimestampBody(self.a.put("storage/meta/global", wbo("global", "v2")))
        self.assertGreater(ts2, ts)
        self.assertEqual(self.assertOk(self.a.get("storage/meta/global")).json()["modified"], ts2)

    def test_put_item_url_id_wins_and_body_id_optional(self):
        self.assertTimestampBody(self.a.put("storage/prefs/fromurl", {"payload": "no id"}))
        self.assertEqual(self.assertOk(self.a.get("storage/prefs/fromurl")).json()["payload"],
                         "no id")

    def test_delete_item(self):
        self.post_records(self.a, "forms", [wbo("f1", "x"), wbo("f2", "y")])
        self.assertTimestampBody(self.a.delete("storage/forms/f1"))
        self.assertStatus(self.a.get("storage/forms/f1"), 404)
        self.assertEqual(self.get_ids(self.a, "forms"), ["f2"])
        # Unknown items and collections: still 200 with a timestamp.
        self.assertTimestampBody(self.a.delete("storage/forms/f1"))
        self.assertTimestampBody(self.a.delete("storage/nosuchcoll/x"))

    def test_delete_storage_needs_confirmation(self):
        self.put_record(self.a, "bookmarks", "b1", payload="keep me")
        response = self.a.delete("storage")
        self.assertStatus(response, 400, "4")
        self.assertTimestampHeader(response)
        self.assertEqual(self.get_full(self.a, "bookmarks")["b1"]["payload"], "keep me")

    def test_delete_storage(self):
        self.put_record(self.a, "bookmarks", "b1")
        self.put_record(self.a, "custom", "c1")
        response = self.a.delete("storage", headers={"X-Confirm-Delete": "1"})
        self.assertTimestampBody(response)
        self.assertEqual(self.assertOk(self.a.get("info/collections")).json(), {})
        self.assertEqual(self.get_ids(self.a, "bookmarks"), [])
        self.assertEqual(self.get_ids(self.a, "custom"), [])
        self.assertEqual(self.assertOk(self.a.get("info/collection_counts")).json(), {})
        # Any value of the header will do; a wiped account can be wiped again and reused.
        self.assertTimestampBody(self.a.delete("storage", headers={"X-Confirm-Delete": "yes"}))
        self.put_record(self.a, "custom", "c2")
        self.assertEqual(self.get_ids(self.a, "custom"), ["c2"])

    def test_versions_share_data(self):
        ts = self.assertTimestampBody(self.a.put("storage/prefs/p1", wbo("p1", "via 1.0"),
                                                 version="1.0"))
        for version in ("1.0", "1", "1.1"):
            record = self.assertOk(self.a.get("storage/prefs/p1", version=version)).json()
            self.assertEqual(record, {"id": "p1", "modified": ts, "payload": "via 1.0"})
            self.assertEqual(self.assertOk(self.a.get("info/collections", version=version))
                             .json(), {"prefs": ts})
        result = self.assertPostOk(self.a.post("storage/prefs", [wbo("p2", "via 1")], version="1"),
                                   success=["p2"])
        self.assertEqual(self.get_full(self.a, "prefs")["p2"]["modified"], result["modified"])
        self.assertTimestampBody(self.a.delete("storage/prefs/p1", version="1.1"))
        self.assertStatus(self.a.get("storage/prefs/p1", version="1"), 404)
        for version in ("2.0", "1.2", "0.5", "v1.1"):
            self.assertStatus(self.a.get("info/collections", version=version), 404)

    def test_trailing_slash(self):
        ts = self.put_record(self.a, "forms", "f1", payload="x")
        self.assertEqual(self.assertOk(self.a.get("info/collections/")).json(), {"forms": ts})
        self.assertEqual(self.assertOk(self.a.get("storage/forms/")).json(), ["f1"])
        self.assertEqual(self.assertOk(self.a.get("storage/forms/?full=1")).json()[0]["payload"],
                         "x")
        self.assertEqual(self.assertOk(self.a.get("storage/forms/f1/")).json()["payload"], "x")
        self.assertTimestampBody(self.a.put("storage/forms/f2/", wbo("f2", "y")))
        self.assertPostOk(self.a.post("storage/forms/", [wbo("f3", "z")]), success=["f3"])
        self.assertEqual(sorted(self.get_ids(self.a, "forms")), ["f1", "f2", "f3"])
        self.assertTimestampBody(self.a.delete("storage/forms/f3/"))
        self.assertTimestampBody(self.a.delete("storage/forms/"))
        self.assertEqual(self.get_ids(self.a, "forms"), [])
        self.put_record(self.a, "forms", "f4")
        self.assertTimestampBody(self.a.delete("storage/", headers={"X-Confirm-Delete": "1"}))
        self.assertEqual(self.assertOk(self.a.get("info/collections")).json(), {})


class Headers(WeaveTestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = require_account()

    def setUp(self):
        self.a.wipe()

    def test_timestamp_on_every_response(self):
        self.put_record(self.a, "forms", "f1")
        cases = [
            self.a.get("info/collections"),
            self.a.get("storage/forms"),
            self.a.get("storage/forms/missing"),  # 404
            self.a.get("info/collections", auth=False),  # 401
            self.a.get("info/collections", auth="Basic Zm9vOmJhcg=="),  # 401 unknown user
            self.a.get("storage/forms?newer=abc"),  # 400
            self.a.put("storage/forms/f1", "{bad json"),  # 400
            self.a.request("POST", "info/collections", "[]"),  # 405
            self.a.get("nosuchfunction"),  # 404
            self.a.put("storage/forms/f1", wbo("f1", "x"),
                       headers={"X-If-Unmodified-Since": "1.00"}),  # 412
            self.a.delete("storage"),  # 400 without confirmation
        ]
        self.assertEqual([r.status for r in cases],
                         [200, 200, 404, 401, 401, 400, 400, 405, 404, 412, 400])
        for response in cases:
            self.assertTimestampHeader(response)

    def test_timestamp_header_is_current_time(self):
        import time
        before = time.time()
        response = self.assertOk(self.a.get("info/collections"))
        after = time.time()
        self.assertGreaterEqual(response.timestamp, round(before, 2) - 0.01)
        self.assertLessEqual(response.timestamp, round(after, 2) + 0.01)

    def test_put_body_equals_header(self):
        for i in range(5):
            response = self.a.put("storage/forms/f%d" % i, wbo("f%d" % i, "x"))
            self.assertTimestampBody(response)

    def test_post_items_share_timestamp(self):
        records = [wbo("r%03d" % i, "payload %d" % i) for i in range(100)]
        response = self.a.post("storage/history", records)
        result = self.assertPostOk(response, success=[r["id"] for r in records], failed={})
        header = response.timestamp
        self.assertEqual(result["modified"], header)
        stored = self.get_full(self.a, "history")
        self.assertEqual(len(stored), 100)
        self.assertEqual({r["modified"] for r in stored.values()}, {header})
        self.assertEqual(self.assertOk(self.a.get("info/collections")).json()["history"], header)

    def test_consecutive_writes_get_increasing_timestamps(self):
        stamps = [self.put_record(self.a, "forms", "f%d" % i) for i in range(10)]
        self.assertEqual(stamps, sorted(set(stamps)))
        # So newer=<a write's timestamp> finds exactly the later writes.
        for i, stamp in enumerate(stamps):
            self.assertEqual(self.get_ids(self.a, "forms", "newer=%.2f&sort=oldest" % stamp),
                             ["f%d" % k for k in range(i + 1, 10)])

    def test_records_header(self):
        self.post_records(self.a, "history", [wbo("h%d" % i, "x") for i in range(7)])
        self.assertEqual(self.a.get("storage/history").header("X-Weave-Records"), "7")
        self.assertEqual(self.a.get("storage/history?limit=3").header("X-Weave-Records"), "3")
        self.assertEqual(self.a.get("storage/history?full=1&ids=h1,h2").header("X-Weave-Records"),
                         "2")

    def test_no_quota_remaining_header_far_from_quota(self):
        response = self.a.put("storage/forms/f1", wbo("f1", "x"))
        self.assertTimestampBody(response)
        quota = self.assertOk(self.a.get("info/quota")).json()[1]
        if quota is None or quota > 2048:
            self.assertIsNone(response.header("X-Weave-Quota-Remaining"))


class IfUnmodifiedSince(WeaveTestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = require_account()

    def setUp(self):
        self.a.wipe()
        self.ts = self.post_records(self.a, "forms",
                                    [wbo("f1", "one"), wbo("f2", "two")])["modified"]
        self.snapshot = self.a.get("storage/forms?full=1&sort=oldest").body

    def assertUnchanged(self):
        self.assertEqual(self.a.get("storage/forms?full=1&sort=oldest").body, self.snapshot)

    def older(self):
        return {"X-If-Unmodified-Since": "%.2f" % (self.ts - 0.01)}

    def test_put_refused_when_modified(self):
        response = self.a.put("storage/forms/f1", wbo("f1", "changed"), headers=self.older())
        self.assertStatus(response, 412, "4")
        self.assertTimestampHeader(response)
        self.assertUnchanged()
        response = self.a.put("storage/forms/f9", wbo("f9", "new"), headers=self.older())
        self.assertStatus(response, 412, "4")
        self.assertUnchanged()

    def test_post_refused_when_modified(self):
        response = self.a.post("storage/forms", [wbo("f1", "changed"), wbo("f3", "new")],
                               headers=self.older())
        self.assertStatus(response, 412, "4")
        self.assertUnchanged()

    def test_delete_refused_when_modified(self):
        for rel in ("storage/forms/f1", "storage/forms", "storage/forms?ids=f1,f2"):
            response = self.a.delete(rel, headers=self.older())
            self.assertStatus(response, 412, "4")
            self.assertTimestampHeader(response)
        self.assertUnchanged()

    def test_allowed_when_not_modified(self):
        same = {"X-If-Unmodified-Since": "%.2f" % self.ts}
        ts2 = self.assertTimestampBody(self.a.put("storage/forms/f1", wbo("f1", "v2"),
                                                  headers=same))
        later = {"X-If-Unmodified-Since": "%.2f" % ts2}
        self.assertPostOk(self.a.post("storage/forms", [wbo("f3", "x")], headers=later),
                          success=["f3"])
        ts3 = self.assertOk(self.a.get("info/collections")).json()["forms"]
        self.assertTimestampBody(self.a.delete("storage/forms/f3",
                                               headers={"X-If-Unmodified-Since": "%.2f" % ts3}))
        self.assertEqual(sorted(self.get_ids(self.a, "forms")), ["f1", "f2"])

    def test_other_collection_and_empty_collection_never_fail(self):
        old = {"X-If-Unmodified-Since": "1.00"}
        self.assertTimestampBody(self.a.put("storage/tabs/t1", wbo("t1", "x"), headers=old))
        self.assertPostOk(self.a.post("storage/prefs", [wbo("p1", "x")], headers=old),
                          success=["p1"])

    def test_get_ignores_it(self):
        response = self.a.get("storage/forms", headers=self.older())
        self.assertOk(response)
        self.assertEqual(sorted(response.json()), ["f1", "f2"])

    def test_value_is_read_as_a_decimal(self):
        # The reference read the header with Decimal(): an exponent, white space around it
        # and far-future values are times like any other.
        older = {"X-If-Unmodified-Since": "%de-2" % (round(self.ts * 100) - 1)}
        self.assertStatus(self.a.put("storage/forms/f1", wbo("f1", "x"), headers=older), 412, "4")
        self.assertUnchanged()
        same = {"X-If-Unmodified-Since": "%.2fE0 " % self.ts}
        ts2 = self.assertTimestampBody(self.a.put("storage/forms/f1", wbo("f1", "v2"),
                                                  headers=same))
        future = {"X-If-Unmodified-Since": "1e20"}
        self.assertPostOk(self.a.post("storage/forms", [wbo("f3", "x")], headers=future),
                          success=["f3"])
        self.assertGreater(ts2, self.ts)

    def test_unparsable_value_is_400(self):
        for value in ("yesterday", "12,5", "0x10", "--1", "1.2.3", "Infinity", "NaN", "1e26"):
            bad = {"X-If-Unmodified-Since": value}
            for response in (self.a.put("storage/forms/f1", wbo("f1", "changed"), headers=bad),
                             self.a.post("storage/forms", [wbo("f3", "x")], headers=bad),
                             self.a.delete("storage/forms/f2", headers=bad),
                             self.a.delete("storage/forms", headers=bad)):
                self.assertStatus(response, 400)
                self.assertTimestampHeader(response)
        self.assertUnchanged()


if __name__ == "__main__":
    unittest.main()
