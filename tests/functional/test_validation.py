"""WBO validation, POST limits, ttl and metadata-only updates (protocol §2.3, §2.5, §2.10, §8.4-5)."""

import json
import time
import unittest

from weave import (BATCH_MAX_BYTES, BATCH_MAX_COUNT, MAX_PAYLOAD, WeaveTestCase,
                   require_account, wbo)


class PostValidation(WeaveTestCase):
    coll = "validation"

    @classmethod
    def setUpClass(cls):
        cls.a = require_account()

    def setUp(self):
        self.a.delete("storage/" + self.coll)

    def post(self, records, **kw):
        return self.a.post("storage/" + self.coll, records, **kw)

    def stored(self):
        return self.get_full(self.a, self.coll)

    def test_per_item_failures(self):
        long_id = "x" * 65
        records = [
            wbo("good1", "ok", sortindex=1),
            wbo(long_id, "too long id"),
            wbo("slash/id", "slash"),
            wbo("comma,id", "comma"),
            wbo("badsort", "x", sortindex="abc"),
            wbo("hugesort", "x", sortindex=1000000000),
            wbo("negsort", "x", sortindex=-1000000000),
            wbo("badttl", "x", ttl=-1),
            wbo("bigttl", "x", ttl=31536001),
            wbo("strttl", "x", ttl="soon"),
            wbo("numpayload", 123),
            wbo("objpayload", {"nested": True}),
            wbo("bigpayload", "p" * (MAX_PAYLOAD + 1)),
            wbo("nested", "x", extra={"a": 1}),
            wbo("listfield", "x", sortindex=[1]),
            wbo("badparent", "x", parentid="p" * 65),
            wbo("badpred", "x", predecessorid="q" * 65),
            wbo("good2", "ok too"),
        ]
        result = self.assertPostOk(self.post(records), success=["good1", "good2"])
        self.assertEqual(result["failed"], {
            long_id: ["invalid id"],
            "slash/id": ["invalid id"],
            "comma,id": ["invalid id"],
            "badsort": ["invalid sortindex"],
            "hugesort": ["invalid sortindex"],
            "negsort": ["invalid sortindex"],
            "badttl": ["invalid ttl"],
            "bigttl": ["invalid ttl"],
            "strttl": ["invalid ttl"],
            "numpayload": ["payload not a string"],
            "objpayload": ["invalid wbo"],
            "bigpayload": ["payload too large"],
            "nested": ["invalid wbo"],
            "listfield": ["invalid wbo"],
            "badparent": ["invalid parentid"],
            "badpred": ["invalid predecessorid"],
        })
        self.assertEqual(sorted(self.stored()), ["good1", "good2"])

    def test_limits_are_accepted(self):
        records = [wbo("i" * 64, "64-char id"),
                   wbo("maxsort", "x", sortindex=999999999),
                   wbo("minsort", "x", sortindex=-999999999),
                   wbo("maxttl", "x", ttl=31536000),
                   wbo("maxpayload", "m" * MAX_PAYLOAD),
                   wbo("maxparent", "x", parentid="p" * 64, predecessorid="q" * 64),
                   wbo("emptypayload", ""),
                   wbo("nulls", "x", sortindex=None, parentid=None, ttl=None),
                   wbo("unknownfields", "x", foo="bar", deleted=True)]
        self.assertPostOk(self.post(records), success=[r["id"] for r in records], failed={})
        stored = self.stored()
        self.assertEqual(stored["maxpayload"]["payload"], "m" * MAX_PAYLOAD)
        self.assertEqual(stored["emptypayload"]["payload"], "")
        self.assertEqual(stored["maxsort"]["sortindex"], 999999999)
        self.assertEqual(stored["nulls"], {"id": "nulls", "payload": "x",
                                           "modified": stored["nulls"]["modified"]})
        self.assertNotIn("foo", stored["unknownfields"])
        self.assertNotIn("ttl", stored["maxttl"])

    def test_payload_limit_counts_utf8_bytes(self):
        # 3-byte characters: few enough characters, too many bytes.
        chars = MAX_PAYLOAD // 3 + 1
        result = self.assertPostOk(self.post([wbo("utf8", "✓" * chars)]))
        self.assertEqual(result["failed"], {"utf8": ["payload too large"]})

    def test_record_without_id(self):
        result = self.assertPostOk(self.post([wbo("ok", "x"), {"payload": "no id"}]))
        self.assertEqual(result["success"], ["ok"])
        self.assertEqual(result["failed"], {"": ["invalid id"]})
        result = self.assertPostOk(self.post([{"id": "", "payload": "empty id"}]))
        self.assertEqual(result["failed"], {"": ["invalid id"]})
        self.assertEqual(list(self.stored()), ["ok"])

    def test_failed_is_a_map_with_unique_keys(self):
        # Two records without an id, and one id that fails twice: "failed" is an object
        # {id: [reasons]}, so each id may appear only once in it.
        body = [{"payload": "no id 1"}, {"payload": "no id 2"}, wbo("dup", "x", ttl=-1),
                wbo("dup", "y", sortindex="bad"), wbo("fine", "z")]
        response = self.post(body)
        self.assertPostOk(response)
        pairs = []
        json.loads(response.body, object_pairs_hook=lambda p: pairs.append(p) or dict(p))
        failed_pairs = [p for p in pairs if p and p[0][0] in ("", "dup")][0]
        keys = [key for key, _ in failed_pairs]
        self.assertEqual(sorted(keys), ["", "dup"], response.body)
        self.assertEqual(response.json()["success"], ["fine"])

    def test_non_object_items(self):
        result = self.assertPostOk(self.post([42, wbo("ok", "x")]))
        self.assertEqual(result["success"], ["ok"])
        self.assertEqual(list(result["failed"].values()), [["invalid wbo"]])
        for item in ("string", None, [wbo("inner", "x")], True):
            result = self.assertPostOk(self.post([item]))
            self.assertEqual(result["success"], [])
            self.assertEqual(list(result["failed"].values()), [["invalid wbo"]], item)
        self.assertEqual(list(self.stored()), ["ok"])

    def test_numeric_id_is_a_string(self):
        result = self.assertPostOk(self.post([{"id": 12345, "payload": "numeric id"}]))
        self.assertEqual(result["success"], ["12345"])
        self.assertEqual(self.assertOk(self.a.get("storage/%s/12345" % self.coll)).json()["payload"],
                         "numeric id")

    def test_exactly_batch_max_count(self):
        records = [wbo("r%03d" % i, "x") for i in range(BATCH_MAX_COUNT)]
        self.assertPostOk(self.post(records), success=[r["id"] for r in records], failed={})

    def test_retry_wbo_past_batch_max_count(self):
        records = [wbo("r%03d" % i, "x") for i in range(BATCH_MAX_COUNT + 5)]
        result = self.assertPostOk(self.post(records))
        self.assertEqual(sorted(result["success"]), [r["id"] for r in records[:BATCH_MAX_COUNT]])
        self.assertEqual(result["failed"],
                         {r["id"]: ["retry wbo"] for r in records[BATCH_MAX_COUNT:]})
        self.assertEqual(sorted(self.stored()), [r["id"] for r in records[:BATCH_MAX_COUNT]])
        # 101 records: the last one is retried.
        self.a.delete("storage/" + self.coll)
        records = [wbo("s%03d" % i, "x") for i in range(BATCH_MAX_COUNT + 1)]
        result = self.assertPostOk(self.post(records))
        self.assertEqual(result["failed"], {records[-1]["id"]: ["retry wbo"]})
        self.assertEqual(len(self.stored()), BATCH_MAX_COUNT)

    def test_retry_bytes(self):
        size = 210 * 1024
        count = BATCH_MAX_BYTES // size + 1  # 5 with the defaults: 4 fit, 1 does not
        records = [wbo("big%d" % i, chr(ord("a") + i) * size) for i in range(count)]
        result = self.assertPostOk(self.post(records))
        fit = [r["id"] for r in records[:count - 1]]
        self.assertEqual(sorted(result["success"]), fit)
        self.assertEqual(result["failed"], {records[-1]["id"]: ["retry bytes"]})
        stored = self.stored()
        self.assertEqual(sorted(stored), fit)
        for record in records[:count - 1]:
            self.assertEqual(stored[record["id"]]["payload"], record["payload"])

    def test_bare_object_is_a_put_of_its_id(self):
        # The reference took a POST of one object as a PUT of the object's own id: the
        # answer is the timestamp, and a record it cannot store is 400 8, not a "failed" map.
        ts = self.assertTimestampBody(self.post(wbo("single", "bare object", sortindex=4)))
        self.assertEqual(self.stored()["single"],
                         {"id": "single", "payload": "bare object", "sortindex": 4,
                          "modified": ts})
        for record in ({"payload": "no id"}, wbo("x" * 65, "long id"), wbo("a/b", "slash"),
                       wbo("bad", "x", ttl=-1), wbo("bad", 5)):
            self.assertStatus(self.post(record), 400, "8")
        self.assertEqual(list(self.stored()), ["single"])

    def test_numeric_references_are_stored_as_text(self):
        # Old clients sent numeric parent ids; the reference server kept them as text.
        self.assertPostOk(self.post([wbo("kid", "x", parentid=7, predecessorid=12)]),
                          success=["kid"])
        stored = self.stored()["kid"]
        self.assertEqual(stored["parentid"], "7")
        self.assertEqual(stored["predecessorid"], "12")
        self.assertEqual(self.a.get("storage/%s?parentid=7" % self.coll).json(), ["kid"])

    def test_ttl_text_must_be_a_whole_number(self):
        # The reference read ttl with int(): text with a fraction or an exponent is refused
        # (a JSON number with a fraction is truncated).
        result = self.assertPostOk(self.post([
            wbo("t1", "x", ttl="60.5"), wbo("t2", "x", ttl="1e3"), wbo("t3", "x", ttl=" 60 "),
            wbo("t4", "x", ttl="+60"), wbo("t5", "x", ttl=60.9), wbo("t6", "x", ttl="0x10")]))
        self.assertEqual(sorted(result["success"]), ["t3", "t4", "t5"])
        self.assertEqual(result["failed"], {"t1": ["invalid ttl"], "t2": ["invalid ttl"],
                                            "t6": ["invalid ttl"]})

    def test_fractional_id_is_its_text(self):
        # The reference stored str() of a numeric id.
        result = self.assertPostOk(self.post([{"id": 1.5, "payload": "x"},
                                              {"id": -7, "payload": "y"}]))
        self.assertEqual(sorted(result["success"]), ["-7", "1.5"])
        self.assertEqual(sorted(self.stored()), ["-7", "1.5"])

    def test_sortindex_text_as_python_reads_it(self):
        # int() and float() skip any ASCII white space and take any number of digits.
        self.assertPostOk(self.post([wbo("w1", "x", sortindex="\x0b7\x0c"),
                                     wbo("w2", "x", sortindex="0" * 40 + "12"),
                                     wbo("w3", "x", sortindex="-.5e1")]),
                          success=["w1", "w2", "w3"], failed={})
        stored = self.stored()
        self.assertEqual([stored[i]["sortindex"] for i in ("w1", "w2", "w3")], [7, 12, -5])
        result = self.assertPostOk(self.post([wbo("n1", "x", sortindex="nan"),
                                              wbo("n2", "x", sortindex="inf"),
                                              wbo("n3", "x", sortindex="0x10")]))
        self.assertEqual(result["failed"], {"n1": ["invalid sortindex"],
                                            "n2": ["invalid sortindex"],
                                            "n3": ["invalid sortindex"]})

    def test_decimal_text_sortindex_is_truncated(self):
        self.assertPostOk(self.post([wbo("d1", "x", sortindex="5.5"),
                                     wbo("d2", "x", sortindex="-2.9")]), success=["d1", "d2"])
        stored = self.stored()
        self.assertEqual(stored["d1"]["sortindex"], 5)
        self.assertEqual(stored["d2"]["sortindex"], -2)

    def test_put_of_one_object_on_the_collection_is_a_put_of_its_id(self):
        # As the reference server: the record's own id names it, and the answer is the
        # timestamp a PUT of that item gives.
        response = self.a.put("storage/" + self.coll, wbo("own", "put on collection"))
        ts = self.assertTimestampBody(response)
        self.assertEqual(self.stored()["own"]["payload"], "put on collection")
        self.assertEqual(self.stored()["own"]["modified"], ts)
        for record in ({"payload": "no id"}, wbo("x" * 65, "long id"), wbo("a/b", "slash")):
            response = self.a.put("storage/" + self.coll, record)
            self.assertStatus(response, 400, "8")
        self.assertEqual(sorted(self.stored()), ["own"])
        # An array is still a batch.
        self.assertPostOk(self.a.put("storage/" + self.coll, [wbo("arr", "x")]), success=["arr"])

    def test_maximal_body_of_tiny_records_answers_within_a_second(self):
        # 8 MiB of tiny records: the server reads only the first few hundred.
        record = '{"id":"r%06d","payload":"p"},'
        count = (8 * 1024 * 1024 - 2) // len(record % 0)
        body = "[" + "".join(record % i for i in range(count))[:-1] + "]"
        self.assertLessEqual(len(body), 8 * 1024 * 1024)
        started = time.monotonic()
        result = self.assertPostOk(self.post(body, timeout=30))
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, 1.0, "a maximal POST took %.2f s" % elapsed)
        self.assertEqual(len(result["success"]), BATCH_MAX_COUNT)
        self.assertEqual(len(result["failed"]), BATCH_MAX_COUNT)  # told to retry the next ones
        self.assertEqual(len(self.stored()), BATCH_MAX_COUNT)

    def test_non_list_body_is_400_8(self):
        for body in ("42", '"string"', "null", "true", "3.5"):
            response = self.post(body)
            self.assertStatus(response, 400, "8")
            self.assertTimestampHeader(response)
            response = self.a.put("storage/%s/x" % self.coll, body)
            self.assertStatus(response, 400, "8")
        self.assertEqual(self.stored(), {})

    def test_empty_list(self):
        result = self.assertPostOk(self.post([]), success=[], failed={})
        self.assertGreater(result["modified"], 0)
        self.assertEqual(self.stored(), {})

    def test_client_modified_is_ignored(self):
        result = self.assertPostOk(self.post([wbo("m1", "x", modified=1234.5),
                                              wbo("m2", "x", modified="junk")]),
                                   success=["m1", "m2"])
        stored = self.stored()
        self.assertEqual(stored["m1"]["modified"], result["modified"])
        self.assertEqual(stored["m2"]["modified"], result["modified"])
        ts = self.assertTimestampBody(self.a.put("storage/%s/m3" % self.coll,
                                                 wbo("m3", "x", modified=99999999999.99)))
        self.assertEqual(self.stored()["m3"]["modified"], ts)

    def test_float_sortindex_truncated(self):
        self.assertPostOk(self.post([wbo("f1", "x", sortindex=5.7), wbo("f2", "x", sortindex=-2.9),
                                     wbo("f3", "x", sortindex=1e3), wbo("f4", "x", sortindex="12")]),
                          success=["f1", "f2", "f3", "f4"])
        stored = self.stored()
        self.assertEqual(stored["f1"]["sortindex"], 5)
        self.assertEqual(stored["f2"]["sortindex"], -2)
        self.assertEqual(stored["f3"]["sortindex"], 1000)
        self.assertEqual(stored["f4"]["sortindex"], 12)
        for id_ in ("f1", "f2", "f3"):
            self.assertIs(type(stored[id_]["sortindex"]), int)

    def test_ids_are_case_sensitive(self):
        self.assertPostOk(self.post([wbo("abcDEF", "mixed 1"), wbo("ABCdef", "mixed 2")]),
                          success=["abcDEF", "ABCdef"])
        self.put_record(self.a, self.coll, "abcdef", payload="lower")
        stored = self.stored()
        self.assertEqual({k: v["payload"] for k, v in stored.items()},
                         {"abcDEF": "mixed 1", "ABCdef": "mixed 2", "abcdef": "lower"})
        self.assertEqual(self.assertOk(self.a.get("storage/%s/ABCdef" % self.coll)).json()["payload"],
                         "mixed 2")
        self.assertTimestampBody(self.a.delete("storage/%s/ABCDEF" % self.coll))
        self.assertEqual(len(self.stored()), 3)
        # Collection names are case-sensitive too.
        self.assertEqual(self.get_ids(self.a, self.coll.upper()), [])


class PutValidation(WeaveTestCase):
    coll = "putvalidation"

    @classmethod
    def setUpClass(cls):
        cls.a = require_account()

    def setUp(self):
        self.a.delete("storage/" + self.coll)
        self.ts = self.put_record(self.a, self.coll, "rec", payload="original", sortindex=1,
                                  parentid="p0", predecessorid="q0")

    def rel(self, id_="rec"):
        return "storage/%s/%s" % (self.coll, id_)

    def record(self, id_="rec"):
        return self.assertOk(self.a.get(self.rel(id_))).json()

    def test_invalid_fields_are_400_8(self):
        bodies = [wbo("rec", 12), wbo("rec", "x", sortindex="abc"), wbo("rec", "x", ttl=-5),
                  wbo("rec", "p" * (MAX_PAYLOAD + 1)), wbo("rec", "x", parentid="p" * 65),
                  wbo("rec", "x", extra=[1]), wbo("i" * 65, "x"), [wbo("rec", "x")]]
        for body in bodies:
            response = self.a.put(self.rel(), body)
            self.assertStatus(response, 400, "8")
            self.assertTimestampHeader(response)
        self.assertEqual(self.record()["payload"], "original")

    def test_body_id_is_only_checked_for_length(self):
        # The URL names the record; the reference checked a body id only for its length.
        for body_id in ("", "a/b", "x,y", "other id", 42, 1.5):
            ts = self.assertTimestampBody(self.a.put(self.rel(), {"id": body_id,
                                                                  "payload": repr(body_id)}))
            self.assertEqual(self.record(), {"id": "rec", "payload": repr(body_id),
                                             "modified": ts, "sortindex": 1, "parentid": "p0",
                                             "predecessorid": "q0"})
        self.assertStatus(self.a.put(self.rel(), {"id": "i" * 65, "payload": "x"}), 400, "8")
        self.assertEqual(self.get_ids(self.a, self.coll), ["rec"])

    def test_metadata_only_update_keeps_payload(self):
        response = self.a.put(self.rel(), {"sortindex": 7})
        self.assertTimestampBody(response)
        record = self.record()
        self.assertEqual(record["payload"], "original")
        self.assertEqual(record["sortindex"], 7)
        self.assertEqual(record["parentid"], "p0")
        # A sortindex-only change is not a change clients need to download.
        self.assertEqual(record["modified"], self.ts)
        self.assertEqual(self.get_ids(self.a, self.coll, "newer=%.2f" % self.ts), [])

    def test_parentid_update_bumps_modified(self):
        ts = self.assertTimestampBody(self.a.put(self.rel(), {"parentid": "p1"}))
        record = self.record()
        self.assertEqual(record["payload"], "original")
        self.assertEqual(record["parentid"], "p1")
        self.assertEqual(record["predecessorid"], "q0")
        self.assertEqual(record["modified"], ts)
        self.assertGreater(ts, self.ts)

    def test_metadata_only_update_via_post(self):
        result = self.assertPostOk(self.a.post("storage/" + self.coll,
                                               [{"id": "rec", "sortindex": 9,
                                                 "predecessorid": "q9"}]),
                                   success=["rec"])
        record = self.record()
        self.assertEqual(record["payload"], "original")
        self.assertEqual(record["sortindex"], 9)
        self.assertEqual(record["predecessorid"], "q9")
        self.assertEqual(record["modified"], self.ts)
        self.assertGreaterEqual(result["modified"], self.ts)

    def test_payload_update_keeps_other_metadata(self):
        ts = self.assertTimestampBody(self.a.put(self.rel(), {"payload": "new"}))
        record = self.record()
        self.assertEqual(record, {"id": "rec", "payload": "new", "modified": ts, "sortindex": 1,
                                  "parentid": "p0", "predecessorid": "q0"})

    def test_payload_roundtrip_is_exact(self):
        payloads = ["", " ", "a\u0000b", "tab\there", "\"{\\\"json\\\": [1,2]}\"",
                    "émoji \U0001F600 and \u2028 separators", "\x7f\x01\x1f",
                    "{\"ciphertext\":\"" + "A" * 1000 + "\",\"IV\":\"x\",\"hmac\":\"y\"}"]
        for i, payload in enumerate(payloads):
            self.put_record(self.a, self.coll, "rt%d" % i, payload=payload)
            self.assertEqual(self.record("rt%d" % i)["payload"], payload, repr(payload))
        stored = self.get_full(self.a, self.coll)
        for i, payload in enumerate(payloads):
            self.assertEqual(stored["rt%d" % i]["payload"], payload, repr(payload))


class Ttl(WeaveTestCase):
    coll = "ttltest"

    @classmethod
    def setUpClass(cls):
        cls.a = require_account()

    def setUp(self):
        self.a.wipe()

    def visible_everywhere(self, id_, payload_bytes):
        """Asserts whether id_ counts in GET, info/collection_counts, usage and quota."""
        ids = self.get_ids(self.a, self.coll)
        counts = self.assertOk(self.a.get("info/collection_counts")).json()
        usage = self.assertOk(self.a.get("info/collection_usage")).json()
        used = self.assertOk(self.a.get("info/quota")).json()[0]
        item = self.a.get("storage/%s/%s" % (self.coll, id_))
        return ids, counts.get(self.coll, 0), usage.get(self.coll, 0), used, item.status

    def test_ttl_zero_is_invisible_at_once(self):
        self.assertPostOk(self.a.post("storage/" + self.coll,
                                      [wbo("live", "l" * 1024), wbo("gone", "g" * 4096, ttl=0)]),
                          success=["live", "gone"])
        ids, count, usage, used, status = self.visible_everywhere("gone", 4096)
        self.assertEqual(ids, ["live"])
        self.assertEqual(count, 1)
        self.assertAlmostEqual(usage, 1.0, places=3)
        self.assertAlmostEqual(used, 1.0, places=3)
        self.assertEqual(status, 404)
        self.assertEqual(self.get_ids(self.a, self.coll, "ids=gone"), [])
        full = self.get_full(self.a, self.coll)
        self.assertEqual(list(full), ["live"])

    def test_ttl_expires(self):
        self.assertPostOk(self.a.post("storage/" + self.coll,
                                      [wbo("short", "s" * 2048, ttl=2),
                                       wbo("long", "l" * 1024, ttl=3600)]),
                          success=["short", "long"])
        # Expiry is in whole seconds: a ttl of 2 is visible for at least 1 s, at most 3 s.
        self.assertEqual(sorted(self.get_ids(self.a, self.coll)), ["long", "short"])
        time.sleep(3.1)
        ids, count, usage, used, status = self.visible_everywhere("short", 2048)
        self.assertEqual(ids, ["long"])
        self.assertEqual(count, 1)
        self.assertAlmostEqual(usage, 1.0, places=3)
        self.assertAlmostEqual(used, 1.0, places=3)
        self.assertEqual(status, 404)
        self.assertEqual(self.assertOk(self.a.get("storage/%s/long" % self.coll)).json()["payload"],
                         "l" * 1024)

    def test_expired_record_can_be_overwritten(self):
        self.put_record(self.a, self.coll, "revive", payload="old", ttl=0)
        self.assertStatus(self.a.get("storage/%s/revive" % self.coll), 404)
        ts = self.put_record(self.a, self.coll, "revive", payload="new")
        self.assertEqual(self.assertOk(self.a.get("storage/%s/revive" % self.coll)).json(),
                         {"id": "revive", "payload": "new", "modified": ts})
        # Without a ttl the new content does not inherit the old expiry.
        self.assertEqual(self.get_ids(self.a, self.coll), ["revive"])

    def test_ttl_never_in_output(self):
        self.put_record(self.a, self.coll, "t", payload="x", ttl=600)
        self.assertNotIn("ttl", self.assertOk(self.a.get("storage/%s/t" % self.coll)).json())
        self.assertNotIn("ttl", self.get_full(self.a, self.coll)["t"])


if __name__ == "__main__":
    unittest.main()
