"""Query parameters of GET and DELETE on a collection (protocol §2.6, §8.6)."""

import unittest
import urllib.parse

from weave import WeaveTestCase, require_account, wbo

GUID1 = "{0e3b5c1a-8f2d-4b7e-9a61-3c2d1e0f9a8b}"
GUID2 = "{7d6c5b4a-3e2f-4a1b-8c9d-0e1f2a3b4c5d}"


class QueryParameters(WeaveTestCase):
    """One fixed collection written in four requests; every query is checked against a
    model of the stored records."""

    coll = "qparams"

    @classmethod
    def setUpClass(cls):
        cls.a = require_account()
        helper = cls("test_full")
        cls.a.delete("storage/" + cls.coll)
        cls.model = {}

        def store(records, result):
            for record in records:
                cls.model[record["id"]] = {
                    "id": record["id"], "modified": result["modified"],
                    "sortindex": record.get("sortindex"), "parentid": record.get("parentid"),
                    "predecessorid": record.get("predecessorid"), "payload": record["payload"]}

        batches = [
            [wbo("a", "pa", sortindex=10, parentid="p1"),
             wbo("b", "pb", sortindex=20, parentid="p1", predecessorid="a"),
             wbo("c", "pc", sortindex=30)],
            [wbo("d", "pd", sortindex=40, parentid="p2"),
             wbo("e", "pe", sortindex=-5, predecessorid="d")],
            [wbo("f", "pf")],
            [wbo(GUID1, "g1", sortindex=1), wbo(GUID2, "g2", sortindex=2),
             wbo("A", "capital a", sortindex=0)],
        ]
        cls.stamps = []
        for records in batches:
            result = helper.post_records(cls.a, cls.coll, records)
            store(records, result)
            cls.stamps.append(result["modified"])
        assert cls.stamps == sorted(set(cls.stamps)), cls.stamps

    def query(self, params, method="GET"):
        response = self.a.request(method, "storage/%s?%s" % (self.coll, params))
        self.assertOk(response)
        return response

    def ids(self, params):
        return self.query(params).json()

    def expect(self, params, predicate):
        """GET with params (without full) returns exactly the ids the predicate selects."""
        wanted = sorted(r["id"] for r in self.model.values() if predicate(r))
        self.assertEqual(sorted(self.ids(params)), wanted, params)
        full = self.query(params + "&full=1").json()
        self.assertEqual(sorted(r["id"] for r in full), wanted, params)
        for record in full:
            self.assertEqual(record, self.expected_record(record["id"]))
        return wanted

    def expected_record(self, id_):
        return {k: v for k, v in self.model[id_].items() if v is not None}

    def test_full(self):
        records = self.query("full=1").json()
        self.assertEqual(len(records), len(self.model))
        for record in records:
            self.assertEqual(record, self.expected_record(record["id"]))
        # Without full (or with an empty value): ids only.
        for params in ("", "full="):
            self.assertEqual(sorted(self.ids(params)), sorted(self.model))

    def test_ids(self):
        self.expect("ids=a,c", lambda r: r["id"] in ("a", "c"))
        self.expect("ids=a", lambda r: r["id"] == "a")
        self.expect("ids=a,nosuch,e", lambda r: r["id"] in ("a", "e"))
        self.expect("ids=nosuch", lambda r: False)
        # Percent-encoded commas and ids.
        self.expect("ids=a%2Cb", lambda r: r["id"] in ("a", "b"))

    def test_ids_are_case_sensitive(self):
        self.expect("ids=A", lambda r: r["id"] == "A")
        self.expect("ids=a", lambda r: r["id"] == "a")

    def test_raw_guid_ids_with_braces(self):
        # What the passwords engine sends: braces and dashes, not URL-encoded.
        self.expect("ids=%s,%s" % (GUID1, GUID2), lambda r: r["id"] in (GUID1, GUID2))
        self.expect("ids=%s" % urllib.parse.quote(GUID1, safe=""), lambda r: r["id"] == GUID1)
        record = self.assertOk(self.a.get("storage/%s/%s" % (
            self.coll, urllib.parse.quote(GUID2, safe="")))).json()
        self.assertEqual(record, self.expected_record(GUID2))

    def test_newer_is_strict(self):
        s = self.stamps
        self.expect("newer=%.2f" % s[0], lambda r: r["modified"] > s[0])
        self.expect("newer=%.2f" % s[2], lambda r: r["modified"] > s[2])
        self.expect("newer=%.2f" % s[3], lambda r: False)
        self.expect("newer=0", lambda r: True)
        self.expect("newer=%.2f" % (s[0] - 0.01), lambda r: True)

    def test_older_is_strict(self):
        s = self.stamps
        self.expect("older=%.2f" % s[0], lambda r: False)
        self.expect("older=%.2f" % s[1], lambda r: r["modified"] < s[1])
        self.expect("older=%.2f" % (s[3] + 0.01), lambda r: True)

    def test_newer_and_older_together(self):
        s = self.stamps
        self.expect("newer=%.2f&older=%.2f" % (s[0], s[2]), lambda r: s[0] < r["modified"] < s[2])
        self.expect("older=%.2f&newer=%.2f" % (s[3], s[0]), lambda r: s[0] < r["modified"] < s[3])
        self.expect("newer=%.2f&older=%.2f" % (s[2], s[1]), lambda r: False)

    def test_index_above_and_below_are_strict(self):
        def si(r):
            return r["sortindex"]
        self.expect("index_above=10", lambda r: si(r) is not None and si(r) > 10)
        self.expect("index_below=20", lambda r: si(r) is not None and si(r) < 20)
        self.expect("index_above=0", lambda r: si(r) is not None and si(r) > 0)
        self.expect("index_below=0", lambda r: si(r) is not None and si(r) < 0)
        self.expect("index_above=-10", lambda r: si(r) is not None and si(r) > -10)
        self.expect("index_above=10&index_below=40",
                    lambda r: si(r) is not None and 10 < si(r) < 40)
        self.expect("index_below=40&index_above=10",
                    lambda r: si(r) is not None and 10 < si(r) < 40)
        self.expect("index_above=15.5", lambda r: si(r) is not None and si(r) > 15.5)
        self.expect("index_below=20.5", lambda r: si(r) is not None and si(r) < 20.5)

    def test_parentid_and_predecessorid(self):
        self.expect("parentid=p1", lambda r: r["parentid"] == "p1")
        self.expect("parentid=p2", lambda r: r["parentid"] == "p2")
        self.expect("parentid=nosuch", lambda r: False)
        self.expect("predecessorid=a", lambda r: r["predecessorid"] == "a")
        self.expect("predecessorid=d", lambda r: r["predecessorid"] == "d")
        self.expect("parentid=p1&predecessorid=a", lambda r: r["id"] == "b")

    def test_sort_oldest_newest(self):
        oldest = self.query("full=1&sort=oldest").json()
        self.assertEqual(len(oldest), len(self.model))
        stamps = [r["modified"] for r in oldest]
        self.assertEqual(stamps, sorted(stamps))
        newest = self.query("full=1&sort=newest").json()
        stamps = [r["modified"] for r in newest]
        self.assertEqual(stamps, sorted(stamps, reverse=True))
        self.assertEqual(newest[0]["modified"], self.stamps[-1])
        self.assertEqual(self.ids("sort=newest&limit=1")[0] in (GUID1, GUID2, "A"), True)
        self.assertEqual(self.ids("sort=oldest&limit=1")[0] in ("a", "b", "c"), True)

    def test_sort_index_is_descending(self):
        records = self.query("full=1&sort=index").json()
        self.assertEqual(len(records), len(self.model))
        with_index = [r["sortindex"] for r in records if "sortindex" in r]
        self.assertEqual(with_index, sorted(with_index, reverse=True))
        self.assertEqual([r["id"] for r in records[:3]], ["d", "c", "b"])
        self.assertEqual(self.ids("sort=index&index_above=0"),
                         ["d", "c", "b", "a", GUID2, GUID1])

    def test_limit_and_offset(self):
        self.assertEqual(self.ids("sort=index&limit=2"), ["d", "c"])
        self.assertEqual(self.ids("sort=index&limit=2&offset=2"), ["b", "a"])
        self.assertEqual(self.ids("sort=index&limit=3&offset=3&index_above=0"),
                         ["a", GUID2, GUID1])
        self.assertEqual(self.ids("sort=index&limit=2&offset=100"), [])
        response = self.query("sort=index&limit=4&full=1")
        self.assertEqual(response.header("X-Weave-Records"), "4")
        self.assertEqual(len(response.json()), 4)
        # Paging through with limit/offset visits every record exactly once.
        seen = []
        for offset in range(0, 20, 3):
            seen += self.ids("sort=newest&limit=3&offset=%d" % offset)
        self.assertEqual(sorted(seen), sorted(self.model))
        # limit=0 is no limit (Python: only applied if > 0).
        self.assertEqual(sorted(self.ids("limit=0")), sorted(self.model))

    def test_combined_filters(self):
        s = self.stamps
        self.assertEqual(
            self.ids("newer=%.2f&index_above=0&sort=index&limit=1" % s[0]), ["d"])
        self.expect("ids=a,b,d,e&parentid=p1&index_above=15", lambda r: r["id"] == "b")

    def test_unknown_parameters_ignored(self):
        self.assertEqual(sorted(self.ids("v=1.5.0&foo=bar&depth=1&&=x&novalue")),
                         sorted(self.model))
        self.assertEqual(self.ids("sort=bogus&ids=a"), ["a"])
        self.assertOk(self.a.get("info/collections?v=1.5.0"))
        self.assertOk(self.a.get("info/collection_counts?foo=1"))
        self.assertOk(self.a.get("storage/%s/a?full=1&v=2" % self.coll))

    def test_negative_limit_and_offset_are_ignored(self):
        # The reference server reads them with int() and applies only values above 0.
        self.assertEqual(sorted(self.ids("limit=-1")), sorted(self.model))
        self.assertEqual(len(self.ids("limit=2&offset=-3")), 2)
        self.assertEqual(sorted(self.ids("offset=-1")), sorted(self.model))

    def test_numbers_are_read_as_python_reads_them(self):
        # The reference read limit and offset with int(), index bounds with float() and
        # times with Decimal(): white space around them, exponents and huge values pass.
        def si(r):
            return r["sortindex"]

        def indexed(r):
            return r["sortindex"] is not None
        self.expect("index_above=1e1", lambda r: indexed(r) and si(r) > 10)
        self.expect("index_above=%2010%09", lambda r: indexed(r) and si(r) > 10)
        self.expect("index_below=2.05E1", lambda r: indexed(r) and si(r) < 20.5)
        self.expect("index_below=inf", indexed)
        self.expect("index_above=-Infinity", indexed)
        self.expect("index_above=1e300", lambda r: False)
        self.expect("index_below=-1000000000000000", lambda r: False)
        self.assertEqual(self.ids("sort=index&limit=%202%20"), ["d", "c"])
        self.assertEqual(self.ids("sort=index&limit=0000000000000000002"), ["d", "c"])
        self.assertEqual(sorted(self.ids("limit=99999999999999999999")), sorted(self.model))
        self.assertEqual(self.ids("sort=index&limit=1&offset=99999999999999999999"), [])
        s = self.stamps
        self.expect("newer=%.2fe0" % s[2], lambda r: r["modified"] > s[2])
        self.expect("newer=%de-2" % round(s[2] * 100), lambda r: r["modified"] > s[2])
        self.expect("older=%%20%.2f%%20" % s[2], lambda r: r["modified"] < s[2])
        self.expect("older=1e20", lambda r: True)
        self.expect("newer=99999999999999999999999999", lambda r: False)
        self.expect("newer=-1", lambda r: True)
        self.expect("newer=-0.004", lambda r: True)

    def test_time_ties_round_to_the_even_hundredth(self):
        # Decimal.quantize, as the reference rounds newer/older, takes a tie (a value ending
        # in exactly 5 thousandths) to the even hundredth. One of the two bounds below
        # falls on such a tie whatever the parity of the stamp.
        stamp = round(self.stamps[1] * 100)

        def cs(r):
            return round(r["modified"] * 100)
        below = stamp - 1 if (stamp - 1) % 2 == 0 else stamp
        self.expect("newer=%d.%02d5" % divmod(stamp - 1, 100), lambda r: cs(r) > below)
        above = stamp if stamp % 2 == 0 else stamp + 1
        self.expect("older=%d.%02d5" % divmod(stamp, 100), lambda r: cs(r) < above)

    def test_malformed_percent_escapes_are_kept_as_text(self):
        # As Python's query parser: a % not followed by two hex digits is a literal.
        self.expect("ids=a%zz,a,b%4", lambda r: r["id"] == "a")
        self.expect("parentid=%", lambda r: False)
        self.expect("ids=c&v=%", lambda r: r["id"] == "c")

    def test_invalid_values_are_400(self):
        # What the reference refused too (NaN and infinite times crashed it: 400 here).
        for params in ("newer=abc", "older=yesterday", "newer=", "older=1.2.3",
                       "index_above=x", "index_below=", "index_above=1e", "limit=abc",
                       "limit=1.5", "offset=x", "limit=2&offset=1.5", "newer=%31%32x",
                       "limit=1e3", "offset=0x10", "index_above=nan", "index_below=0x10",
                       "index_above=1_0", "newer=Infinity", "older=NaN", "newer=1e26",
                       "older=1e", "newer=1.5%20s", "limit=%2B-1"):
            for method in ("GET", "DELETE"):
                response = self.a.request(method, "storage/%s?%s" % (self.coll, params))
                self.assertStatus(response, 400)
                self.assertTimestampHeader(response)
        # Nothing was deleted by the rejected DELETEs.
        self.assertEqual(sorted(self.ids("")), sorted(self.model))


class DeleteWithParameters(WeaveTestCase):
    coll = "qdelete"

    @classmethod
    def setUpClass(cls):
        cls.a = require_account()

    def setUp(self):
        self.a.delete("storage/" + self.coll)
        self.t1 = self.post_records(self.a, self.coll, [
            wbo("a", "x", sortindex=1, parentid="p"), wbo("b", "x", sortindex=2, parentid="p"),
            wbo(GUID1, "x", sortindex=3)])["modified"]
        self.t2 = self.post_records(self.a, self.coll, [
            wbo("c", "x", sortindex=4), wbo(GUID2, "x", sortindex=5), wbo("d", "x")])["modified"]

    def remaining(self):
        return sorted(self.get_ids(self.a, self.coll))

    def delete(self, params):
        return self.assertTimestampBody(self.a.delete("storage/%s?%s" % (self.coll, params)))

    def test_delete_ids(self):
        self.delete("ids=a,c,nosuch")
        self.assertEqual(self.remaining(), sorted(["b", "d", GUID1, GUID2]))

    def test_delete_raw_guid_ids(self):
        self.delete("ids=%s,%s" % (GUID1, GUID2))
        self.assertEqual(self.remaining(), ["a", "b", "c", "d"])

    def test_delete_newer_older(self):
        self.delete("newer=%.2f" % self.t1)
        self.assertEqual(self.remaining(), sorted(["a", "b", GUID1]))
        self.delete("older=%.2f" % self.t1)
        self.assertEqual(self.remaining(), sorted(["a", "b", GUID1]))

    def test_delete_older(self):
        self.delete("older=%.2f" % self.t2)
        self.assertEqual(self.remaining(), sorted(["c", "d", GUID2]))

    def test_delete_parentid_and_index(self):
        self.delete("parentid=p")
        self.assertEqual(self.remaining(), sorted(["c", "d", GUID1, GUID2]))
        self.delete("index_above=3&index_below=5")
        self.assertEqual(self.remaining(), sorted(["d", GUID1, GUID2]))

    def test_delete_with_sort_and_limit(self):
        # Deprecated in 1.1 but still implemented: delete the first n of an ordering.
        self.delete("sort=index&limit=2")
        self.assertEqual(self.remaining(), sorted(["a", "b", "d", GUID1]))
        self.delete("sort=index&limit=1&index_below=3")
        self.assertEqual(self.remaining(), sorted(["a", "d", GUID1]))
        self.delete("sort=newest&limit=1")
        self.assertEqual(self.remaining(), sorted(["a", GUID1]))

    def test_delete_with_empty_ids_deletes_nothing(self):
        self.assertTimestampBody(self.a.delete("storage/%s?ids=" % self.coll))
        self.assertEqual(len(self.remaining()), 6)

    def test_delete_leaves_collection_listed(self):
        ts = self.delete("ids=a")
        self.assertGreater(ts, self.t2)
        listed = self.assertOk(self.a.get("info/collections")).json()[self.coll]
        self.assertGreaterEqual(listed, self.t2)
        self.assertLessEqual(listed, ts)


if __name__ == "__main__":
    unittest.main()
