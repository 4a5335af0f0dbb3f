"""Deployment smoke test: does a web-server configuration pass Sync traffic through intact?

Checks what a front end can break: the Authorization header reaching the application,
every API path being routed to it (also under a URL prefix), query strings and protocol
headers, and request bodies up to the application's own limit (a 100-record batch, a
5 MiB body, an over-limit body answered by the application rather than the web server).

Standard library only. Usage: python3 deploy_smoke.py
  WEAVE_URL                      base URL, may carry a prefix (http://127.0.0.1:8080/sync);
                                 https:// is verified against WEAVE_CAFILE if set
  WEAVE_USER / WEAVE_PASSWORD    an existing account (its data is wiped)
  WEAVE_USER_SPECIAL / WEAVE_PASSWORD_SPECIAL   optional: a password with ':' and non-ASCII
  WEAVE_MAX_BODY_BYTES           the server's limits.max_body_bytes (default 8388608)
  SMOKE_TIMEOUT                  seconds per request (default 60)
Prints one line per check, then "N passed, N failed"; exit status 1 when any failed.
"""

import base64
import http.client
import json
import os
import ssl
import sys
import time
import traceback
import urllib.parse

URL = os.environ.get("WEAVE_URL", "http://127.0.0.1:8080")
USER = os.environ.get("WEAVE_USER", "")
PASSWORD = os.environ.get("WEAVE_PASSWORD", "")
SPECIAL_USER = os.environ.get("WEAVE_USER_SPECIAL", "")
SPECIAL_PASSWORD = os.environ.get("WEAVE_PASSWORD_SPECIAL", "")
MAX_BODY = int(os.environ.get("WEAVE_MAX_BODY_BYTES", "8388608"))
TIMEOUT = float(os.environ.get("SMOKE_TIMEOUT", "60"))

_parts = urllib.parse.urlsplit(URL)
HOST = _parts.hostname
HTTPS = _parts.scheme == "https"
PORT = _parts.port or (443 if HTTPS else 80)
PREFIX = _parts.path.rstrip("/")
CAFILE = os.environ.get("WEAVE_CAFILE") or None


def connect():
    if HTTPS:
        context = ssl.create_default_context(cafile=CAFILE)
        return http.client.HTTPSConnection(HOST, PORT, timeout=TIMEOUT, context=context)
    return http.client.HTTPConnection(HOST, PORT, timeout=TIMEOUT)


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        body = self.body if len(self.body) < 200 else self.body[:200] + b"..."
        return "<%s %r %r>" % (self.status, {k: v for k, v in self.headers.items()
                                           if k.startswith("x-") or k == "content-type"}, body)


def auth_header(user, password):
    raw = user.encode("utf-8") + b":" + password.encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


def request(method, path, body=None, headers=None, auth=True, user=None, password=None):
    all_headers = {}
    if auth:
        all_headers["Authorization"] = auth_header(user or USER, password or PASSWORD)
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode("utf-8")
        all_headers["Content-Type"] = "application/json"
    if body is not None:
        all_headers["Content-Length"] = str(len(body))
    all_headers.update(headers or {})
    connection = connect()
    try:
        connection.putrequest(method, PREFIX + path, skip_accept_encoding=True)
        for name, value in all_headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return Reply(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def storage(rel, version="1.1"):
    return "/%s/%s/%s" % (version, USER, rel)


def from_app(reply):
    """Answers built by weave-server carry X-Weave-Timestamp; a web server's own do not."""
    return reply.header("X-Weave-Timestamp") is not None


def expect(condition, reply, what=""):
    if not condition:
        raise AssertionError("%s: %r" % (what or "unexpected answer", reply))


def payload_of(size, seed):
    text = (seed * (size // len(seed) + 1))[:size]
    return text


# --- checks -------------------------------------------------------------------------

def check_heartbeat():
    reply = request("GET", "/__heartbeat__", auth=False)
    expect(reply.status == 200 and from_app(reply), reply)


def check_401_without_credentials():
    reply = request("GET", storage("info/collections"), auth=False)
    expect(reply.status == 401 and from_app(reply), reply)
    expect((reply.header("WWW-Authenticate") or "").lower().startswith("basic"), reply,
           "no WWW-Authenticate: Basic")


def check_401_wrong_password():
    reply = request("GET", storage("info/collections"), password=PASSWORD + "-wrong")
    expect(reply.status == 401 and from_app(reply), reply)


def check_basic_auth_reaches_app():
    reply = request("GET", storage("info/collections"))
    expect(reply.status == 200 and from_app(reply), reply,
           "credentials did not reach the application")
    expect(isinstance(reply.json(), dict), reply)


def check_special_password():
    if not SPECIAL_USER:
        return "skipped (WEAVE_USER_SPECIAL not set)"
    reply = request("GET", "/1.1/%s/info/collections" % SPECIAL_USER,
                    user=SPECIAL_USER, password=SPECIAL_PASSWORD)
    expect(reply.status == 200, reply, "password with ':' / UTF-8 refused")
    return None


def check_versions():
    for version in ("1.0", "1", "1.1"):
        reply = request("GET", storage("info/collections", version))
        expect(reply.status == 200 and from_app(reply), reply, "/%s/" % version)


def check_other_paths_reach_app():
    # Not all of these are implemented; what matters is that the application answers.
    paths = ["/user/1.0/%s" % USER, "/user/1.0/%s/node/weave" % USER,
             "/misc/1.0/captcha_html", "/weave-password-reset", "/weave-delete-account",
             "/no-such-path"]
    for path in paths:
        reply = request("GET", path, auth=False)
        expect(from_app(reply), reply, path + " did not reach the application")


def check_outside_prefix_not_served():
    if not PREFIX:
        return "skipped (no prefix)"
    connection = connect()
    try:
        connection.request("GET", storage("info/collections"),
                           headers={"Authorization": auth_header(USER, PASSWORD)})
        response = connection.getresponse()
        reply = Reply(response.status, response.getheaders(), response.read())
    finally:
        connection.close()
    expect(not from_app(reply), reply, "a path outside %s reached the application" % PREFIX)
    return None


def check_wipe():
    reply = request("DELETE", storage("storage"), headers={"X-Confirm-Delete": "1"})
    expect(reply.status == 200, reply)


def check_put_get_delete():
    reply = request("PUT", storage("storage/smoke/one"),
                    {"id": "one", "payload": "hello", "sortindex": 5})
    expect(reply.status == 200 and reply.body.decode() == reply.header("X-Weave-Timestamp"),
           reply)
    reply = request("GET", storage("storage/smoke/one"))
    expect(reply.status == 200 and reply.json()["payload"] == "hello", reply)
    reply = request("GET", storage("info/collections"))
    expect(reply.status == 200 and "smoke" in reply.json(), reply)
    reply = request("DELETE", storage("storage/smoke/one"))
    expect(reply.status == 200, reply)
    reply = request("GET", storage("storage/smoke/one"))
    expect(reply.status == 404, reply)


def check_query_and_headers_pass():
    records = [{"id": "q%d" % i, "payload": "p%d" % i, "sortindex": i} for i in range(5)]
    reply = request("POST", storage("storage/query"), records)
    expect(reply.status == 200 and len(reply.json()["success"]) == 5, reply)
    modified = reply.header("X-Weave-Timestamp")
    reply = request("GET", storage("storage/query?ids=q1,q3&full=1&sort=index"))
    expect(reply.status == 200 and [r["id"] for r in reply.json()] == ["q3", "q1"], reply)
    reply = request("GET", storage("storage/query?limit=2&sort=index"),
                    headers={"Accept": "application/newlines"})
    expect(reply.status == 200 and reply.body == b'"q4"\n"q3"\n', reply)
    # A protocol header must reach the application: an old X-If-Unmodified-Since -> 412.
    old = "%.2f" % (float(modified) - 10)
    reply = request("PUT", storage("storage/query/q1"), {"id": "q1", "payload": "x"},
                    headers={"X-If-Unmodified-Since": old})
    expect(reply.status == 412, reply, "X-If-Unmodified-Since ignored")


def check_full_batch():
    # 100 records, ~9 KiB each: about 900 KiB, under the 1 MiB batch cap.
    records = [{"id": "r%03d" % i, "payload": payload_of(9200, "batch%03d-" % i)}
               for i in range(100)]
    body = json.dumps(records).encode()
    expect(len(body) > 900000, len(body), "batch too small")
    reply = request("POST", storage("storage/batch"), body,
                    headers={"Content-Type": "application/json"})
    expect(reply.status == 200, reply)
    result = reply.json()
    expect(len(result["success"]) == 100 and not result["failed"], reply)
    reply = request("GET", storage("storage/batch?full=1&ids=r000,r099"))
    got = {r["id"]: r["payload"] for r in reply.json()}
    expect(got == {"r000": records[0]["payload"], "r099": records[99]["payload"]}, reply,
           "stored payloads differ")


def check_5mib_body_reaches_app():
    # 20 records of 250 KiB: the body passes the web server; the application stores what
    # fits its batch cap and asks for the rest again.
    records = [{"id": "big%02d" % i, "payload": payload_of(250 * 1024, "%02d" % i)}
               for i in range(20)]
    body = json.dumps(records).encode()
    expect(len(body) > 5 * 1024 * 1024 - 300000, len(body), "body too small")
    reply = request("POST", storage("storage/big"), body,
                    headers={"Content-Type": "application/json"})
    expect(reply.status == 200 and from_app(reply), reply, "5 MiB body did not reach the app")
    result = reply.json()
    expect(len(result["success"]) + len(result["failed"]) == 20, reply)
    expect(len(result["success"]) >= 1, reply)


def check_over_limit_body_answered_by_app():
    # Just over the application's limit (but under the web server's 32 MiB): the
    # application answers 413 with Weave error 17.
    size = MAX_BODY + 1024
    body = b'[{"id":"x","payload":"' + b"a" * (size - 30) + b'"}]'
    try:
        reply = request("POST", storage("storage/over"), body,
                        headers={"Content-Type": "application/json"})
    except (ConnectionError, http.client.HTTPException) as error:
        raise AssertionError("connection failed on an over-limit body: %r" % (error,))
    expect(reply.status == 413 and reply.body.strip() == b"17", reply,
           "over-limit body not answered by the application")


def check_still_serving():
    reply = request("GET", storage("info/collections"))
    expect(reply.status == 200 and "batch" in reply.json(), reply)


CHECKS = [
    check_heartbeat,
    check_401_without_credentials,
    check_401_wrong_password,
    check_basic_auth_reaches_app,
    check_special_password,
    check_versions,
    check_other_paths_reach_app,
    check_outside_prefix_not_served,
    check_wipe,
    check_put_get_delete,
    check_query_and_headers_pass,
    check_full_batch,
    check_5mib_body_reaches_app,
    check_over_limit_body_answered_by_app,
    check_still_serving,
]


def main():
    if not USER or not PASSWORD:
        print("deploy_smoke: WEAVE_USER / WEAVE_PASSWORD not set")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    for check in CHECKS:
        started = time.time()
        try:
            note = check()
        except Exception:  # noqa: BLE001 - every failure is reported, the run goes on
            failed += 1
            print("FAIL  %s (%.2fs)" % (check.__name__, time.time() - started))
            print("      " + traceback.format_exc().strip().splitlines()[-1])
            continue
        passed += 1
        print("ok    %s (%.2fs)%s" % (check.__name__, time.time() - started,
                                      " " + note if note else ""))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
