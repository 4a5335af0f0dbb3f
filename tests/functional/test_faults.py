"""Clean answers to faults, each on an instance of its own (weave_instance.py):

- the master killed with SIGKILL: its workers stop by themselves at once (the kernel tells
  them, PR_SET_PDEATHSIG), and a server started again on the same configuration serves;
- the SMTP relay refusing connections, or accepting and never answering, during a password
  reset request: 503 with Retry-After, within mail.timeout_seconds;
- the clock of a running server stepping back by a minute (libfaketime, its offset read
  from a file at every call): a collection's timestamps never go back, and a client's
  newer= still finds every later write.

Workers killed mid-request are in test_crash.py, and killed while their -wal sync hangs
in durability_checks.py (worker_killed_during_a_stuck_sync_answers_502_at_once), with the
full disk (also during a 100-record POST); MariaDB crashed, restarted and paused under
load in tests/mysql (outage_gives_503_then_service_resumes_without_restart); the directory
stopped, restarted and paused under load in tests/ldap
(directory_restarted_and_paused_under_load, and one request at a time in
directory_down_is_503_and_recovers_by_itself, frozen_directory_times_out_with_503); the
full campaign under load is bench/soak.py.
"""

import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import weave_instance
from weave import WeaveTestCase

MAIL_TIMEOUT = 2
FAKETIME_LIBRARY = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def get(instance, path, timeout=30):
    connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=timeout)
    try:
        connection.request("GET", instance.prefix + path)
        response = connection.getresponse()
        return response.status, dict((k.lower(), v) for k, v in response.getheaders()), \
            response.read()
    finally:
        connection.close()


class FaultCase(WeaveTestCase):
    @classmethod
    def setUpClass(cls):
        missing = weave_instance.tools_missing()
        if missing:
            raise unittest.SkipTest(missing)
        cls.folder = tempfile.mkdtemp(prefix="weave-faults.")
        os.chmod(cls.folder, 0o711)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder, ignore_errors=True)


class MasterKilled(FaultCase):
    def test_workers_follow_a_killed_master_and_a_restart_serves(self):
        instance = weave_instance.Instance(self.folder, "orphans", workers=3).start()
        try:
            master = instance.server_proc.pid
            workers = weave_instance.live_children(master)
            self.assertEqual(len(workers), 3)
            os.kill(master, signal.SIGKILL)
            instance.server_proc.wait(10)
            deadline = time.time() + 5
            while time.time() < deadline and any(alive(pid) for pid in workers):
                time.sleep(0.05)
            left = [pid for pid in workers if alive(pid)]
            for pid in left:  # do not leave them behind, whatever the outcome
                os.kill(pid, signal.SIGKILL)
            self.assertEqual(left, [], "workers still running 5 s after their master died")
            with open(instance.server_log, "ab") as log:
                instance.server_proc = subprocess.Popen(
                    [instance.server_bin, "-c", instance.config], stdout=log, stderr=log,
                    stdin=subprocess.DEVNULL)
            deadline = time.time() + 30
            status = None
            while time.time() < deadline:
                try:
                    status = get(instance, "/__heartbeat__", timeout=5)[0]
                    if status == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            self.assertEqual(status, 200, "the restarted server does not serve")
        finally:
            instance.stop()
        self.assertIsNone(instance.sanitizer_report())


class SilentRelay:
    """Accepts SMTP connections and never says a word."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.held = []
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self):
        self.listener.close()
        for connection in self.held:
            connection.close()


class MailRelayDown(FaultCase):
    """A reset request while the relay is down gets 503 + Retry-After within the bound."""

    def reset_while(self, name, smtp_port):
        instance = weave_instance.Instance(
            self.folder, name, {"mail": {"smtp_url": "smtp://127.0.0.1:%d" % smtp_port,
                                         "timeout_seconds": MAIL_TIMEOUT}},
            public_url=True)
        instance.start()
        try:
            instance.add_user("resetme", "resetme-password-1", "resetme@example.org")
            started = time.time()
            status, headers, _ = get(instance, "/user/1.0/resetme/password_reset")
            elapsed = time.time() - started
            self.assertEqual(status, 503)
            self.assertIsNotNone(headers.get("retry-after"))
            self.assertLess(elapsed, MAIL_TIMEOUT + 3, "took %.1f s" % elapsed)
            # The server goes on answering.
            self.assertEqual(get(instance, "/__heartbeat__")[0], 200)
        finally:
            instance.stop()
        self.assertIsNone(instance.sanitizer_report())
        return elapsed

    def test_relay_refusing_connections(self):
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.assertLess(self.reset_while("relay-refusing", port), 2)

    def test_relay_that_never_answers(self):
        relay = SilentRelay()
        try:
            elapsed = self.reset_while("relay-silent", relay.port)
        finally:
            relay.close()
        self.assertGreaterEqual(elapsed, MAIL_TIMEOUT - 0.5, "did it wait for the relay?")


def call(instance, method, path, user, password, body=None):
    """(status, X-Weave-Timestamp as float or None, parsed JSON body or None)."""
    connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=30)
    try:
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        headers = {"Authorization": "Basic " + token}
        if body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        connection.request(method, "/1.1/%s/%s" % (user, path), body, headers)
        response = connection.getresponse()
        data = response.read()
        stamp = response.getheader("X-Weave-Timestamp")
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        return response.status, float(stamp) if stamp else None, parsed
    finally:
        connection.close()


class ClockBackwards(FaultCase):
    """The server's wall clock steps back by 60 s while it runs (an NTP correction, a wrong
    hardware clock): the writes after it still get timestamps after every earlier one of
    their collection, or clients that sync with newer= would skip them."""

    def test_collection_timestamps_never_go_back(self):
        if not os.path.exists(FAKETIME_LIBRARY):
            self.skipTest("libfaketime is not installed (%s)" % FAKETIME_LIBRARY)
        instance = weave_instance.Instance(self.folder, "clock", workers=2)
        offset_file = os.path.join(instance.dir, "faketime")
        with open(offset_file, "w") as out:
            out.write("+0\n")
        instance.env = dict(os.environ)
        instance.env.update({
            "LD_PRELOAD": FAKETIME_LIBRARY, "FAKETIME_TIMESTAMP_FILE": offset_file,
            "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            # The sanitizer build wants its run-time first; libfaketime only wraps clocks.
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"})
        instance.start()
        user, password = "clocky", "clocky-password-1"
        try:
            instance.add_user(user, password)
            before = []
            for n in range(4):  # both workers, most likely
                status, stamp, _ = call(instance, "PUT", "storage/tabs/before%d" % n, user,
                                        password, {"payload": "before %d" % n})
                self.assertEqual(status, 200)
                before.append(stamp)
            self.assertEqual(before, sorted(before))
            last = before[-1]
            with open(offset_file, "w") as out:
                out.write("-60\n")
            # Every worker reads the file at each call: both answer a minute behind now.
            behind = 0
            for _ in range(8):
                status, stamp, _ = call(instance, "GET", "info/collections", user, password)
                self.assertEqual(status, 200)
                behind += 1 if stamp < last - 30 else 0
            self.assertEqual(behind, 8, "the server's clock did not go back")
            after = []
            for n in range(4):
                status, stamp, body = call(instance, "PUT", "storage/tabs/after%d" % n, user,
                                           password, {"payload": "after %d" % n})
                self.assertEqual(status, 200)
                self.assertGreater(stamp, last, "a write after the step went back in time")
                self.assertEqual(float(body), stamp)
                last = stamp
            status, stamp, body = call(instance, "POST", "storage/tabs", user, password,
                                       [{"id": "batch%d" % i, "payload": "b"} for i in range(5)])
            self.assertEqual(status, 200)
            self.assertEqual(len(body["success"]), 5)
            self.assertGreater(stamp, last)
            last = stamp
            status, _, collections = call(instance, "GET", "info/collections", user, password)
            self.assertEqual(collections["tabs"], last)
            # A client that synced up to the last write before the step gets every later one.
            status, _, newer = call(instance, "GET", "storage/tabs?newer=%.2f" % before[-1],
                                    user, password)
            self.assertEqual(sorted(newer), sorted(["after%d" % n for n in range(4)] +
                                                   ["batch%d" % i for i in range(5)]))
            status, _, records = call(instance, "GET", "storage/tabs?full=1", user, password)
            modified = {r["id"]: r["modified"] for r in records}
            self.assertTrue(all(modified["after%d" % n] > max(before) for n in range(4)))
            # A deletion is a change too: it does not go back either.
            status, _, _ = call(instance, "DELETE", "storage/tabs?ids=before0", user, password)
            self.assertEqual(status, 200)
            status, _, collections = call(instance, "GET", "info/collections", user, password)
            self.assertGreater(collections["tabs"], last)
        finally:
            instance.stop()
        self.assertIsNone(instance.sanitizer_report())


if __name__ == "__main__":
    unittest.main()
