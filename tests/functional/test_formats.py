"""Output formats of multi-record GETs and Accept negotiation (protocol §2.7, §8.6)."""

import json
import struct
import unittest

from weave import WeaveTestCase, require_account, wbo

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def parse_newlines_like_the_client(body):
    """The UXP/Firefox recordHandler: handle a line only when the first '\\n' is at an
    index > 0; an unterminated tail is never handled, an empty line stops parsing."""
    records = []
    buffer = body.decode("utf-8")
    while True:
        index = buffer.find("\n")
        if index <= 0:
            break
        records.append(json.loads(buffer[:index]))
        buffer = buffer[index + 1:]
    return records, buffer


class Formats(WeaveTestCase):
    coll = "formats"

    @classmethod
    def setUpClass(cls):
        cls.a = require_account()
        helper = cls("test_default_is_json")
        cls.a.delete("storage/" + cls.coll)
        cls.records = [
            wbo("plain", "simple payload", sortindex=3),
            wbo("newline", "line one\nline two\r\nline three\n", sortindex=2),
            wbo("unicode", "ünïcödé ✓ \u2028 \U0001F600 \"quoted\" \\ back", sortindex=1),
            wbo("empty", "", sortindex=0),
        ]
        cls.modified = helper.post_records(cls.a, cls.coll, cls.records)["modified"]

    def get(self, params="full=1&sort=index", accept=None):
        headers = {"Accept": accept} if accept is not None else {}
        response = self.a.get("storage/%s?%s" % (self.coll, params), headers=headers)
        self.assertOk(response)
        return response

    def expected(self):
        return [dict(r, modified=self.modified) for r in self.records]

    def assertJson(self, response):
        self.assertEqual(response.content_type, "application/json")
        self.assertEqual(response.json(), self.expected())

    def assertNewlines(self, response):
        self.assertEqual(response.content_type, "application/newlines")

    def test_default_is_json(self):
        self.assertJson(self.get())

    def test_browser_accept_gives_json(self):
        self.assertJson(self.get(accept=BROWSER_ACCEPT))
        self.assertJson(self.get(accept="*/*"))
        self.assertJson(self.get(accept="application/json"))
        self.assertJson(self.get(accept="application/xxx"))
        self.assertJson(self.get(accept="text/plain"))
        self.assertJson(self.get(accept="garbage;;;q=x,,"))

    def test_newlines(self):
        response = self.get(accept="application/newlines")
        self.assertNewlines(response)
        body = response.body
        # One line per record, each ending with \n (the last one too), no empty line, no raw
        # line break inside a record.
        self.assertTrue(body.endswith(b"\n"), body)
        self.assertEqual(body.count(b"\n"), len(self.records))
        self.assertNotIn(b"\n\n", body)
        self.assertNotIn(b"\r", body)
        lines = body.split(b"\n")[:-1]
        self.assertEqual([json.loads(line) for line in lines], self.expected())
        records, rest = parse_newlines_like_the_client(body)
        self.assertEqual(records, self.expected())
        self.assertEqual(rest, "")
        self.assertEqual(response.header("X-Weave-Records"), str(len(self.records)))

    def test_newlines_ids_only(self):
        response = self.get("sort=index", accept="application/newlines")
        self.assertNewlines(response)
        self.assertEqual(response.body, b'"plain"\n"newline"\n"unicode"\n"empty"\n')

    def test_newlines_single_record_and_empty_result(self):
        response = self.get("full=1&ids=newline", accept="application/newlines")
        records, rest = parse_newlines_like_the_client(response.body)
        self.assertEqual(records, [self.expected()[1]])
        self.assertEqual(rest, "")
        response = self.get("full=1&ids=nosuch", accept="application/newlines")
        self.assertNewlines(response)
        self.assertEqual(response.body, b"")

    def test_whoisi(self):
        response = self.get(accept="application/whoisi")
        self.assertEqual(response.content_type, "application/whoisi")
        body = response.body
        records = []
        while body:
            self.assertGreaterEqual(len(body), 4)
            (length,) = struct.unpack(">I", body[:4])
            self.assertGreaterEqual(len(body), 4 + length)
            records.append(json.loads(body[4:4 + length].decode("utf-8")))
            body = body[4 + length:]
        self.assertEqual(records, self.expected())

    def test_whoisi_ids_only(self):
        response = self.get("sort=index&limit=2", accept="application/whoisi")
        self.assertEqual(response.body, b'\x00\x00\x00\x07"plain"\x00\x00\x00\x09"newline"')
        response = self.get("ids=nosuch", accept="application/whoisi")
        self.assertEqual(response.body, b"")

    def test_q_values(self):
        cases = [
            ("application/newlines;q=0.5, application/json", "application/json"),
            ("application/json;q=0.1, application/newlines", "application/newlines"),
            ("application/json;q=0.5,application/newlines;q=0.6", "application/newlines"),
            ("application/whoisi;q=0.9, application/newlines;q=0.8", "application/whoisi"),
            ("application/newlines;q=0.8, application/whoisi;q=0.9", "application/whoisi"),
            ("application/newlines, application/whoisi;q=0.2", "application/newlines"),
            ("*/*;q=0.1, application/newlines", "application/newlines"),
            ("application/newlines;q=0", "application/json"),
            ("application/newlines;q=0.5, */*;q=0.5", "application/json"),
            ("application/newlines,application/json", "application/json"),
            ("APPLICATION/NEWLINES", "application/newlines"),
            ("text/html, application/newlines;q=0.9", "application/newlines"),
        ]
        for accept, expected in cases:
            response = self.get(accept=accept)
            self.assertEqual(response.content_type, expected, accept)
            if expected == "application/json":
                self.assertEqual(response.json(), self.expected())
            elif expected == "application/newlines":
                self.assertEqual(parse_newlines_like_the_client(response.body)[0],
                                 self.expected())

    def test_single_item_is_json_whatever_the_accept(self):
        for accept in ("application/newlines", "application/whoisi", BROWSER_ACCEPT):
            response = self.a.get("storage/%s/newline" % self.coll, headers={"Accept": accept})
            self.assertOk(response)
            self.assertEqual(response.json(), self.expected()[1])


class LargeResponses(WeaveTestCase):
    """A full download far larger than nginx's in-memory FastCGI buffers (history, 5000
    records of a few KiB, as the client's history engine asks for)."""

    coll = "bighistory"

    @classmethod
    def setUpClass(cls):
        cls.a = require_account()

    def test_large_download(self):
        self.a.delete("storage/" + self.coll)
        count, size = 2000, 2500
        expected = {}
        for start in range(0, count, 100):
            records = [wbo("h%05d" % i, ("%05d" % i) * (size // 5), sortindex=i)
                       for i in range(start, start + 100)]
            self.post_records(self.a, self.coll, records)
            expected.update((r["id"], r["payload"]) for r in records)
        response = self.a.get("storage/%s?full=1&sort=index&limit=5000" % self.coll)
        self.assertOk(response)
        self.assertGreater(len(response.body), count * size)
        records = response.json()
        self.assertEqual(response.header("X-Weave-Records"), str(count))
        self.assertEqual([r["sortindex"] for r in records], list(range(count - 1, -1, -1)))
        self.assertEqual({r["id"]: r["payload"] for r in records}, expected)
        response = self.a.get("storage/%s?full=1" % self.coll,
                              headers={"Accept": "application/newlines"})
        lines, rest = parse_newlines_like_the_client(response.body)
        self.assertEqual(rest, "")
        self.assertEqual({r["id"]: r["payload"] for r in lines}, expected)
        self.assertEqual(self.a.delete("storage/" + self.coll).status, 200)


if __name__ == "__main__":
    unittest.main()
