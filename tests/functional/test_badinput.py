"""Hostile and broken input. After every test the server must still answer, and the
records stored beforehand (for two users) must be byte-for-byte unchanged."""

import http.client
import socket
import unittest
import urllib.parse

from weave import MAX_BODY, WeaveTestCase, require_account, wbo

SENTINEL_RECORDS = [
    wbo("s1", "sentinel one", sortindex=5, parentid="root"),
    wbo("s2", "{\"ciphertext\":\"abc\",\"IV\":\"def\",\"hmac\":\"123\"}", ttl=3600),
    wbo("{guid-with-braces}", "guid ünïcode ✓"),
]


def q(text):
    return urllib.parse.quote(text, safe="")


class BadInput(WeaveTestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = require_account()
        cls.b = require_account("2")
        helper = cls("test_malformed_json")
        for acct in (cls.a, cls.b):
            acct.wipe()
            helper.post_records(acct, "sentinel", SENTINEL_RECORDS)
            helper.put_record(acct, "bookmarks", "bm1", payload="bookmark of " + acct.user)
        cls.snapshots = {(acct.user, rel): acct.get(rel).body
                         for acct in (cls.a, cls.b) for rel in cls.watched()}

    @staticmethod
    def watched():
        return ["storage/sentinel?full=1&sort=index",
                "storage/sentinel/s1",
                "storage/sentinel/%s" % q("{guid-with-braces}"),
                "storage/bookmarks?full=1"]

    def tearDown(self):
        for acct in (self.a, self.b):
            for rel in self.watched():
                response = acct.get(rel)
                self.assertOk(response)
                self.assertEqual(response.body, self.snapshots[(acct.user, rel)],
                                 "%s %s changed" % (acct.user, rel))
            counts = self.assertOk(acct.get("info/collection_counts")).json()
            self.assertEqual((counts.get("sentinel"), counts.get("bookmarks")),
                             (len(SENTINEL_RECORDS), 1))

    def assertClientError(self, response, statuses=(400,), body=None):
        self.assertIn(response.status, statuses, response)
        if body is not None and response.header("X-Weave-Timestamp") is not None:
            self.assertEqual(response.body, body.encode(), response)

    def assertServerError(self, response, status, body):
        """An error the server itself must produce (not nginx): status, body, timestamp."""
        self.assertStatus(response, status, body)
        self.assertTimestampHeader(response)

    def assertServerTimestamp(self, response):
        """X-Weave-Timestamp, unless nginx itself refused the request before the server saw it."""
        if b"<center>nginx" not in response.body:
            self.assertTimestampHeader(response)

    def raw(self, method, path, body=None, headers=None, auth=True):
        all_headers = {"Authorization": self.a.auth()} if auth else {}
        all_headers.update(headers or {})
        return self.a.server.request(method, path, body, all_headers)

    # --- bodies

    def test_malformed_json(self):
        bodies = [b'{"id": ', b'[{"id":"a","payload":"x"}', b'{"id":"a",}', b'[1,2,]',
                  b"{'id': 'a', 'payload': 'x'}", b"NaN", b"", b"   ", b"[]]",
                  b'{"id":"a","payload":"x"} trailing', b'{"id":"a","payload":"x"}{}',
                  b'[{"id":"a","payload":"unterminated}]', b'{"id":"a","payload":"\\x41"}',
                  b'{"id":"a","payload":"bad escape \\u12"}', b"\xef\xbb\xbf[]"]
        for body in bodies:
            response = self.a.put("storage/sentinel/s1", body)
            self.assertServerError(response, 400, "6")
            response = self.a.post("storage/sentinel", body)
            self.assertServerError(response, 400, "6")

    def test_invalid_utf8(self):
        for bad in (b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf5\x80\x80\x80", b"\xe2\x82",
                    b"\x80", b"\xf0\x9f\x98"):
            body = b'{"id":"s1","payload":"before ' + bad + b' after"}'
            self.assertServerError(self.a.put("storage/sentinel/s1", body), 400, "6")
            self.assertServerError(self.a.post("storage/sentinel", b"[" + body + b"]"), 400, "6")
            key = b'[{"id":"s1","payload":"x","k' + bad + b'":1}]'
            self.assertServerError(self.a.post("storage/sentinel", key), 400, "6")

    def test_nul_bytes(self):
        for body in (b'{"id":"s1","payload":"a\x00b"}', b'\x00{"id":"s1","payload":"x"}',
                     b'{"id":"s1","payload":"x"}\x00', b'[{"id":"s1","payload":"x"}\x00]'):
            self.assertServerError(self.a.put("storage/sentinel/s1", body), 400, "6")
            post = body if body.lstrip(b"\x00").startswith(b"[") else b"[" + body + b"]"
            self.assertServerError(self.a.post("storage/sentinel", post), 400, "6")

    def test_deeply_nested_json(self):
        for body in (b"[" * 100000, b'{"a":' * 100000, b'[{"id":"s1","payload":' + b"[" * 100000):
            self.assertServerError(self.a.post("storage/sentinel", body), 400, "6")
            self.assertServerError(self.a.put("storage/sentinel/s1", body), 400, "6")
        # Well-formed but deep: an invalid record, never a crash.
        deep = b"[" * 50000 + b"]" * 50000
        response = self.a.post("storage/sentinel", deep)
        self.assertIn(response.status, (200, 400), response)
        if response.status == 200:
            self.assertEqual(response.json()["success"], [])
        self.assertServerError(self.a.put("storage/sentinel/s1", deep), 400, "8")
        deep_field = b'{"id":"s1","payload":"x","extra":' + b"[" * 50000 + b"]" * 50000 + b"}"
        self.assertServerError(self.a.put("storage/sentinel/s1", deep_field), 400, "8")
        # A deeply nested *string* is just a payload.
        ts = self.put_record(self.a, "deep", "d1", payload="[" * 100000)
        self.assertEqual(self.assertOk(self.a.get("storage/deep/d1")).json()["modified"], ts)
        self.assertEqual(self.a.delete("storage/deep").status, 200)

    def test_huge_body_over_the_limit(self):
        body = b"[" + b" " * MAX_BODY + b"]"
        response = self.a.post("storage/sentinel", body)
        self.assertEqual(response.status, 413, response)
        if response.header("X-Weave-Timestamp") is not None:  # from the server, not nginx
            self.assertEqual(response.body, b"17")
        response = self.a.put("storage/sentinel/s1", body)
        self.assertEqual(response.status, 413, response)
        # Every worker (and every kept-alive upstream connection) still works correctly.
        for i in range(12):
            response = self.a.post("storage/afterhuge", [wbo("h%d" % i, "after %d" % i)])
            self.assertPostOk(response, success=["h%d" % i], failed={})
        self.assertEqual(len(self.get_ids(self.a, "afterhuge")), 12)
        self.assertEqual(self.a.delete("storage/afterhuge").status, 200)

    def test_body_shorter_than_content_length(self):
        # The client promises more than it sends and hangs up: nothing may be stored.
        request = (b"PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                   b"Content-Length: 1000\r\n\r\n{\"id\":\"s1\",\"payload\":\"truncated\"}"
                   % (self.a.path("storage/sentinel/s1").encode(), self.a.auth().encode()))
        with socket.create_connection((self.a.server.host, self.a.server.port), timeout=10) as s:
            s.sendall(request)
            s.shutdown(socket.SHUT_WR)
            try:
                while s.recv(65536):
                    pass
            except OSError:
                pass

    def test_chunked_body(self):
        connection = http.client.HTTPConnection(self.a.server.host, self.a.server.port,
                                                timeout=30)
        try:
            connection.putrequest("POST", self.a.server.prefix + self.a.path("storage/chunked"))
            connection.putheader("Authorization", self.a.auth())
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            body = b'[{"id":"c1","payload":"chunked one"},{"id":"c2","payload":"chunked two"}]'
            for start in range(0, len(body), 10):
                piece = body[start:start + 10]
                connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            connection.send(b"0\r\n\r\n")
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        self.assertEqual(response.status, 200, data)
        self.assertEqual({k: v["payload"] for k, v in self.get_full(self.a, "chunked").items()},
                         {"c1": "chunked one", "c2": "chunked two"})
        self.assertEqual(self.a.delete("storage/chunked").status, 200)

    # --- paths and query strings

    def test_bad_percent_escapes(self):
        user = self.a.user
        for path in ("/1.1/%s/storage/sentinel%%zz" % user, "/1.1/%s/storage/sentinel/s%%" % user,
                     "/1.1/%s/storage/sentinel/s%%4" % user, "/1.1/%s/storage/%%G0" % user,
                     "/1.1/%s/info/collections%%" % user, "/1.1/%%zz/info/collections"):
            for method, body in (("GET", None), ("PUT", b'{"payload":"x"}'), ("DELETE", None)):
                response = self.raw(method, path, body)
                self.assertClientError(response, (400, 404))
        # In a query string, as in Python's parser, a malformed escape is text: these select
        # nothing, and the number "%" is still refused.
        base = "/1.1/%s/storage/sentinel" % user
        for query in ("ids=%zz", "ids=s1%2", "parentid=%G1"):
            for method in ("GET", "DELETE"):
                response = self.raw(method, base + "?" + query)
                self.assertStatus(response, 200)
                self.assertTimestampHeader(response)
            self.assertEqual(self.raw("GET", base + "?" + query).json(), [])
        self.assertEqual(self.raw("GET", base + "?ids=s1&%zz=1").json(), ["s1"])
        for method in ("GET", "DELETE"):
            response = self.raw(method, base + "?newer=%")
            self.assertClientError(response, (400,))
            self.assertTimestampHeader(response)

    def test_control_characters_in_path(self):
        for rel in ("storage/sentinel/a%00b", "storage/sentinel/a%0Ab", "storage/sentinel/%7F",
                    "storage/sent%00inel", "storage/sentinel%0D%0AX-Injected:%201"):
            for method, body in (("GET", None), ("PUT", wbo("x", "x")), ("DELETE", None)):
                response = self.a.request(method, rel, body)
                self.assertClientError(response, (400, 404))
                self.assertServerTimestamp(response)
                self.assertIsNone(response.header("X-Injected"))

    def test_sql_metacharacters_in_collection_names(self):
        for name in ("'; DROP TABLE wbo; --", "sentinel' OR '1'='1", 'x"; DELETE FROM wbo; --',
                     "sentinel;", "a b", "%", "*", "(select 1)"):
            for method, body in (("GET", None), ("POST", [wbo("z", "z")]), ("DELETE", None),
                                 ("PUT", wbo("z", "z"))):
                rel = "storage/" + q(name) + ("/z" if method == "PUT" else "")
                response = self.a.request(method, rel, body)
                self.assertServerError(response, 400, "13")

    def test_sql_metacharacters_in_ids(self):
        ids = ["x'); DROP TABLE wbo; --", "' OR '1'='1", "%", "_", "*", "s1' --", "\"s1\"",
               "a\\b", "?#~"]
        result = self.post_records(self.a, "sqlids", [wbo(i, "payload of " + i) for i in ids])
        stored = self.get_full(self.a, "sqlids")
        self.assertEqual(sorted(stored), sorted(ids))
        for id_ in ids:
            record = self.assertOk(self.a.get("storage/sqlids/" + q(id_))).json()
            self.assertEqual(record, {"id": id_, "payload": "payload of " + id_,
                                      "modified": result["modified"]})
            self.assertEqual(self.get_ids(self.a, "sqlids", "ids=" + q(id_)), [id_])
        # Wildcards and quotes in filters match literally, here and in other collections.
        for query in ("ids=%25", "ids=_", "parentid=" + q("' OR 1=1 --"),
                      "predecessorid=" + q("%"), "ids=" + q("' OR '1'='1")):
            expected = {"ids=%25": ["%"], "ids=_": ["_"],
                        "ids=" + q("' OR '1'='1"): ["' OR '1'='1"]}.get(query, [])
            self.assertEqual(self.get_ids(self.a, "sqlids", query), expected, query)
            self.assertEqual(self.get_ids(self.a, "sentinel", query), [], query)
        for query in ("sort=" + q("modified; DROP TABLE wbo"), "sort=" + q("id DESC --")):
            self.assertEqual(sorted(self.get_ids(self.a, "sqlids", query)), sorted(ids))
        for query in ("limit=" + q("1; DELETE FROM wbo"), "newer=" + q("1 OR 1=1"),
                      "index_above=" + q("0) OR (1=1")):
            self.assertClientError(self.a.get("storage/sentinel?" + query))
            self.assertClientError(self.a.delete("storage/sentinel?" + query))
        # Deleting by the hostile ids removes exactly those records.
        self.assertEqual(self.a.delete("storage/sqlids?ids=" + q("' OR '1'='1") + ",%25").status,
                         200)
        self.assertEqual(sorted(self.get_ids(self.a, "sqlids")),
                         sorted(set(ids) - {"' OR '1'='1", "%"}))
        self.assertEqual(self.a.delete("storage/sqlids/" + q("x'); DROP TABLE wbo; --")).status,
                         200)
        self.assertEqual(len(self.get_ids(self.a, "sqlids")), len(ids) - 3)
        self.assertEqual(self.a.delete("storage/sqlids").status, 200)

    def test_path_traversal(self):
        user_a, user_b = self.a.user, self.b.user
        attempts = [
            "/1.1/%s/storage/../../%s/storage/sentinel?full=1" % (user_a, user_b),
            "/1.1/%s/../%s/storage/sentinel?full=1" % (user_a, user_b),
            "/1.1/%s/storage/sentinel/../../../%s/storage/sentinel" % (user_a, user_b),
            "/1.1/%s/storage/%%2E%%2E/%%2E%%2E/%s/storage/sentinel" % (user_a, user_b),
            "/1.1/%s/storage/sentinel%%2F..%%2F..%%2F%s%%2Fstorage%%2Fsentinel" % (user_a, user_b),
            "/1.1/%s%%2F..%%2F%s/storage/sentinel?full=1" % (user_a, user_b),
            "/1.1/%s/storage/sentinel/..%%2F..%%2F..%%2F%s%%2Fstorage%%2Fsentinel%%2Fs1"
            % (user_a, user_b),
            "/1.1/./%s/storage/sentinel" % user_b,
            "//1.1/%s/storage/sentinel" % user_b,
        ]
        b_secret = ("bookmark of " + user_b).encode()
        for path in attempts:
            for method, body in (("GET", None), ("PUT", b'{"payload":"traversal"}'),
                                 ("POST", b'[{"id":"s1","payload":"traversal"}]'),
                                 ("DELETE", None)):
                response = self.raw(method, path, body)
                self.assertNotEqual(response.status // 100, 5, (path, response))
                if response.status == 200:
                    self.assertNotIn(b"sentinel one", response.body, path)
                    self.assertNotIn(b_secret, response.body, path)
                    self.assertNotIn(b"guid", response.body, path)
        # Whatever names were created on the way hold nothing of B's or the sentinel.
        self.assertEqual(sorted(self.assertOk(self.b.get("info/collections")).json()),
                         ["bookmarks", "sentinel"])
        for coll in self.assertOk(self.a.get("info/collections")).json():
            if coll not in ("sentinel", "bookmarks"):
                self.a.delete("storage/" + q(coll))

    def test_slash_in_names(self):
        for rel in ("storage/sentinel%2Fs1", "storage/a%2Fb/s1", "storage/a%2F/s1"):
            self.assertServerError(self.a.get(rel), 400, "13")
            self.assertServerError(self.a.put(rel, wbo("s1", "x")), 400, "13")
        for rel in ("storage/sentinel/s1%2F", "storage/sentinel/a%2Fb"):
            response = self.a.put(rel, wbo("x", "x"))
            self.assertServerError(response, 400, "8")
            self.assertClientError(self.a.get(rel), (400, 404))
            self.assertClientError(self.a.delete(rel), (400, 404))

    def test_overlong_collection_names(self):
        name32, name33 = "c" * 32, "c" * 33
        self.put_record(self.a, name32, "x", payload="32 is fine")
        self.assertEqual(self.get_ids(self.a, name32), ["x"])
        self.assertEqual(self.a.delete("storage/" + name32).status, 200)
        for name in (name33, "c" * 1000):
            for method, rel, body in (("GET", "storage/" + name, None),
                                      ("POST", "storage/" + name, [wbo("x", "x")]),
                                      ("DELETE", "storage/" + name, None),
                                      ("GET", "storage/%s/x" % name, None),
                                      ("PUT", "storage/%s/x" % name, wbo("x", "x")),
                                      ("DELETE", "storage/%s/x" % name, None)):
                self.assertServerError(self.a.request(method, rel, body), 400, "13")
        self.assertNotIn(name33, self.assertOk(self.a.get("info/collections")).json())

    def test_overlong_ids_in_path(self):
        self.assertServerError(self.a.put("storage/sentinel/" + "i" * 65, wbo("x", "x")), 400, "8")
        self.assertClientError(self.a.get("storage/sentinel/" + "i" * 65), (400, 404))
        self.assertClientError(self.a.delete("storage/sentinel/" + "i" * 65), (400, 200))

    def test_invalid_usernames(self):
        for name in ("al!ce", "a" * 65, "a%20b", "%00", "a%2Fb", "al%C3%AFce", "a'--", "*"):
            for rel in ("info/collections", "storage/sentinel", "storage/sentinel/s1"):
                response = self.a.get(rel, path_user=name,
                                      auth="Basic " + "YWw6eHh4eHh4eHg=")
                self.assertClientError(response, (400, 401, 404))
                self.assertServerTimestamp(response)

    def test_many_ids_in_query(self):
        ids = ["%064d" % i for i in range(100)]
        self.post_records(self.a, "manyids", [wbo(i, "x") for i in ids[:50]])
        self.assertEqual(sorted(self.get_ids(self.a, "manyids", "ids=" + ",".join(ids))),
                         ids[:50])
        response = self.a.delete("storage/manyids?ids=" + ",".join(ids[:25]))
        self.assertTimestampBody(response)
        self.assertEqual(sorted(self.get_ids(self.a, "manyids")), ids[25:50])
        self.assertEqual(self.a.delete("storage/manyids").status, 200)

    # --- methods and unknown paths

    def test_wrong_methods(self):
        cases = [
            ("POST", "info/collections", {"GET"}),
            ("PUT", "info/quota", {"GET"}),
            ("DELETE", "info/collection_counts", {"GET"}),
            ("POST", "info/collection_usage", {"GET"}),
            ("PATCH", "storage/sentinel", {"GET", "POST", "PUT", "DELETE"}),
            ("POST", "storage/sentinel/s1", {"GET", "PUT", "DELETE"}),
            ("PATCH", "storage/sentinel/s1", {"GET", "PUT", "DELETE"}),
            ("GET", "storage", {"DELETE"}),
            ("PUT", "storage", {"DELETE"}),
            ("POST", "storage", {"DELETE"}),
            ("OPTIONS", "storage/sentinel", {"GET", "POST", "PUT", "DELETE"}),
            ("FOO", "info/collections", {"GET"}),
        ]
        for method, rel, allowed in cases:
            body = b"[]" if method in ("POST", "PUT", "PATCH") else None
            response = self.a.request(method, rel, body, headers={"X-Confirm-Delete": "1"})
            self.assertStatus(response, 405)
            self.assertTimestampHeader(response)
            allow = response.header("Allow")
            self.assertIsNotNone(allow, (method, rel))
            self.assertEqual({m.strip() for m in allow.split(",")}, allowed, (method, rel))

    def test_unknown_paths(self):
        user = self.a.user
        for path in ("/", "/1.1", "/1.1/", "/1.1/%s" % user, "/1.1/%s/" % user,
                     "/1.1/%s/info" % user, "/1.1/%s/info/nope" % user,
                     "/1.1/%s/info/collections/extra" % user, "/1.1/%s/nope" % user,
                     "/1.1/%s/nope/sentinel" % user, "/1.1/%s/storage/sentinel/s1/extra" % user,
                     "/1.1/%s//storage/sentinel" % user, "/1.1/%s/storage//s1" % user,
                     "/3.0/%s/info/collections" % user, "/favicon.ico",
                     "/1.1/%s/Storage/sentinel" % user, "/1.1/%s/INFO/collections" % user):
            for method in ("GET", "DELETE"):
                response = self.raw(method, path)
                self.assertStatus(response, 404)
                self.assertTimestampHeader(response)


if __name__ == "__main__":
    unittest.main()
