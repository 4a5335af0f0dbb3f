"""weave-server in Mozilla mode on an OpenLDAP provider and its syncrepl consumer.

Run by tests/cluster/run_syncrepl.sh, which sets SYNCREPL_DIR (a folder for the two
directories), SYNCREPL_TMP (a scratch folder), WEAVE_ADMIN (the build's weave-admin; the
server is taken from the same folder) and WEAVE_COUNTS_FILE ("passed failed" is written
there); it stops both directories afterwards. Arguments: substrings; only checks whose name
contains one of them run.

The server reads logins from the consumer (auth.ldap.urls) and writes to the provider
(auth.ldap.write_urls). The consumer replicates through a TCP relay in this process, which a
check can hold to make replication lag as long as it needs. Standard library only.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "functional"))
sys.path.insert(0, HERE)
import weave_instance  # noqa: E402
from cluster_lib import assert_clean_503, login, register, request, wait_until  # noqa: E402
import cluster_lib  # noqa: E402

DIR = os.environ["SYNCREPL_DIR"]
TMP = os.environ.get("SYNCREPL_TMP") or DIR
SCRIPT = os.path.join(ROOT, "scripts", "ldap-syncrepl.sh")
BASE = "dc=example,dc=org"
USERS = "ou=users," + BASE


def syncrepl(*args, timeout=60):
    done = subprocess.run(["sh", SCRIPT] + [str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout)
    text = done.stdout.decode(errors="replace")
    assert done.returncode == 0, "ldap-syncrepl.sh %s: %s" % (" ".join(map(str, args)), text)
    return text


class Relay:
    """Forwards TCP connections from a loopback port to target_port; hold() stops moving
    bytes (replication then lags) until release()."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=3)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(source, sink), daemon=True).start()

    def pump(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self.flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def hold(self):
        self.flowing.clear()

    def release(self):
        self.flowing.set()


STATE = {}
SERVERS = []


def setup():
    """The two directories (the consumer replicating through the relay) and one server."""
    if STATE:
        return STATE["server"]
    provider_port = weave_instance.free_port()
    consumer_port = weave_instance.free_port()
    relay = Relay(provider_port)
    syncrepl("init", DIR, relay.port)
    syncrepl("start", DIR, provider_port, consumer_port)
    settings = {
        "server": {"retry_after_seconds": 7},
        "registration": {"policy": "open", "require_hashed_username": False},
        "accounts": {"lockout_max_failures": 0, "lockout_max_failures_per_address": 0},
        "auth": {"backend": "ldap", "ldap": {
            "urls": ["ldap://127.0.0.1:%d" % consumer_port],
            "write_urls": ["ldap://127.0.0.1:%d" % provider_port],
            "ca_file": os.path.join(DIR, "provider", "tls", "ca.pem"),
            "connect_timeout_ms": 1000, "operation_timeout_ms": 2000,
            "base_dn": BASE, "users_dn": USERS,
            "user_filter": "(&(objectClass=dataStore)(uid={user}))",
            "bind_dn": "cn=sync-reader,ou=services," + BASE, "bind_password": "reader-password",
            "mode": "mozilla", "admin_dn": "cn=sync-admin,ou=services," + BASE,
            "admin_password": "admin-password",
            # Every request binds: a login really goes to the directory each time.
            "cache_seconds": 0}},
    }
    server = weave_instance.Instance(TMP, "server", settings, workers=2).start()
    SERVERS.append(server)
    STATE.update(server=server, relay=relay, provider_port=provider_port,
                 consumer_port=consumer_port)
    return server


def consumer_has(uid):
    done = subprocess.run(
        ["ldapsearch", "-x", "-LLL", "-H", "ldap://127.0.0.1:%d" % STATE["consumer_port"],
         "-D", "cn=admin," + BASE, "-w", "root-password", "-b", USERS, "(uid=%s)" % uid, "1.1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=10)
    return b"dn:" in done.stdout


def kill_provider():
    with open(os.path.join(DIR, "provider", "slapd.pid")) as f:
        pid = int(f.read().strip())
    os.kill(pid, signal.SIGKILL)

    def gone():
        try:
            with open("/proc/%d/stat" % pid) as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
        except OSError:
            return True

    wait_until(gone, "the provider to die", 10)


CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


@check
def registration_logs_in_at_once_while_the_consumer_lags():
    """Replication held: the new entry is on the provider only. The login right after the
    registration, and with a new password right after the change, must not be 401."""
    server = setup()
    relay = STATE["relay"]
    relay.hold()
    try:
        status, _, body = register(server, "laggard", "laggard-password-1")
        assert status == 200, (status, body)
        assert not consumer_has("laggard"), "the relay did not hold replication back"
        for _ in range(3):
            status, _, body = login(server, "laggard", "laggard-password-1")
            assert status == 200, ("login right after registering", status, body)
        status, _, body = request(server, "PUT", "/1.1/laggard/storage/tabs/t",
                                  {"payload": "hello"}, auth=("laggard", "laggard-password-1"))
        assert status == 200, (status, body)
        status, _, body = request(server, "POST", "/user/1.0/laggard/password", raw=b"laggard-password-2",
                                  auth=("laggard", "laggard-password-1"))
        assert status == 200, ("password change", status, body)
        status, _, body = login(server, "laggard", "laggard-password-2")
        assert status == 200, ("new password right after the change", status, body)
        status, _, body = login(server, "laggard", "wrong-password")
        assert status == 401, ("a wrong password", status, body)
    finally:
        relay.release()
    wait_until(lambda: consumer_has("laggard"), "the consumer to catch up", 30)
    status, _, body = login(server, "laggard", "laggard-password-2")
    assert status == 200, (status, body)


@check
def provider_killed_logins_continue_writes_answer_503_until_it_is_back():
    server = setup()
    status, _, body = register(server, "before", "before-password")
    assert status == 200, (status, body)
    wait_until(lambda: consumer_has("before"), "the consumer to replicate", 30)
    kill_provider()
    try:
        for _ in range(5):
            for user, password in (("alice", "alice-password"), ("before", "before-password")):
                status, _, body = login(server, user, password)
                assert status == 200, (user, status, body)
        # A wrong password is still refused, by the consumer's answer alone.
        status, _, body = login(server, "alice", "not-her-password")
        assert status == 401, (status, body)
        status, headers, body = register(server, "during", "during-password")
        assert_clean_503(status, headers, body, "registration without the provider")
        status, headers, body = request(server, "POST", "/user/1.0/before/password",
                                        raw=b"before-password-2",
                                        auth=("before", "before-password"))
        assert_clean_503(status, headers, body, "password change without the provider")
        status, headers, body = request(server, "DELETE", "/user/1.0/before",
                                        auth=("before", "before-password"))
        assert_clean_503(status, headers, body, "deletion without the provider")
        status, _, body = login(server, "before", "before-password")
        assert status == 200, ("the account is intact", status, body)
    finally:
        syncrepl("start-provider", DIR, STATE["provider_port"])
    # Writes succeed again (the server reconnects by itself), and replicate.
    deadline = time.time() + 30
    while True:
        status, headers, body = register(server, "during", "during-password")
        if status == 200:
            break
        assert_clean_503(status, headers, body, "registration as the provider comes back")
        assert time.time() < deadline, "no registration within 30 s of the provider's return"
        time.sleep(0.5)
    status, _, body = login(server, "during", "during-password")
    assert status == 200, (status, body)
    wait_until(lambda: consumer_has("during"), "the consumer to replicate again", 30)


def main():
    try:
        return cluster_lib.run_checks(CHECKS, sys.argv[1:], SERVERS)
    finally:
        if "relay" in STATE:
            STATE["relay"].listener.close()


if __name__ == "__main__":
    sys.exit(main())
