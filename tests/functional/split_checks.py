"""Checks of the two-process layout (a user and a storage server), run by test_split.sh.

Standard library only. Environment:
  SPLIT_URL          the shipped split nginx site (https://127.0.0.1:PORT), both servers
  SPLIT_USER_URL     an nginx port that sends every path to the user server's socket
  SPLIT_STORAGE_URL  the same for the storage server's socket
  WEAVE_CAFILE       the certificate SPLIT_URL presents
Prints one line per check, then "N passed, N failed"; exit status 1 when any failed.
"""

import base64
import hashlib
import http.client
import json
import os
import ssl
import sys
import time
import traceback
import urllib.parse

TIMEOUT = 30
EMAIL = "split.tester@example.org"
# Firefox's user name for an e-mail address: lower-case base32 of its SHA-1.
NAME = base64.b32encode(hashlib.sha1(EMAIL.encode()).digest()).decode().lower()
PASSWORD = "split-password-1"
NEW_PASSWORD = "split-password-2"


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.text)

    def from_app(self):
        """Answers built by weave-server carry X-Weave-Timestamp; nginx's own do not."""
        return "x-weave-timestamp" in self.headers

    def __repr__(self):
        return "<%s %r>" % (self.status, self.body[:200])


def request(base, method, path, body=None, password=None, headers=None):
    parts = urllib.parse.urlsplit(base)
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=os.environ.get("WEAVE_CAFILE") or None)
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=TIMEOUT,
                                                 context=context)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
    all_headers = dict(headers or {})
    if password is not None:
        token = base64.b64encode(("%s:%s" % (NAME, password)).encode()).decode()
        all_headers["Authorization"] = "Basic " + token
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        all_headers["Content-Type"] = "application/json"
    if isinstance(body, str):
        body = body.encode("utf-8")
    try:
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        return Reply(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def expect(condition, reply, what=""):
    if not condition:
        raise AssertionError("%s: %r" % (what or "unexpected answer", reply))


SPLIT = os.environ.get("SPLIT_URL", "")
USER = os.environ.get("SPLIT_USER_URL", "")
STORAGE = os.environ.get("SPLIT_STORAGE_URL", "")
STORAGE_PATHS = ["/1.1/%s/info/collections" % NAME, "/1.0/%s/info/collections" % NAME,
                 "/1/%s/storage/bookmarks" % NAME, "/1.1/%s/storage/bookmarks/rec1" % NAME]
USER_PATHS = ["/user/1.0/%s" % NAME, "/user/1.0/%s/node/weave" % NAME,
              "/user/1.0/%s/password_reset" % NAME, "/misc/1.0/captcha_html",
              "/weave-password-reset", "/weave-delete-account"]


# --- through the split nginx site -----------------------------------------------------------

def heartbeat_through_nginx():
    reply = request(SPLIT, "GET", "/__heartbeat__")
    expect(reply.status == 200 and reply.from_app(), reply)


def account_created_through_the_user_server():
    reply = request(SPLIT, "GET", "/user/1.0/%s" % NAME)
    expect(reply.status == 200 and reply.text == "0", reply, "name already taken")
    reply = request(SPLIT, "PUT", "/user/1.0/%s" % NAME, {"password": PASSWORD, "email": EMAIL})
    expect(reply.status == 200 and reply.text == NAME, reply, "account not created")
    reply = request(SPLIT, "GET", "/user/1.0/%s" % NAME)
    expect(reply.status == 200 and reply.text == "1", reply, "account not found")


def node_is_the_public_url():
    reply = request(SPLIT, "GET", "/user/1.0/%s/node/weave" % NAME)
    expect(reply.status == 200 and reply.text == SPLIT + "/", reply, "node URL")


def sync_through_the_storage_server():
    record = {"id": "rec1", "payload": "split payload", "sortindex": 3}
    reply = request(SPLIT, "PUT", "/1.1/%s/storage/bookmarks/rec1" % NAME, record, PASSWORD)
    expect(reply.status == 200 and reply.from_app(), reply, "PUT")
    reply = request(SPLIT, "GET", "/1.1/%s/storage/bookmarks/rec1" % NAME, password=PASSWORD)
    expect(reply.status == 200 and reply.json()["payload"] == "split payload", reply, "GET")
    reply = request(SPLIT, "GET", "/1.1/%s/info/collections" % NAME, password=PASSWORD)
    expect(reply.status == 200 and "bookmarks" in reply.json(), reply, "info/collections")


def account_pages_through_nginx():
    for path in ("/misc/1.0/captcha_html", "/weave-password-reset", "/weave-delete-account",
                 "/weave-password-reset/", "/weave-delete-account?lang=en"):
        reply = request(SPLIT, "GET", path)
        expect(reply.status == 200 and reply.from_app(), reply, path)


def password_change_reaches_the_storage_server():
    reply = request(SPLIT, "POST", "/user/1.0/%s/password" % NAME, NEW_PASSWORD, PASSWORD)
    expect(reply.status == 200 and reply.text == "success", reply, "password change")
    reply = request(SPLIT, "GET", "/1.1/%s/info/collections" % NAME, password=PASSWORD)
    expect(reply.status == 401, reply, "old password still works on the storage server")
    reply = request(SPLIT, "GET", "/1.1/%s/info/collections" % NAME, password=NEW_PASSWORD)
    expect(reply.status == 200 and "bookmarks" in reply.json(), reply, "new password")


# --- each server on its own socket ----------------------------------------------------------

def user_server_heartbeat():
    reply = request(USER, "GET", "/__heartbeat__")
    expect(reply.status == 200 and reply.from_app(), reply)


def storage_server_heartbeat():
    reply = request(STORAGE, "GET", "/__heartbeat__")
    expect(reply.status == 200 and reply.from_app(), reply)


def user_server_answers_user_paths():
    reply = request(USER, "GET", "/user/1.0/%s" % NAME)
    expect(reply.status == 200 and reply.text == "1", reply, "user exists")
    reply = request(USER, "GET", "/user/1.0/%s/node/weave" % NAME)
    expect(reply.status == 200 and reply.text == SPLIT + "/", reply, "node")
    for path in ("/misc/1.0/captcha_html", "/weave-password-reset", "/weave-delete-account"):
        reply = request(USER, "GET", path)
        expect(reply.status == 200 and reply.from_app(), reply, path)


def user_server_404s_storage_paths():
    for path in STORAGE_PATHS:
        for password in (None, NEW_PASSWORD):
            reply = request(USER, "GET", path, password=password)
            expect(reply.status == 404 and reply.from_app(), reply, "GET " + path)
    for method in ("PUT", "DELETE"):
        path = "/1.1/%s/storage/bookmarks/rec1" % NAME
        reply = request(USER, method, path, {"id": "rec1", "payload": "no"}, NEW_PASSWORD)
        expect(reply.status == 404 and reply.from_app(), reply, method + " " + path)
    reply = request(STORAGE, "GET", "/1.1/%s/storage/bookmarks/rec1" % NAME,
                    password=NEW_PASSWORD)
    expect(reply.status == 200 and reply.json()["payload"] == "split payload", reply,
           "the record changed")


def storage_server_answers_storage_paths():
    reply = request(STORAGE, "GET", "/1.1/%s/info/collections" % NAME, password=NEW_PASSWORD)
    expect(reply.status == 200 and "bookmarks" in reply.json(), reply)


def storage_server_404s_user_paths():
    for path in USER_PATHS:
        for password in (None, NEW_PASSWORD):
            reply = request(STORAGE, "GET", path, password=password)
            expect(reply.status == 404 and reply.from_app(), reply, "GET " + path)
    for method, path, body in (("PUT", "/user/1.0/someoneelse",
                                {"password": "another-password", "email": "x@example.org"}),
                               ("POST", "/user/1.0/%s/password" % NAME, "third-password-3"),
                               ("DELETE", "/user/1.0/%s" % NAME, None),
                               ("POST", "/weave-password-reset", "username=%s" % NAME),
                               ("POST", "/weave-delete-account", "username=%s" % NAME)):
        reply = request(STORAGE, method, path, body, NEW_PASSWORD)
        expect(reply.status == 404 and reply.from_app(), reply, method + " " + path)
    reply = request(USER, "GET", "/user/1.0/someoneelse")
    expect(reply.status == 200 and reply.text == "0", reply, "an account was created")
    reply = request(STORAGE, "GET", "/1.1/%s/info/collections" % NAME, password=NEW_PASSWORD)
    expect(reply.status == 200, reply, "the password or account changed")


# --- the account's end, seen by both ---------------------------------------------------------

def account_deleted_through_the_user_server():
    reply = request(SPLIT, "DELETE", "/user/1.0/%s" % NAME, password=NEW_PASSWORD)
    expect(reply.status == 200, reply, "DELETE")
    reply = request(SPLIT, "GET", "/user/1.0/%s" % NAME)
    expect(reply.status == 200 and reply.text == "0", reply, "still exists")
    reply = request(SPLIT, "GET", "/1.1/%s/info/collections" % NAME, password=NEW_PASSWORD)
    expect(reply.status == 401, reply, "the storage server still lets the deleted user in")


CHECKS = [
    heartbeat_through_nginx,
    account_created_through_the_user_server,
    node_is_the_public_url,
    sync_through_the_storage_server,
    account_pages_through_nginx,
    password_change_reaches_the_storage_server,
    user_server_heartbeat,
    storage_server_heartbeat,
    user_server_answers_user_paths,
    storage_server_answers_storage_paths,
    user_server_404s_storage_paths,
    storage_server_404s_user_paths,
    account_deleted_through_the_user_server,
]


def main():
    if not (SPLIT and USER and STORAGE):
        print("split_checks: SPLIT_URL, SPLIT_USER_URL and SPLIT_STORAGE_URL must be set")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    for check in CHECKS:
        started = time.time()
        try:
            check()
        except Exception:  # noqa: BLE001 - every failure is reported, the run goes on
            failed += 1
            print("FAIL  %s (%.2fs)" % (check.__name__, time.time() - started))
            print("      " + traceback.format_exc().strip().splitlines()[-1])
            continue
        passed += 1
        print("ok    %s (%.2fs)" % (check.__name__, time.time() - started))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
