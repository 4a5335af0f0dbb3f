"""Hostile input through nginx against a running server (hardening).

Starts its own weave-server (3 workers) and nginx on loopback (weave_instance.py) with the
lockout at its default limits, 127.0.0.1 a trusted proxy (so X-Forwarded-For plays many
client addresses), open registration behind a captcha (a loopback siteverify stand-in)
and reset mail to a sink. A victim and an attacker account hold records. The tests throw
hostile requests at it, as the attacker with its own credentials or as anonymous
guessers, and check every answer as it comes:
  - no 5xx (nothing here is throttled, so not even a 503),
  - answered within MAX_SECONDS, measured per request (a slow answer is asked for once
    more and must not be slow again, except from the parallel guessers, whose waiting
    for each other is the point),
  - the protocol's error code where one applies,
  - never a byte of the victim's records.
After every test: the workers are the processes that started, the server log reports no
worker death and no sanitizer finding, and both accounts' info/collections, collection
counts, quota and full records (timestamps included) are what they were.

Run alone: FUNC_FILTER=test_hostile sh tests/functional/run.sh BUILD_DIR
"""

import base64
import concurrent.futures
import http.client
import json
import os
import shutil
import socket
import tempfile
import threading
import time
import unittest
import urllib.parse

import smtp_sink
import weave_instance
from test_user_api import CAPTCHA_SECRET, CODE_RE, CaptchaService
from weave import Server, WeaveTestCase, basic, wbo

MAX_SECONDS = 1.0  # the longest any single answer may take
CLIENT_TIMEOUT = 10  # a hang shows up as a timeout, not a stuck suite
WORKERS = 3
MAX_BODY = 8388608
MAX_PAYLOAD = 262144
BATCH_MAX_COUNT = 100
NGINX_LINE = 8192  # nginx's default large_client_header_buffers: 4 buffers of 8k

VICTIM, VICTIM_PASSWORD = "vicky", "vicky-password-1"
ATTACKER, ATTACKER_PASSWORD = "mallory", "mallory-password-2"
VICTIM_HOME = "10.20.30.40"  # where the victim syncs from (a trusted address)
VICTIM_MARK = b"VICTIM-SECRET"  # in every victim payload; must never reach anyone else
VICTIM_RECORDS = {
    "bookmarks": [wbo("b1", "VICTIM-SECRET bookmark one", sortindex=100, parentid="menu"),
                  wbo("b2", "VICTIM-SECRET bookmark two", sortindex=-5, predecessorid="b1"),
                  wbo("{guid-1}", "VICTIM-SECRET ünïcode ✓")],
    "history": [wbo("h1", "VICTIM-SECRET history", ttl=31536000, sortindex=7)],
    "crypto": [wbo("keys", '{"ciphertext":"VICTIM-SECRET","IV":"iv","hmac":"mac"}')],
    "meta": [wbo("global", "VICTIM-SECRET meta")],
}
ATTACKER_RECORDS = {
    "bookmarks": [wbo("b1", "attacker bookmark", sortindex=3),
                  wbo("b2", "attacker bookmark two", parentid="b1")],
    "forms": [wbo("f1", "attacker form", ttl=31536000)],
}
# The attacker's scratch collection: writes that may succeed go here and are removed.
SCRATCH = "scratch"

TMP = None
INSTANCE = None
SINK = None
CAPTCHA = None
SERVER = None
WORKER_PIDS = None
SNAPSHOTS = {}
STATS = {"requests": 0, "retried": 0, "slowest": 0.0, "slowest_request": ""}
STATS_LOCK = threading.Lock()


def b64(data):
    return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()


def q(text):
    return urllib.parse.quote(text, safe="")


def own(rel):
    return "/1.1/%s/%s" % (ATTACKER, rel)


def victims(rel):
    return "/1.1/%s/%s" % (VICTIM, rel)


def attacker_auth():
    return basic(ATTACKER, ATTACKER_PASSWORD)


def victim_auth():
    return basic(VICTIM, VICTIM_PASSWORD)


def plain_get(path, auth, forwarded=None):
    headers = {"Authorization": auth}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    return SERVER.request("GET", path, None, headers, CLIENT_TIMEOUT)


def snapshot(user, auth):
    """What the account stores, as the server reports it: info documents and every
    collection's full records (timestamps included), read from 127.0.0.1."""
    base = "/1.1/%s/" % user
    state = {}
    for rel in ("info/collections", "info/collection_counts", "info/quota"):
        response = plain_get(base + rel, auth)
        if response.status != 200:
            raise AssertionError("%s %s: %r" % (user, rel, response))
        state[rel] = response.json()
    for coll in sorted(state["info/collections"]):
        response = plain_get(base + "storage/%s?full=1" % q(coll), auth)
        if response.status != 200:
            raise AssertionError("%s %s: %r" % (user, coll, response))
        state["storage/" + coll] = sorted(response.json(), key=lambda r: r["id"])
    return state


def server_log(start=0):
    with open(INSTANCE.server_log, errors="replace") as log:
        log.seek(start)
        return log.read()


def seed(user, password, records_by_collection):
    acct_auth = basic(user, password)
    for coll, records in records_by_collection.items():
        response = SERVER.request("POST", "/1.1/%s/storage/%s" % (user, coll),
                                  json.dumps(records), {"Authorization": acct_auth,
                                                        "Content-Type": "application/json"})
        if response.status != 200 or response.json()["failed"]:
            raise AssertionError("seeding %s/%s: %r" % (user, coll, response))
        time.sleep(0.02)  # each collection its own timestamp


def setUpModule():
    global TMP, INSTANCE, SINK, CAPTCHA, SERVER, WORKER_PIDS
    missing = weave_instance.tools_missing()
    if missing:
        raise unittest.SkipTest(missing)
    TMP = tempfile.mkdtemp(prefix="weave-hostile.")
    os.chmod(TMP, 0o711)
    try:
        SINK = smtp_sink.SmtpSink(os.path.join(TMP, "mail")).start()
        CAPTCHA = CaptchaService()
        settings = {
            "server": {"trusted_proxies": ["127.0.0.1"]},
            "limits": {"max_body_bytes": MAX_BODY, "max_payload_bytes": MAX_PAYLOAD,
                       "batch_max_count": BATCH_MAX_COUNT},
            # Plain names, so that each body check reaches the field it is about (a hashed
            # name would be refused first, with 15, for most of them).
            "registration": {"policy": "open", "require_hashed_username": False, "captcha": {
                "verify_url": "http://127.0.0.1:%d/siteverify" % CAPTCHA.port,
                "secret": CAPTCHA_SECRET, "site_key": "site-key-1"}},
            "mail": {"smtp_url": "smtp://127.0.0.1:%d" % SINK.port,
                     "from": "sync@test.invalid", "timeout_seconds": 5},
            # The defaults, spelled out: the guessing tests depend on them.
            "accounts": {"lockout_max_failures": 10, "lockout_max_failures_per_address": 100,
                         "lockout_window_seconds": 600, "lockout_seconds": 900,
                         "reset_mails_per_hour": 5},
        }
        INSTANCE = weave_instance.Instance(TMP, "hostile", settings, public_url=True,
                                           workers=WORKERS).start()
        INSTANCE.add_user(VICTIM, VICTIM_PASSWORD, "vicky@example.org")
        INSTANCE.add_user(ATTACKER, ATTACKER_PASSWORD, "mallory@example.org")
        SERVER = Server(INSTANCE.url)
        seed(VICTIM, VICTIM_PASSWORD, VICTIM_RECORDS)
        seed(ATTACKER, ATTACKER_PASSWORD, ATTACKER_RECORDS)
        # The victim's home address becomes trusted by a successful login from it.
        response = plain_get(victims("info/collections"), victim_auth(), VICTIM_HOME)
        if response.status != 200:
            raise AssertionError("victim login from home: %r" % response)
        SNAPSHOTS[VICTIM] = snapshot(VICTIM, victim_auth())
        SNAPSHOTS[ATTACKER] = snapshot(ATTACKER, attacker_auth())
        WORKER_PIDS = sorted(weave_instance.live_children(INSTANCE.server_proc.pid))
        if len(WORKER_PIDS) != WORKERS:
            raise AssertionError("%d workers, not %d" % (len(WORKER_PIDS), WORKERS))
    except Exception:
        tearDownModule()
        raise


def tearDownModule():
    global INSTANCE, SINK, CAPTCHA
    if STATS["requests"]:
        print("      hostile: %d requests (%d sent again after a slow answer), slowest %.3fs (%s)"
              % (STATS["requests"], STATS["retried"], STATS["slowest"],
                 STATS["slowest_request"]))
    if INSTANCE is not None:
        INSTANCE.stop()
        INSTANCE = None
    if SINK is not None:
        SINK.stop()
        SINK = None
    if CAPTCHA is not None:
        CAPTCHA.stop()
        CAPTCHA = None
    if TMP is not None and not os.environ.get("WEAVE_KEEP_TMP"):
        shutil.rmtree(TMP, ignore_errors=True)


class Hostile(WeaveTestCase):
    """Sends hostile requests and checks each answer; after each test checks that the
    server and the stored data came through unchanged."""

    # Collections of the attacker a test may fill (removed afterwards).
    scratch = (SCRATCH,)
    # True while parallel clients run: their answers wait for each other on purpose, and
    # that wait is what is measured, so a slow one is not asked for again.
    parallel = False

    def setUp(self):
        self.log_start = os.path.getsize(INSTANCE.server_log)

    def tearDown(self):
        try:
            for coll in self.scratch:
                response = SERVER.request("DELETE", own("storage/" + coll), None,
                                          {"Authorization": attacker_auth()}, CLIENT_TIMEOUT)
                self.assertIn(response.status, (200, 404), response)
        finally:
            self.check_aftermath()

    def check_aftermath(self):
        """Fails the test if it changed the workers or the data; the next test then starts
        from the new state, so that one finding is reported once."""
        global WORKER_PIDS
        pids = sorted(weave_instance.live_children(INSTANCE.server_proc.pid))
        changed_pids, WORKER_PIDS = WORKER_PIDS, pids
        self.assertEqual(pids, changed_pids, "the workers changed")
        problems = [line for line in server_log(self.log_start).splitlines()
                    if " died (" in line or "unexpected:" in line]
        self.assertEqual(problems, [], "a worker died or a handler failed unexpectedly")
        self.assertIsNone(INSTANCE.sanitizer_report())
        for user, auth in ((VICTIM, victim_auth()), (ATTACKER, attacker_auth())):
            before, SNAPSHOTS[user] = SNAPSHOTS[user], snapshot(user, auth)
            self.assertEqual(SNAPSHOTS[user], before, "%s's stored data changed" % user)

    # --- sending

    def check(self, label, status, body, from_server):
        """Checks one answer; from_server False: nginx answered itself (it says 501 and 505
        for methods and HTTP versions it does not speak; a 502 or 504 is still a failure)."""
        if not (status in (501, 505) and not from_server):
            self.assertLess(status, 500, "%s: %s %r" % (label, status, body[:300]))
        self.assertNotIn(VICTIM_MARK, body, "%s leaked the victim's data" % label)

    def timed(self, label, exchange):
        """Runs exchange() -> (status, body, from_server, result), checks the answer and its
        time, and returns result. An answer slower than MAX_SECONDS is asked for once more
        (any single request can stall on a machine busy with other work) and fails the test
        only if it is slow again: a hang or a slow code path is slow twice."""
        for attempt in (1, 2):
            started = time.monotonic()
            status, body, from_server, result = exchange()
            elapsed = time.monotonic() - started
            self.check(label, status, body, from_server)
            with STATS_LOCK:
                STATS["requests"] += 1
                STATS["retried"] += attempt - 1
                if elapsed > STATS["slowest"]:
                    STATS["slowest"], STATS["slowest_request"] = elapsed, label
            if elapsed <= MAX_SECONDS or self.parallel:
                break
        self.assertLessEqual(elapsed, MAX_SECONDS, "%s took %.2fs" % (label, elapsed))
        return result

    def send(self, method, path, body=None, headers=None, auth=True, forwarded=None,
             content_type="application/json"):
        """One request on a fresh connection; auth True: the attacker's credentials,
        False: none, a string: that Authorization header. path is sent raw."""
        all_headers = {}
        if auth is True:
            all_headers["Authorization"] = attacker_auth()
        elif auth:
            all_headers["Authorization"] = auth
        if forwarded:
            all_headers["X-Forwarded-For"] = forwarded
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if body is not None and content_type:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})

        def exchange():
            response = SERVER.request(method, path, body, all_headers, CLIENT_TIMEOUT)
            return response.status, response.body, True, response

        return self.timed("%s %s" % (method, path[:120]), exchange)

    def raw(self, data, label, shutdown=False):
        """Sends raw bytes on a fresh connection; returns the status of the first answer
        (0 when the connection closed without one) and its body."""

        def exchange():
            with socket.create_connection((SERVER.host, SERVER.port),
                                          timeout=CLIENT_TIMEOUT) as s:
                try:
                    s.sendall(data)
                    if shutdown:
                        s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass  # refused before the whole request was sent; the answer counts
                response = http.client.HTTPResponse(s)
                try:
                    response.begin()
                    status, body = response.status, response.read()
                    from_server = response.getheader("X-Weave-Timestamp") is not None
                except (http.client.HTTPException, OSError):
                    status, body, from_server = 0, b"", False
            return status, body, from_server, (status, body)

        return self.timed(label, exchange)

    def request_head(self, method, path, headers):
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1", "Connection: close"]
        lines += ["%s: %s" % item for item in headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    # --- expectations

    def expect(self, response, statuses, code=None, what=""):
        """An answer with one of statuses; code: the Weave error code (or a tuple of them)
        the server must send with a 4xx (nginx's own refusals carry no X-Weave-Timestamp
        and are not checked for it)."""
        statuses = statuses if isinstance(statuses, (tuple, list, set)) else (statuses,)
        self.assertIn(response.status, statuses, "%r %s" % (response, what))
        from_server = response.header("X-Weave-Timestamp") is not None
        if code is not None and from_server and response.status >= 400:
            codes = code if isinstance(code, tuple) else (code,)
            self.assertIn(response.body, [str(c).encode() for c in codes],
                          "%r %s" % (response, what))
        if response.status == 401 and response.content_type != "text/html":
            self.assertIsNotNone(response.header("WWW-Authenticate"), response)

    def post_result(self, response):
        self.assertEqual(response.status, 200, response)
        result = response.json()
        self.assertEqual(set(result), {"modified", "success", "failed"}, result)
        return result

    def stored(self, coll=SCRATCH):
        response = self.send("GET", own("storage/%s?full=1" % coll))
        self.assertEqual(response.status, 200, response)
        return {record["id"]: record for record in response.json()}


class Bodies(Hostile):
    def test_maximal_body_of_tiny_records(self):
        records, size, i = [], 2, 0
        while True:
            record = '{"id":"t%06d","payload":""}' % i
            if size + len(record) + 1 > MAX_BODY:
                break
            records.append(record)
            size += len(record) + 1
            i += 1
        body = ("[" + ",".join(records) + "]").encode()
        body = body[:-1] + b" " * (MAX_BODY - len(body)) + b"]"
        self.assertEqual(len(body), MAX_BODY)
        result = self.post_result(self.send("POST", own("storage/" + SCRATCH), body))
        self.assertEqual(len(result["success"]), BATCH_MAX_COUNT)
        self.assertEqual(len(self.stored()), BATCH_MAX_COUNT)
        # The same at someone else's data, at a stored collection as records that are all
        # invalid, and as a single record.
        self.expect(self.send("POST", victims("storage/bookmarks"), body), 401)
        invalid = body.replace(b'"id":"t', b'"id":"/')
        result = self.post_result(self.send("POST", own("storage/bookmarks"), invalid))
        self.assertEqual(result["success"], [])
        self.expect(self.send("PUT", own("storage/bookmarks/b1"), body), 400, 8)
        # One over the limit, as one of the records.
        self.expect(self.send("POST", own("storage/bookmarks"), body[:-1] + b" ]"), 413, 17)

    def test_one_huge_record(self):
        filler = "x" * (MAX_BODY - 100)
        for field in ("payload", "id", "parentid", "sortindex"):
            record = {"id": "b1", "payload": "p", field: filler}
            result = self.post_result(self.send("POST", own("storage/bookmarks"), [record]))
            self.assertEqual(result["success"], [], field)
            self.expect(self.send("PUT", own("storage/bookmarks/b1"), record), 400, 8)
        # An unknown field is ignored, however large.
        result = self.post_result(self.send("POST", own("storage/" + SCRATCH),
                                            [wbo("j", "p", junk=filler)]))
        self.assertEqual(result["success"], ["j"])
        self.assertEqual(self.stored()["j"]["payload"], "p")
        # The payload limit exactly, and one byte over.
        exact = "é" * (MAX_PAYLOAD // 2)
        self.assertEqual(self.send("PUT", own("storage/%s/max" % SCRATCH),
                                   wbo("max", exact)).status, 200)
        self.assertEqual(self.stored()["max"]["payload"], exact)
        self.expect(self.send("PUT", own("storage/bookmarks/b1"), wbo("b1", exact + "x")), 400, 8)

    def test_deep_nesting(self):
        for depth in (10000, 100000):
            for opener, closer in ((b"[", b"]"), (b'{"a":', b"}")):
                unbalanced = opener * depth
                balanced = opener * depth + b"1" + closer * depth
                for body in (unbalanced, b'[{"id":"b1","payload":' + unbalanced):
                    self.expect(self.send("POST", own("storage/bookmarks"), body), 400, 6)
                    self.expect(self.send("PUT", own("storage/bookmarks/b1"), body), 400, 6)
                response = self.send("POST", own("storage/bookmarks"), balanced)
                if response.status == 200:
                    self.assertEqual(response.json()["success"], [])
                else:
                    self.expect(response, 400, 8)
                self.expect(self.send("PUT", own("storage/bookmarks/b1"), balanced), 400, 8)
                for field in ("payload", "id", "sortindex", "ttl", "parentid"):
                    record = b'{"id":"b1","payload":"x","%s":%s}' % (field.encode(), balanced)
                    self.expect(self.send("PUT", own("storage/bookmarks/b1"), record), 400, 8)
                    result = self.post_result(self.send("POST", own("storage/bookmarks"),
                                                        b"[" + record + b"]"))
                    self.assertEqual(result["success"], [])
                # The User API's JSON bodies.
                self.expect(self.send("PUT", "/user/1.0/deep%d" % depth, balanced, auth=False),
                            400, 6 if opener == b"[" else 7)
                self.expect(self.send("PUT", "/user/1.0/deep%d" % depth, unbalanced,
                                      auth=False), 400, 6)
        # A deeply nested string is only a payload.
        self.assertEqual(self.send("PUT", own("storage/%s/deep" % SCRATCH),
                                   wbo("deep", "[" * 100000)).status, 200)
        self.assertEqual(self.stored()["deep"]["payload"], "[" * 100000)

    def test_invalid_utf8_and_surrogates(self):
        raw_bad = [b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf",
                   b"\xc1\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xf4\x90\x80\x80",
                   b"\xf8\x88\x80\x80\x80", b"\x80", b"\xe2\x82", b"\xf0\x9f\x98"]
        escaped_bad = [b"\\ud800", b"\\udc00", b"\\udfff", b"\\ud800\\u0041", b"\\ud800x",
                       b"\\udbff\\udbff", b"\\udc00\\ud800", b"\\ud800\\"]
        for bad in raw_bad + escaped_bad:
            for template in (b'{"id":"b1","payload":"a%sb"}', b'{"id":"b%s","payload":"x"}',
                             b'{"id":"b1","payload":"x","parentid":"%s"}',
                             b'{"id":"b1","payload":"x","k%s":1}',
                             b'{"id":"b1","payload":"x","sortindex":"1%s"}'):
                body = template.replace(b"%s", bad)
                self.expect(self.send("PUT", own("storage/bookmarks/b1"), body), 400, (6,))
                self.expect(self.send("POST", own("storage/bookmarks"), b"[" + body + b"]"),
                            400, 6)
            # The User API's bodies (an escape in a text body is just text: raw bytes only).
            account = b'{"password":"pass%sword-long","email":"a@example.org"}' % bad
            self.expect(self.send("PUT", "/user/1.0/utfnew", account, auth=False), 400, (6, 9))
            if bad in escaped_bad:
                continue
            self.expect(self.send("POST", "/user/1.0/%s/password" % ATTACKER,
                                  b"new-password" + bad, content_type="text/plain"), 400, 9)
            self.expect(self.send("POST", "/user/1.0/%s/email" % ATTACKER,
                                  b"m" + bad + b"@example.org", content_type="text/plain"),
                        400, 12)
        # A valid surrogate pair is a character like any other.
        self.assertEqual(self.send("PUT", own("storage/%s/pair" % SCRATCH),
                                   b'{"payload":"\\ud83d\\ude00"}').status, 200)
        self.assertEqual(self.stored()["pair"]["payload"], "\U0001f600")
        # In paths and query strings.
        for enc in ("%FF", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%E2%82"):
            self.expect(self.send("GET", own("storage/book%s" % enc)), 400, 13)
            self.expect(self.send("PUT", own("storage/bookmarks/b%s" % enc),
                                  wbo("x", "x")), 400, 8)
            self.expect(self.send("GET", own("storage/bookmarks/b%s" % enc)), (400, 404))
            self.expect(self.send("DELETE", own("storage/bookmarks/b%s" % enc)), (200, 400, 404))
            self.expect(self.send("GET", "/1.1/mall%s/info/collections" % enc), 400, 3)
            self.expect(self.send("GET", "/user/1.0/mall%s" % enc, auth=False), 400, 3)
            for name in ("ids", "parentid", "predecessorid"):
                response = self.send("GET", own("storage/bookmarks?%s=%s" % (name, enc)))
                self.assertEqual((response.status, response.json()), (200, []))
            for name in ("sort", "full"):
                self.assertEqual(self.send("GET", own("storage/bookmarks?%s=%s" % (name, enc)))
                                 .status, 200)
            self.expect(self.send("GET", own("storage/bookmarks?newer=" + enc)), 400, 1)
        # Raw (unencoded) bytes in the request line and in a header.
        for bad in raw_bad:
            for path in (own("storage/book") + bad.decode("latin-1"),
                         own("storage/bookmarks/b") + bad.decode("latin-1"),
                         own("storage/bookmarks?ids=") + bad.decode("latin-1")):
                status, _ = self.raw(self.request_head("GET", path,
                                                       [("Authorization", attacker_auth())]),
                                     "raw GET " + path)
                self.assertIn(status, (200, 400, 404), path)
            head = self.request_head("PUT", own("storage/bookmarks/b1"),
                                     [("Authorization", attacker_auth()), ("Content-Length", "2"),
                                      ("X-If-Unmodified-Since", "1" + bad.decode("latin-1"))])
            status, _ = self.raw(head + b"{}", "raw PUT with X-If-Unmodified-Since")
            self.assertEqual(status, 400)

    def test_nul_bytes(self):
        for body in (b'{"id":"b1","payload":"a\x00b"}', b'\x00{"id":"b1","payload":"x"}',
                     b'{"id":"b1","payload":"x"}\x00', b'{"id":"b1\x00","payload":"x"}'):
            self.expect(self.send("PUT", own("storage/bookmarks/b1"), body), 400, 6)
            self.expect(self.send("POST", own("storage/bookmarks"), b"[" + body + b"]"), 400, 6)
        for body in (b'{"id":"b1\\u0000","payload":"x"}', b'{"id":"\\u0000","payload":"x"}'):
            result = self.post_result(self.send("POST", own("storage/bookmarks"),
                                                b"[" + body + b"]"))
            self.assertEqual(result["success"], [], body)
        # A PUT stores under the URL's id whatever id its body names, as the reference did.
        self.assertEqual(self.send("PUT", own("storage/%s/nulid" % SCRATCH),
                                   b'{"id":"b1\\u0000","payload":"x"}').status, 200)
        self.assertEqual(self.stored()["nulid"]["payload"], "x")
        # Unknown keys with NUL are ignored; a record without its id is not stored.
        result = self.post_result(self.send("POST", own("storage/bookmarks"),
                                            b'[{"id\\u0000":"b1","payload":"x"}]'))
        self.assertEqual(result["success"], [])
        # An escaped NUL in a payload or a reference is just a character: stored and served
        # as sent.
        self.assertEqual(self.send("PUT", own("storage/%s/nul" % SCRATCH),
                                   b'{"payload":"a\\u0000b\\u0000","parentid":"\\u0000"}')
                         .status, 200)
        self.assertEqual(self.stored()["nul"]["payload"], "a\x00b\x00")
        self.assertEqual(self.stored()["nul"]["parentid"], "\x00")
        # In paths, query strings and the User API.
        self.expect(self.send("GET", own("storage/book%00marks")), 400, 13)
        self.expect(self.send("POST", own("storage/%00"), [wbo("x", "x")]), 400, 13)
        self.expect(self.send("PUT", own("storage/bookmarks/b1%00"), wbo("b1", "x")), 400, 8)
        self.expect(self.send("DELETE", own("storage/bookmarks/b1%00")), (200, 400, 404))
        self.expect(self.send("GET", "/1.1/%s%%00/info/collections" % ATTACKER), 400, 3)
        self.expect(self.send("GET", own("storage/bookmarks?ids=b1%00,%00")), 200)
        self.expect(self.send("GET", own("storage/bookmarks?newer=1%00")), 400, 1)
        self.expect(self.send("PUT", "/user/1.0/nulnew", auth=False,
                              body=b'{"password":"pass\\u0000word-x","email":"a@example.org",'
                                   b'"captcha-response":"solved"}'), 400, 9)
        self.expect(self.send("PUT", "/user/1.0/nulnew", auth=False,
                              body=b'{"password":"password-long","email":"a\\u0000@b.org",'
                                   b'"captcha-response":"solved"}'), 400, 12)
        self.expect(self.send("POST", "/user/1.0/%s/password" % ATTACKER,
                              b"new-pass\x00word", content_type="text/plain"), 400, 9)
        self.expect(self.send("POST", "/user/1.0/%s/email" % ATTACKER,
                              b"mallory@example.org\x00", content_type="text/plain"), 400, 12)
        self.expect(self.send("GET", "/user/1.0/%s%%00" % ATTACKER, auth=False), 400, 3)

    def test_huge_numbers_in_records(self):
        huge = ["1e309", "-1e309", "18446744073709551616", "9223372036854775808",
                "-9223372036854775809", "1" + "0" * 1000, "1e400", "999999999999999999999.5",
                "1000000000", "-1000000000", '"1e309"', '"NaN"', '"Infinity"', '"-inf"',
                '"0x10"', '"1' + "0" * 1000 + '"', '" "', '""', "true", "1.7976931348623157e308",
                "31536001", "-1"]
        for value in huge:
            for field in ("sortindex", "ttl"):
                if field == "sortindex" and value in ("31536001", "-1"):
                    continue  # in range for a sortindex
                body = ('{"id":"b1","payload":"changed","%s":%s}' % (field, value)).encode()
                self.expect(self.send("PUT", own("storage/bookmarks/b1"), body), 400, (6, 8),
                            body[:80])
                response = self.send("POST", own("storage/bookmarks"), b"[" + body + b"]")
                if response.status == 200:
                    self.assertEqual(response.json()["success"], [], body[:80])
                else:
                    self.expect(response, 400, 6)
        # Values that are fine: stored as the protocol says.
        fine = {"-0": 0, "-0.0": 0, "1e-400": 0, "0.99": 0, "-0.99": 0, '"-0"': 0,
                "999999999": 999999999, "-999999999.9": -999999999, '" 7 "': 7, "5e2": 500}
        for i, (value, expected) in enumerate(sorted(fine.items())):
            body = '{"id":"n%d","payload":"x","sortindex":%s}' % (i, value)
            self.assertEqual(self.send("PUT", own("storage/%s/n%d" % (SCRATCH, i)),
                                       body).status, 200, value)
            self.assertEqual(self.stored()["n%d" % i].get("sortindex"), expected, value)
            if 0 < expected <= 31536000:  # as a ttl too (0 would expire at once)
                body = '{"id":"t%d","payload":"x","ttl":%s}' % (i, value)
                self.assertEqual(self.send("PUT", own("storage/%s/t%d" % (SCRATCH, i)),
                                           body).status, 200, value)
        # "modified" is the server's: any number sent is ignored.
        for value in ("1e309", "-1", "99999999999999999999", '"x"', "1e308"):
            body = '{"id":"m","payload":"x","modified":%s}' % value
            response = self.send("PUT", own("storage/%s/m" % SCRATCH), body)
            if response.status == 200:
                self.assertEqual(self.stored()["m"]["modified"], float(response.body))
            else:
                self.expect(response, 400, 6)

    def test_huge_numbers_in_query(self):
        values = ["1e309", "-0", "-0.0", "18446744073709551616", "9" * 20, "1" + "0" * 1000,
                  "-" + "9" * 30, "NaN", "nan", "inf", "Infinity", "0x10", "1e2", "%201",
                  "1%20", "+1", "", "-", ".", "1.", ".5", "%D9%A1", "1,2", "1..2", "0.001",
                  "999999999999", "9999999999999", "-999999999999.999"]
        names = ["newer", "older", "index_above", "index_below", "limit", "offset"]
        for name in names:
            for value in values:
                for method in ("GET", "DELETE"):
                    coll = "bookmarks" if method == "GET" else "nothing"
                    path = own("storage/%s?%s=%s&limit=5" % (coll, name, value))
                    response = self.send(method, path)
                    self.expect(response, (200, 400), 1)
                    if response.status == 200 and method == "GET":
                        self.assertIsInstance(response.json(), list)
                self.expect(self.send("GET", victims("storage/bookmarks?%s=%s" % (name, value))),
                            401)
        # X-If-Unmodified-Since with the same values (a time in the future lets the write
        # through, so those go to the scratch collection).
        for value in values:
            since = urllib.parse.unquote(value, "latin-1") or "x"
            try:
                future = float(since) > 1e9
            except ValueError:
                future = False
            target = own("storage/%s/b1" % SCRATCH if future else "storage/bookmarks/b1")
            response = self.send("PUT", target, wbo("b1", "changed"),
                                 headers={"X-If-Unmodified-Since": since})
            if future and response.status == 200:
                continue
            self.expect(response, (400, 412), 1 if response.status == 400 else 4)

    def test_duplicate_keys(self):
        # Whichever duplicate a parser keeps, the answer and what is stored agree.
        result = self.post_result(self.send(
            "POST", own("storage/" + SCRATCH),
            b'[{"id":"d1","id":"d2","payload":"x"},{"id":"d3","payload":"1","payload":"2"},'
            b'{"id":"d4","payload":"x"},{"id":"d4","payload":"y"}]'))
        stored = self.stored()
        self.assertEqual(sorted(set(result["success"])), sorted(stored))
        self.assertIn(stored["d4"]["payload"], ("x", "y"))
        # A duplicate that is invalid spoils the record.
        for body in (b'{"id":"b1","payload":"x","payload":5}',
                     b'{"id":"b1","payload":"x","sortindex":1,"sortindex":1e99}'):
            self.expect(self.send("PUT", own("storage/bookmarks/b1"), body), 400, 8)
        # ... except a PUT's body id, which the URL's id replaces (as the reference did).
        self.assertEqual(self.send("PUT", own("storage/%s/dupid" % SCRATCH),
                                   b'{"id":"b1","payload":"x","id":"a/b"}').status, 200)
        self.assertIn("dupid", self.stored())
        self.expect(self.send("PUT", "/user/1.0/dupnew", auth=False,
                              body=b'{"password":"x","password":"long-password-1",'
                                   b'"email":"a@example.org","email":"b@example.org"}'),
                    400, (7, 9, 2))

    def test_truncated_and_wrong_length_bodies(self):
        auth = ("Authorization", attacker_auth())
        body = b'{"id":"b1","payload":"truncated"}'
        put = own("storage/bookmarks/b1")
        # Promises more than it sends, then hangs up.
        status, _ = self.raw(self.request_head("PUT", put, [auth, ("Content-Length", "1000")])
                             + body, "PUT cut short", shutdown=True)
        self.assertIn(status, (0, 400))
        # Sends more than it promises: the server sees the first bytes, nginx the rest.
        status, answer = self.raw(self.request_head("PUT", put, [auth, ("Content-Length", "10")])
                                  + body, "PUT longer than its Content-Length")
        self.assertEqual((status, answer), (400, b"6"))
        for length in ("-1", "abc", "1 2", "99999999999999999999", "0x10", "+5", ""):
            status, _ = self.raw(self.request_head("PUT", put, [auth, ("Content-Length", length)])
                                 + body, "Content-Length %r" % length)
            self.assertIn(status, (0, 400, 411, 413), length)
        status, _ = self.raw(self.request_head("PUT", put, [auth, ("Content-Length", "5"),
                                                            ("Content-Length", "33")]) + body,
                             "two Content-Lengths")
        self.assertIn(status, (0, 400))
        # Far over nginx's own limit: refused before the body is read.
        status, _ = self.raw(self.request_head("POST", own("storage/bookmarks"),
                                               [auth, ("Content-Length", str(1 << 40))]),
                             "a terabyte announced")
        self.assertEqual(status, 413)
        # Slow clients do not hold workers: nginx takes the whole body before the server
        # sees the request, so while more half-sent bodies than workers wait, others pass.
        held = []
        try:
            for _ in range(WORKERS * 2):
                s = socket.create_connection((SERVER.host, SERVER.port), timeout=CLIENT_TIMEOUT)
                held.append(s)
                s.sendall(self.request_head("PUT", put, [auth, ("Content-Length", "1000")])
                          + body)
            time.sleep(0.2)
            for _ in range(WORKERS * 2):
                self.assertEqual(self.send("GET", own("info/collections")).status, 200)
        finally:
            for s in held:
                s.close()

    def chunked(self, path, chunks, headers=(), shutdown=False, label="chunked"):
        head = self.request_head("POST", path, [("Authorization", attacker_auth()),
                                                ("Transfer-Encoding", "chunked")]
                                 + list(headers))
        return self.raw(head + b"".join(chunks), label, shutdown=shutdown)

    def test_chunked_bodies(self):
        records = json.dumps([wbo("c%d" % i, "chunk %d" % i) for i in range(5)]).encode()
        pieces = [b"%x\r\n%s\r\n" % (len(records[i:i + 7]), records[i:i + 7])
                  for i in range(0, len(records), 7)]
        status, _ = self.chunked(own("storage/" + SCRATCH), pieces + [b"0\r\n\r\n"])
        self.assertEqual(status, 200)
        self.assertEqual(len(self.stored()), 5)
        # Over the server's limit in small chunks: 413 with code 17.
        piece = b" " * 65536
        chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
        status, body = self.chunked(own("storage/bookmarks"),
                                    [b"1\r\n[\r\n"] + [chunk] * (MAX_BODY // len(piece) + 1)
                                    + [b"1\r\n]\r\n0\r\n\r\n"], label="chunked over the limit")
        self.assertEqual((status, body), (413, b"17"))
        # Broken framing: nginx refuses, or the server sees a short body.
        for framing in ([b"zz\r\n{}\r\n0\r\n\r\n"], [b"ffffffffffffffffff\r\n{}"],
                        [b"5\r\n[{}]\r\n"], [b"2;ext=" + b"e" * 4000 + b"\r\n[]\r\n0\r\n\r\n"],
                        [b"3\r\n[]]\r\n0\r\n\r\n"], [b"-1\r\n\r\n"]):
            status, _ = self.chunked(own("storage/bookmarks"), framing, shutdown=True,
                                     label="chunked %r" % framing[0][:20])
            self.assertIn(status, (0, 200, 400, 413), framing[0][:20])
        status, _ = self.chunked(own("storage/bookmarks"), [b"2\r\n[]\r\n0\r\n\r\n"],
                                 headers=[("Content-Length", "2")], label="chunked + length")
        self.assertIn(status, (200, 400))

    def test_wrong_content_types(self):
        body = json.dumps([wbo("ct", "typed")])
        for content_type in ("text/plain", "application/x-www-form-urlencoded",
                             "multipart/form-data; boundary=x", "application/json; charset=latin1",
                             "application/octet-stream", "", "\x01\x02", "a" * 6000,
                             "application/json, text/html", "*/*"):
            response = self.send("POST", own("storage/" + SCRATCH), body,
                                 headers={"Content-Type": content_type}, content_type=None)
            self.assertEqual(self.post_result(response)["success"], ["ct"], content_type[:30])
        self.expect(self.send("POST", own("storage/bookmarks"), "id=b1&payload=x",
                              content_type="application/x-www-form-urlencoded"), 400, 6)
        self.expect(self.send("POST", own("storage/bookmarks"),
                              b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--",
                              content_type="multipart/form-data; boundary=x"), 400, 6)
        # Hostile Accept headers still get some format.
        for accept in ("application/newlines;q=abc", "*/*;q=1e309", "application/whoisi;q=-1",
                       ",".join("type/%d;q=0.%d" % (i, i % 10) for i in range(500)),
                       "application/json;q=0", "\xff\xfe", ";;;,,,"):
            response = self.send("GET", own("storage/bookmarks?full=1"),
                                 headers={"Accept": accept})
            self.expect(response, (200, 406))


class Paths(Hostile):
    # "." and ".." are valid collection names (and ids), which some of these paths write.
    scratch = (SCRATCH, "%2E", "%2E%2E")

    def test_traversal_and_encoded_slashes(self):
        # {s}: the attacker's scratch collection, where the path ends up if it is taken as
        # written.
        targets = [
            "/1.1/{a}/storage/../../{v}/storage/bookmarks?full=1",
            "/1.1/{a}/../{v}/storage/bookmarks?full=1",
            "/1.1/{a}/storage/{s}/../../../{v}/storage/bookmarks",
            "/1.1/{a}/storage/%2e%2e/%2e%2e/{v}/storage/bookmarks",
            "/1.1/{a}/storage/%2E%2e/%2e%2E/{v}/info/collections",
            "/1.1/{a}/storage/.%2e/.%2e/{v}/storage/bookmarks",
            "/1.1/{a}/storage/%252e%252e/%252e%252e/{v}/storage/bookmarks",
            "/1.1/{a}/storage/{s}%2F..%2F..%2F{v}%2Fstorage%2Fbookmarks",
            "/1.1/{a}%2F..%2F{v}/storage/bookmarks?full=1",
            "/1.1/{a}%2f%2e%2e%2f{v}/storage/bookmarks?full=1",
            "/1.1/{a}/storage/..%5C..%5C{v}%5Cstorage%5Cbookmarks",
            "/1.1/{a}/storage/..\\..\\{v}\\storage\\bookmarks",
            "/1.1/{a}/storage/{s}/..;/..;/{v}/storage/bookmarks",
            "/1.1/./{v}/storage/bookmarks",
            "//1.1//{v}//storage//bookmarks",
            "/1.1/{v}/storage/bookmarks/%2e%2e",
            "/1.1/{a}/storage/{s}/..",
            "/1.1/{a}/storage/{s}/.",
            "/1.1/{a}/storage/%2e",
            "/1.1/{a}/storage//{s}",
            "/1.1/{a}//storage/{s}",
            "/1.1/{a}/storage/{s}//b1",
            "/1.1/{a}/storage/{s}/b1/",
            "/1.1/{a}/storage/{s}/b1//",
            "/1.1/{a}/storage/{s}/b1%2F%2E%2E",
            "/1.1/{a}/info/collections/..",
            "/1.1/{a}/info/../storage/{s}",
            "/./1.1/{a}/storage/{s}",
            "/1.1/{a}/storage/../../../../../../etc/passwd",
            "/1.1/{a}/storage/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/1.1/{a}/storage/{s}%00/b1",
            "/1.1/{a}/storage/{s};{v}/b1",
        ]
        for template in targets:
            path = template.format(a=ATTACKER, v=VICTIM, s=SCRATCH)
            for method, body in (("GET", None), ("PUT", b'{"id":"b1","payload":"traversal"}'),
                                 ("POST", b'[{"id":"b1","payload":"traversal"}]'),
                                 ("DELETE", None)):
                response = self.send(method, path, body,
                                     headers={"X-Confirm-Delete": "1"} if method == "DELETE"
                                     else None)
                # Whatever names the victim is refused; the rest may write to the scratch.
                expected = (400, 401, 404, 405) if "{v}" in template else (200, 400, 404, 405)
                self.expect(response, expected, what=method + " " + path)

    def test_other_users_names_with_own_credentials(self):
        rels = [("GET", "info/collections"), ("GET", "info/collection_counts"),
                ("GET", "info/quota"), ("GET", "info/collection_usage"),
                ("GET", "storage/bookmarks?full=1"), ("GET", "storage/bookmarks/b1"),
                ("PUT", "storage/bookmarks/b1"), ("POST", "storage/bookmarks"),
                ("DELETE", "storage/bookmarks/b1"), ("DELETE", "storage/bookmarks"),
                ("DELETE", "storage")]
        names = [VICTIM, VICTIM.upper(), VICTIM.capitalize(), VICTIM + "%20", VICTIM + ".",
                 "%76icky", VICTIM + "%2F", VICTIM + "%00", "%20" + VICTIM]
        for version in ("1.1", "1.0", "1"):
            for name in names:
                for method, rel in rels:
                    body = None
                    if method == "PUT":
                        body = wbo("b1", "overwritten")
                    elif method == "POST":
                        body = [wbo("b1", "overwritten")]
                    response = self.send(method, "/%s/%s/%s" % (version, name, rel), body,
                                         headers={"X-Confirm-Delete": "1"})
                    if name == VICTIM or name in (VICTIM.upper(), VICTIM.capitalize(),
                                                  "%76icky", VICTIM + "."):
                        self.expect(response, 401)
                    else:
                        self.expect(response, (400, 401, 404), 3 if response.status == 400
                                    else None)
        # The User API's authenticated calls.
        for method, rel, body in (("DELETE", "", None), ("GET", "/email", None),
                                  ("POST", "/email", "evil@example.org"),
                                  ("POST", "/password", "taken-over-password"),
                                  ("DELETE", "/password_reset", None)):
            response = self.send(method, "/user/1.0/%s%s" % (VICTIM, rel), body,
                                 content_type="text/plain")
            self.expect(response, 401)
        # The victim's name with the attacker's password (a guess, from elsewhere).
        response = self.send("GET", victims("storage/bookmarks?full=1"),
                             auth=basic(VICTIM, ATTACKER_PASSWORD), forwarded="192.0.2.5")
        self.expect(response, 401)
        # The attacker's node and existence checks tell nothing of the victim's data.
        for path in ("/user/1.0/%s" % VICTIM, "/user/1.0/%s/node/weave" % VICTIM):
            self.assertEqual(self.send("GET", path, auth=False).status, 200)

    def test_unicode_and_long_user_names(self):
        names = [q("élève"), q("ｍａｌｌｏｒｙ"), q("mallory\u202e"), q("mal\u200blory"),
                 q("мэллори"), "%F0%9F%98%80", "a" * 65, "a" * 1000, "a" * (NGINX_LINE - 200),
                 q("mallory\u00a0"), "mallory%0A", "mallory%0D%0AX-Injected:%201",
                 "mallory%09", q("a@b.c")]
        for name in names:
            for rel in ("info/collections", "storage/bookmarks", "storage/bookmarks/b1"):
                response = self.send("GET", "/1.1/%s/%s" % (name, rel),
                                     auth=basic(urllib.parse.unquote(name), "x"),
                                     forwarded="192.0.2.6")
                self.expect(response, (400, 401, 404), 3 if response.status == 400 else None)
                self.assertIsNone(response.header("X-Injected"))
            self.expect(self.send("GET", "/user/1.0/" + name, auth=False), (400, 404),
                        3 if len(name) < 8000 else None)
            self.expect(self.send("PUT", "/user/1.0/" + name, auth=False,
                                  body={"password": "long-password-1", "email": "a@b.org",
                                         "captcha-response": "solved"}), (400, 404), 3)
            self.expect(self.send("GET", "/user/1.0/%s/node/weave" % name, auth=False),
                        (400, 404))
            self.expect(self.send("GET", "/user/1.0/%s/password_reset" % name, auth=False),
                        (400, 404))
        # Unicode user names inside the credentials, on the attacker's own path.
        for user in ("mallory\u00e9", "mall\u00f6ry", "\u202emallory", "mallory\u0000"):
            response = self.send("GET", own("info/collections"),
                                 auth="Basic " + b64((user + ":" + ATTACKER_PASSWORD).encode()))
            self.expect(response, 401)

    def test_methods_and_request_lines(self):
        auth = ("Authorization", attacker_auth())
        victim_path = victims("storage/bookmarks?full=1")
        lines = [
            b"get %s HTTP/1.1" % own("info/collections").encode(),
            b"GETT %s HTTP/1.1" % own("info/collections").encode(),
            b"%s %s HTTP/1.1" % (b"G" * 1000, own("info/collections").encode()),
            b"TRACE %s HTTP/1.1" % victim_path.encode(),
            b"CONNECT 127.0.0.1:22 HTTP/1.1",
            b"PROPFIND %s HTTP/1.1" % own("storage").encode(),
            b"DELETE %s HTTP/1.0" % victim_path.encode(),
            b"GET http://evil.example%s HTTP/1.1" % victim_path.encode(),
            b"GET %s HTTP/2.0" % victim_path.encode(),
            b"GET %s HTTP/1.1 extra" % victim_path.encode(),
            b"GET  %s  HTTP/1.1" % own("info/collections").encode(),
            b"GET %s" % victim_path.encode(),
            b"GET *  HTTP/1.1",
        ]
        for line in lines:
            for host in ([("Host", "127.0.0.1")], [], [("Host", "x" * 6000)],
                         [("Host", "a"), ("Host", "b")], [("Host", "evil.example:99999")]):
                head = b"\r\n".join([line] + [("%s: %s" % h).encode() for h in [auth] + host]
                                    + [b"Connection: close", b"", b""])
                status, _ = self.raw(head, "request line %r" % line[:40])
                self.assertIn(status, (0, 200, 400, 401, 404, 405, 414, 501, 505), line[:60])

    def test_overlong_paths_near_nginx_limits(self):
        room = NGINX_LINE - 300  # what is left of nginx's line for one path segment
        for method, rel, code in (("GET", "storage/" + "c" * room, 13),
                                  ("POST", "storage/" + "c" * room, 13),
                                  ("GET", "storage/" + "%41" * (room // 3), 13),
                                  ("PUT", "storage/bookmarks/" + "i" * room, 8),
                                  ("GET", "storage/bookmarks/" + "i" * room, None),
                                  ("DELETE", "storage/bookmarks/" + "i" * room, None),
                                  ("GET", "storage/" + "x/" * (room // 2), None),
                                  ("GET", "storage/bookmarks" + "/" * room, None),
                                  ("GET", "storage/bookmarks/" + "%2F" * (room // 3), None)):
            body = wbo("x", "x") if method in ("PUT", "POST") else None
            if method == "POST":
                body = [body]
            response = self.send(method, own(rel), body)
            self.expect(response, (200, 400, 404), code)
        # Past nginx's limit: nginx refuses (414 or 400), the server never sees it.
        for rel in ("storage/" + "c" * (2 * NGINX_LINE), "storage/bookmarks?ids=" + "a" * 20000):
            self.expect(self.send("GET", own(rel)), (400, 414))

    def test_query_strings(self):
        base = own("storage/bookmarks")
        room = NGINX_LINE - 300
        queries = {
            "10k params": "a=1&" * 10000,
            "empty params": "&" * room,
            "repeated ids": "ids=zz&" * (room // 7),
            "repeated newer": "newer=1&" * (room // 8),
            "repeated full": "full=1&" * (room // 7),
            "repeated sort": "sort=index&" * (room // 11),
            "many ids": "ids=" + ",".join("i%d" % i for i in range(room // 6)),
            "many commas": "ids=" + "," * room,
            "names only": "x&" * (room // 2),
            "odd names": "%00=1&=1&==&a==b&%3D=%3D&full&full=&limit=&",
            "long value": "parentid=" + "p" * room,
            "encoded": "%25" * (room // 3),
        }
        for label, query in queries.items():
            for method, path in (("GET", base), ("DELETE", own("storage/nothing")),
                                 ("GET", victims("storage/bookmarks"))):
                response = self.send(method, path + "?" + query)
                if response.status == 200 and method == "GET":
                    self.assertIsInstance(response.json(), list, label)
                expected = (401,) if path.startswith(victims("")) else (200, 400)
                if len(query) > NGINX_LINE:
                    expected = (414, 400)
                self.expect(response, expected)
        # An empty id list names no record: a DELETE with one deletes nothing.
        for query in ("ids=", "ids=,", "ids=" + "," * room, "ids=%00", "ids=%2C"):
            self.expect(self.send("DELETE", base + "?" + query), 200)
        # Repeated parameters: one of them decides, never something in between.
        self.assertEqual(sorted(self.send("GET", base + "?ids=b1&ids=b2").json()), ["b2"])
        self.assertEqual(self.send("GET", base + "?limit=1&limit=0&limit=1").status, 200)


class Auth(Hostile):
    def test_forged_forwarded_addresses(self):
        # 127.0.0.1 is a trusted proxy here, so these reach the lockout's counters and the
        # logs as the client's address.
        forged = ["x" * 6000, "1.2.3.4, , ,", ",,,,", " ", "::ffff:10.0.0.1", "[::1]:80",
                  "2001:db8::1%eth0", "2001:db8::" + ":" * 100, "999.999.999.999", "\xff\xfe",
                  "a=b|c\\d", "unknown", "127.0.0.1", "127.0.0.1, 127.0.0.1",
                  ", ".join("10.5.%d.%d" % (i // 250, i % 250) for i in range(600)),
                  "2001:db8:" + "f" * 4000 + "::1", "1.2.3.4\t5.6.7.8"]
        for i, forwarded in enumerate(forged):
            ghost = "forged%d" % i
            self.expect(self.send("GET", "/1.1/%s/info/collections" % ghost,
                                  auth=basic(ghost, "wrong"), forwarded=forwarded), 401)
            self.expect(self.send("GET", own("info/collections"), forwarded=forwarded),
                        (200, 401))
            self.expect(self.send("GET", "/user/1.0/%s/password_reset?captcha-response=x"
                                  % ghost, auth=False, forwarded=forwarded), 400, 2)
        with open(INSTANCE.security_log, "rb") as log:
            text = log.read()
        self.assertNotIn(b"\r", text)
        for line in text.splitlines():
            self.assertTrue(line.startswith(b"CEF:") or b"CEF:" in line[:64], line[:100])

    def test_malformed_authorization(self):
        path = own("info/collections")
        good = b64(ATTACKER + ":" + ATTACKER_PASSWORD)
        refused = ["", "Basic", "Basic ", "Basic =", "Basic ====", "Basic !!!!", "Basic \t",
                   "Basic " + b64(ATTACKER), "Basic " + b64(":" + ATTACKER_PASSWORD),
                   "Basic " + b64(ATTACKER + ":"), "Basic " + b64(":"),
                   "Basic " + b64(ATTACKER + ":" + ATTACKER_PASSWORD + "\x00"),
                   "Basic " + b64(ATTACKER + "\x00:" + ATTACKER_PASSWORD),
                   "Basic " + b64(b"mallory:\xff\xfe"), "Basic " + b64(b"mallory:\xed\xa0\x80"),
                   "Basic " + good[:-1], "Basic " + good[1:], "Basic " + good + "A",
                   "Basic " + good.replace("=", "") + "==", "Basic " + good + " " + good,
                   "Bearer " + good, "Digest username=\"mallory\"", good, "Basic\t" + good,
                   "Basic " + "A" * 6000, "Basic " + b64("a" * 4000 + ":x"),
                   "Basic " + b64(ATTACKER + ":" + "p" * 4000),
                   "Basic " + b64(ATTACKER + ":" + ATTACKER_PASSWORD + "x" * 600),
                   "Basic " + b64(ATTACKER + ":" + ATTACKER_PASSWORD + "\n"),
                   "Basic " + b64(ATTACKER + ":" + ATTACKER_PASSWORD.upper()),
                   "Basic " + b64(ATTACKER.upper() + ":" + ATTACKER_PASSWORD),
                   "Basic " + b64(ATTACKER + ":" + ATTACKER_PASSWORD)[:-2] + "%3D"]
        for i, header in enumerate(refused):
            # Wrong passwords count against the name at that address, so not at home.
            response = self.send("GET", path, auth=header or False,
                                 forwarded="192.0.2.%d" % (100 + i % 100),
                                 headers={"Authorization": header} if not header else None)
            self.expect(response, 401)
        # Spellings a lenient parser may accept: either way, no more than the account.
        for header in ("basic " + good, "BASIC " + good, "Basic  " + good, " Basic " + good,
                       "Basic " + good + " "):
            self.expect(self.send("GET", path, auth=header), (200, 401))
        # Over nginx's header limit: refused before the server.
        self.expect(self.send("GET", path, auth="Basic " + "A" * (2 * NGINX_LINE)), (400, 494))
        # Raw bytes, and more than one Authorization header.
        for headers in ([("Authorization", "Basic \xff\xfe\x01")],
                        [("Authorization", attacker_auth()), ("Authorization", "Basic !!")],
                        [("Authorization", "Basic !!"), ("Authorization", attacker_auth())],
                        [("Authorization", victim_auth()[:-3]),
                         ("Authorization", attacker_auth())]):
            status, _ = self.raw(self.request_head("GET", path, headers
                                                   + [("X-Forwarded-For", "192.0.2.99")]),
                                 "raw Authorization %r" % headers[0][1][:12])
            self.assertIn(status, (200, 400, 401))
        for headers in ([("Authorization", attacker_auth()), ("Authorization", victim_auth())],
                        [("Authorization", victim_auth()), ("Authorization", attacker_auth())]):
            status, _ = self.raw(self.request_head("GET", victims("storage/bookmarks?full=1"),
                                                   headers + [("X-Forwarded-For",
                                                               "192.0.2.98")]),
                                 "two Authorization headers at the victim")
            self.assertIn(status, (200, 400, 401))
        # The attacker's own account works as before from its usual address.
        self.assertEqual(self.send("GET", path).status, 200)

    def guess_in_parallel(self, guesses):
        """Runs the guesses (callables returning a Response) from 100 threads at once."""
        barrier = threading.Barrier(100)

        def run(batch):
            barrier.wait(30)
            return [guess() for guess in batch]

        batches = [guesses[i::100] for i in range(100)]
        self.parallel = True
        try:
            with concurrent.futures.ThreadPoolExecutor(100) as pool:
                return [r for result in pool.map(run, batches) for r in result]
        finally:
            self.parallel = False

    def page_guess(self, address, username, password):
        token = "0123456789abcdef0123456789abcdef"
        form = urllib.parse.urlencode({"csrf_token": token, "username": username,
                                       "password": password, "confirm": "yes"})
        return self.send("POST", "/weave-delete-account", form, auth=False, forwarded=address,
                         content_type="application/x-www-form-urlencoded",
                         headers={"Cookie": "weave_csrf=" + token})

    def victim_still_works(self):
        # From its home and from the proxy's own address: both trusted, both work.
        for forwarded in (VICTIM_HOME, None):
            response = self.send("GET", victims("info/collections"), auth=victim_auth(),
                                 forwarded=forwarded)
            self.assertEqual(response.status, 200, response)
        # The password did not change: the User API agrees.
        response = self.send("GET", "/user/1.0/%s/email" % VICTIM, auth=victim_auth(),
                             forwarded=VICTIM_HOME)
        self.assertEqual((response.status, response.body), (200, b"vicky@example.org"))

    def test_parallel_guessing_from_many_addresses(self):
        guesses = []
        for i in range(100):
            address = "10.99.%d.%d" % (i // 50, i % 50 + 1)
            guesses.append(lambda a=address, n=i: self.send(
                "GET", victims("storage/bookmarks?full=1"), auth=basic(VICTIM, "guess-%d" % n),
                forwarded=a))
            guesses.append(lambda a=address, n=i: self.send(
                "POST", "/user/1.0/%s/password" % VICTIM, "taken-over-%d" % n,
                auth=basic(VICTIM, "guess-b-%d" % n), forwarded=a, content_type="text/plain"))
            guesses.append(lambda a=address, n=i: self.page_guess(a, VICTIM, "guess-c-%d" % n))
        for response in self.guess_in_parallel(guesses):
            self.expect(response, 401)
        self.victim_still_works()
        # The guessing did lock the name everywhere else.
        response = self.send("GET", victims("info/collections"), auth=victim_auth(),
                             forwarded="10.98.0.1")
        self.expect(response, 401)

    def test_parallel_guessing_from_one_address(self):
        address = "203.0.113.50"
        guesses = []
        for i in range(100):
            guesses.append(lambda n=i: (401, None, self.send(
                "GET", victims("info/collections"), auth=basic(VICTIM, "one-%d" % n),
                forwarded=address)))
            guesses.append(lambda n=i: (401, None, self.send(
                "GET", "/1.1/ghost%d/info/collections" % n, auth=basic("ghost%d" % n, "x"),
                forwarded=address)))
            guesses.append(lambda n=i: (400, 10, self.send(
                "POST", "/user/1.0/%s/password" % VICTIM, "taken-over-%d" % n, auth=False,
                forwarded=address, content_type="text/plain",
                headers={"X-Weave-Password-Reset": "AAAA-BBBB-CCCC-%04d" % n})))
            guesses.append(lambda n=i: (400, None, self.send(
                "GET", "/weave-password-reset?username=%s&key=AAAA-BBBB-CCCC-%04d" % (VICTIM, n),
                auth=False, forwarded=address)))
        for status, code, response in self.guess_in_parallel(guesses):
            self.expect(response, status, code)
        self.victim_still_works()
        # The address is locked now, for every name it has not logged in as.
        self.expect(self.send("GET", "/1.1/ghostx/info/collections",
                              auth=basic("ghostx", "x"), forwarded=address), 401)


class UserApi(Hostile):
    def test_registration_bodies(self):
        name = "hostilenew"
        solved = {"email": "new@example.org", "captcha-response": "solved"}
        cases = [
            (b"", 6), (b"[]", 6), (b"null", 6), (b'"password"', 6), (b"{", 6),
            (b'{"password":1234567890,"captcha-response":"solved"}', 7),
            (b'{"password":["long-password-1"],"captcha-response":"solved"}', 7),
            (b'{"password":null}', 7), (b'{"password":""}', 7),
            (json.dumps(dict(solved, password="p" * 600)).encode(), 9),
            (json.dumps(dict(solved, password="p" * (MAX_BODY - 200))).encode(), 9),
            (json.dumps(dict(solved, password="\u00e9" * 300)).encode(), 9),
            (json.dumps(dict(solved, password=name)).encode(), 9),
            (json.dumps(dict(solved, password="long-password-1", email="x" * 1000000)).encode(),
             12),
            (json.dumps(dict(solved, password="long-password-1",
                             email="a@example.org\r\nBcc: victim@example.org")).encode(), 12),
            (json.dumps(dict(solved, password="long-password-1", email="@")).encode(), 12),
            (json.dumps({"password": "long-password-1", "email": "a@example.org",
                         "captcha-response": "x" * 100000}).encode(), 2),
            (json.dumps({"password": "long-password-1", "email": "a@example.org",
                         "captcha-response": "solved\r\n&secret=x\u0000"}).encode(), 2),
            (json.dumps({"password": "long-password-1", "email": "a@example.org",
                         "captcha-response": ["solved"]}).encode(), 2),
        ]
        for body, code in cases:
            response = self.send("PUT", "/user/1.0/" + name, body, auth=False)
            self.expect(response, 400, code)
            # The victim's name is taken, whatever the body.
            self.expect(self.send("PUT", "/user/1.0/" + VICTIM, body, auth=False), 400, 4)
        self.assertEqual(self.send("GET", "/user/1.0/" + name, auth=False).body, b"0")

    def test_password_and_email_changes(self):
        path = "/user/1.0/%s/password" % ATTACKER
        for body in (b"", b"short", b"p" * 600, b"\xc3\xa9" * 300, b"p" * (MAX_BODY - 10),
                     b"new-password\xff", b"new\x00password", b"[" * 10000, ATTACKER.encode()):
            response = self.send("POST", path, body, content_type="text/plain")
            self.expect(response, 400, 7 if not body else 9)
        # Reset codes that are no code: refused, from an address of their own (each one counts
        # as a wrong password for the name).
        for i, code in enumerate(("", " ", "A" * 7000, "\u00ff", "AAAA-AAAA-AAAA-AAAA",
                                  "aaaa-aaaa-aaaa-aaaa", "%", "' OR 1=1 --")):
            response = self.send("POST", path, "new-password-123", auth=False,
                                 forwarded="192.0.2.30", content_type="text/plain",
                                 headers={"X-Weave-Password-Reset": code})
            self.expect(response, 400, 10)
        for body in (b"", b"x" * 1000000, b"a@b", b"mallory@example.org\r\nBcc: x@example.org",
                     b"\xff@example.org", b"a\x00@example.org", b"[" * 10000, b"@", b"a@"):
            response = self.send("POST", "/user/1.0/%s/email" % ATTACKER, body,
                                 content_type="text/plain")
            self.expect(response, 400, 12)
        self.assertEqual(self.send("GET", "/user/1.0/%s/email" % ATTACKER).body,
                         b"mallory@example.org")

    def test_reset_by_code_with_hostile_passwords(self):
        # A real reset code, then passwords the hash cannot take: refused, the code kept.
        mails = len(SINK.files())
        response = self.send("GET", "/user/1.0/%s/password_reset?captcha-response=solved"
                             % ATTACKER, auth=False)
        self.assertEqual((response.status, response.body), (200, b"success"))
        SINK.wait_for_messages(mails + 1)
        with open(sorted(SINK.files())[-1], errors="replace") as mail:
            code = CODE_RE.search(mail.read()).group(0)
        try:
            for password in ("p" * 600, "\u00e9" * 300, "p" * 100000):
                response = self.send("POST", "/user/1.0/%s/password" % ATTACKER, password,
                                     auth=False, content_type="text/plain",
                                     headers={"X-Weave-Password-Reset": code})
                self.expect(response, 400, 9)
                token = "fedcba9876543210fedcba9876543210"
                form = urllib.parse.urlencode({"csrf_token": token, "username": ATTACKER,
                                               "key": code, "password": password,
                                               "confirm": password})
                response = self.send("POST", "/weave-password-reset", form, auth=False,
                                     content_type="application/x-www-form-urlencoded",
                                     headers={"Cookie": "weave_csrf=" + token})
                self.expect(response, 400)
                self.assertIn(b"too long", response.body)
            # The code still works for the page (it was not spent).
            response = self.send("GET", "/weave-password-reset?username=%s&key=%s"
                                 % (ATTACKER, code), auth=False)
            self.assertEqual(response.status, 200, response)
        finally:
            self.send("DELETE", "/user/1.0/%s/password_reset" % ATTACKER)

    def test_reset_pages_and_captcha(self):
        for name in ("a" * 1000, q("élève"), "%00", VICTIM + "%2F.."):
            # The captcha is asked for first, or the name is refused.
            self.expect(self.send("GET", "/user/1.0/%s/password_reset" % name, auth=False),
                        (400, 404), (2, 3))
        for captcha in ("x" * 7000, "%00%0D%0A", "solved%26secret%3Dx", "%FF"):
            response = self.send("GET", "/user/1.0/%s/password_reset?captcha-response=%s"
                                 % (VICTIM, captcha), auth=False, forwarded="192.0.2.40")
            self.expect(response, 400, 2)
        for query in ("", "?" + "a=1&" * 1500, "?username=%FF&key=%00", "?username=%zz",
                      "?key=" + "A" * 7000, "?username=" + VICTIM + "&key=" + "%00" * 100,
                      "?username=" + "u" * 7000, "?username=a&username=b&key=c&key=d",
                      "?username=" + q("<script>alert(1)</script>") + "&key=x"):
            response = self.send("GET", "/weave-password-reset" + query, auth=False,
                                 forwarded="192.0.2.41")
            self.expect(response, (200, 400))
            self.assertNotIn(b"<script>alert", response.body)
        token = "00112233445566778899aabbccddeeff"
        cookie = {"Cookie": "weave_csrf=" + token}
        forms = [b"", b"%zz", b"csrf_token=" + token.encode(),
                 b"csrf_token=%s&username=%s" % (token.encode(), b"u" * 100000),
                 b"csrf_token=%s&username=%%FF%%00" % token.encode(),
                 b"csrf_token=%s&username=%s&key=x&password=%s&confirm=%s"
                 % (token.encode(), VICTIM.encode(), b"p" * 600, b"p" * 600),
                 b"csrf_token=%s&" % token.encode() + b"&" * 100000,
                 b"csrf_token=%s&username=%s" % (token.encode(), b"[" * 100000)]
        for form in forms:
            for path in ("/weave-password-reset", "/weave-delete-account"):
                response = self.send("POST", path, form, auth=False, forwarded="192.0.2.42",
                                     content_type="application/x-www-form-urlencoded",
                                     headers=cookie)
                self.expect(response, (200, 400, 401, 403))
        for headers in ({"Cookie": "weave_csrf=" + "a" * 6000}, {"Cookie": ";" * 6000},
                        {"Cookie": "weave_csrf=\xff"}, {"Accept-Language": "x" * 6000}):
            response = self.send("POST", "/weave-delete-account",
                                 "csrf_token=%s&username=%s&password=x&confirm=yes"
                                 % ("a" * 6000, VICTIM), auth=False, forwarded="192.0.2.43",
                                 content_type="application/x-www-form-urlencoded",
                                 headers=headers)
            self.expect(response, 403)
        for query in ("", "?" + "x=1&" * 1500, "?%zz", "?lang=%FF"):
            response = self.send("GET", "/misc/1.0/captcha_html" + query, auth=False,
                                 headers={"Accept-Language": "\xff" * 100})
            self.assertEqual(response.status, 200)
        self.expect(self.send("POST", "/misc/1.0/captcha_html", "x" * 100000, auth=False),
                    (404, 405))


if __name__ == "__main__":
    unittest.main()
