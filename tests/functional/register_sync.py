"""A new user's first sync, the way Firefox starts: the account is created through the User
API (PUT /user/1.0/NAME, NAME being Firefox's hash of the e-mail address), the client asks
for its storage node, writes a record and reads it back. Run by test_package.sh against
the installed package (its configuration with registration.policy: open).

Standard library only. Environment:
  WEAVE_URL      base URL (https:// verified against WEAVE_CAFILE if set)
  WEAVE_CAFILE   the certificate the server presents
Prints one line per check, then "N passed, N failed"; exit status 1 when any failed.
"""

import base64
import hashlib
import http.client
import json
import os
import ssl
import sys
import urllib.parse

URL = os.environ.get("WEAVE_URL", "http://127.0.0.1:8080")
EMAIL = "package.tester@example.org"
NAME = base64.b32encode(hashlib.sha1(EMAIL.encode()).digest()).decode().lower()
PASSWORD = "package-password-1"
PARTS = urllib.parse.urlsplit(URL)


def request(method, path, body=None, auth=True):
    if PARTS.scheme == "https":
        context = ssl.create_default_context(cafile=os.environ.get("WEAVE_CAFILE") or None)
        connection = http.client.HTTPSConnection(PARTS.hostname, PARTS.port, timeout=30,
                                                 context=context)
    else:
        connection = http.client.HTTPConnection(PARTS.hostname, PARTS.port, timeout=30)
    headers = {"Content-Type": "text/plain"}
    if auth:
        token = base64.b64encode(("%s:%s" % (NAME, PASSWORD)).encode()).decode()
        headers["Authorization"] = "Basic " + token
    if body is not None:
        body = json.dumps(body).encode()
    try:
        connection.request(method, PARTS.path.rstrip("/") + path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def main():
    results = []

    def check(what, condition, detail):
        results.append(bool(condition))
        print("%s %s%s" % ("ok   " if condition else "FAIL ", what,
                           "" if condition else ": %r" % (detail,)))

    status, text = request("PUT", "/user/1.0/" + NAME,
                           {"password": PASSWORD, "email": EMAIL, "captcha-challenge": "",
                            "captcha-response": ""}, auth=False)
    check("the User API creates the account", status == 200 and text == NAME, (status, text))
    status, text = request("GET", "/user/1.0/%s/node/weave" % NAME)
    check("the account is given a storage node", status == 200 and text.startswith("http"),
          (status, text))
    record = {"id": "first", "payload": json.dumps({"ciphertext": "x", "IV": "y", "hmac": "z"})}
    status, text = request("PUT", "/1.1/%s/storage/bookmarks/first" % NAME, record)
    check("the first record is stored", status == 200, (status, text))
    status, text = request("GET", "/1.1/%s/storage/bookmarks/first" % NAME)
    ok = status == 200 and json.loads(text).get("payload") == record["payload"]
    check("the record reads back as written", ok, (status, text))
    status, text = request("GET", "/1.1/%s/info/collections" % NAME)
    check("info/collections lists the collection",
          status == 200 and "bookmarks" in json.loads(text), (status, text))

    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if all(results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # a crash counts as one failure, with its reason
        print("FAIL register_sync.py: %r" % (error,))
        print("0 passed, 1 failed")
        sys.exit(1)
