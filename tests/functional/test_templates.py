"""The account pages and the reset mail from templates: the language Accept-Language asks
for (English and German built in), an operator's templates folder over the built-in one,
automatic escaping, and the reset mail's headers and encoding (README "Your own look").

Starts its own weave-server + nginx (weave_instance.py) with pages.templates_dir pointing at
a temporary operator folder, and an SMTP sink (smtp_sink.py), all on loopback.
Run alone: python3 -m unittest -v test_templates   (from tests/functional)
"""

import email.header
import os
import re
import secrets
import shutil
import tempfile
import time
import unittest
import urllib.parse

import smtp_sink
import weave_instance
from weave import Server

TMP = None
SINK = None
INSTANCE = None
PRAGMA = '{{%AUTOESCAPE context="HTML"}}'
FOOTER = "Operated by the Example Sync team"


def setUpModule():
    global TMP, SINK, INSTANCE
    missing = weave_instance.tools_missing()
    if missing:
        raise unittest.SkipTest(missing)
    TMP = tempfile.mkdtemp(prefix="weave-templates.")
    os.chmod(TMP, 0o711)
    operator = os.path.join(TMP, "operator")
    for folder in ("de", "fr", "Bad_Folder"):
        os.makedirs(os.path.join(operator, folder))
    files = {
        # Every language's footer: the operator's own look.
        "footer.html": PRAGMA + "<footer>" + FOOTER + " ({{LANG}})</footer>\n",
        # A new language with only one page of its own; the others come from English.
        "fr/reset_request.html": PRAGMA + '<!DOCTYPE html><html lang="{{LANG}}"><body>'
        "<h1>R\u00e9initialiser le mot de passe</h1>"
        '<form method="post"><input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">'
        "</form>{{>FOOTER}}</body></html>\n",
        # Refused: no AUTOESCAPE pragma (the built-in German one is served instead) ...
        "de/form_expired.html": "<p>{{USERNAME}} unescaped</p>\n",
        # ... escaping turned off ...
        "de/delete_done.html": PRAGMA + "<p>{{USERNAME:none}}</p>\n",
        # ... and a template that does not parse.
        "de/reset_done.html": PRAGMA + "{{#OPEN}}never closed\n",
    }
    for name, text in files.items():
        with open(os.path.join(operator, name), "w", encoding="utf-8") as out:
            out.write(text)
    SINK = smtp_sink.SmtpSink(os.path.join(TMP, "mail")).start()
    settings = {
        "registration": {"policy": "open", "require_hashed_username": False},
        "mail": {"smtp_url": "smtp://127.0.0.1:%d" % SINK.port, "from": "sync@test.invalid",
                 "timeout_seconds": 10},
        "accounts": {"reset_mails_per_address_per_hour": 1000, "reset_mails_per_hour": 100},
        "pages": {"templates_dir": operator},
    }
    try:
        INSTANCE = weave_instance.Instance(TMP, "pages", settings, public_url=True).start()
    except Exception:
        tearDownModule(check=False)
        raise


def tearDownModule(check=True):
    global INSTANCE
    report = None
    if INSTANCE is not None:
        INSTANCE.stop()
        report = INSTANCE.sanitizer_report()
        INSTANCE = None
    if SINK is not None:
        SINK.stop()
    if TMP is not None and not os.environ.get("WEAVE_KEEP_TMP"):
        shutil.rmtree(TMP, ignore_errors=True)
    if check and report:
        raise AssertionError("sanitizer report in the server log:\n" + report)


def get(path, language=None, cookie=None):
    headers = {}
    if language is not None:
        headers["Accept-Language"] = language
    if cookie is not None:
        headers["Cookie"] = cookie
    return Server(INSTANCE.url).request("GET", path, headers=headers)


def post_form(path, fields, language=None):
    """GETs the form for its CSRF cookie, then POSTs fields with the token."""
    page = get(path, language)
    token = re.match(r"weave_csrf=([0-9a-f]{32})", page.header("Set-Cookie")).group(1)
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Cookie": "weave_csrf=" + token}
    if language is not None:
        headers["Accept-Language"] = language
    body = urllib.parse.urlencode(dict(fields, csrf_token=token))
    return Server(INSTANCE.url).request("POST", path, body=body, headers=headers)


def new_user(email=""):
    name = "t" + secrets.token_hex(5)
    password = "pw-" + secrets.token_hex(8)
    INSTANCE.add_user(name, password, email)
    return name, password


def wait_for_mail(address, timeout=10.0):
    """The (message, raw bytes) pairs sent to address, once there is at least one."""
    deadline = time.time() + timeout
    while True:
        found = []
        for path in smtp_sink.list_messages(SINK.folder):
            with open(path, "rb") as source:
                raw = source.read()
            message = smtp_sink.read_message(path)
            if message["X-Sink-Rcpt-To"] == address:
                found.append((message, raw))
        if found or time.time() >= deadline:
            return found
        time.sleep(0.05)


class Languages(unittest.TestCase):
    def assertLanguage(self, response, language, heading):
        self.assertEqual(response.header("Content-Language"), language, response)
        self.assertIn("Accept-Language", response.header("Vary") or "")
        self.assertIn('<html lang="%s">' % language, response.text)
        self.assertIn(heading, response.text)
        # The headers every account page carried before templates stay.
        self.assertEqual(response.header("Content-Security-Policy"),
                         "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
        self.assertEqual(response.header("X-Frame-Options"), "DENY")

    def test_english_unless_the_browser_asks_for_german(self):
        english = "<h1>Delete your Sync account</h1>"
        german = "<h1>Sync-Konto l\u00f6schen</h1>"
        cases = [
            (None, "en", english),
            ("de", "de", german),
            ("de-CH, en;q=0.5", "de", german),  # de-CH falls back to de
            ("en-US,en;q=0.9,de;q=0.8", "en", english),
            ("it, de;q=0.7, en;q=0.3", "de", german),
            ("en;q=0.1, DE;q=0.9", "de", german),
            ("de;q=0, *", "en", english),
            ("*", "en", english),
            ("it", "en", english),
            ("de;q=2", "en", english),  # malformed: ignored
            ("\u00e4\u00f6;;,,=de", "en", english),
        ]
        for header, language, heading in cases:
            with self.subTest(header=header):
                response = get("/weave-delete-account", header)
                self.assertEqual(response.status, 200, response)
                self.assertLanguage(response, language, heading)

    def test_every_page_has_a_german_text(self):
        response = get("/weave-password-reset", "de")
        self.assertLanguage(response, "de", "<h1>Passwort zur\u00fccksetzen</h1>")
        response = get("/weave-password-reset?username=nobody&key=AAAA", "de")
        self.assertEqual(response.status, 400)
        self.assertLanguage(response, "de", "ung\u00fcltig oder abgelaufen")
        response = post_form("/weave-delete-account", {"username": "x", "password": "y"}, "de")
        self.assertEqual(response.status, 400)
        self.assertLanguage(response, "de", "Bitte kreuzen Sie das K\u00e4stchen an")


class OperatorTemplates(unittest.TestCase):
    def test_shared_footer_on_every_page_and_language(self):
        for language in ("en", "de", "fr"):
            with self.subTest(language=language):
                response = get("/weave-delete-account", language)
                self.assertIn("<footer>%s (%s)</footer>" % (FOOTER, language), response.text)

    def test_a_new_language_folder_adds_a_language(self):
        response = get("/weave-password-reset", "fr-FR, en;q=0.5")
        self.assertEqual(response.header("Content-Language"), "fr")
        self.assertIn("R\u00e9initialiser le mot de passe", response.text)
        # Pages the folder lacks come from the default language.
        response = get("/weave-delete-account", "fr")
        self.assertEqual(response.header("Content-Language"), "fr")
        self.assertIn("Delete your Sync account", response.text)
        # A folder that is not a lower-case language tag is not a language.
        response = get("/weave-delete-account", "bad-folder")
        self.assertEqual(response.header("Content-Language"), "en")

    def test_unsafe_or_broken_templates_are_refused_with_a_log_line(self):
        response = Server(INSTANCE.url).request(
            "POST", "/weave-delete-account", body="username=%3Cscript%3E",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Accept-Language": "de"})
        self.assertEqual(response.status, 403)
        self.assertIn("<h1>Formular abgelaufen</h1>", response.text)  # the built-in one
        self.assertNotIn("unescaped", response.text)
        with open(INSTANCE.server_log, errors="replace") as log:
            text = log.read()
        for name, why in (("form_expired.html", "does not start with"),
                          ("delete_done.html", "turns escaping off"),
                          ("reset_done.html", "does not parse")):
            self.assertRegex(text, r"de/%s: %s" % (re.escape(name), why))


class Escaping(unittest.TestCase):
    def test_hostile_values_are_escaped_by_the_template_engine(self):
        hostile = "<script>alert(1)</script>\"'&"
        for language in ("en", "de"):
            with self.subTest(language=language):
                response = post_form("/weave-delete-account",
                                     {"username": hostile, "password": "x", "confirm": "yes"},
                                     language)
                self.assertEqual(response.status, 401, response)
                self.assertNotIn(b"<script>", response.body)
                self.assertIn("value=\"&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;\"",
                              response.text)
        response = get("/weave-password-reset?username=%3Cscript%3E&key=%22%3E%3Cscript%3E")
        self.assertEqual(response.status, 400)
        self.assertNotIn(b"<script>", response.body)


class ResetMail(unittest.TestCase):
    def request_reset(self, language):
        address = "m-%s@example.org" % secrets.token_hex(4)
        user, _ = new_user(address)
        response = post_form("/weave-password-reset", {"username": user}, language)
        self.assertEqual(response.status, 200, response)
        found = wait_for_mail(address)
        self.assertEqual(len(found), 1, "mails to " + address)
        return user, found[0]

    def test_german_mail_with_date_message_id_and_encoded_text(self):
        user, (message, raw) = self.request_reset("de-AT, en;q=0.1")
        self.assertIsNotNone(message["Date"])
        self.assertRegex(message["Message-ID"], r"^<[0-9a-f]{32}@127\.0\.0\.1>$")
        self.assertEqual(message["MIME-Version"], "1.0")
        self.assertEqual(message.get_content_type(), "text/plain")
        self.assertEqual(message.get_content_charset(), "utf-8")
        self.assertEqual(message["Content-Transfer-Encoding"], "quoted-printable")
        # On the wire, every byte is ASCII and the subject an RFC 2047 encoded word.
        self.assertTrue(all(byte < 128 for byte in raw), raw)
        subject = re.search(rb"^Subject: (.*(?:\r\n .*)*)", raw, re.M).group(1).decode()
        self.assertTrue(subject.startswith("=?UTF-8?B?"), subject)
        decoded = str(email.header.make_header(email.header.decode_header(subject)))
        self.assertEqual(decoded, "Zur\u00fccksetzen Ihres Sync-Passworts")
        body = message.get_content()
        self.assertIn("\u00f6ffnen Sie", body)
        self.assertIn("weave-password-reset?username=%s&key=" % user, body)

    def test_english_mail_stays_plain_and_ids_differ(self):
        _, (first, raw) = self.request_reset(None)
        _, (second, _) = self.request_reset("en")
        self.assertEqual(first["Subject"], "Resetting your Sync password")
        self.assertEqual(first["Content-Transfer-Encoding"], "7bit")
        self.assertIn(b"\r\nSubject: Resetting your Sync password\r\n", raw)
        self.assertNotEqual(first["Message-ID"], second["Message-ID"])

    def test_user_api_reset_mail_follows_the_request_language(self):
        address = "api-%s@example.org" % secrets.token_hex(4)
        user, _ = new_user(address)
        response = Server(INSTANCE.url).request(
            "GET", "/user/1.0/%s/password_reset" % user, headers={"Accept-Language": "de"})
        self.assertEqual(response.status, 200, response)
        found = wait_for_mail(address)
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0][0]["Subject"], "Zur\u00fccksetzen Ihres Sync-Passworts")


if __name__ == "__main__":
    unittest.main()
