"""Small HTTP helpers for the functional suite (standard library only).

Everything comes from environment variables (set by run.sh), so the suite can be pointed
at any Sync 1.1 server:
  WEAVE_URL                       base URL, e.g. http://127.0.0.1:8080 (may carry a prefix)
  WEAVE_USER / WEAVE_PASSWORD     main account
  WEAVE_USER2 / WEAVE_PASSWORD2   second account (isolation tests)
  WEAVE_USER_SPECIAL / ..._SPECIAL  account whose password has ':' and non-ASCII characters
  WEAVE_USER_CLIENT / ..._CLIENT  account for the real-client first/second sync
  WEAVE_USER_ADMIN / ..._ADMIN    account the tests disable / re-password (needs WEAVE_ADMIN)
  WEAVE_USER_CRASH / ..._CRASH    account for the crash-safety test
  WEAVE_ADMIN, WEAVE_CONFIG       weave-admin binary and the server's configuration
  WEAVE_MASTER_PID, WEAVE_WORKERS the weave-server master process and its worker count
  WEAVE_QUOTA_URL, WEAVE_QUOTA_USER, WEAVE_QUOTA_PASSWORD, WEAVE_QUOTA_QUOTA_KIB
                                  a second server with a tiny quota
Tests whose variables are missing are skipped.
"""

import base64
import http.client
import json
import os
import re
import unittest
import urllib.parse

TIMESTAMP_RE = re.compile(r"^\d+\.\d{2}$")
JSON_TIMESTAMP_RE = re.compile(rb"^\d+\.\d{2}$")


def env(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name, default):
    return int(env(name, str(default)))


MAX_PAYLOAD = env_int("WEAVE_MAX_PAYLOAD_BYTES", 262144)
BATCH_MAX_COUNT = env_int("WEAVE_BATCH_MAX_COUNT", 100)
BATCH_MAX_BYTES = env_int("WEAVE_BATCH_MAX_BYTES", 1048576)
MAX_BODY = env_int("WEAVE_MAX_BODY_BYTES", 8388608)


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value)
        self.body = body  # bytes

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def headers_named(self, name):
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def content_type(self):
        value = self.header("Content-Type") or ""
        return value.split(";")[0].strip().lower()

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def timestamp(self):
        value = self.header("X-Weave-Timestamp")
        return None if value is None else float(value)

    def __repr__(self):
        body = self.body if len(self.body) < 300 else self.body[:300] + b"..."
        return "<HTTP %s %s %r>" % (self.status, self.reason, body)


class Server:
    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.host = parts.hostname
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")

    def request(self, method, path, body=None, headers=None, timeout=120):
        """Sends one request on a fresh connection. path is sent as given (raw)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.putrequest(method, self.prefix + path, skip_accept_encoding=True)
            headers = dict(headers or {})
            if isinstance(body, str):
                body = body.encode("utf-8")
            names = {name.lower() for name in headers}
            if body is not None and "content-length" not in names \
                    and "transfer-encoding" not in names:
                headers["Content-Length"] = str(len(body))
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders(body)
            response = connection.getresponse()
            data = response.read()
            return Response(response.status, response.reason, response.getheaders(), data)
        finally:
            connection.close()


def basic(user, password):
    if isinstance(user, str):
        user = user.encode("utf-8")
    if isinstance(password, str):
        password = password.encode("utf-8")
    return "Basic " + base64.b64encode(user + b":" + password).decode("ascii")


class Account:
    """One user on one server; paths are relative to /<version>/<user>/."""

    def __init__(self, server, user, password, version="1.1"):
        self.server = server
        self.user = user
        self.password = password
        self.version = version

    def auth(self):
        return basic(self.user, self.password)

    def path(self, rel, version=None, path_user=None):
        return "/%s/%s/%s" % (version or self.version, path_user or self.user, rel)

    def request(self, method, rel, body=None, headers=None, auth=True, version=None,
                path_user=None, content_type="application/json", timeout=120):
        all_headers = {}
        if auth is True:
            all_headers["Authorization"] = self.auth()
        elif auth:
            all_headers["Authorization"] = auth
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if body is not None and content_type:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        return self.server.request(method, self.path(rel, version, path_user), body,
                                   all_headers, timeout)

    def get(self, rel, **kw):
        return self.request("GET", rel, **kw)

    def put(self, rel, body, **kw):
        return self.request("PUT", rel, body, **kw)

    def post(self, rel, body, **kw):
        return self.request("POST", rel, body, **kw)

    def delete(self, rel, **kw):
        return self.request("DELETE", rel, **kw)

    def wipe(self):
        response = self.delete("storage", headers={"X-Confirm-Delete": "1"})
        assert response.status == 200, response
        return response


def main_server():
    return Server(env("WEAVE_URL", "http://127.0.0.1:8080"))


def account(suffix=""):
    """The account named by WEAVE_USER<suffix> / WEAVE_PASSWORD<suffix>, or None."""
    user = env("WEAVE_USER" + suffix)
    password = env("WEAVE_PASSWORD" + suffix)
    if user is None or password is None:
        return None
    return Account(main_server(), user, password)


def require_account(suffix=""):
    found = account(suffix)
    if found is None:
        raise unittest.SkipTest("WEAVE_USER%s / WEAVE_PASSWORD%s not set" % (suffix, suffix))
    return found


def wbo(id_, payload=None, **fields):
    record = {"id": id_}
    if payload is not None:
        record["payload"] = payload
    record.update(fields)
    return record


class WeaveTestCase(unittest.TestCase):
    maxDiff = 4000

    def assertStatus(self, response, status, body=None):
        statuses = status if isinstance(status, (tuple, list, set)) else (status,)
        self.assertIn(response.status, statuses, response)
        if body is not None:
            self.assertEqual(response.body, body.encode() if isinstance(body, str) else body,
                             response)

    def assertTimestampHeader(self, response):
        value = response.header("X-Weave-Timestamp")
        self.assertIsNotNone(value, "no X-Weave-Timestamp on %r" % (response,))
        self.assertRegex(value, TIMESTAMP_RE)
        return float(value)

    def assertOk(self, response):
        self.assertEqual(response.status, 200, response)
        self.assertTimestampHeader(response)
        return response

    def assertTimestampBody(self, response):
        """A write's response: 200, body = timestamp with 2 decimals = X-Weave-Timestamp."""
        self.assertOk(response)
        self.assertRegex(response.body, JSON_TIMESTAMP_RE)
        self.assertEqual(response.body.decode(), response.header("X-Weave-Timestamp"))
        return float(response.body)

    def assertPostOk(self, response, success=None, failed=None):
        self.assertOk(response)
        self.assertEqual(response.content_type, "application/json")
        result = response.json()
        self.assertEqual(set(result), {"modified", "success", "failed"}, result)
        self.assertIsInstance(result["success"], list)
        self.assertIsInstance(result["failed"], dict)
        self.assertEqual(result["modified"], float(response.header("X-Weave-Timestamp")))
        if success is not None:
            self.assertEqual(sorted(result["success"]), sorted(success), result)
        if failed is not None:
            self.assertEqual(result["failed"], failed, result)
        return result

    def put_record(self, acct, coll, id_, payload="data", **fields):
        response = acct.put("storage/%s/%s" % (coll, id_), wbo(id_, payload, **fields))
        return self.assertTimestampBody(response)

    def post_records(self, acct, coll, records):
        response = acct.post("storage/" + coll, records)
        return self.assertPostOk(response, success=[r["id"] for r in records], failed={})

    def get_full(self, acct, coll, query=""):
        response = acct.get("storage/%s?full=1%s" % (coll, "&" + query if query else ""))
        self.assertOk(response)
        return {record["id"]: record for record in response.json()}

    def get_ids(self, acct, coll, query=""):
        response = acct.get("storage/%s%s" % (coll, "?" + query if query else ""))
        self.assertOk(response)
        return response.json()
