"""Clean answers to faults, each on an instance of its own (weave_instance.py):

- the master killed with SIGKILL: its workers stop by themselves at once (the kernel tells
  them, PR_SET_PDEATHSIG), and a server started again on the same configuration serves;
- the SMTP relay refusing connections, or accepting and never answering, during a password
  reset request: 503 with Retry-After, within mail.timeout_seconds.

Workers killed mid-request are in test_crash.py; MariaDB restarted and paused under load in
tests/mysql (outage_gives_503_then_service_resumes_without_restart); the directory
restarted and paused in tests/ldap (directory_down_is_503_and_recovers_by_itself,
frozen_directory_times_out_with_503); the full campaign under load is bench/soak.py.
"""

import http.client
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


if __name__ == "__main__":
    unittest.main()
