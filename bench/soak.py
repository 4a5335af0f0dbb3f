#!/usr/bin/env python3
"""make soak: a fault campaign under the benchmark's verified load.

Starts weave-server behind nginx (SQLite, or DB=mysql: a throwaway MariaDB), seeds it and
runs bench/load's Sync mix for SOAK_S seconds while injecting faults on a schedule: SIGKILL
of a random worker, SIGHUP (reload), a full disk (the SQLite database lives on a small
ext4 file system the soak makes in a file and mounts, as root; filled, then freed) and, on
MariaDB, a restart of mariadbd. With SOAK_AUTH=ldap the accounts live in a throwaway slapd
(tests/lib/ldap_directory.py) that the schedule also pauses (SIGSTOP, then SIGCONT) and
restarts.
At the end every record is read back and compared byte for byte with what was seeded and
acknowledged (weave-load --check-all).

Every answer other than 200 is judged against the faults: a 502 from nginx just after a
worker was killed, and a 503 with Retry-After and X-Weave-Backoff while the disk is full,
MariaDB restarts or the directory is paused or restarted, are expected and counted by kind; anything else (a 500, a 503 without
those headers or outside a fault, a wrong answer, a worker death that was not injected, a
sanitizer report, the largest worker's RSS grown by more than 10 % and by more than the
2 MiB of SQLite's page cache, a file descriptor leak, a killed worker whose descriptors stay
open for more than 5 s) is an unexpected error. The last line is exactly

    soak: A acknowledged, L lost, F faults, E unexpected errors

and the exit status is non-zero when L or E is not 0.

Environment (all optional):
  SOAK_S=600            length of the mix (faults stop SOAK_TAIL seconds before its end)
  DB=sqlite             or mysql
  SOAK_AUTH=sql         or ldap: a slapd on loopback holds the accounts, in read-only mode
                        (auth.ldap.mode: readonly: each first login enrols itself in the
                        Sync database), and is paused for 4 s and restarted (down 3 s)
  BUILD=build           where weave-server and weave-admin are; BENCH_TOOLS=$BUILD/bench
  SOAK_USERS=50 SOAK_RECORDS=2000 SOAK_CONNECTIONS=16 SOAK_WORKERS=4
  SOAK_FAULT_EVERY=10   seconds between two faults
  SOAK_DISK_FULL=1      0 leaves the full-disk fault out (it needs root to mount the file
                        system; without root, or on MariaDB, it is left out and the output
                        says so)
  SOAK_DISK_MB=8192     size of that file system (a sparse file; the mix adds about a GB
                        of records in ten minutes)
  SOAK_MAX_REQUESTS=20000  server.max_requests_per_worker, so workers are recycled too
  SOAK_SEED=1           random seed of the mix and of the schedule
  SOAK_KEEP=0           1 keeps the temporary folder
"""

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
import soak_lib  # noqa: E402
from soak_lib import ROOT, env, free_port  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import ldap_directory  # noqa: E402
# A killed worker's connection must close at once (nginx then answers 502); the margin is
# for a busy machine.
RELEASE_BOUND_S = 5.0


def children(parent):
    """Live child pids of parent."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] not in ("Z", "X"):
            found.append(int(name))
    return sorted(found)


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def unix_sockets():
    """inode -> (path, listening) for every Unix socket (/proc/net/unix). An accepted
    connection carries the path of the socket it was accepted on."""
    sockets = {}
    try:
        with open("/proc/net/unix") as table:
            next(table)
            for line in table:
                fields = line.split()
                if len(fields) >= 7:
                    listening = int(fields[3], 16) & 0x10000 != 0  # __SO_ACCEPTCON
                    sockets[fields[6]] = (fields[7] if len(fields) > 7 else "", listening)
    except OSError:
        pass
    return sockets


def tcp_peer_ports():
    """inode -> remote port of every TCP socket (/proc/net/tcp and tcp6)."""
    peers = {}
    for table_name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table_name) as table:
                next(table)
                for line in table:
                    fields = line.split()
                    if len(fields) >= 10:
                        peers[fields[9]] = int(fields[2].rsplit(":", 1)[1], 16)
        except OSError:
            pass
    return peers


def open_fds(pid, listen_path=None, directory_ports=()):
    """What the process has open: target -> count (files by path, pipes, sockets). With
    listen_path (the server's FastCGI socket), sockets on it are told apart: the
    "fastcgi listening socket" every process of the server shares, and a "fastcgi
    connection": one nginx keeps open to the worker (at most nginx's keepalive pool, plus
    the one a request is being served on). With directory_ports (slapd's), a TCP socket to one of them is a
    "directory connection" (a worker keeps one from its first login on). Every other socket
    (a MariaDB connection, ...) is a plain "socket"."""
    targets = {}
    try:
        names = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return targets
    sockets = unix_sockets() if listen_path else {}
    peers = tcp_peer_ports() if directory_ports else {}
    for name in names:
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, name))
        except OSError:
            continue
        found = re.match(r"^socket:\[(\d+)\]$", target)
        inode = found.group(1) if found else None
        if inode in sockets and sockets[inode][0] == listen_path:
            target = "fastcgi listening socket" if sockets[inode][1] else "fastcgi connection"
        elif inode in peers and peers[inode] in directory_ports:
            target = "directory connection"
        else:
            target = re.sub(r"^(socket|pipe):\[\d+\]$", r"\1", target)
        targets[target] = targets.get(target, 0) + 1
    return targets


def fewest(readings):
    """Per target, the smallest count over several open_fds readings (0 where one lacks it)."""
    targets = set().union(*readings) if readings else set()
    return {t: min(r.get(t, 0) for r in readings) for t in targets
            if min(r.get(t, 0) for r in readings) > 0}


def sample(master, listen_path, directory_ports=()):
    """Open files of the master and the workers, and each worker's RSS: the smallest of a few
    readings 0.4 s apart, so that what passes does not read as growth (yescrypt takes 8 MiB
    for a moment while a new worker verifies passwords; a worker serving a request holds its
    connection's socket), and a leak (which never goes away) still does."""
    for _ in range(10):
        workers = children(master)
        readings = {pid: [] for pid in workers}
        fd_readings = {pid: [] for pid in workers}
        for turn in range(5):
            if turn:
                time.sleep(0.4)
            for pid in workers:
                readings[pid].append(rss_kb(pid))
                fd_readings[pid].append(open_fds(pid, listen_path, directory_ports))
        files = {pid: fewest(fd_readings[pid]) for pid in workers}
        # Workers that exited meanwhile (recycled, reloaded, killed) are left out.
        kept = {pid: {"rss_kb": min(readings[pid]), "fds": files[pid]} for pid in workers
                if min(readings[pid]) > 0 and files[pid]}
        if len(kept) * 2 >= len(workers) > 0:
            break
    return {"master": open_fds(master, listen_path, directory_ports), "workers": kept}


# The keepalive pool scripts/nginx-sites-conf.sh gives each upstream.
NGINX_KEEPALIVE_POOL = 32


def fd_leaks(start, end):
    """Targets a process holds more often at the end than any did at the start. One that
    appeared only since (OpenSSL keeps /dev/urandom open from the first random id a worker
    makes, e.g. for a 503's incident id) is not a leak unless it is held twice. A worker's
    FastCGI connections are the ones nginx keeps open to it (which of the workers holds how
    many shifts during the mix): up to nginx's keepalive pool and one more are never a leak
    (a leak grows with the requests, thousands in a soak), whatever the start showed. A
    directory connection: a worker keeps one from its first login on (the first may come
    after the start readings), never two."""
    leaks = []
    for pid, targets in end.items():
        for target, count in targets.items():
            most = max((before.get(target, 0) for before in start), default=0)
            if target == "fastcgi connection":
                allowed = NGINX_KEEPALIVE_POOL + 1
            elif target == "directory connection":
                allowed = 1
            else:
                allowed = max(most, 1)
            if count > allowed:
                leaks.append("%d holds %s %d times (at most %d at the start)"
                             % (pid, target, count, most))
    return leaks


class Soak:
    def __init__(self):
        self.seconds = env("SOAK_S", 600)
        self.db = env("DB", "sqlite")
        self.auth = env("SOAK_AUTH", "sql")
        if self.auth not in ("sql", "ldap"):
            raise SystemExit("soak: SOAK_AUTH is sql or ldap, not %r" % self.auth)
        self.slapd = None
        self.directory_ports = ()  # slapd's (SOAK_AUTH=ldap)
        self.warm_up = ""  # when the start readings were taken (see warm_reading)
        build = env("BUILD", "build")
        self.build = build if os.path.isabs(build) else os.path.join(ROOT, build)
        tools = env("BENCH_TOOLS", os.path.join(self.build, "bench"))
        self.tools = tools if os.path.isabs(tools) else os.path.join(ROOT, tools)
        self.users = env("SOAK_USERS", 50)
        self.records = env("SOAK_RECORDS", 2000)
        self.connections = env("SOAK_CONNECTIONS", 16)
        self.workers = env("SOAK_WORKERS", 4)
        self.fault_every = env("SOAK_FAULT_EVERY", 10.0)
        self.disk_mb = env("SOAK_DISK_MB", 8192)
        self.max_requests = env("SOAK_MAX_REQUESTS", 20000)
        self.seed = env("SOAK_SEED", 1)
        self.rng = random.Random(self.seed)
        self.disk_full = env("SOAK_DISK_FULL", 1) == 1
        self.disk_note = ""
        if self.disk_full and self.db != "sqlite":
            self.disk_full, self.disk_note = False, "not on MariaDB (its data is not on a small disk)"
        elif self.disk_full and os.geteuid() != 0:
            self.disk_full, self.disk_note = False, "needs root (a file system is mounted)"
        elif not self.disk_full:
            self.disk_note = "SOAK_DISK_FULL=0"
        self.tmp = tempfile.mkdtemp(prefix="weave-soak.")
        self.listen_path = os.path.join(self.tmp, "weave.sock")
        os.chmod(self.tmp, 0o755)  # nginx workers (nobody) reach the socket
        self.mounted = None
        self.server = self.nginx = self.load = None
        self.mariadb_dir = None
        self.faults = []  # {"kind", "start", "end", "detail"}
        self.killed = set()
        self.released = []  # seconds from each SIGKILL until the worker's descriptors closed
        self.mix_started = threading.Event()
        self.mix_ended = threading.Event()
        self.samples = {}

    # ------------------------------------------------------------------ set-up

    def run_quiet(self, *args, **kwargs):
        return subprocess.run(list(args), check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=kwargs.get("timeout", 120))

    def start_database(self):
        if self.db == "mysql":
            self.mariadb_dir = os.path.join(self.tmp, "mariadb")
            self.mysql_port = free_port()
            self.mysql_password = subprocess.run(
                ["sh", os.path.join(ROOT, "scripts", "mariadb.sh"), "password",
                 self.mariadb_dir], check=True, stdout=subprocess.PIPE).stdout.decode().strip()
            self.mariadb("start", str(self.mysql_port), "weave", "weave", self.mysql_password)
            yaml = subprocess.run(["sh", os.path.join(ROOT, "scripts", "mariadb.sh"), "yaml",
                                   self.mariadb_dir, str(self.mysql_port)], check=True,
                                  stdout=subprocess.PIPE).stdout.decode()
            # Short bounds, so a restart is answered with 503s, not long waits.
            return yaml + ("    connect_timeout_seconds: 2\n    read_timeout_seconds: 5\n"
                           "    write_timeout_seconds: 5\n    lock_wait_timeout_seconds: 5\n")
        data = os.path.join(self.tmp, "data")
        os.makedirs(data)
        if self.disk_full:
            # ext4 in a sparse file on a loop device: the data is on disk, not in memory, and
            # fallocate fills the rest at once. No blocks reserved for root (the server).
            image = os.path.join(self.tmp, "disk.img")
            with open(image, "wb") as out:
                out.truncate(self.disk_mb << 20)
            self.run_quiet("mkfs.ext4", "-q", "-F", "-m", "0", image)
            self.run_quiet("mount", "-o", "loop", image, data)
            self.mounted = data
        self.db_path = os.path.join(data, "weave.db")
        # A short log: it is reused from its start after each restart, so with the default
        # (up to 128 MiB) a full disk would be felt only once the log outgrew that.
        return ('  sqlite:\n    path: "%s"\n    checkpoint_pages: 256\n'
                "    wal_restart_pages: 1024\n" % self.db_path)

    def mariadb(self, *args):
        self.run_quiet("sh", os.path.join(ROOT, "scripts", "mariadb.sh"), args[0],
                       self.mariadb_dir, *args[1:], timeout=180)

    def start(self):
        database = self.start_database()
        self.port = free_port()
        self.config = os.path.join(self.tmp, "weave.yaml")
        with open(self.config, "w") as out:
            out.write(soak_lib.server_yaml(
                "bench/soak.py", self.tmp, "weave", self.workers, self.max_requests, database,
                server_lines='  public_url: "http://127.0.0.1:%d/"\n' % self.port,
                sections=self.start_directory()))
        self.server_log = os.path.join(self.tmp, "server.log")
        self.server = soak_lib.start_server(self.build, self.config, self.server_log)
        self.nginx = soak_lib.start_nginx(os.path.join(self.tmp, "nginx"), "%d / unix:%s\n"
                                          % (self.port, self.listen_path))
        deadline = time.time() + 60
        while len(children(self.server.pid)) < self.workers or not self.answers():
            if time.time() > deadline or self.server.poll() is not None:
                raise RuntimeError("the server did not come up:\n"
                                   + soak_lib.tail(self.server_log))
            time.sleep(0.2)
        if self.slapd is None:
            self.add_accounts()

    def account_names(self):
        return soak_lib.account_names(self.users, self.connections)

    def start_directory(self):
        """With SOAK_AUTH=ldap: slapd holding the sample directory and the soak's accounts
        (weave-load's names and passwords); returns the configuration's auth section. The
        read-only mode is the usual deployment (the company's directory, a read-only
        service account) and keeps the directory on the login path only: a pause hits
        logins, never the records, which live in the Sync database either way."""
        if self.auth != "ldap":
            return ""
        self.slapd = ldap_directory.Slapd(os.path.join(self.tmp, "slapd"))
        users = os.path.join(self.tmp, "soak-users.ldif")
        with open(users, "w") as out:
            out.write("\n".join(ldap_directory.person_ldif(name, name + "-bench-pw")
                                for name in self.account_names()))
        self.slapd.init(ldap_directory.SAMPLE_LDIF, users)
        self.slapd.start()
        self.directory_ports = (self.slapd.port, self.slapd.tls_port)
        # Short bounds, so that a paused directory is answered with 503s, not long waits.
        return ("auth:\n  backend: ldap\n  ldap:\n    mode: readonly\n"
                '    urls: [ "%s" ]\n    ca_file: "%s"\n    base_dn: "%s"\n'
                '    bind_dn: "%s"\n    bind_password: "%s"\n'
                "    connect_timeout_ms: 1000\n    operation_timeout_ms: 1500\n"
                % (self.slapd.url(), self.slapd.ca, ldap_directory.USERS,
                   ldap_directory.READER, ldap_directory.READER_PW))

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as connection:
                connection.sendall(b"GET /__heartbeat__ HTTP/1.0\r\n\r\n")
                return connection.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def add_accounts(self):
        names = self.account_names()
        admin = os.path.join(self.build, "weave-admin")
        for start in range(0, len(names), 4):
            batch = [subprocess.Popen([admin, "-c", self.config, "add", name],
                                      stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE)
                     for name in names[start:start + 4]]
            for name, process in zip(names[start:start + 4], batch):
                _, error = process.communicate(("%s-bench-pw\n" % name).encode(), timeout=120)
                if process.returncode != 0:
                    raise RuntimeError("weave-admin add %s: %s" % (name, error.decode()))

    # ------------------------------------------------------------------ faults

    def fault(self, kind, detail, action, hold=0.0, undo=None):
        start = time.time()
        action()
        if hold:
            time.sleep(hold)
            undo()
        self.faults.append({"kind": kind, "start": start, "end": time.time(), "detail": detail})
        print("soak: %6.1f s  %s %s" % (start - self.mix_start, kind, detail), flush=True)

    def kill_worker(self):
        workers = children(self.server.pid)
        if not workers:
            return
        victim = self.rng.choice(workers)
        self.killed.add(victim)
        killed_at = time.time()
        self.fault("kill -9 worker", str(victim), lambda: os.kill(victim, signal.SIGKILL))
        threading.Thread(target=self.watch_release, args=(victim, killed_at),
                         daemon=True).start()

    def watch_release(self, victim, killed_at):
        """How long the killed worker's descriptors (its FastCGI connection among them) stay
        open: nginx answers the request in flight only once they are closed."""
        while time.time() - killed_at < 120:
            try:
                if not os.listdir("/proc/%d/fd" % victim):
                    break
            except OSError:
                break
            time.sleep(0.005)
        self.released.append(time.time() - killed_at)

    def reload(self):
        self.fault("SIGHUP reload", "", lambda: os.kill(self.server.pid, signal.SIGHUP))

    def fill_disk(self):
        filler = os.path.join(self.mounted, "filler")

        def fill():
            chunk = b"\0" * (1 << 16)
            out = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                space = os.statvfs(self.mounted)
                os.posix_fallocate(out, 0, max(1, space.f_bavail * space.f_frsize - (1 << 20)))
                os.lseek(out, 0, os.SEEK_END)
                while True:  # the last blocks
                    os.write(out, chunk)
            except OSError:
                pass  # ENOSPC: full
            finally:
                os.close(out)

        self.fault("disk full", "%d MiB file system, 6 s" % self.disk_mb, fill, 6.0,
                   lambda: os.unlink(filler))

    def restart_mariadb(self):
        self.fault("MariaDB restart", "kill -9, up again after 3 s",
                   lambda: self.mariadb("kill"), 3.0,
                   lambda: self.mariadb("start", str(self.mysql_port), "weave", "weave",
                                        self.mysql_password))

    def pause_directory(self):
        pid = self.slapd.pid()
        self.fault("directory paused", "SIGSTOP slapd, SIGCONT after 4 s",
                   lambda: os.kill(pid, signal.SIGSTOP), 4.0,
                   lambda: os.kill(pid, signal.SIGCONT))

    def restart_directory(self):
        self.fault("directory restart", "slapd stopped, up again after 3 s", self.slapd.stop,
                   3.0, self.slapd.start)

    def campaign(self):
        kinds = [self.kill_worker, self.reload]
        if self.disk_full:
            kinds.append(self.fill_disk)
        if self.db == "mysql":
            kinds.append(self.restart_mariadb)
        if self.slapd is not None:
            # The directory's faults first, so that a short run has them too.
            kinds = [self.pause_directory, self.kill_worker, self.restart_directory] + kinds[1:]
        tail = min(30.0, max(10.0, self.seconds / 6))
        self.samples["start"] = self.warm_reading()
        stop_at = self.mix_start + self.seconds - tail
        turn = 0
        while time.time() + self.fault_every < stop_at and not self.mix_ended.is_set():
            time.sleep(self.fault_every * (0.5 + self.rng.random()))
            if time.time() >= stop_at:
                break
            kinds[turn % len(kinds)]()
            turn += 1
        # The end sample is taken after the last fault has settled, before the mix ends.
        while time.time() < self.mix_start + self.seconds - 3 and not self.mix_ended.is_set():
            time.sleep(0.2)
        self.samples["end"] = self.reading()

    def reading(self):
        return sample(self.server.pid, self.listen_path, self.directory_ports)

    def warm_reading(self):
        """The start readings, once the workers are warm, so that what grows later is growth:
        their caches (SQLite's pages, prepared statements, logins) filled and, with LDAP
        accounts, each holding its directory connection (a socket, and some MiB of TLS and
        libldap state that a worker keeps from its first login on). That connection waits
        at most as long again; a worker still without one is noted."""
        settle = min(60.0, self.seconds / 5)
        time.sleep(settle)
        deadline = time.time() + settle
        while True:
            reading = self.reading()
            cold = [pid for pid, worker in reading["workers"].items()
                    if self.directory_ports and "directory connection" not in worker["fds"]]
            if not cold or time.time() >= deadline or self.mix_ended.is_set():
                break
            time.sleep(0.5)
        self.warm_up = "%.0f s%s" % (time.time() - self.mix_start, "; workers without a "
                                     "directory connection yet: %d" % len(cold) if cold else "")
        return reading

    # ------------------------------------------------------------------ the run

    def run_load(self):
        load = os.path.join(self.tools, "weave-load")
        self.fault_log = os.path.join(self.tmp, "answers.log")
        self.load_json = os.path.join(self.tmp, "load.json")
        command = [load, "weave", "--url", "http://127.0.0.1:%d" % self.port,
                   "--connections", str(self.connections), "--seconds", str(self.seconds),
                   "--users", str(self.users), "--records", str(self.records),
                   "--scratch", str(self.connections), "--seed", str(self.seed),
                   "--timeout-ms", "30000", "--faults", "1", "--fault-log", self.fault_log,
                   "--check-all", "1", "--server-pid", str(self.server.pid),
                   "--nginx-pid", str(self.nginx.pid), "--json", self.load_json]
        command = self.load_command(command)
        self.load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        campaign = None
        for raw in self.load.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            print("load: " + line, flush=True)
            if line == "mix: started":
                self.mix_start = time.time()
                campaign = threading.Thread(target=self.campaign)
                campaign.start()
            elif line == "mix: ended":
                self.mix_ended.set()
        self.load.wait()
        if campaign is not None:
            campaign.join()
        return self.load.returncode

    def load_command(self, command):
        """weave-load's command line (bench/move_soak.py adds to it)."""
        return command

    def stop(self):
        for process in (self.nginx, self.server):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self.slapd is not None:
            try:
                os.kill(self.slapd.pid(), signal.SIGCONT)  # in case a pause was cut short
                self.slapd.stop()
            except Exception:  # noqa: BLE001 - best effort at the end
                pass
        if self.mariadb_dir:
            try:
                self.mariadb("stop")
            except Exception:  # noqa: BLE001 - best effort at the end
                pass
        if self.mounted:
            subprocess.run(["umount", self.mounted], check=False)

    # ------------------------------------------------------------------ the verdict

    def judge_answers(self):
        """(expected kinds, unexpected kinds, examples of unexpected ones)."""
        expected, unexpected, examples = {}, {}, []
        try:
            with open(self.fault_log, errors="replace") as log:
                lines = log.read().splitlines()
        except OSError:
            lines = []
        for line in lines:
            parts = line.split(" ", 6)
            if len(parts) < 6:
                continue
            when, kind_of_request, status = float(parts[0]), parts[1], int(parts[2])
            retry_after, backoff = parts[3], parts[4]
            why = self.expected_by(when, status, retry_after, backoff, " ".join(parts[5:]))
            if why:
                expected[why] = expected.get(why, 0) + 1
            else:
                key = "%s on %s" % (status if status else "transport error", kind_of_request)
                unexpected[key] = unexpected.get(key, 0) + 1
                if len(examples) < 10:
                    examples.append(line[:300])
        return expected, unexpected, examples

    def expected_by(self, when, status, retry_after, backoff, request=""):
        """Why the answer was expected (None: it was not); request is "METHOD PATH ..."."""
        for fault in self.faults:
            if fault["kind"] == "kill -9 worker" and status == 502 and \
                    fault["start"] - 0.5 <= when <= fault["end"] + 3:
                return "502 from nginx: its worker was killed"
            if fault["kind"] in ("disk full", "MariaDB restart", "directory paused",
                                 "directory restart") and status == 503 and \
                    retry_after != "-" and backoff != "-" and \
                    fault["start"] - 0.5 <= when <= fault["end"] + 15:
                return "503 with Retry-After: " + fault["kind"]
        return None

    def worker_deaths(self):
        """Worker deaths the server logged that were not injected."""
        unexpected = []
        with open(self.server_log, errors="replace") as log:
            for line in log:
                found = re.search(r"worker (\d+) died \((signal|exit) (\d+)\)", line)
                if found and not (int(found.group(1)) in self.killed and found.group(3) == "9"
                                  and found.group(2) == "signal"):
                    unexpected.append(line.strip())
                if "ERROR: AddressSanitizer" in line or "runtime error:" in line or \
                        "ERROR: LeakSanitizer" in line:
                    unexpected.append(line.strip())
        return unexpected

    def directory_outages(self):
        """How often the server found the directory out of reach: rechecks of a remembered
        login that kept it, and directory errors logged (SOAK_AUTH=ldap)."""
        rechecks = errors = 0
        with open(self.server_log, errors="replace") as log:
            for line in log:
                if "cannot recheck" in line:
                    rechecks += 1
                elif "ldap service: " in line and ("warning:" in line or "error:" in line):
                    errors += 1
        return rechecks, errors

    def resources(self):
        """Prints the readings; returns the problems found."""
        problems = []
        start, end = self.samples.get("start"), self.samples.get("end")
        if not start or not end:
            return ["no resource readings (the mix ended early)"]
        print("  start readings after the warm-up: %s into the mix" % self.warm_up)
        for label, reading in (("start", start), ("end", end)):
            workers = reading["workers"]
            print("  %-5s master %d fds; workers: %s" % (
                label, sum(reading["master"].values()), ", ".join(
                    "%d: %.1f MB, %d fds" % (pid, w["rss_kb"] / 1024, sum(w["fds"].values()))
                    for pid, w in sorted(workers.items()))))
        start_rss = max((w["rss_kb"] for w in start["workers"].values()), default=0)
        end_rss = max((w["rss_kb"] for w in end["workers"].values()), default=0)
        print("  worker RSS (largest) %.1f MB at start, %.1f MB at end (%+.1f %%)" % (
            start_rss / 1024, end_rss / 1024, 100.0 * (end_rss - start_rss) / max(start_rss, 1)))
        # SQLite's page cache (2 MiB a connection) starts empty in each new worker and fills
        # as the database grows: growth within it is not a leak.
        if end_rss > 1.10 * start_rss and end_rss - start_rss > 2048:
            problems.append("worker RSS grew by more than 10 % (and 2 MiB)")
        leaks = fd_leaks([start["master"]], {self.server.pid: end["master"]})
        leaks += fd_leaks([w["fds"] for w in start["workers"].values()],
                          {pid: w["fds"] for pid, w in end["workers"].items()})
        print("  open file descriptors: %s" % ("; ".join(leaks) if leaks else "no leak"))
        problems += ["file descriptor leak: " + leak for leak in leaks]
        return problems

    def report(self, load_status):
        try:
            with open(self.load_json) as data:
                load = json.load(data)
        except (OSError, ValueError):
            load = {}
        verification = load.get("verification", {})
        phases = load.get("phases", {})
        acknowledged = verification.get("acknowledged_checked", 0)
        lost = verification.get("acknowledged_lost", 0)
        wrong = verification.get("failures", 0) - lost  # wrong answers during the run
        requests = sum(p.get("requests", 0) for p in phases.values() if isinstance(p, dict))
        expected, unexpected, examples = self.judge_answers()
        deaths = self.worker_deaths()
        print()
        print("== soak results (%s, %s accounts, %d s mix, %d users x %d records, %d connections,"
              " %d workers)" % (self.db, self.auth, self.seconds, self.users, self.records, self.connections, self.workers))
        print("  requests: %d (all phases); mix %d" % (
            requests, phases.get("mix", {}).get("requests", 0)))
        kinds = {}
        for fault in self.faults:
            kinds[fault["kind"]] = kinds.get(fault["kind"], 0) + 1
        print("  faults injected: %d (%s)" % (len(self.faults), ", ".join(
            "%s %d" % item for item in sorted(kinds.items())) or "none"))
        if self.disk_note:
            print("  disk full: left out: %s" % self.disk_note)
        print("  expected errors: %s" % (", ".join(
            "%s: %d" % item for item in sorted(expected.items())) or "none"))
        print("  unexpected errors: %s" % (", ".join(
            "%s: %d" % item for item in sorted(unexpected.items())) or "none"))
        for example in examples:
            print("    " + example)
        if self.slapd is not None:
            print("  directory out of reach, as the server saw it: %d rechecks kept a remembered"
                  " login, %d other directory warnings" % self.directory_outages())
        if wrong:
            print("  wrong answers found by the load's checks: %d" % wrong)
            for message in verification.get("messages", [])[:10]:
                print("    " + message)
        for death in deaths[:10]:
            print("  unexpected: " + death)
        problems = self.resources()
        if self.released:
            print("  killed workers closed their descriptors within %.3f s (slowest of %d)" % (
                max(self.released), len(self.released)))
            if max(self.released) > RELEASE_BOUND_S:
                problems.append("a killed worker held its descriptors for %.1f s"
                                % max(self.released))
        for problem in problems:
            print("  unexpected: " + problem)
        if load_status not in (0, 1):
            problems.append("weave-load exited with status %d" % load_status)
        print("  acknowledged writes checked: %d; lost: %d" % (acknowledged, lost))
        errors = sum(unexpected.values()) + max(wrong, 0) + len(deaths) + len(problems)
        if not load:
            errors += 1
        print("soak: %d acknowledged, %d lost, %d faults, %d unexpected errors" % (
            acknowledged, lost, len(self.faults), errors))
        return 0 if lost == 0 and errors == 0 else 1


def main(campaign=Soak):
    """Runs the campaign (this Soak, or bench/move_soak.py's subclass)."""
    soak = campaign()
    status = 1
    try:
        for binary in (os.path.join(soak.build, "weave-server"),
                       os.path.join(soak.build, "weave-admin"),
                       os.path.join(soak.tools, "weave-load")):
            if not os.access(binary, os.X_OK):
                print("soak: %s is missing (make bench-tools, make)" % binary, file=sys.stderr)
                print("soak: 0 acknowledged, 0 lost, 0 faults, 1 unexpected errors")
                return 2
        print("soak: %s, %s accounts, %d s, data in %s" % (soak.db, soak.auth, soak.seconds,
                                                           soak.tmp), flush=True)
        soak.start()
        load_status = soak.run_load()
        soak.stop()
        status = soak.report(load_status)
    except Exception as error:  # noqa: BLE001 - a set-up failure is one unexpected error
        soak.stop()
        print("soak: set-up failed: %s" % error)
        print("soak: 0 acknowledged, 0 lost, %d faults, 1 unexpected errors" % len(soak.faults))
        status = 1
    finally:
        if env("SOAK_KEEP", 0) == 1:
            print("soak: data kept in %s" % soak.tmp, file=sys.stderr)
        else:
            subprocess.run(["rm", "-rf", soak.tmp], check=False)
    return status


if __name__ == "__main__":
    sys.exit(main())
