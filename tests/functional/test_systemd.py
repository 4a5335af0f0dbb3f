"""weave-server under systemd, without systemd: readiness notification, journal, JSON lines.

Usage: python3 tests/functional/test_systemd.py BUILD_DIR
The server runs on its own Unix socket and is spoken to in FastCGI directly
(fcgi_client.py), so a test can send what no web server passes on. The checks:
  notify  - NOTIFY_SOCKET names a datagram socket this test reads (as systemd would for
            Type=notify): READY=1 arrives only after every worker has said it accepts
            requests, RELOADING=1 (with MONOTONIC_USEC) and READY=1 again around SIGHUP,
            READY=1 with the error after a broken reload, STOPPING=1 on SIGTERM; workers
            that cannot start never make it READY=1.
  json    - log.format: json: every line of the log parses as one JSON object with time,
            level and message; quotes, line breaks and invalid UTF-8 in a path or a user
            name neither break a line nor forge a member.
  journal - JOURNAL_STREAM names the server's stderr: lines and CEF events go to the
            journal's socket with PRIORITY and WEAVE_* fields, none forged by hostile
            input; with a JOURNAL_STREAM of another file, text on stderr as before.
            journald is not needed: as root the test runs in its own mount namespace with
            a fresh /run, where it binds /run/systemd/journal/socket itself and decodes
            the native protocol. Without root (or unshare) this part is skipped, saying so.
In a build with WITH_SYSTEMD=0 (the environment says so, as make check passes it) only
the JSON part runs. Ends with the line "N passed, N failed".
"""

import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fcgi_client import fcgi_request  # noqa: E402

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
PASSWORD = "systemd-password-1"


class Server:
    """One weave-server on a Unix socket in folder, with the settings given as YAML."""

    def __init__(self, build, folder, name, yaml_extra="", workers=3, log_file=True):
        self.build = build
        self.dir = os.path.join(folder, name)
        os.makedirs(self.dir, exist_ok=True)
        self.socket = os.path.join(self.dir, "weave.sock")
        self.config = os.path.join(self.dir, "weave.yaml")
        self.log = os.path.join(self.dir, "server.log")
        self.stderr = os.path.join(self.dir, "stderr.log")
        self.proc = None
        self.write_config(yaml_extra, workers, log_file)

    def write_config(self, yaml_extra, workers=3, log_file=True):
        log_lines = "  file: \"%s\"\n" % self.log if log_file else ""
        with open(self.config, "w") as out:
            out.write("server:\n  listen: \"unix:%s\"\n  workers: %d\n"
                      "  shutdown_timeout_seconds: 5\n"
                      "database:\n  sqlite:\n    path: \"%s/weave.db\"\n"
                      "accounts:\n  lockout_max_failures: 0\n"
                      "log:\n  level: debug\n  access_log: true\n%s%s\n"
                      % (self.socket, workers, self.dir, log_lines, yaml_extra))

    def add_user(self, name):
        result = subprocess.run([os.path.join(self.build, "weave-admin"), "-c", self.config,
                                 "add", name], input=(PASSWORD + "\n").encode(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if result.returncode != 0:
            raise RuntimeError("weave-admin add: " + result.stderr.decode(errors="replace"))

    def start(self, env_extra=None, stderr_file=None):
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        env.pop("JOURNAL_STREAM", None)
        env.update(env_extra or {})
        stderr = stderr_file or open(self.stderr, "ab")
        self.proc = subprocess.Popen([os.path.join(self.build, "weave-server"), "-c", self.config],
                                     stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                                     env=env)
        if stderr_file is None:
            stderr.close()

    def wait_serving(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if fcgi_request(self.socket, "GET", "/__heartbeat__", timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("server did not serve:\n" + self.read_all()[-3000:])

    def request(self, method, uri, user=None, password=PASSWORD):
        headers = {}
        if user is not None:
            token = base64.b64encode(user + b":" + password.encode()).decode()
            headers["Authorization"] = "Basic " + token
        return fcgi_request(self.socket, method, uri, headers)[0]

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def read_all(self):
        text = ""
        for path in (self.log, self.stderr):
            if os.path.exists(path):
                with open(path, errors="replace") as log:
                    text += log.read()
        return text

    def sanitizer_report(self):
        text = self.read_all()
        return any(marker in text for marker in SANITIZER_MARKERS)


class NotifySocket:
    """A datagram socket like systemd's notification socket; messages as {name: value}."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)

    def next(self, timeout):
        self.sock.settimeout(timeout)
        data = self.sock.recv(65536).decode()
        return dict(line.split("=", 1) for line in data.split("\n") if "=" in line)

    def wait_for(self, name, timeout=30):
        """Messages up to and including the first that sets name; raises if none comes."""
        seen = []
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("no %s=1 within %d s; got %r" % (name, timeout, seen))
            try:
                message = self.next(left)
            except socket.timeout:
                continue
            seen.append(message)
            if message.get(name) == "1":
                return seen

    def close(self):
        self.sock.close()


def ready_workers(server):
    """The pids that logged "worker accepts requests" (each does before it announces)."""
    pids = []
    for line in server.read_all().splitlines():
        if line.endswith("debug: worker accepts requests"):
            pids.append(int(line.split("[", 1)[1].split("]", 1)[0]))
    return pids


# --- notify ---------------------------------------------------------------------------

def test_notify_start_reload_stop(build, folder):
    server = Server(build, folder, "notify")
    notify = NotifySocket(os.path.join(folder, "notify.sock"))
    try:
        server.start({"NOTIFY_SOCKET": notify.path})
        before = notify.wait_for("READY")
        # Every worker had announced itself before READY=1 was sent.
        assert len(set(ready_workers(server))) == 3, server.read_all()
        assert before[-1].get("STATUS") == "serving, 3 workers", before
        assert all(m.get("STATUS", "").startswith("starting") for m in before[:-1]), before
        assert server.request("GET", "/__heartbeat__") == 200
        first_generation = set(ready_workers(server))

        server.proc.send_signal(signal.SIGHUP)
        reload_messages = notify.wait_for("READY")
        assert reload_messages[0].get("RELOADING") == "1", reload_messages
        assert int(reload_messages[0]["MONOTONIC_USEC"]) > 0, reload_messages
        new_generation = set(ready_workers(server)) - first_generation
        assert len(new_generation) == 3, (first_generation, server.read_all())
        assert reload_messages[-1].get("STATUS") == "serving, 3 workers", reload_messages
        assert server.request("GET", "/__heartbeat__") == 200

        # A broken configuration: the reload ends at once, the old workers serve on.
        server.write_config("  format: fancy\n")  # under log:
        server.proc.send_signal(signal.SIGHUP)
        failed = notify.wait_for("READY", timeout=15)
        assert failed[0].get("RELOADING") == "1", failed
        assert "reload failed" in failed[-1].get("STATUS", ""), failed
        assert "\n" not in failed[-1]["STATUS"]
        assert server.request("GET", "/__heartbeat__") == 200

        server.proc.send_signal(signal.SIGTERM)
        stopping = notify.wait_for("STOPPING", timeout=15)
        assert stopping[-1]["STATUS"].startswith("stopping"), stopping
        assert server.proc.wait(20) == 0
    finally:
        server.stop()
        notify.close()
    assert not server.sanitizer_report(), server.read_all()[-3000:]


def test_notify_never_ready_without_workers(build, folder):
    # The master prepares the database, but every worker fails to open its accounts
    # database: the service must not claim to be ready.
    missing = os.path.join(folder, "no-such-folder", "accounts.db")
    server = Server(build, folder, "noworkers",
                    "accounts_database:\n  sqlite:\n    path: \"%s\"\n" % missing, workers=2)
    notify = NotifySocket(os.path.join(folder, "notify-noworkers.sock"))
    try:
        server.start({"NOTIFY_SOCKET": notify.path})
        messages = []
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                messages.append(notify.next(max(0.1, deadline - time.time())))
            except socket.timeout:
                break
        assert not any(m.get("READY") == "1" for m in messages), messages
        assert messages and messages[-1].get("STATUS") == "starting: 0 of 2 workers ready", messages
        assert "worker cannot start" in server.read_all()
        server.proc.send_signal(signal.SIGTERM)
        assert notify.wait_for("STOPPING", timeout=15)
        server.proc.wait(20)
    finally:
        server.stop()
        notify.close()


# --- JSON lines -----------------------------------------------------------------------

HOSTILE_PATH = b'/1.1/alice/storage/x"y\n{"forged":"1"}\r\xff\xc0\xfe/z\\'


def test_json_lines(build, folder):
    server = Server(build, folder, "json", "  format: json\n")
    server.add_user("alice")
    try:
        server.start()
        server.wait_serving()
        assert server.request("GET", "/1.1/alice/info/collections", b"alice") == 200
        assert server.request("GET", "/1.1/alice/info/collections", b"alice", "wrong") == 401
        server.request("GET", HOSTILE_PATH, b"alice")
        server.request("GET", '/1.1/bob"\n{"level":"x"}/info/collections', b'bob"\n\xff')
    finally:
        server.stop()
    with open(server.log, "rb") as log:
        lines = log.read().split(b"\n")
    assert lines[-1] == b"", lines[-1]
    entries = []
    for line in lines[:-1]:
        entry = json.loads(line.decode("utf-8"))  # strict UTF-8, one object a line
        assert isinstance(entry, dict), line
        assert set(("time", "level", "pid", "message")) <= set(entry), line
        assert "forged" not in entry and entry["level"] in ("debug", "info", "warning", "error")
        entries.append(entry)
    requests = [e for e in entries if e.get("event") == "request"]
    ok = [e for e in requests if e["status"] == "200" and e.get("user") == "alice"]
    assert ok and ok[0]["method"] == "GET" and ok[0]["path"] == "/1.1/alice/info/collections"
    failed = [e for e in entries if e.get("event") == "login_failed"]
    assert failed and failed[0]["user"] == "alice" and failed[0]["level"] == "warning", failed
    hostile = [e for e in requests if "forged" in e["path"]]
    expected = HOSTILE_PATH.decode("utf-8", errors="replace")
    assert hostile and hostile[0]["path"] == expected, (hostile, expected)
    assert any('bob"\n{"level":"x"}' in e["path"] for e in requests), requests
    assert not server.sanitizer_report(), server.read_all()[-3000:]


# --- journal --------------------------------------------------------------------------

JOURNAL_SOCKET = "/run/systemd/journal/socket"


def parse_journal_entry(data):
    """The native protocol's fields: NAME=value lines, or NAME, a 64-bit little-endian
    length, the value and a line feed (for values with line breaks)."""
    fields = []
    position = 0
    while position < len(data):
        end = data.index(b"\n", position)
        line = data[position:end]
        if b"=" in line:
            name, _, value = line.partition(b"=")
            position = end + 1
        else:
            name = line
            (size,) = struct.unpack("<Q", data[end + 1:end + 9])
            value = data[end + 9:end + 9 + size]
            assert data[end + 9 + size:end + 10 + size] == b"\n"
            position = end + 10 + size
        fields.append((name.decode(), value))
    return fields


class FakeJournal:
    """Binds the journal's socket and reads it on a thread, as journald would: a Unix
    datagram socket whose queue fills (10 datagrams) makes the sender wait."""

    def __init__(self):
        os.makedirs(os.path.dirname(JOURNAL_SOCKET), exist_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(JOURNAL_SOCKET)
        self.sock.settimeout(0.2)
        self.entries = []
        self.problems = []
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while self.running:
            try:
                data, ancillary, _, _ = self.sock.recvmsg(1 << 20, socket.CMSG_SPACE(16))
            except socket.timeout:
                continue
            if ancillary:
                self.problems.append("an entry passed as a file descriptor (too large?)")
                continue
            try:
                self.entries.append(parse_journal_entry(data))
            except (ValueError, AssertionError, struct.error) as error:
                self.problems.append("undecodable entry %r: %s" % (data[:200], error))

    def close(self):
        """Stops reading; returns the entries."""
        time.sleep(0.5)  # what the server sent last is read
        self.running = False
        self.thread.join(5)
        self.sock.close()
        os.unlink(JOURNAL_SOCKET)
        assert not self.problems, self.problems
        return self.entries


def journal_stream_of(path):
    status = os.stat(path)
    return "%d:%d" % (status.st_dev, status.st_ino)


def test_journal_fields(build, folder):
    journal = FakeJournal()
    server = Server(build, folder, "journal", "security_log:\n  target: syslog\n",
                    log_file=False)
    server.add_user("alice")
    try:
        with open(server.stderr, "ab") as stderr:
            server.start({"JOURNAL_STREAM": journal_stream_of(server.stderr)}, stderr)
        server.wait_serving()
        assert server.request("GET", "/1.1/alice/info/collections", b"alice") == 200
        assert server.request("GET", "/1.1/alice/info/collections", b"alice", "wrong") == 401
        server.request("GET", b"/1.1/alice/x\nWEAVE_EVENT=forged\nPRIORITY=0\xff", b"alice")
    finally:
        server.stop()
        entries = journal.close()
    by_event = {}
    for fields in entries:
        names = [name for name, _ in fields]
        assert len(names) == len(set(names)), fields  # no field twice, none forged
        values = dict(fields)
        assert values["SYSLOG_IDENTIFIER"] == b"weave-server", fields
        assert b"\n" not in b"".join(value for _, value in fields), fields
        by_event.setdefault(values.get("WEAVE_EVENT", b""), []).append(values)
    assert b"forged" not in by_event, by_event.keys()
    ok = [e for e in by_event[b"request"] if e["WEAVE_STATUS"] == b"200" and
          e.get("WEAVE_USER") == b"alice"]
    assert ok and ok[0]["PRIORITY"] == b"6" and ok[0]["WEAVE_METHOD"] == b"GET", by_event
    assert ok[0]["MESSAGE"].endswith(b" us=" + ok[0]["WEAVE_DURATION_US"]), ok[0]
    failed = by_event[b"login_failed"][0]
    assert failed["PRIORITY"] == b"4" and failed["WEAVE_USER"] == b"alice", failed
    assert failed["WEAVE_CLIENT"] == b"127.0.0.1", failed
    cef = by_event[b"AuthFail"][0]
    assert cef["MESSAGE"].startswith(b"CEF:0|weave-server|"), cef
    assert cef["PRIORITY"] == b"5" and cef["SYSLOG_FACILITY"] == b"10", cef
    assert cef["WEAVE_USER"] == b"alice" and cef["WEAVE_CLIENT"] == b"127.0.0.1", cef
    hostile = [e for e in by_event[b"request"] if b"forged" in e["WEAVE_PATH"]]
    assert hostile[0]["WEAVE_PATH"] == b"/1.1/alice/x?WEAVE_EVENT=forged?PRIORITY=0\xff"
    # Nothing of it went to stderr as text.
    with open(server.stderr, errors="replace") as stderr:
        text = stderr.read()
    assert "failed login" not in text and " -> 200 " not in text, text[-2000:]
    assert not server.sanitizer_report(), text[-3000:]


def test_journal_stream_of_another_file(build, folder):
    # JOURNAL_STREAM inherited from a parent whose stderr was the journal: ours is not.
    journal = FakeJournal()
    server = Server(build, folder, "notjournal", log_file=False)
    other = os.path.join(folder, "other-file")
    open(other, "w").close()
    try:
        server.start({"JOURNAL_STREAM": journal_stream_of(other)})
        server.wait_serving()
        assert server.request("GET", "/__heartbeat__") == 200
    finally:
        server.stop()
        entries = journal.close()
    assert entries == [], entries
    with open(server.stderr, errors="replace") as stderr:
        assert "GET /__heartbeat__ -> 200" in stderr.read()


# --- runner ---------------------------------------------------------------------------

def in_own_mount_namespace():
    """As root, re-runs this script in a new mount namespace with a fresh /run (for the
    journal's socket path). Returns a reason to skip the journal tests, or None."""
    if os.environ.get("WEAVE_SYSTEMD_TEST_NS") == "1":
        return None
    if os.geteuid() != 0:
        return "not root: cannot give the test its own /run/systemd/journal"
    if shutil.which("unshare") is None:
        return "unshare not installed"
    probe = subprocess.run(["unshare", "--mount", "true"], stderr=subprocess.PIPE)
    if probe.returncode != 0:
        return "unshare --mount failed: " + probe.stderr.decode(errors="replace").strip()
    env = dict(os.environ, WEAVE_SYSTEMD_TEST_NS="1")
    script = "mount -t tmpfs -o mode=0755 tmpfs /run && exec \"$0\" \"$@\""
    os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           script, sys.executable] + sys.argv, env)
    return "unreachable"


def main():
    if len(sys.argv) != 2:
        print("usage: %s BUILD_DIR" % sys.argv[0], file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[1])
    if os.environ.get("WITH_SYSTEMD", "1") != "1":
        print("notification and journal tests skipped: built with WITH_SYSTEMD=0")
        tests = [test_json_lines]
        skip_journal = "built with WITH_SYSTEMD=0"
    else:
        skip_journal = in_own_mount_namespace()
        tests = [test_notify_start_reload_stop, test_notify_never_ready_without_workers,
                 test_json_lines]
    if skip_journal is None:
        tests += [test_journal_fields, test_journal_stream_of_another_file]
    else:
        print("journal tests skipped: %s" % skip_journal)
    passed = failed = 0
    folder = tempfile.mkdtemp(prefix="weave-systemd-")
    try:
        for test in tests:
            try:
                test(build, folder)
                passed += 1
                print("ok   %s" % test.__name__)
            except Exception:  # noqa: BLE001 - every failure is reported, then counted
                failed += 1
                print("FAIL %s" % test.__name__)
                traceback.print_exc(file=sys.stdout)
    finally:
        if os.environ.get("WEAVE_KEEP_TMP"):
            print("kept %s" % folder)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
