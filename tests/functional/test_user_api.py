"""User API 1.0, misc 1.0 and the account pages (protocol §3, §6.3, §6.4), end to end.

Needs settings the shared instances of run.sh lack, so this module starts its own
weave-server + nginx pairs (weave_instance.py) next to an SMTP sink (smtp_sink.py), all on
loopback, in a temporary folder:
  open    policy open, mail to the sink, path_prefix /sync, public_url set, X-Weave-Secret set
  prefixed  policy open, mail to the sink, path_prefix /sync, no public_url (node URLs are
          rebuilt from Host and port; reset mail is refused)
  hashed  policy open, registration.require_hashed_username left at its default (true)
  (the others set it false, to register plain names such as "alice")
  invite  policy invite, X-Weave-Secret set, 127.0.0.1 a trusted proxy
  closed  policy closed, no mail relay
  lock    policy open, accounts.lockout_max_failures: 3
Binaries: WEAVE_ADMIN / WEAVE_SERVER_BIN (run.sh exports WEAVE_ADMIN), else build/.
Run alone: python3 -m unittest -v test_user_api   (from tests/functional)
"""

import base64
import hashlib
import json
import html.parser
import http.client
import os
import re
import secrets
import shutil
import sqlite3
import tempfile
import unittest
import urllib.parse

import smtp_sink
import weave_instance
from weave import Response, Server, WeaveTestCase, basic, wbo

CODE_RE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
LINK_RE = re.compile(r"(https?://\S+/weave-password-reset\?\S+)")
OPEN_SECRET = "open-provisioning-secret"
INVITE_SECRET = "invite-provisioning-secret"
CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"

TMP = None
SINK = None
CAPTCHA = None
INSTANCES = {}
SEEN_MAIL = set()
CAPTCHA_SECRET = "captcha-secret-1"


class CaptchaService:
    """A reCAPTCHA-style siteverify stand-in on loopback: a solved challenge is the token
    "solved" sent with the right secret. Records what the server asked."""

    def __init__(self):
        import http.server
        import threading
        requests = self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                requests.append(form)
                ok = (form.get("secret") == [CAPTCHA_SECRET] and
                      form.get("response") == ["solved"])
                body = json.dumps({"success": ok}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def setUpModule():
    global TMP, SINK
    missing = weave_instance.tools_missing()
    if missing:
        raise unittest.SkipTest(missing)
    TMP = tempfile.mkdtemp(prefix="weave-userapi.")
    os.chmod(TMP, 0o711)
    SINK = smtp_sink.SmtpSink(os.path.join(TMP, "mail")).start()
    global CAPTCHA
    CAPTCHA = CaptchaService()
    captcha = {"verify_url": "http://127.0.0.1:%d/siteverify" % CAPTCHA.port,
               "secret": CAPTCHA_SECRET, "site_key": "site-key-1"}
    mail = {"smtp_url": "smtp://127.0.0.1:%d" % SINK.port, "from": "sync@test.invalid",
            "timeout_seconds": 10}
    # All requests come from 127.0.0.1, so only the lockout instance counts failures low.
    relaxed = {"lockout_max_failures": 1000, "reset_mails_per_address_per_hour": 1000}
    specs = [
        ("open", {"registration": {"policy": "open", "shared_secret": OPEN_SECRET},
                  "mail": mail, "accounts": relaxed}, "/sync", True),
        ("prefixed", {"registration": {"policy": "open"}, "mail": mail, "accounts": relaxed},
         "/sync", False),
        ("hashed", {"registration": {"policy": "open"},
                    "mail": mail, "accounts": relaxed}, "", True),
        ("invite", {"registration": {"policy": "invite", "shared_secret": INVITE_SECRET},
                    "server": {"trusted_proxies": ["127.0.0.1"]}, "mail": mail,
                    "accounts": dict(relaxed, reset_mails_per_address_per_hour=3)}, "", True),
        ("closed", {"registration": {"policy": "closed", "shared_secret": OPEN_SECRET},
                    "accounts": relaxed}, "", True),
        ("captcha", {"registration": {"policy": "open", "captcha": captcha}, "mail": mail,
                     "accounts": relaxed}, "", True),
        ("lock", {"registration": {"policy": "open"}, "mail": mail,
                  "accounts": {"lockout_max_failures": 3, "lockout_window_seconds": 600,
                               "lockout_seconds": 600}}, "", True),
    ]
    for name, settings, _, _ in specs:
        if name != "hashed":
            settings["registration"]["require_hashed_username"] = False
    try:
        for name, settings, prefix, public in specs:
            INSTANCES[name] = weave_instance.Instance(TMP, name, settings, path_prefix=prefix,
                                                      public_url=public).start()
    except Exception:
        tearDownModule(check=False)
        raise


def tearDownModule(check=True):
    reports = []
    for instance in INSTANCES.values():
        instance.stop()
        report = instance.sanitizer_report()
        if report:
            reports.append("%s: %s" % (instance.name, report))
    INSTANCES.clear()
    if SINK is not None:
        SINK.stop()
    if CAPTCHA is not None:
        CAPTCHA.stop()
    if TMP is not None and not os.environ.get("WEAVE_KEEP_TMP"):
        shutil.rmtree(TMP, ignore_errors=True)
    if check and reports:
        raise AssertionError("sanitizer report in a server log:\n" + "\n".join(reports))


# --- helpers

def server(name):
    return Server(INSTANCES[name].url)


def new_name(prefix="u"):
    return prefix + secrets.token_hex(5)


def firefox_username(email):
    digest = hashlib.sha1(email.lower().encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()


def user_path(user, rel="", version="1.0"):
    return "/user/%s/%s%s" % (version, user, "/" + rel if rel else "")


def mails_to(address):
    """Messages to address not returned before, oldest first."""
    found = []
    for path in smtp_sink.list_messages(SINK.folder):
        if path in SEEN_MAIL:
            continue
        message = smtp_sink.read_message(path)
        if message["X-Sink-Rcpt-To"] == address:
            SEEN_MAIL.add(path)
            found.append(message)
    return found


def body_text(message):
    return message.get_body(preferencelist=("plain",)).get_content()


class Page(html.parser.HTMLParser):
    """The parts of an HTML page the tests look at."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.inputs = []      # attribute dicts
        self.by_id = {}
        self.labels_for = set()
        self.forms = []
        self.tags = []
        self.text = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        if "id" in attributes:
            self.by_id[attributes["id"]] = (tag, attributes)
        if tag == "input":
            self.inputs.append(attributes)
        elif tag == "label" and "for" in attributes:
            self.labels_for.add(attributes["for"])
        elif tag == "form":
            self.forms.append(attributes)

    def handle_data(self, data):
        self.text.append(data)

    def input_named(self, name):
        for attributes in self.inputs:
            if attributes.get("name") == name:
                return attributes
        return None

    def value(self, name):
        found = self.input_named(name)
        return None if found is None else found.get("value", "")

    def all_text(self):
        return " ".join(" ".join(self.text).split())


class UserApiCase(WeaveTestCase):
    def create(self, instance, user=None, password=None, email=None, headers=None,
               extra=None, expect=200):
        user = user or new_name()
        password = password or "pw-" + secrets.token_hex(6)
        body = {"password": password, "captcha-challenge": "", "captcha-response": ""}
        if email is not None:
            body["email"] = email
        body.update(extra or {})
        response = server(instance).request("PUT", user_path(user), _json(body),
                                            dict({"Content-Type": "text/plain"}, **(headers or {})))
        if expect is not None:
            self.assertStatus(response, expect)
            if expect == 200:
                self.assertEqual(response.text, user)
        return user, password, response

    def storage(self, instance, user, password, method="GET", rel="info/collections",
                body=None):
        headers = {"Authorization": basic(user, password)}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = _json(body)
        return server(instance).request(method, "/1.1/%s/%s" % (user, rel), body, headers)

    def api(self, instance, method, user, rel="", body=None, auth=None, headers=None,
            version="1.0"):
        all_headers = dict(headers or {})
        if auth is not None:
            all_headers["Authorization"] = basic(*auth)
        if body is not None:
            all_headers.setdefault("Content-Type", "text/plain")
        return server(instance).request(method, user_path(user, rel, version), body, all_headers)

    def assertCode(self, response, code, status=400):
        self.assertStatus(response, status, str(code))

    def exists(self, instance, user):
        response = self.api(instance, "GET", user)
        self.assertStatus(response, 200)
        return response.text

    def request_reset_code(self, instance, user, email):
        response = self.api(instance, "GET", user, "password_reset")
        self.assertStatus(response, 200, "success")
        messages = mails_to(email)
        self.assertEqual(len(messages), 1, "expected one reset mail to %s" % email)
        text = body_text(messages[0])
        code = CODE_RE.search(text)
        link = LINK_RE.search(text)
        self.assertIsNotNone(code, text)
        self.assertIsNotNone(link, text)
        return code.group(0), link.group(1), messages[0]

    def security_events(self, instance, signature, user):
        return [line for line in INSTANCES[instance].security_events()
                if "|%s|" % signature in line and "suser=%s" % user in line]


def request_with_host(instance, path, host):
    """A GET with its own Host header (http.client would add one of its own)."""
    connection = http.client.HTTPConnection("127.0.0.1", INSTANCES[instance].port, timeout=30)
    try:
        connection.putrequest("GET", INSTANCES[instance].prefix + path, skip_host=True,
                              skip_accept_encoding=True)
        connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return Response(response.status, response.reason, response.getheaders(),
                        response.read())
    finally:
        connection.close()


def _json(value):
    import json
    return json.dumps(value)


# --- User API

class UserExists(UserApiCase):
    def test_zero_for_free_name_one_for_taken(self):
        user = new_name()
        self.assertEqual(self.exists("open", user), "0")
        self.create("open", user)
        response = self.api("open", "GET", user)
        self.assertStatus(response, 200, "1")
        self.assertEqual(response.content_type, "text/plain")

    def test_version_one_path_and_trailing_slash(self):
        user, _, _ = self.create("open")
        self.assertStatus(self.api("open", "GET", user, version="1"), 200, "1")
        response = server("open").request("GET", user_path(user) + "/")
        self.assertStatus(response, 200, "1")

    def test_invalid_user_name_is_400_3(self):
        for bad in ("bad%20name", "bad%2Fname", "bad%3Aname", "x" * 65):
            self.assertCode(server("open").request("GET", "/user/1.0/" + bad), 3)


class CreateAccount(UserApiCase):
    def test_success_answers_the_name_and_the_account_works(self):
        user, password, _ = self.create("open", email="new-%s@example.org" % secrets.token_hex(3))
        self.assertEqual(self.exists("open", user), "1")
        response = self.storage("open", user, password)
        self.assertStatus(response, 200)
        self.assertEqual(response.json(), {})
        self.assertTrue(self.security_events("open", "AccountCreated", user))

    def test_existing_user_is_400_4(self):
        user, _, _ = self.create("open")
        _, _, response = self.create("open", user, expect=None)
        self.assertCode(response, 4)

    def test_body_not_json_object_is_400_6(self):
        for body in ("not json", "[1, 2]", '"text"', "", '{"password": "abc'):
            response = server("open").request("PUT", user_path(new_name()), body,
                                              {"Content-Type": "text/plain"})
            self.assertCode(response, 6)

    def test_malformed_email_is_400_12(self):
        for email in ("no-at-sign", "a@b", "@example.org", "a b@example.org", "a@example.org."):
            _, _, response = self.create("open", email=email, expect=None)
            self.assertCode(response, 12)

    def test_missing_password_is_400_7(self):
        for body in ({"email": "x@example.org"}, {"password": ""}, {"password": 12345678}):
            response = server("open").request("PUT", user_path(new_name()), _json(body))
            self.assertCode(response, 7)

    def test_weak_password_is_400_9(self):
        _, _, response = self.create("open", password="short", expect=None)
        self.assertCode(response, 9)
        user = "weakname%s" % secrets.token_hex(2)
        _, _, response = self.create("open", user, password=user.upper(), expect=None)
        self.assertCode(response, 9)
        self.assertEqual(self.exists("open", user), "0")

    def test_hashed_username_mismatch_is_400_15(self):
        _, _, response = self.create("hashed", new_name(), email="someone@example.org",
                                     expect=None)
        self.assertCode(response, 15)
        _, _, response = self.create("hashed", new_name(), expect=None)  # no e-mail at all
        self.assertCode(response, 15)
        email = "Match.%s@Example.org" % secrets.token_hex(3)
        self.create("hashed", firefox_username(email), email=email)


class CaptchaVerification(UserApiCase):
    def test_open_policy_with_captcha_asks_the_verification_service(self):
        before = len(CAPTCHA.requests)
        _, _, response = self.create("captcha", extra={"captcha-challenge": "recaptcha",
                                                       "captcha-response": "wrong"},
                                     expect=None)
        self.assertCode(response, 2)
        self.create("captcha", extra={"captcha-challenge": "recaptcha",
                                      "captcha-response": "solved"})
        asked = CAPTCHA.requests[before:]
        self.assertEqual(len(asked), 2)
        self.assertEqual(asked[1]["secret"], [CAPTCHA_SECRET])
        self.assertEqual(asked[1]["remoteip"], ["127.0.0.1"])

    def test_captcha_page_carries_the_widget_and_the_fields(self):
        response = server("captcha").request("GET", "/misc/1.0/captcha_html")
        self.assertStatus(response, 200)
        self.assertIn('data-sitekey="site-key-1"', response.text)
        self.assertIn('id="recaptcha_response_field"', response.text)

    def test_password_reset_needs_the_captcha_too(self):
        email = "cap-%s@example.org" % secrets.token_hex(3)
        user, _, _ = self.create("captcha", email=email,
                                 extra={"captcha-response": "solved"})
        self.assertCode(self.api("captcha", "GET", user, "password_reset"), 2)
        response = server("captcha").request(
            "GET", user_path(user, "password_reset") + "?captcha-response=solved")
        self.assertStatus(response, 200, "success")
        self.assertEqual(len(mails_to(email)), 1)


class RegistrationPolicies(UserApiCase):
    def captcha_page(self, instance):
        response = server(instance).request("GET", "/misc/1.0/captcha_html")
        self.assertStatus(response, 200)
        self.assertEqual(response.content_type, "text/html")
        page = Page(response.text)
        self.assertIn("recaptcha_challenge_field", page.by_id, response.text)
        self.assertIn("recaptcha_response_field", page.by_id, response.text)
        return page

    def test_captcha_html_has_both_fields_for_each_policy(self):
        for instance in ("open", "invite", "closed"):
            with self.subTest(instance=instance):
                self.captcha_page(instance)
        # Invitations: the response field is where a person types the code.
        tag, attributes = self.captcha_page("invite").by_id["recaptcha_response_field"]
        self.assertEqual((tag, attributes.get("type")), ("input", "text"))

    def test_closed_refuses_with_403(self):
        user, _, response = self.create("closed", email="c@example.org", expect=None)
        self.assertStatus(response, 403)
        self.assertEqual(self.exists("closed", user), "0")
        self.assertTrue(self.security_events("closed", "RegistrationRefused", user))
        # Only weave-admin creates accounts there, whatever the client sends.
        _, _, response = self.create("closed", headers={"X-Weave-Secret": OPEN_SECRET},
                                     expect=None)
        self.assertStatus(response, 403)

    def test_invite_policy_refuses_a_bad_code_with_400_2(self):
        for code in ("", "NOT-A-REAL-CODE"):
            user, _, response = self.create("invite", extra={"captcha-response": code},
                                            expect=None)
            self.assertCode(response, 2)
            self.assertEqual(self.exists("invite", user), "0")

    def test_invite_code_from_the_captcha_page_works_once(self):
        result = INSTANCES["invite"].admin("invite")
        self.assertEqual(result.returncode, 0, result.stderr)
        code = result.stdout.decode().split()[0]
        # What Firefox's wizard does: read both fields of captcha_html, the person having
        # typed the code into the response field.
        page = self.captcha_page("invite")
        challenge = page.by_id["recaptcha_challenge_field"][1].get("value", "")
        extra = {"captcha-challenge": challenge, "captcha-response": code}
        user, password, _ = self.create("invite", extra=extra)
        self.assertStatus(self.storage("invite", user, password), 200)
        _, _, response = self.create("invite", extra=extra, expect=None)
        self.assertCode(response, 2)
        listing = INSTANCES["invite"].admin("invites").stdout.decode()
        self.assertIn(user, listing)

    def test_shared_secret_skips_the_invite(self):
        user, password, _ = self.create("invite", headers={"X-Weave-Secret": INVITE_SECRET})
        self.assertStatus(self.storage("invite", user, password), 200)
        _, _, response = self.create("invite", headers={"X-Weave-Secret": "wrong"},
                                     expect=None)
        self.assertCode(response, 2)

    def test_open_policy_needs_no_captcha(self):
        self.create("open", extra={"captcha-challenge": "none", "captcha-response": "none"})
        self.create("open", headers={"X-Weave-Secret": OPEN_SECRET})


class NodeLookup(UserApiCase):
    def test_node_url_keeps_prefix_and_port_and_ends_with_slash(self):
        user, password, _ = self.create("prefixed")
        port = INSTANCES["prefixed"].port
        response = self.api("prefixed", "GET", user, "node/weave")
        self.assertStatus(response, 200, "http://127.0.0.1:%d/sync/" % port)
        self.assertEqual(response.content_type, "text/plain")
        # Another Host spelling, and a Host without the port (as some front ends pass it).
        for host, expected in (("localhost:%d" % port, "http://localhost:%d/sync/" % port),
                               ("sync.example", "http://sync.example:%d/sync/" % port)):
            response = request_with_host("prefixed", user_path(user, "node/weave"), host)
            self.assertStatus(response, 200, expected)
        # The client uses the value verbatim as its storage prefix.
        node = self.api("prefixed", "GET", user, "node/weave").text
        parts = urllib.parse.urlsplit(node)
        response = Server("http://%s" % parts.netloc).request(
            "GET", parts.path + "1.1/%s/info/collections" % user,
            headers={"Authorization": basic(user, password)})
        self.assertStatus(response, 200)

    def test_public_url_is_used_when_configured(self):
        user, _, _ = self.create("hashed", *self.hashed_account())
        response = self.api("hashed", "GET", user, "node/weave")
        self.assertStatus(response, 200, "http://127.0.0.1:%d/" % INSTANCES["hashed"].port)

    def test_unknown_user_is_404(self):
        self.assertStatus(self.api("open", "GET", new_name(), "node/weave"), 404)

    @staticmethod
    def hashed_account():
        email = "node-%s@example.org" % secrets.token_hex(3)
        return firefox_username(email), "pw-" + secrets.token_hex(6), email


class PasswordChange(UserApiCase):
    def test_change_with_basic_auth(self):
        user, old, _ = self.create("open")
        new = "new-" + secrets.token_hex(6)
        response = self.api("open", "POST", user, "password", new, auth=(user, old))
        self.assertStatus(response, 200, "success")
        self.assertStatus(self.storage("open", user, old), 401)
        self.assertStatus(self.storage("open", user, new), 200)
        self.assertTrue(self.security_events("open", "PasswordChanged", user))

    def test_change_needs_the_right_credentials(self):
        user, old, _ = self.create("open")
        other, other_pw, _ = self.create("open")
        for auth in (None, (user, "wrong-password"), (other, other_pw)):
            response = self.api("open", "POST", user, "password", "whatever-123", auth=auth)
            self.assertStatus(response, 401)
        self.assertStatus(self.storage("open", user, old), 200)

    def test_weak_or_missing_new_password(self):
        user, old, _ = self.create("open")
        self.assertCode(self.api("open", "POST", user, "password", "short", auth=(user, old)), 9)
        self.assertCode(self.api("open", "POST", user, "password", user.upper(),
                                 auth=(user, old)), 9)
        self.assertCode(self.api("open", "POST", user, "password", "", auth=(user, old)), 7)
        self.assertStatus(self.storage("open", user, old), 200)

    def test_change_with_reset_code_is_single_use(self):
        email = "reset-%s@example.org" % secrets.token_hex(3)
        user, old, _ = self.create("open", email=email)
        code, link, message = self.request_reset_code("open", user, email)
        self.assertIn("Sync", message["Subject"])
        port = INSTANCES["open"].port
        self.assertTrue(link.startswith("http://127.0.0.1:%d/sync/weave-password-reset?" % port),
                        link)
        self.assertIn("key=" + code, link)
        self.assertIn("username=" + user, link)
        self.assertTrue(self.security_events("open", "PasswordResetRequested", user))
        bad = self.api("open", "POST", user, "password", "new-password-1",
                       headers={"X-Weave-Password-Reset": "AAAA-BBBB-CCCC-DDDD"})
        self.assertCode(bad, 10)
        new = "new-" + secrets.token_hex(6)
        response = self.api("open", "POST", user, "password", new,
                            headers={"X-Weave-Password-Reset": code})
        self.assertStatus(response, 200, "success")
        self.assertStatus(self.storage("open", user, new), 200)
        self.assertStatus(self.storage("open", user, old), 401)
        again = self.api("open", "POST", user, "password", "another-password-2",
                         headers={"X-Weave-Password-Reset": code})
        self.assertCode(again, 10)
        self.assertStatus(self.storage("open", user, new), 200)
        self.assertTrue(self.security_events("open", "PasswordReset", user))

    def test_reset_code_for_unknown_user_is_404(self):
        response = self.api("open", "POST", new_name(), "password", "new-password-1",
                            headers={"X-Weave-Password-Reset": "AAAA-BBBB-CCCC-DDDD"})
        self.assertStatus(response, 404)


class PasswordResetMail(UserApiCase):
    def test_unknown_user_is_400_3(self):
        self.assertCode(self.api("open", "GET", new_name(), "password_reset"), 3)

    def test_no_email_on_file_is_400_12(self):
        user, _, _ = self.create("open")  # no e-mail
        self.assertCode(self.api("open", "GET", user, "password_reset"), 12)

    def test_reset_mail_needs_public_url_so_host_cannot_redirect_the_link(self):
        # Without server.public_url the link would have to come from the Host header, which
        # anyone can set: the server refuses to mail one rather than let it point elsewhere.
        email = "host-%s@example.org" % secrets.token_hex(3)
        user, _, _ = self.create("prefixed", email=email)
        response = request_with_host("prefixed", user_path(user, "password_reset"),
                                     "evil.example")
        self.assertStatus(response, 503)
        self.assertEqual(mails_to(email), [])

    def test_without_mail_relay_is_503(self):
        user = new_name()
        INSTANCES["closed"].add_user(user, "pw-" + secrets.token_hex(6), user + "@example.org")
        response = self.api("closed", "GET", user, "password_reset")
        self.assertStatus(response, 503)
        self.assertIsNotNone(response.header("Retry-After"))

    def test_delete_password_reset_cancels_the_code(self):
        email = "cancel-%s@example.org" % secrets.token_hex(3)
        user, password, _ = self.create("open", email=email)
        code, _, _ = self.request_reset_code("open", user, email)
        self.assertStatus(self.api("open", "DELETE", user, "password_reset"), 401)
        response = self.api("open", "DELETE", user, "password_reset", auth=(user, password))
        self.assertStatus(response, 200, "success")
        response = self.api("open", "POST", user, "password", "new-password-1",
                            headers={"X-Weave-Password-Reset": code})
        self.assertCode(response, 10)

    def test_an_earlier_code_stays_valid_when_another_is_requested(self):
        # Someone else asking for a reset must not void the mail the owner already has.
        email = "twice-%s@example.org" % secrets.token_hex(3)
        user, _, _ = self.create("open", email=email)
        first, _, _ = self.request_reset_code("open", user, email)
        second, _, _ = self.request_reset_code("open", user, email)
        self.assertNotEqual(first, second)
        self.assertStatus(self.api("open", "POST", user, "password", "new-password-1",
                                   headers={"X-Weave-Password-Reset": first}), 200)
        # A successful reset voids every other pending code.
        self.assertCode(self.api("open", "POST", user, "password", "new-password-2",
                                 headers={"X-Weave-Password-Reset": second}), 10)

    def test_reset_mails_are_limited_per_requesting_address(self):
        # The invite instance trusts nginx's X-Forwarded-For and sends 3 mails an hour per
        # address: a fourth account asked for from the same address gets no mail, while
        # another address still can.
        sent = []
        for i in range(4):
            email = "addr%d-%s@example.org" % (i, secrets.token_hex(3))
            user = new_name()
            INSTANCES["invite"].add_user(user, "pw-" + secrets.token_hex(6), email)
            response = self.api("invite", "GET", user, "password_reset",
                                headers={"X-Forwarded-For": "10.44.0.1"})
            self.assertStatus(response, 200, "success")  # the same answer either way
            sent.append(len(mails_to(email)))
        self.assertEqual(sent, [1, 1, 1, 0])
        email = "addr-other-%s@example.org" % secrets.token_hex(3)
        user = new_name()
        INSTANCES["invite"].add_user(user, "pw-" + secrets.token_hex(6), email)
        self.api("invite", "GET", user, "password_reset", headers={"X-Forwarded-For": "10.44.0.2"})
        self.assertEqual(len(mails_to(email)), 1)

    def test_wrong_reset_codes_count_as_failed_logins(self):
        # A reset code is a password too: guessing one is logged and counted.
        email = "guess-%s@example.org" % secrets.token_hex(3)
        user, _, _ = self.create("lock", email=email)
        code, _, _ = self.request_reset_code("lock", user, email)
        for i in range(3):
            self.assertCode(self.api("lock", "POST", user, "password", "new-password-1",
                                     headers={"X-Weave-Password-Reset": "AAAA-BBBB-CCCC-000%d" % i}),
                            10)
        self.assertEqual(len(self.security_events("lock", "AuthFail", user)), 3)
        # Locked now: even the right code is not looked at until the lockout ends.
        self.assertCode(self.api("lock", "POST", user, "password", "new-password-1",
                                 headers={"X-Weave-Password-Reset": code}), 10)


class Email(UserApiCase):
    def test_read_and_change_address(self):
        user, password, _ = self.create("open", email="first@example.org")
        self.assertStatus(self.api("open", "GET", user, "email", auth=(user, password)), 200,
                          "first@example.org")
        response = self.api("open", "POST", user, "email", "second@example.org",
                            auth=(user, password))
        self.assertStatus(response, 200, "second@example.org")
        self.assertStatus(self.api("open", "GET", user, "email", auth=(user, password)), 200,
                          "second@example.org")
        self.assertTrue(self.security_events("open", "EmailChanged", user))

    def test_invalid_address_is_400_12(self):
        user, password, _ = self.create("open", email="keep@example.org")
        for bad in ("", "nonsense", "a@b", "two@@example.org x"):
            response = self.api("open", "POST", user, "email", bad, auth=(user, password))
            self.assertCode(response, 12)
        self.assertStatus(self.api("open", "GET", user, "email", auth=(user, password)), 200,
                          "keep@example.org")

    def test_needs_the_accounts_password(self):
        user, _, _ = self.create("open", email="mine@example.org")
        other, other_pw, _ = self.create("open")
        for auth in (None, (user, "wrong-password"), (other, other_pw)):
            self.assertStatus(self.api("open", "POST", user, "email", "evil@example.org",
                                       auth=auth), 401)
            self.assertStatus(self.api("open", "GET", user, "email", auth=auth), 401)


class DeleteAccount(UserApiCase):
    def test_delete_removes_account_and_data(self):
        user, password, _ = self.create("open")
        self.assertStatus(self.storage("open", user, password, "PUT", "storage/bookmarks/b1",
                                       wbo("b1", "old data")), 200)
        self.assertStatus(self.api("open", "DELETE", user), 401)
        self.assertStatus(self.api("open", "DELETE", user, auth=(user, "wrong-password")), 401)
        response = self.api("open", "DELETE", user, auth=(user, password))
        self.assertStatus(response, 200, "0")
        self.assertEqual(self.exists("open", user), "0")
        self.assertStatus(self.storage("open", user, password), 401)
        self.assertStatus(self.api("open", "GET", user, "node/weave"), 404)
        self.assertTrue(self.security_events("open", "AccountDeleted", user))
        # The same name again starts empty.
        self.create("open", user, password)
        response = self.storage("open", user, password)
        self.assertStatus(response, 200)
        self.assertEqual(response.json(), {})
        self.assertStatus(self.storage("open", user, password, rel="storage/bookmarks/b1"), 404)


    def database(self, instance, statement, parameters=()):
        """Runs one statement on the instance's SQLite file (committed); returns its rows."""
        db = sqlite3.connect(os.path.join(INSTANCES[instance].dir, "weave.db"), timeout=10)
        try:
            with db:
                return db.execute(statement, parameters).fetchall()
        finally:
            db.close()

    def account_id(self, instance, user):
        """The account's storage key (None: no account)."""
        rows = self.database(instance, "SELECT id FROM users WHERE username = ?", (user,))
        return rows[0][0] if rows else None

    def test_recreated_account_gets_a_new_id_and_never_the_old_rows(self):
        # The newest account is deleted, so a "highest id + 1" allocator would hand its id
        # to the next account, along with whatever its deletion missed: here a record stored
        # by a request that raced the deletion, written straight into the database.
        user, password, _ = self.create("open")
        self.assertStatus(self.storage("open", user, password, "PUT", "storage/bookmarks/b1",
                                       wbo("b1", "old data")), 200)
        old_id = self.account_id("open", user)
        self.assertIsNotNone(old_id)
        self.assertStatus(self.api("open", "DELETE", user, auth=(user, password)), 200, "0")
        self.assertIsNone(self.account_id("open", user))
        self.database("open", "INSERT INTO wbo (username, collection, id, modified, payload,"
                      " payload_size) VALUES (?, 7, 'late', 130000000000, 'raced the deletion',"
                      " 18)", (old_id,))
        self.create("open", user, password)
        self.assertGreater(self.account_id("open", user), old_id)
        response = self.storage("open", user, password)
        self.assertStatus(response, 200)
        self.assertEqual(response.json(), {})
        self.assertStatus(self.storage("open", user, password, rel="storage/bookmarks/late"), 404)
        self.assertStatus(self.storage("open", user, password, rel="storage/bookmarks/b1"), 404)

    def test_admin_delete_voids_the_accounts_reset_codes(self):
        # A reset code mailed to the deleted account must not take over the next account of
        # that name.
        email = "gone-%s@example.org" % secrets.token_hex(3)
        user, password, _ = self.create("open", email=email)
        code, _, _ = self.request_reset_code("open", user, email)
        result = INSTANCES["open"].admin("delete", user)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.create("open", user, password, email=email)
        response = self.api("open", "POST", user, "password", "new-password-1",
                            headers={"X-Weave-Password-Reset": code})
        self.assertCode(response, 10)
        self.assertStatus(self.storage("open", user, password), 200)


class FirefoxStyleAccount(UserApiCase):
    def test_hashed_account_lifecycle(self):
        email = "Firefox.User+%s@Example.ORG" % secrets.token_hex(3)
        user = firefox_username(email)
        self.assertRegex(user, r"^[a-z2-7]{32}$")
        password = "pw-" + secrets.token_hex(6)
        self.assertEqual(self.exists("hashed", user), "0")
        self.create("hashed", user, password, email=email)
        self.assertStatus(self.api("hashed", "GET", user, "node/weave"), 200,
                          "http://127.0.0.1:%d/" % INSTANCES["hashed"].port)
        record = wbo("keys", '{"ciphertext":"x"}')
        self.assertStatus(self.storage("hashed", user, password, "PUT", "storage/crypto/keys",
                                       record), 200)
        response = self.storage("hashed", user, password, rel="storage/crypto/keys")
        self.assertStatus(response, 200)
        self.assertEqual(response.json()["payload"], record["payload"])
        self.assertStatus(self.api("hashed", "DELETE", user, auth=(user, password)), 200, "0")
        self.assertEqual(self.exists("hashed", user), "0")
        self.assertStatus(self.storage("hashed", user, password), 401)


class Lockout(UserApiCase):
    """On its own instance: the other instances count failures far higher."""

    def test_repeated_failures_lock_the_account(self):
        user, password, _ = self.create("lock")
        self.assertStatus(self.storage("lock", user, password), 200)
        for _ in range(3):
            response = self.storage("lock", user, "wrong-password")
            self.assertStatus(response, 401)
            self.assertNotEqual(response.text, "Account locked")
        response = self.storage("lock", user, password)
        self.assertStatus(response, 401, "Account locked")
        self.assertIsNotNone(response.header("WWW-Authenticate"))
        self.assertStatus(self.api("lock", "POST", user, "email", "x@example.org",
                                   auth=(user, password)), 401, "Account locked")
        # The account page obeys the same lockout, and deletes nothing.
        page, _ = delete_via_page(self, "lock", user, password)
        self.assertStatus(page, 401)
        self.assertIn("locked", page.text)
        self.assertEqual(self.exists("lock", user), "1")
        failed = self.security_events("lock", "AuthFail", user)
        locked = self.security_events("lock", "AccountLocked", user)
        self.assertEqual(len(failed), 3, failed)
        self.assertGreaterEqual(len(locked), 3, locked)
        for line in locked:
            self.assertTrue(line.startswith("CEF:0|") or "CEF:0|" in line, line)
            self.assertIn("src=127.0.0.1", line)
            self.assertNotIn(password, line)


# --- Account pages (HTML)

def get_page(test, instance, path):
    response = server(instance).request("GET", path)
    test.assertEqual(response.content_type, "text/html", response)
    return response, Page(response.text)


def csrf_cookie(response):
    header = response.header("Set-Cookie") or ""
    match = re.match(r"weave_csrf=([0-9a-f]+)", header)
    return match.group(1) if match else None


def post_form(instance, path, fields, cookie=None):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie is not None:
        headers["Cookie"] = cookie
    return server(instance).request("POST", path, urllib.parse.urlencode(fields), headers)


def submit(test, instance, path, page_response, page, fields):
    """Posts a form as a browser would: hidden fields from the page, the cookie it set."""
    token = csrf_cookie(page_response)
    test.assertIsNotNone(token, page_response)
    values = {attributes["name"]: attributes.get("value") or "" for attributes in page.inputs
              if "name" in attributes
              and attributes.get("type") not in ("checkbox", "password", "submit")}
    values.update(fields)
    response = post_form(instance, path, values, "weave_csrf=" + token)
    test.assertEqual(response.content_type, "text/html", response)
    return response, Page(response.text)


def delete_via_page(test, instance, user, password, confirm=True):
    response, page = get_page(test, instance, "/weave-delete-account")
    fields = {"username": user, "password": password}
    if confirm:
        fields["confirm"] = "yes"
    return submit(test, instance, "/weave-delete-account", response, page, fields)


class AccountPages(UserApiCase):
    def assertPageHeaders(self, response):
        self.assertEqual(response.header("Cache-Control"), "no-store")
        self.assertEqual(response.header("X-Frame-Options"), "DENY")
        self.assertEqual(response.header("Content-Security-Policy"), CSP)

    def assertAccessible(self, page):
        self.assertNotIn("script", page.tags)
        self.assertEqual(len(page.forms), 1)
        for attributes in page.inputs:
            if attributes.get("type") in ("hidden",) or "hidden" in attributes:
                continue
            self.assertIn(attributes.get("id"), page.labels_for,
                          "input without a label: %r" % attributes)

    def test_reset_form_headers_cookie_and_labels(self):
        response, page = get_page(self, "open", "/weave-password-reset")
        self.assertStatus(response, 200)
        self.assertPageHeaders(response)
        cookie = response.header("Set-Cookie")
        self.assertRegex(cookie, r"^weave_csrf=[0-9a-f]{32};")
        parts = {part.strip() for part in cookie.split(";")}
        self.assertTrue({"HttpOnly", "SameSite=Strict", "Path=/"} <= parts, cookie)
        self.assertNotIn("Secure", parts)
        self.assertEqual(page.value("csrf_token"), csrf_cookie(response))
        self.assertIsNotNone(page.input_named("username"))
        self.assertEqual(page.forms[0].get("method"), "post")
        self.assertAccessible(page)
        # A browser that already has a token keeps it (several tabs keep working).
        token = csrf_cookie(response)
        again = server("open").request("GET", "/weave-password-reset",
                                       headers={"Cookie": "other=1; weave_csrf=" + token})
        self.assertEqual(csrf_cookie(again), token)

    def test_cookie_is_secure_over_https(self):
        response = server("invite").request("GET", "/weave-delete-account",
                                            headers={"X-Forwarded-Proto": "https"})
        parts = {part.strip() for part in response.header("Set-Cookie").split(";")}
        self.assertIn("Secure", parts)

    def test_post_without_matching_csrf_token_is_403(self):
        email = "csrf-%s@example.org" % secrets.token_hex(3)
        user, password, _ = self.create("open", email=email)
        token = secrets.token_hex(16)
        other = secrets.token_hex(16)
        for path, fields in (("/weave-password-reset", {"username": user}),
                             ("/weave-delete-account",
                              {"username": user, "password": password, "confirm": "yes"})):
            cases = [
                (dict(fields), None),                                     # neither
                (dict(fields, csrf_token=token), None),                   # no cookie
                (dict(fields), "weave_csrf=" + token),                    # no field
                (dict(fields, csrf_token=token), "weave_csrf=" + other),  # differ
                (dict(fields, csrf_token=""), "weave_csrf="),             # both empty
            ]
            for values, cookie in cases:
                with self.subTest(path=path, cookie=cookie, fields=sorted(values)):
                    response = post_form("open", path, values, cookie)
                    self.assertStatus(response, 403)
                    self.assertPageHeaders(response)
        self.assertEqual(mails_to(email), [])
        self.assertEqual(self.exists("open", user), "1")

    def test_reset_request_mails_a_link_without_revealing_the_account(self):
        email = "page-%s@example.org" % secrets.token_hex(3)
        user, _, _ = self.create("open", email=email)
        nomail_user, _, _ = self.create("open")
        texts = {}
        for typed in (user, new_name(), nomail_user, "<b>x</b>@example.org"):
            response, page = get_page(self, "open", "/weave-password-reset")
            response, page = submit(self, "open", "/weave-password-reset", response, page,
                                    {"username": typed})
            self.assertStatus(response, 200)
            self.assertPageHeaders(response)
            self.assertNotIn(b"<b>", response.body)
            texts[typed] = page.all_text()
        self.assertEqual(len(set(texts.values())), 1, texts)
        messages = mails_to(email)
        self.assertEqual(len(messages), 1)
        self.assertIn("username=" + user, body_text(messages[0]))

    def test_reset_request_by_email_address_finds_the_hashed_account(self):
        email = "Hashed.Page-%s@Example.org" % secrets.token_hex(3)
        user = firefox_username(email)
        self.create("open", user, email=email)
        response, page = get_page(self, "open", "/weave-password-reset")
        submit(self, "open", "/weave-password-reset", response, page,
               {"username": "  " + email.upper() + " "})
        messages = mails_to(email)
        self.assertEqual(len(messages), 1)
        self.assertIn("username=" + user, body_text(messages[0]))

    def test_reset_with_the_link(self):
        email = "link-%s@example.org" % secrets.token_hex(3)
        user, old, _ = self.create("open", email=email)
        code, link, _ = self.request_reset_code("open", user, email)
        path = "/" + link.split("/sync/", 1)[1]
        response, page = get_page(self, "open", path)
        self.assertStatus(response, 200)
        self.assertPageHeaders(response)
        self.assertAccessible(page)
        self.assertEqual(page.value("key"), code)
        self.assertEqual(page.value("username"), user)
        self.assertIsNotNone(page.input_named("password"))
        self.assertIsNotNone(page.input_named("confirm"))
        new = "new-" + secrets.token_hex(6)
        # Mismatch, then a weak password: the form again with an error, the code kept.
        for fields, word in (({"password": new, "confirm": new + "x"}, "match"),
                             ({"password": "short", "confirm": "short"}, "weak"),
                             ({"password": "", "confirm": ""}, "password")):
            result, result_page = submit(self, "open", path, response, page, fields)
            self.assertStatus(result, 400)
            self.assertIn(word, result_page.all_text())
            self.assertEqual(result_page.value("key"), code)
        self.assertStatus(self.storage("open", user, old), 200)
        result, result_page = submit(self, "open", path, response, page,
                                     {"password": new, "confirm": new})
        self.assertStatus(result, 200)
        self.assertIn("changed", result_page.all_text())
        self.assertStatus(self.storage("open", user, new), 200)
        self.assertStatus(self.storage("open", user, old), 401)
        # The link works once.
        again, again_page = get_page(self, "open", path)
        self.assertStatus(again, 400)
        self.assertIn("invalid or has expired", again_page.all_text())
        self.assertIsNone(again_page.input_named("password"))
        result, result_page = submit(self, "open", path, response, page,
                                     {"password": "other-" + new, "confirm": "other-" + new})
        self.assertStatus(result, 400)
        self.assertIn("invalid or has expired", result_page.all_text())
        self.assertStatus(self.storage("open", user, new), 200)
        self.assertTrue(self.security_events("open", "PasswordReset", user))

    def test_bad_links(self):
        user, _, _ = self.create("open", email="bad-links@example.org")
        for query in ("username=%s&key=AAAA-BBBB-CCCC-DDDD" % user,
                      "username=%s" % user, "key=AAAA-BBBB-CCCC-DDDD",
                      "username=%3Cscript%3Ealert(1)%3C%2Fscript%3E&key=x",
                      "username=%zz&key=1"):
            with self.subTest(query=query):
                response, page = get_page(self, "open", "/weave-password-reset?" + query)
                self.assertStatus(response, 400)
                self.assertPageHeaders(response)
                self.assertNotIn(b"<script", response.body)
                self.assertIsNone(page.input_named("password"))

    def test_delete_page(self):
        user, password, _ = self.create("open")
        self.assertStatus(self.storage("open", user, password, "PUT", "storage/tabs/t1",
                                       wbo("t1", "tab")), 200)
        response, page = get_page(self, "open", "/weave-delete-account")
        self.assertStatus(response, 200)
        self.assertPageHeaders(response)
        self.assertAccessible(page)
        self.assertEqual(page.input_named("confirm").get("type"), "checkbox")
        # Not confirmed, wrong password: the form again, nothing deleted.
        result, result_page = delete_via_page(self, "open", user, password, confirm=False)
        self.assertStatus(result, 400)
        self.assertIn("tick", result_page.all_text())
        result, result_page = delete_via_page(self, "open", user, "wrong-password")
        self.assertStatus(result, 401)
        self.assertIn("Wrong user name or password", result_page.all_text())
        self.assertEqual(result_page.value("username"), user)
        self.assertEqual(result_page.value("password"), "")  # never sent back
        self.assertEqual(self.exists("open", user), "1")
        result, result_page = delete_via_page(self, "open", user, password)
        self.assertStatus(result, 200)
        self.assertIn("deleted", result_page.all_text())
        self.assertEqual(self.exists("open", user), "0")
        self.assertStatus(self.storage("open", user, password), 401)
        self.assertTrue(self.security_events("open", "AccountDeleted", user))
        # Recreated, the name starts empty.
        self.create("open", user, password)
        self.assertEqual(self.storage("open", user, password).json(), {})

    def test_delete_page_takes_the_email_address(self):
        email = "Delete.Me-%s@Example.org" % secrets.token_hex(3)
        user = firefox_username(email)
        _, password, _ = self.create("hashed", user, email=email)
        result, _ = delete_via_page(self, "hashed", email, password)
        self.assertStatus(result, 200)
        self.assertEqual(self.exists("hashed", user), "0")

    def test_user_values_are_escaped(self):
        hostile = '"><script>alert(1)</script><b x=\''
        result, page = delete_via_page(self, "open", hostile, "some-password")
        self.assertIn(result.status, (400, 401))
        self.assertNotIn(b"<script>", result.body)
        self.assertIn(b"&lt;script&gt;", result.body)
        self.assertEqual(page.value("username"), hostile)


if __name__ == "__main__":
    unittest.main()
