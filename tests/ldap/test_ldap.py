"""Functional tests of the LDAP back end against a real slapd, on loopback only.

Usage: python3 test_ldap.py BUILD_DIR TMP_DIR PROBE [FILTER ...]
Started by tests/ldap/run.sh, which builds PROBE (ldap_probe) and owns TMP_DIR. Starts a
throwaway slapd (scripts/ldap-slapd.sh: the sample directory plus a few test users, a test
CA, StartTLS and ldaps://) and several weave-server + nginx pairs configured against it, then
speaks HTTP to them and checks the directory with ldapsearch/ldapwhoami. Prints one line
per test and writes "passed failed" to TMP_DIR/counts. Every wait is bounded.
"""

import base64
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NGINX_SH = os.path.join(ROOT, "scripts", "nginx-conf.sh")
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
# pylint: disable=wrong-import-position
from ldap_directory import (ADMIN, BASE, READER, USERS, Slapd, free_port,  # noqa: E402
                            person_ldif, ssha)

# Users for the storage functional suite (tests/functional), with its passwords.
SUITE_USERS = {
    "fsalice": "alice-password-1",
    "fsbob": "bob-password-22",
    "fscarol": "co:lon pässwörd:✓",
    "fserin": "erin-password-4",
    "fsdave": "dave-password-3",
    "fsfrank": "frank-password-5",
    "fsquinn": "quinn-password-6",
    "fslola": "lola-password-7",
    "fslenny": "lenny-password-8",
}


def hashed(email):
    """Firefox's user name for an e-mail login."""
    digest = hashlib.sha1(email.lower().encode()).digest()
    return base64.b32encode(digest).decode().lower()


def suite_ldif():
    return "\n".join(person_ldif(name, password, number) for number, (name, password)
                     in enumerate(sorted(SUITE_USERS.items()), start=2001))


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name.lower())

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:200])


def basic(user, password):
    raw = ("%s:%s" % (user, password)).encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode()


class Instance:
    """One weave-server (+ nginx) with its own configuration, database and port."""

    def __init__(self, harness, name, auth_yaml, workers=1, extra_yaml="", server_yaml=""):
        self.harness, self.name = harness, name
        self.folder = os.path.join(harness.tmp, name)
        os.makedirs(os.path.join(self.folder, "nginx"), exist_ok=True)
        os.chmod(self.folder, 0o711)
        self.port = free_port()
        self.config = os.path.join(self.folder, "weave.yaml")
        self.db = os.path.join(self.folder, "weave.db")
        socket_path = os.path.join(self.folder, "weave.sock")
        with open(self.config, "w") as f:
            f.write(
                "server:\n"
                "  listen: \"unix:%s\"\n"
                "  socket_mode: \"0666\"\n"
                "  workers: %d\n"
                "  shutdown_timeout_seconds: 5\n"
                "  retry_after_seconds: 120\n"
                "  public_url: \"http://127.0.0.1:%d/\"\n"
                "%s"
                "database:\n"
                "  sqlite:\n"
                "    path: \"%s\"\n"
                "registration:\n"
                "  policy: open\n"
                "security_log:\n"
                "  target: \"off\"\n"
                "log:\n"
                "  level: info\n"
                "%s"
                "auth:\n"
                "  backend: ldap\n"
                "  ldap:\n%s" % (socket_path, workers, self.port, server_yaml, self.db,
                                 extra_yaml, indent(auth_yaml, 4)))
        conf = subprocess.run(["sh", NGINX_SH, os.path.join(self.folder, "nginx"), str(self.port),
                               "unix:" + socket_path, ROOT], capture_output=True, check=True,
                              timeout=30).stdout
        with open(os.path.join(self.folder, "nginx", "nginx.conf"), "wb") as f:
            f.write(conf)
        self.log = open(os.path.join(self.folder, "server.log"), "wb")
        self.server = subprocess.Popen([os.path.join(harness.build, "weave-server"), "-c",
                                        self.config], stdout=self.log, stderr=self.log)
        self.nginx = subprocess.Popen(
            ["nginx", "-p", os.path.join(self.folder, "nginx"), "-c",
             os.path.join(self.folder, "nginx", "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if self.request("GET", "/1.1/nobody/info/collections", timeout=2).status == 401:
                    return
            except OSError:
                pass
            if self.server.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("instance %s did not come up; see %s" % (name, self.log.name))

    def request(self, method, path, body=None, auth=None, headers=None, timeout=30):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            all_headers = dict(headers or {})
            if auth is not None:
                all_headers["Authorization"] = basic(*auth)
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                all_headers.setdefault("Content-Type", "application/json")
            if isinstance(body, str):
                body = body.encode("utf-8")
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            return Response(response.status,
                            {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def info(self, user, password):
        return self.request("GET", "/1.1/%s/info/collections" % urllib.parse.quote(user, safe=""),
                            auth=(user, password))

    def stop(self):
        for process in (self.nginx, self.server):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.nginx, self.server):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.log.close()


def indent(text, spaces):
    return "".join(" " * spaces + line + "\n" for line in text.strip("\n").splitlines())


def check(condition, message="check failed"):
    if not condition:
        raise AssertionError(message)


def expect_status(response, status, what=""):
    if response.status != status:
        raise AssertionError("%s: expected %d, got %r" % (what or "status", status, response))


# --- the tests --------------------------------------------------------------------------

TESTS = []


def test(function):
    TESTS.append(function)
    return function


def readonly_yaml(slapd, **overrides):
    values = {
        "urls": "[ \"%s\" ]" % slapd.url(),
        "ca_file": "\"%s\"" % slapd.ca,
        "connect_timeout_ms": "1000",
        "operation_timeout_ms": "1500",
        "base_dn": "\"%s\"" % USERS,
        "bind_dn": "\"%s\"" % READER,
        "bind_password": "reader-password",
        "enabled_attribute": "account-enabled",
        "password_change_url": "\"https://id.example.org/password\"",
        "cache_seconds": "60",
    }
    values.update(overrides)
    return "".join("%s: %s\n" % (k, v) for k, v in values.items() if v is not None)


def config_error(harness, auth_yaml):
    """Runs weave-server -t on a configuration; returns (exit code, stderr)."""
    path = os.path.join(harness.tmp, "check.yaml")
    with open(path, "w") as f:
        f.write("database:\n  sqlite:\n    path: \"%s\"\nauth:\n  backend: ldap\n  ldap:\n%s"
                % (os.path.join(harness.tmp, "check.db"), indent(auth_yaml, 4)))
    done = subprocess.run([os.path.join(harness.build, "weave-server"), "-t", "-c", path],
                          capture_output=True, timeout=30)
    return done.returncode, done.stderr.decode()


@test
def config_errors_name_the_key(h):
    cases = [
        ("base_dn: \"%s\"\n" % USERS, "auth.ldap.urls"),
        ("urls: \"%s\"\n" % h.slapd.url(), "auth.ldap.base_dn"),
        ("urls: \"http://x\"\nbase_dn: x\n", "auth.ldap.urls"),
        ("urls: \"%s\"\nbase_dn: x\nuser_filter: \"(uid={user}*)\"\n" % h.slapd.url(),
         "auth.ldap.user_filter"),
        ("urls: \"%s\"\nbase_dn: x\nuser_filter: \"(uid=x)\"\n" % h.slapd.url(),
         "auth.ldap.user_filter"),
        ("urls: \"%s\"\nbase_dn: x\ntls: maybe\n" % h.slapd.url(), "auth.ldap.tls"),
        ("urls: \"%s\"\nbase_dn: x\nbind_dn: \"%s\"\n" % (h.slapd.url(), READER),
         "auth.ldap.bind_password"),
        ("urls: \"%s\"\nbase_dn: x\nmode: mozilla\n" % h.slapd.url(), "auth.ldap.admin_dn"),
        ("urls: \"%s\"\nbase_dn: x\nmode: other\n" % h.slapd.url(), "auth.ldap.mode"),
        ("urls: \"%s\"\nbase_dn: x\nca_file: /nonexistent/ca.pem\n" % h.slapd.url(),
         "auth.ldap.ca_file"),
        ("urls: \"%s\"\nbase_dn: x\nlogin_attribute: \"u id\"\n" % h.slapd.url(),
         "auth.ldap.login_attribute"),
        ("urls: \"%s\"\nbase_dn: x\nuser_dn_template: \"uid=x\"\n" % h.slapd.url(),
         "auth.ldap.user_dn_template"),
        ("urls: \"%s\"\nbase_dn: x\nno_such_key: 1\n" % h.slapd.url(), "auth.ldap.no_such_key"),
    ]
    for text, key in cases:
        code, stderr = config_error(h, text)
        check(code != 0 and key in stderr, "expected an error naming %s for %r, got %d %r"
              % (key, text, code, stderr))
    code, stderr = config_error(h, readonly_yaml(h.slapd))
    check(code == 0, "a good configuration was refused: " + stderr)


def probe(h, config, lines):
    done = subprocess.run([h.probe, config], input="".join(u + "\t" + p + "\n" for u, p in lines)
                          .encode(), capture_output=True, timeout=60)
    check(done.returncode == 0, "ldap_probe failed: " + done.stderr.decode())
    return done.stdout.decode().splitlines()


INJECTIONS = ["*", ")(uid=*", "\\2a", "alice)(uid=*", "*)(|(uid=*", "al*", "alice*",
              "*)(objectClass=*", "alice\x00", "(uid=alice)", "alice,ou=users," + BASE,
              "alice\\", "ALICE"]


@test
def injection_in_user_names_matches_nobody_search_then_bind(h):
    # Straight at the authenticator, past the HTTP layer's user-name checks.
    answers = probe(h, h.ro.config, [("alice", "alice-password")] +
                    [(name, "alice-password") for name in INJECTIONS])
    check(answers[0].startswith("ok "), "control login failed: %r" % answers[0])
    for name, answer in zip(INJECTIONS, answers[1:]):
        check(answer == "refused", "%r was not refused: %r" % (name, answer))


@test
def injection_in_user_names_matches_nobody_direct_bind(h):
    answers = probe(h, h.direct.config, [("alice", "alice-password")] +
                    [(name, "alice-password") for name in INJECTIONS])
    check(answers[0].startswith("ok "), "control login failed: %r" % answers[0])
    for name, answer in zip(INJECTIONS, answers[1:]):
        check(answer == "refused", "%r was not refused: %r" % (name, answer))


@test
def injection_in_url_user_names_is_refused(h):
    for name in ["*", ")(uid=*", "\\2a", "alice)(uid=*"]:
        response = h.ro.info(name, "alice-password")
        check(response.status in (400, 401), "%r: %r" % (name, response))


@test
def search_then_bind_with_starttls(h):
    expect_status(h.ro.info("alice", "alice-password"), 200, "alice")


@test
def wrong_password_is_401(h):
    response = h.ro.info("alice", "not-her-password")
    expect_status(response, 401)
    check(response.header("WWW-Authenticate"), "no WWW-Authenticate")


@test
def unknown_user_is_401(h):
    expect_status(h.ro.info("nosuchuser", "whatever-password"), 401)


@test
def disabled_account_is_401(h):
    expect_status(h.ro.info("eve", "eve-password"), 401)


@test
def empty_password_is_401(h):
    # An empty password would be an anonymous bind, which LDAP servers accept.
    expect_status(h.ro.info("alice", ""), 401)


@test
def upper_case_name_is_not_a_second_account(h):
    expect_status(h.ro.info("ALICE", "alice-password"), 401)


@test
def plain_login_enrols_itself(h):
    expect_status(h.ro.request("GET", "/user/1.0/dave"), 200)
    check(h.ro.request("GET", "/user/1.0/dave").text == "0", "dave enrolled before login")
    expect_status(h.ro.info("dave", "dave-password"), 200)
    check(h.ro.request("GET", "/user/1.0/dave").text == "1", "dave not enrolled after login")
    node = h.ro.request("GET", "/user/1.0/dave/node/weave")
    expect_status(node, 200, "node")
    check(node.text == "http://127.0.0.1:%d/" % h.ro.port, "node: %r" % node.text)


def enrol(instance, username, password, email):
    return instance.request("PUT", "/user/1.0/" + username,
                            body={"password": password, "email": email})


@test
def enrolment_of_hashed_email_user_then_storage_works(h):
    name = hashed("alice@example.org")
    check(h.ro.request("GET", "/user/1.0/" + name).text == "0", "enrolled too early")
    response = enrol(h.ro, name, "alice-password", "alice@example.org")
    expect_status(response, 200, "enrol")
    check(response.text == name, "body %r" % response.text)
    check(h.ro.request("GET", "/user/1.0/" + name).text == "1", "not enrolled")
    item = {"id": "rec1", "payload": "{\"hello\":\"world\"}"}
    put = h.ro.request("PUT", "/1.1/%s/storage/bookmarks/rec1" % name, body=item,
                       auth=(name, "alice-password"))
    expect_status(put, 200, "put")
    got = h.ro.request("GET", "/1.1/%s/storage/bookmarks/rec1" % name,
                       auth=(name, "alice-password"))
    expect_status(got, 200, "get")
    check(json.loads(got.text)["payload"] == item["payload"], "payload %r" % got.text)
    # The plain login alice is a different Sync account with its own storage.
    plain = h.ro.request("GET", "/1.1/alice/storage/bookmarks", auth=("alice", "alice-password"))
    check(plain.status == 200 and "rec1" not in plain.text, "storage shared: %r" % plain)
    db = sqlite3.connect(h.ro.db)
    rows = db.execute("SELECT username, login FROM ldap_users ORDER BY id").fetchall()
    db.close()
    check((name, "alice") in rows and ("alice", "alice") in rows, "ldap_users: %r" % rows)


@test
def enrolment_matches_email_case_insensitively(h):
    name = hashed("bob@example.org")
    expect_status(enrol(h.ro, name, "bob-password", "Bob@Example.ORG"), 200, "enrol")
    expect_status(h.ro.info(name, "bob-password"), 200, "login")


@test
def enrolment_with_wrong_password_is_401(h):
    name = hashed("dave@example.org")
    expect_status(enrol(h.ro, name, "not-daves-password", "dave@example.org"), 401)
    check(h.ro.request("GET", "/user/1.0/" + name).text == "0", "enrolled anyway")


@test
def enrolment_guesses_are_counted_and_locked_out(h):
    # Enrolling binds with the offered password: the same lockout as a login applies, so the
    # User API is no way around it. The lockout instance locks after 3 failures.
    name = hashed("fsquinn@example.org")
    guesser = {"X-Forwarded-For": "10.66.0.1"}
    for i in range(3):
        response = h.lockout.request("PUT", "/user/1.0/" + name, headers=guesser,
                                     body={"password": "guess-%d-xyz" % i,
                                           "email": "fsquinn@example.org"})
        expect_status(response, 401, "guess %d" % i)
    # The right password is not even tried now, from any new address...
    for address in ("10.66.0.1", "10.66.0.2"):
        response = h.lockout.request("PUT", "/user/1.0/" + name,
                                     headers={"X-Forwarded-For": address},
                                     body={"password": SUITE_USERS["fsquinn"],
                                           "email": "fsquinn@example.org"})
        expect_status(response, 401, "locked enrolment from " + address)
        check(response.text.startswith("Account locked"), "body %r" % response.text)
    check(h.lockout.request("GET", "/user/1.0/" + name).text == "0", "enrolled while locked")
    time.sleep(2.5)  # lockout_seconds: 2
    response = h.lockout.request("PUT", "/user/1.0/" + name, headers={"X-Forwarded-For": "10.66.0.3"},
                                 body={"password": SUITE_USERS["fsquinn"],
                                       "email": "fsquinn@example.org"})
    expect_status(response, 200, "enrolment after the lockout")


@test
def enrolment_of_unknown_email_is_401(h):
    name = hashed("nobody@example.org")
    expect_status(enrol(h.ro, name, "alice-password", "nobody@example.org"), 401)


@test
def enrolment_email_injection_matches_nobody(h):
    for email in ["alice*@example.org", "*@example.org", "*)(uid=*)@example.org",
                  "a\\2a@example.org"]:
        response = enrol(h.ro, hashed(email), "alice-password", email)
        check(response.status in (400, 401), "%r: %r" % (email, response))


@test
def enrolment_of_disabled_account_is_401(h):
    expect_status(enrol(h.ro, hashed("eve@example.org"), "eve-password", "eve@example.org"), 401)


@test
def enrolment_with_mismatched_hash_is_400_15(h):
    response = enrol(h.ro, hashed("alice@example.org"), "alice-password", "bob@example.org")
    check(response.status == 400 and response.text.strip() in ("4", "15"), "%r" % response)
    response = enrol(h.ro, hashed("someone@example.org"), "alice-password", "alice@example.org")
    expect_status(response, 400)
    check(response.text.strip() == "15", "body %r" % response.text)


@test
def enrolment_twice_is_400_4(h):
    response = enrol(h.ro, hashed("alice@example.org"), "alice-password", "alice@example.org")
    expect_status(response, 400)
    check(response.text.strip() == "4", "body %r" % response.text)


@test
def plain_name_enrolment_by_put(h):
    expect_status(enrol(h.ro, "bob", "bob-password", "bob@example.org"), 200, "enrol bob")
    expect_status(h.ro.info("bob", "bob-password"), 200)


@test
def password_change_points_to_corporate_url(h):
    response = h.ro.request("POST", "/user/1.0/alice/password", body="brand-new-password-1",
                            auth=("alice", "alice-password"))
    expect_status(response, 403)
    check("https://id.example.org/password" in response.text, "body %r" % response.text)
    expect_status(h.ro.info("alice", "alice-password"), 200, "old password still works")


@test
def password_reset_is_refused_before_any_code_is_made(h):
    # A code mailed in readonly mode could never be used: refuse up front, and refuse the
    # reset-code path without spending anything.
    response = h.ro.request("GET", "/user/1.0/alice/password_reset")
    expect_status(response, 403)
    check("https://id.example.org/password" in response.text, "body %r" % response.text)
    response = h.ro.request("POST", "/user/1.0/alice/password", body="brand-new-password-1",
                            headers={"X-Weave-Password-Reset": "AAAA-BBBB-CCCC-DDDD"})
    expect_status(response, 403)
    page = h.ro.request("GET", "/weave-password-reset")
    expect_status(page, 403)
    expect_status(h.ro.info("alice", "alice-password"), 200, "old password still works")


@test
def email_change_is_refused(h):
    response = h.ro.request("POST", "/user/1.0/alice/email", body="new@example.org",
                            auth=("alice", "alice-password"))
    expect_status(response, 403)


@test
def delete_forgets_the_enrolment_not_the_entry(h):
    name = hashed("bob@example.org")
    response = h.ro.request("DELETE", "/user/1.0/" + name, auth=(name, "bob-password"))
    expect_status(response, 200)
    check(h.ro.request("GET", "/user/1.0/" + name).text == "0", "still enrolled")
    check(h.slapd.search(USERS, "(uid=bob)"), "bob's entry is gone")


@test
def heartbeat_pings_the_directory(h):
    expect_status(h.ro.request("GET", "/__heartbeat__"), 200)


def expect_503(response, what):
    check(response.status == 503, "%s: expected 503, got %r" % (what, response))
    check(response.header("Retry-After"), "%s: no Retry-After" % what)


@test
def directory_down_is_503_and_recovers_by_itself(h):
    # fsfrank has never logged in on this instance; alice has (and is in the login cache).
    expect_status(h.ro.info("alice", "alice-password"), 200, "before")
    h.slapd.stop()
    try:
        started = time.time()
        expect_503(h.ro.info("fsfrank", SUITE_USERS["fsfrank"]), "uncached user")
        check(time.time() - started < 10, "took %.1fs" % (time.time() - started))
        expect_503(h.ro.info("alice", "wrong-password"), "wrong password while down")
        expect_503(h.ro.request("GET", "/__heartbeat__"), "heartbeat")
        expect_503(enrol(h.ro, hashed("dave@example.org"), "dave-password", "dave@example.org"),
                   "enrolment")
        # A login verified a moment ago does not need the directory.
        expect_status(h.ro.info("alice", "alice-password"), 200, "cached login")
    finally:
        h.slapd.start()
    expect_status(h.ro.info("fsfrank", SUITE_USERS["fsfrank"]), 200, "after restart")
    expect_status(h.ro.request("GET", "/__heartbeat__"), 200, "heartbeat after restart")


@test
def frozen_directory_times_out_with_503(h):
    pid = h.slapd.pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.time()
        expect_503(h.ro.info("fserin", SUITE_USERS["fserin"]), "frozen")
        elapsed = time.time() - started
        check(elapsed < 8, "took %.1fs with a 1.5 s operation timeout" % elapsed)
    finally:
        os.kill(pid, signal.SIGCONT)
    expect_status(h.ro.info("fserin", SUITE_USERS["fserin"]), 200, "after thaw")


def outage_load(instance, stop_at, index, log, lock):
    """Until stop_at: a cached login reading and writing (alice), and a login that needs the
    directory every time (a wrong password: never cached). Logs (who, status, seconds,
    Retry-After, record id written)."""
    number = 0
    while time.time() < stop_at:
        number += 1
        began = time.time()
        record = None
        try:
            if number % 4 == 0:
                who = "uncached"
                response = instance.info("bob", "not-bobs-password")
            elif number % 4 == 1:
                who, record = "cached", "o%d-%d" % (index, number)
                response = instance.request("PUT", "/1.1/alice/storage/outage/" + record,
                                            {"payload": record}, auth=("alice", "alice-password"))
            else:
                who = "cached"
                response = instance.info("alice", "alice-password")
            status, retry_after = response.status, response.header("Retry-After")
        except OSError as error:
            status, retry_after = str(error), None
        with lock:
            log.append((who, status, time.time() - began, retry_after, record))


@test
def directory_restarted_and_paused_under_load(h):
    # Three workers, alice's login cached in each; four clients meanwhile. slapd stops for
    # 3 s, runs again, then hangs (SIGSTOP) for 4 s. Cached logins keep working (their
    # recheck fails and is tried later), logins that need the directory get 503 with
    # Retry-After, nothing gets anything else or waits past the timeouts, and everything
    # works again by itself: no restart of weave-server.
    m = h.outage
    expect_all(burst(m, "alice", "alice-password"), 200, "logins before")
    log, lock = [], threading.Lock()
    stop_at = time.time() + 16
    clients = [threading.Thread(target=outage_load, args=(m, stop_at, i, log, lock))
               for i in range(4)]
    for client in clients:
        client.start()
    pid = None
    try:
        time.sleep(1)
        h.slapd.stop()
        time.sleep(3)
        h.slapd.start()
        back_at = time.time()
        time.sleep(2)
        pid = h.slapd.pid()
        os.kill(pid, signal.SIGSTOP)
        time.sleep(4)
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGCONT)
        thawed_at = time.time()
        for client in clients:
            client.join(60)
    check(not any(client.is_alive() for client in clients), "a client hangs")
    statuses = {}
    for who, status, _, _, _ in log:
        statuses[(who, status)] = statuses.get((who, status), 0) + 1
    print("      %d requests: %r; slowest %.2f s" % (
        len(log), sorted(statuses.items(), key=str), max(e[2] for e in log)), flush=True)
    bad = [e for e in log if (e[0], e[1]) not in (("cached", 200), ("uncached", 401),
                                                  ("uncached", 503))]
    check(not bad, "unexpected answers: %r" % bad[:5])
    check(statuses.get(("uncached", 503), 0) > 0, "the outage was not felt")
    check(all(e[3] for e in log if e[1] == 503), "a 503 without Retry-After")
    # connect_timeout_ms 1000 and operation_timeout_ms 1500, a bind and a search or two.
    check(max(e[2] for e in log) < 8, "an answer took %.1f s" % max(e[2] for e in log))
    expect_status(h.outage.info("bob", "not-bobs-password"), 401, "after the thaw")
    expect_status(h.outage.info("fslola", SUITE_USERS["fslola"]), 200, "new login after")
    written = {e[4] for e in log if e[4] and e[1] == 200}
    stored = set(json.loads(m.request("GET", "/1.1/alice/storage/outage",
                                      auth=("alice", "alice-password")).body))
    check(written <= stored, "acknowledged writes lost: %r" % sorted(written - stored)[:5])
    check(back_at < thawed_at)


@test
def ldaps_with_group_restriction(h):
    expect_status(h.group.info("alice", "alice-password"), 200, "member")
    expect_status(h.group.info("dave", "dave-password"), 401, "not a member")
    expect_status(h.group.info("eve", "eve-password"), 401, "disabled member")
    expect_status(h.group.info("alice", "wrong-password"), 401, "wrong password")
    name = hashed("dave@example.org")
    expect_status(enrol(h.group, name, "dave-password", "dave@example.org"), 401, "enrol dave")


@test
def direct_bind_without_service_account(h):
    expect_status(h.direct.info("alice", "alice-password"), 200, "alice")
    expect_status(h.direct.info("alice", "wrong-password"), 401, "wrong password")
    expect_status(h.direct.info("nosuchuser", "whatever-pass"), 401, "unknown")
    expect_status(h.direct.info("eve", "eve-password"), 401, "disabled")
    expect_status(h.direct.request("GET", "/__heartbeat__"), 200, "heartbeat")


@test
def untrusted_certificate_is_503_not_401(h):
    expect_503(h.notrust.info("alice", "alice-password"), "untrusted CA")


@test
def failover_to_the_next_url(h):
    expect_status(h.failover.info("alice", "alice-password"), 200)
    expect_status(h.failover.info("alice", "wrong-password"), 401)


@test
def mozilla_mode_uses_uidnumber_as_storage_key(h):
    m = h.mozilla
    expect_status(m.request("PUT", "/1.1/alice/storage/tabs/t1", body={"payload": "x"},
                            auth=("alice", "alice-password")), 200, "put")
    db = sqlite3.connect(m.db)
    users = [row[0] for row in db.execute("SELECT DISTINCT username FROM wbo")]
    db.close()
    check(users == [1001], "storage keys %r" % users)
    expect_status(m.info("eve", "eve-password"), 401, "disabled")
    check(m.request("GET", "/user/1.0/alice").text == "1", "alice unknown")


def mozilla_entry(h, uid):
    entries = h.slapd.search(USERS, "(uid=%s)" % uid, "*", "+")
    check(len(entries) == 1, "entries for %s: %r" % (uid, entries))
    return list(entries.items())[0]


@test
def mozilla_registration_writes_the_directory(h):
    m = h.mozilla
    response = enrol(m, "newbie", "newbie-password", "newbie@example.org")
    expect_status(response, 200, "register")
    check(response.text == "newbie", "body %r" % response.text)
    dn, entry = mozilla_entry(h, "newbie")
    check(dn == "uid=newbie," + USERS, "dn %r" % dn)
    check(entry["uidNumber"] == ["1005"], "uidNumber %r" % entry.get("uidNumber"))
    # A strong hash slapd checks through crypt(3), not Mozilla's one round of SHA-1.
    check(entry["userPassword"][0].startswith("{CRYPT}$y$"),
          "userPassword %r" % entry["userPassword"])
    check(entry["primaryNode"] == ["weave:127.0.0.1:%d" % m.port], "primaryNode %r"
          % entry.get("primaryNode"))
    check(entry["account-enabled"] == ["Yes"], "account-enabled %r" % entry.get("account-enabled"))
    check(entry["mail"] == ["newbie@example.org"], "mail %r" % entry.get("mail"))
    check("dataStore" in entry["objectClass"], "objectClass %r" % entry["objectClass"])
    counter = h.slapd.search("cn=maxuid," + USERS, "(objectClass=*)", "uidNumber", scope="base")
    check(list(counter.values())[0]["uidNumber"] == ["1005"], "counter %r" % counter)
    check(h.slapd.can_bind(dn, "newbie-password"), "cannot bind with the new password")
    expect_status(m.info("newbie", "newbie-password"), 200, "login")
    check(m.request("GET", "/user/1.0/newbie").text == "1", "not known")


@test
def mozilla_registration_of_existing_name_is_400_4(h):
    response = enrol(h.mozilla, "alice", "alice-password", "alice@example.org")
    expect_status(response, 400)
    check(response.text.strip() == "4", "body %r" % response.text)


@test
def mozilla_password_change_is_written(h):
    m = h.mozilla
    response = m.request("POST", "/user/1.0/newbie/password", body="newbie-password-2",
                         auth=("newbie", "newbie-password"))
    expect_status(response, 200, "change")
    check(response.text == "success", "body %r" % response.text)
    dn, entry = mozilla_entry(h, "newbie")
    check(entry["userPassword"][0].startswith("{CRYPT}$y$"),
          "userPassword %r" % entry["userPassword"])
    check(h.slapd.can_bind(dn, "newbie-password-2"), "new password refused by the directory")
    check(not h.slapd.can_bind(dn, "newbie-password"), "old password still accepted")
    expect_status(m.info("newbie", "newbie-password-2"), 200, "login with new password")


@test
def mozilla_email_change_is_written(h):
    m = h.mozilla
    response = m.request("POST", "/user/1.0/newbie/email", body="renamed@example.org",
                         auth=("newbie", "newbie-password-2"))
    expect_status(response, 200)
    check(mozilla_entry(h, "newbie")[1]["mail"] == ["renamed@example.org"], "mail not changed")


@test
def mozilla_parallel_registrations_get_distinct_uidnumbers(h):
    m = h.mozilla
    results = {}

    def register(name):
        results[name] = enrol(m, name, name + "-password", name + "@example.org").status

    threads = [threading.Thread(target=register, args=("par%d" % i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    check(all(status == 200 for status in results.values()) and len(results) == 8,
          "statuses %r" % results)
    numbers = [mozilla_entry(h, "par%d" % i)[1]["uidNumber"][0] for i in range(8)]
    check(len(set(numbers)) == 8, "uidNumbers %r" % numbers)
    counter = h.slapd.search("cn=maxuid," + USERS, "(objectClass=*)", "uidNumber", scope="base")
    check(list(counter.values())[0]["uidNumber"] == [max(numbers, key=int)], "counter %r" % counter)


@test
def mozilla_hashed_registration(h):
    name = hashed("Neu@Example.org")
    expect_status(enrol(h.mozilla, name, "neu-password-1", "neu@example.org"), 200)
    check(mozilla_entry(h, name)[0] == "uid=%s,%s" % (name, USERS), "dn")
    expect_status(h.mozilla.info(name, "neu-password-1"), 200, "login")


@test
def mozilla_delete_removes_the_entry(h):
    m = h.mozilla
    response = m.request("DELETE", "/user/1.0/newbie", auth=("newbie", "newbie-password-2"))
    expect_status(response, 200)
    check(not h.slapd.search(USERS, "(uid=newbie)"), "entry still there")
    check(m.request("GET", "/user/1.0/newbie").text == "0", "still known")


@test
def mozilla_nodes_read_and_write_primary_node(h):
    m = h.nodes_moz
    admin = [os.path.join(h.build, "weave-admin"), "-c", m.config]
    for url in ("http://node-a.example/", "http://node-b.example:8443/"):
        subprocess.run(admin + ["nodes", "add", url, "10"], check=True, capture_output=True,
                       timeout=60)
    # An entry that names a listed node keeps it, as Mozilla's servers left it.
    h.slapd.modify("dn: uid=bob,%s\nchangetype: modify\nreplace: primaryNode\n"
                   "primaryNode: weave:node-b.example:8443\nprimaryNode: other:x.example\n"
                   % USERS)
    node = m.request("GET", "/user/1.0/bob/node/weave").text
    check(node == "http://node-b.example:8443/", "bob's node %r" % node)
    # One without ("weave:" alone) gets the node with the most room, written back as
    # weave:<host>; the values of other products stay.
    h.slapd.modify("dn: uid=dave,%s\nchangetype: modify\nadd: primaryNode\n"
                   "primaryNode: other:y.example\n" % USERS)
    node = m.request("GET", "/user/1.0/dave/node/weave").text
    check(node == "http://node-a.example/", "dave's node %r" % node)
    entry = mozilla_entry(h, "dave")[1]
    check(sorted(entry["primaryNode"]) == ["other:y.example", "weave:node-a.example"],
          "primaryNode %r" % entry.get("primaryNode"))
    check(entry["syncNode"] == ["node-a.example"], "syncNode %r" % entry.get("syncNode"))
    registered = enrol(m, "nodal", "nodal-password", "nodal@example.org")
    expect_status(registered, 200, "register")
    entry = mozilla_entry(h, "nodal")[1]
    # At equal load the first URL wins.
    check(entry["primaryNode"] == ["weave:node-a.example"], "new entry's primaryNode %r"
          % entry.get("primaryNode"))
    listed = subprocess.run(admin + ["nodes", "list"], check=True, capture_output=True,
                            text=True, timeout=60).stdout
    check("node-a.example/\tactive\t2/10" in listed, "nodes list %r" % listed)


# --- the login cache: revoked credentials stop working in every worker -------------------

# The cache instances keep logins for an hour; cache_ro rechecks the directory every second.
CACHE_RECHECK_SECONDS = 1
GROUP = "cn=sync-users,ou=groups," + BASE


def burst(instance, user, password, count=18):
    """The statuses of count logins, sent six at a time, so that every worker answers some."""
    statuses = [None] * count

    def one(index):
        try:
            statuses[index] = instance.info(user, password).status
        except OSError as error:
            statuses[index] = str(error)

    for start in range(0, count, 6):
        threads = [threading.Thread(target=one, args=(i,))
                   for i in range(start, min(start + 6, count))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    return statuses


def expect_all(statuses, status, what):
    check(all(s == status for s in statuses), "%s: expected only %d, got %r"
          % (what, status, statuses))


def add_directory_user(h, uid, password, in_group=True):
    dn = "uid=%s,%s" % (uid, USERS)
    h.slapd.modify(person_ldif(uid, password, add=True))
    if in_group:
        h.slapd.modify("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n" % (GROUP, dn))
    return dn


def check_directory_change_ends_cached_logins(h, uid, change):
    """Logs uid in on every worker of cache_ro, applies change(dn) to the directory, and
    expects every worker to refuse the old login once the recheck interval has passed."""
    password = uid + "-password-1"
    dn = add_directory_user(h, uid, password)
    # One login enrols the name first (concurrent_first_logins_all_succeed tests the race).
    expect_status(h.cache_ro.info(uid, password), 200, "first login")
    expect_all(burst(h.cache_ro, uid, password), 200, "before the change")
    change(dn)
    time.sleep(CACHE_RECHECK_SECONDS + 0.5)
    expect_all(burst(h.cache_ro, uid, password), 401, "after the recheck interval")


@test
def concurrent_first_logins_all_succeed(h):
    # Several workers enrol the same plain name at once; the losers of that race must not
    # answer 401 (which makes Firefox ask for a new password).
    add_directory_user(h, "cacherace", "cacherace-password-1")
    expect_all(burst(h.cache_ro, "cacherace", "cacherace-password-1"), 200, "first logins")
    db = sqlite3.connect(h.cache_ro.db)
    rows = db.execute("SELECT count(*) FROM ldap_users WHERE username = 'cacherace'").fetchone()
    db.close()
    check(rows == (1,), "enrolments: %r" % (rows,))


@test
def cache_directory_disable_ends_cached_logins(h):
    check_directory_change_ends_cached_logins(h, "cachedis", lambda dn: h.slapd.modify(
        "dn: %s\nchangetype: modify\nreplace: account-enabled\naccount-enabled: No\n" % dn))


@test
def cache_directory_group_removal_ends_cached_logins(h):
    check_directory_change_ends_cached_logins(h, "cachegrp", lambda dn: h.slapd.modify(
        "dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n" % (GROUP, dn)))


@test
def cache_directory_password_change_ends_cached_logins(h):
    check_directory_change_ends_cached_logins(h, "cachepw", lambda dn: h.slapd.modify(
        "dn: %s\nchangetype: modify\nreplace: userPassword\nuserPassword: %s\n"
        % (dn, ssha("cachepw-password-2"))))
    expect_all(burst(h.cache_ro, "cachepw", "cachepw-password-2"), 200, "the new password")


@test
def cache_directory_entry_replaced_ends_cached_logins(h):
    def replace(dn):
        h.slapd.modify("dn: %s\nchangetype: delete\n" % dn)
        # The group still lists the DN, which the new entry takes over.
        add_directory_user(h, "cacherep", "cacherep-password-2", in_group=False)

    check_directory_change_ends_cached_logins(h, "cacherep", replace)


@test
def cache_api_password_change_ends_cached_logins_at_once(h):
    m = h.cache_moz
    expect_status(enrol(m, "cachechg", "cachechg-password-1", "cachechg@example.org"), 200)
    expect_all(burst(m, "cachechg", "cachechg-password-1"), 200, "before the change")
    response = m.request("POST", "/user/1.0/cachechg/password", body="cachechg-password-2",
                         auth=("cachechg", "cachechg-password-1"))
    expect_status(response, 200, "change")
    # No waiting: cache_moz never rechecks the directory, only the generation counter.
    expect_all(burst(m, "cachechg", "cachechg-password-1"), 401, "the old password")
    expect_all(burst(m, "cachechg", "cachechg-password-2"), 200, "the new password")


@test
def cache_api_delete_and_recreate_ends_cached_logins_at_once(h):
    m = h.cache_moz
    expect_status(enrol(m, "cachedel", "cachedel-password-1", "cachedel@example.org"), 200)
    expect_all(burst(m, "cachedel", "cachedel-password-1"), 200, "before the delete")
    response = m.request("DELETE", "/user/1.0/cachedel", auth=("cachedel", "cachedel-password-1"))
    expect_status(response, 200, "delete")
    expect_all(burst(m, "cachedel", "cachedel-password-1"), 401, "after the delete")
    expect_status(enrol(m, "cachedel", "cachedel-password-2", "cachedel@example.org"), 200)
    expect_all(burst(m, "cachedel", "cachedel-password-1"), 401, "the old account's password")
    expect_all(burst(m, "cachedel", "cachedel-password-2"), 200, "the new account's password")


class Harness:
    def __init__(self, build, tmp, probe_bin):
        self.build, self.tmp, self.probe = build, tmp, probe_bin
        self.instances = []
        self.slapd = Slapd(os.path.join(tmp, "slapd"))

    def instance(self, name, auth_yaml, **kw):
        created = Instance(self, name, auth_yaml, **kw)
        self.instances.append(created)
        return created

    def setup(self):
        extra = os.path.join(self.tmp, "suite-users.ldif")
        with open(extra, "w", encoding="utf-8") as f:
            f.write(suite_ldif())
        self.slapd.init(os.path.join(ROOT, "ldap", "sample-directory.ldif"), extra)
        self.slapd.start()
        # Another CA the directory's certificate is not signed by.
        other = os.path.join(self.tmp, "other-ca")
        os.makedirs(other, exist_ok=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-keyout", os.path.join(other, "ca.key"), "-out",
                        os.path.join(other, "ca.pem"), "-subj", "/CN=Other CA"],
                       check=True, capture_output=True, timeout=60)
        s = self.slapd
        self.ro = self.instance("ro", readonly_yaml(s))
        self.group = self.instance("group", readonly_yaml(
            s, urls="[ \"%s\" ]" % s.url("ldaps"),
            group_dn="\"cn=sync-users,ou=groups,%s\"" % BASE))
        self.direct = self.instance("direct", readonly_yaml(
            s, tls="\"off\"", ca_file=None, bind_dn=None, bind_password=None,
            user_dn_template="\"uid={user},%s\"" % USERS))
        self.notrust = self.instance("notrust", readonly_yaml(
            s, ca_file="\"%s\"" % os.path.join(other, "ca.pem")))
        self.failover = self.instance("failover", readonly_yaml(
            s, urls="[ \"ldap://127.0.0.1:%d\", \"%s\" ]" % (free_port(), s.url())))
        self.mozilla = self.instance("mozilla", readonly_yaml(
            s, mode="mozilla", admin_dn="\"%s\"" % ADMIN, admin_password="admin-password",
            users_dn="\"%s\"" % USERS, base_dn="\"%s\"" % BASE,
            user_filter="\"(&(objectClass=dataStore)(uid={user}))\"", password_change_url=None,
            cache_seconds="0"), workers=3)
        self.nodes_moz = self.instance("nodes_moz", readonly_yaml(
            s, mode="mozilla", admin_dn="\"%s\"" % ADMIN, admin_password="admin-password",
            users_dn="\"%s\"" % USERS, base_dn="\"%s\"" % BASE,
            user_filter="\"(&(objectClass=dataStore)(uid={user}))\"", password_change_url=None,
            cache_seconds="0"))
        # The storage suite's own servers, with LDAP logins (as tests/functional/run.sh sets
        # them up for SQL): lockouts off where the suite fails logins on purpose.
        self.suite = self.instance("suite", readonly_yaml(s), workers=3, extra_yaml=(
            "limits:\n  quota_kib: 102400\n  max_body_bytes: 8388608\n"
            "accounts:\n  lockout_max_failures: 0\n"))
        self.quota = self.instance("quota", readonly_yaml(s), workers=2, extra_yaml=(
            "limits:\n  quota_kib: 100\n  max_body_bytes: 1048576\n"
            "accounts:\n  lockout_max_failures: 0\n"))
        # The login cache over several workers: an hour's lifetime, so that only the stamps
        # can end a cached login; failed logins are expected, so no lockout.
        no_lockout = "accounts:\n  lockout_max_failures: 0\n"
        self.cache_moz = self.instance("cache_moz", readonly_yaml(
            s, mode="mozilla", admin_dn="\"%s\"" % ADMIN, admin_password="admin-password",
            users_dn="\"%s\"" % USERS, base_dn="\"%s\"" % BASE,
            user_filter="\"(&(objectClass=dataStore)(uid={user}))\"", password_change_url=None,
            cache_seconds="3600", recheck_seconds="3600"), workers=3, extra_yaml=no_lockout)
        self.cache_ro = self.instance("cache_ro", readonly_yaml(
            s, group_dn="\"%s\"" % GROUP, cache_seconds="3600",
            recheck_seconds=str(CACHE_RECHECK_SECONDS)), workers=3, extra_yaml=no_lockout)
        # Faults under load: three workers, no lockout (the load fails logins on purpose).
        self.outage = self.instance("outage", readonly_yaml(s), workers=3, extra_yaml=(
            "accounts:\n  lockout_max_failures: 0\n  lockout_max_failures_per_address: 0\n"))
        lockout = ("accounts:\n  lockout_max_failures: 3\n  lockout_window_seconds: 600\n"
                   "  lockout_seconds: 2\n  lockout_max_failures_per_address: 3\n")
        self.lockout = self.instance("lockout", readonly_yaml(s), workers=2, extra_yaml=lockout,
                                     server_yaml="  trusted_proxies: [\"127.0.0.1\"]\n")

    def teardown(self):
        for instance in self.instances:
            instance.stop()
        try:
            self.slapd.stop()
        except Exception:  # noqa: BLE001 - best effort while cleaning up
            pass

    def sanitizer_reports(self):
        found = []
        for instance in self.instances:
            with open(os.path.join(instance.folder, "server.log"), "rb") as f:
                text = f.read().decode("utf-8", "replace")
            if "Sanitizer" in text or "runtime error:" in text:
                found.append(instance.name)
        return found


def run_contract_suite(h):
    """The account back-end contract suite (tests/unit) with its LDAP makers on this slapd.

    Runs after the HTTP tests: its mozilla cases take uidNumbers from the same counter, and
    those tests expect the sample directory's numbers. It needs only the sample entries they
    leave alone (alice, bob, eve) and writes entries of its own, with fresh names.
    Returns (passed, failed) counted in test cases.
    """
    unit_tests = os.path.join(h.build, "unit_tests")
    if not os.path.exists(unit_tests):
        print("FAIL  account_backend_contract (%s missing: build it first)" % unit_tests)
        return 0, 1
    env = dict(os.environ)
    env["WEAVE_TEST_LDAP_URL"] = h.slapd.url()
    env["WEAVE_TEST_LDAP_CA"] = h.slapd.ca
    started = time.time()
    try:
        done = subprocess.run([unit_tests, "--run_test=account_backend_contract",
                               "--log_level=message", "--report_level=short"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    except subprocess.TimeoutExpired:
        print("FAIL  account_backend_contract timed out")
        return 0, 1
    output = done.stdout.decode("utf-8", "replace")
    found_passed = re.search(r"(\d+) test cases? out of \d+ passed", output)
    found_failed = re.search(r"(\d+) test cases? out of \d+ failed", output)
    passed = int(found_passed.group(1)) if found_passed else 0
    failed = int(found_failed.group(1)) if found_failed else 0
    problems = []
    if "skipped: no LDAP server" in output:
        problems.append("the LDAP makers did not run")
    if done.returncode != 0 and failed == 0:
        problems.append("exit status %d" % done.returncode)
    if passed == 0:
        problems.append("no test case ran")
    if problems:
        failed = max(failed, 1)
    if failed:
        sys.stdout.write(output)
        print("FAIL  account_backend_contract (%.2fs): %d passed, %d failed%s" % (
            time.time() - started, passed, failed,
            "; " + ", ".join(problems) if problems else ""), flush=True)
    else:
        print("ok    account_backend_contract (%.2fs): %d test cases" % (
            time.time() - started, passed), flush=True)
    return passed, failed


def run_functional_suite(h):
    """The storage suite of tests/functional against the LDAP-backed instance."""
    runner = os.path.join(ROOT, "tests", "functional", "runner.py")
    if not os.path.exists(runner):
        print("skip  functional suite (tests/functional/runner.py missing)")
        return 0, 0
    counts = os.path.join(h.tmp, "functional-counts")
    env = dict(os.environ)
    env.update({
        "WEAVE_URL": "http://127.0.0.1:%d" % h.suite.port,
        "WEAVE_USER": "fsalice", "WEAVE_PASSWORD": SUITE_USERS["fsalice"],
        "WEAVE_USER2": "fsbob", "WEAVE_PASSWORD2": SUITE_USERS["fsbob"],
        "WEAVE_USER_SPECIAL": "fscarol", "WEAVE_PASSWORD_SPECIAL": SUITE_USERS["fscarol"],
        "WEAVE_USER_CLIENT": "fserin", "WEAVE_PASSWORD_CLIENT": SUITE_USERS["fserin"],
        "WEAVE_USER_ADMIN": "fsdave", "WEAVE_PASSWORD_ADMIN": SUITE_USERS["fsdave"],
        "WEAVE_USER_CRASH": "fsfrank", "WEAVE_PASSWORD_CRASH": SUITE_USERS["fsfrank"],
        "WEAVE_MASTER_PID": str(h.suite.server.pid), "WEAVE_WORKERS": "3",
        "WEAVE_QUOTA_KIB": "102400", "WEAVE_MAX_BODY_BYTES": "8388608",
        "WEAVE_MAX_PAYLOAD_BYTES": "262144", "WEAVE_BATCH_MAX_COUNT": "100",
        "WEAVE_BATCH_MAX_BYTES": "1048576",
        "WEAVE_QUOTA_URL": "http://127.0.0.1:%d" % h.quota.port,
        "WEAVE_QUOTA_USER": "fsquinn", "WEAVE_QUOTA_PASSWORD": SUITE_USERS["fsquinn"],
        "WEAVE_QUOTA_QUOTA_KIB": "100", "WEAVE_QUOTA_MAX_BODY_BYTES": "1048576",
        "WEAVE_LOCKOUT_URL": "http://127.0.0.1:%d" % h.lockout.port,
        "WEAVE_LOCKOUT_MAX_FAILURES": "3", "WEAVE_LOCKOUT_SECONDS": "2",
        "WEAVE_LOCKOUT_USER": "fslola", "WEAVE_LOCKOUT_PASSWORD": SUITE_USERS["fslola"],
        "WEAVE_LOCKOUT_USER2": "fslenny", "WEAVE_LOCKOUT_PASSWORD2": SUITE_USERS["fslenny"],
        "WEAVE_COUNTS_FILE": counts,
        # Suites that start servers of their own start this build's, not whatever lies in
        # the checkout's build folder.
        "WEAVE_SERVER_BIN": os.path.join(h.build, "weave-server"),
    })
    for key in ("WEAVE_ADMIN", "WEAVE_CONFIG"):
        env.pop(key, None)  # account administration is the directory's business here
    # Crash safety under SIGKILL is a storage property the main functional run covers; here
    # a freshly forked worker's first bind may time out on a loaded machine, which is a 503
    # by design, not a storage fault.
    listing = subprocess.run(
        [sys.executable, "-c",
         "import unittest, runner\n"
         "for name in runner.MODULES:\n"
         "    for t in runner.flatten(unittest.TestLoader().loadTestsFromModule("
         "__import__(name))):\n"
         "        print(t.id())"],
        cwd=os.path.dirname(runner), env=env, capture_output=True, text=True, timeout=120)
    # test_hostile attacks a server of its own (SQLite, SQL accounts), the same in every run.
    selected = [tid for tid in listing.stdout.split()
                if not tid.startswith(("test_crash.", "test_hostile."))]
    print("--- storage functional suite (tests/functional) with LDAP authentication", flush=True)
    try:
        done = subprocess.run([sys.executable, runner] + selected, env=env, timeout=900)
    except subprocess.TimeoutExpired:
        print("FAIL  functional suite timed out")
        return 0, 1
    passed = failed = 0
    if os.path.exists(counts):
        with open(counts) as f:
            passed, failed = (int(x) for x in f.read().split())
    if done.returncode != 0 and failed == 0:
        failed = 1
    return passed, failed


def main():
    build, tmp, probe_bin = sys.argv[1:4]
    filters = sys.argv[4:]
    harness = Harness(build, tmp, probe_bin)
    passed = failed = 0
    try:
        harness.setup()
    except Exception:  # noqa: BLE001 - reported as one failure
        traceback.print_exc()
        harness.teardown()
        print("FAIL  setup")
        with open(os.path.join(tmp, "counts"), "w") as f:
            f.write("0 1\n")
        return 1
    try:
        for function in TESTS:
            if filters and not any(f in function.__name__ for f in filters):
                continue
            started = time.time()
            try:
                function(harness)
            except Exception as error:  # noqa: BLE001 - every failure is reported the same
                failed += 1
                print("FAIL  %s (%.2fs): %s" % (function.__name__, time.time() - started, error),
                      flush=True)
                if not isinstance(error, AssertionError):
                    traceback.print_exc()
            else:
                passed += 1
                print("ok    %s (%.2fs)" % (function.__name__, time.time() - started), flush=True)
        if not filters or "contract" in filters:
            contract_passed, contract_failed = run_contract_suite(harness)
            passed += contract_passed
            failed += contract_failed
        if not filters or "functional" in filters:
            suite_passed, suite_failed = run_functional_suite(harness)
            passed += suite_passed
            failed += suite_failed
    finally:
        harness.teardown()
    for name in harness.sanitizer_reports():
        print("FAIL  sanitizer report in the %s server log" % name)
        failed += 1
    with open(os.path.join(tmp, "counts"), "w") as f:
        f.write("%d %d\n" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
