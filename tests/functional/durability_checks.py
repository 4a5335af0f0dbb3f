"""Durability checks, run by test_durability.sh (as root: they mount small file systems).

Each check starts its own weave-server + nginx (weave_instance.Instance) and stops it:
  sync bound        with synchronous: normal, writes acknowledged just before the traffic
                    stops reach stable storage (an fdatasync of the -wal file, seen with
                    strace) within sync_interval_ms; with synchronous: full, each commit is
                    synced before its answer; weave-server -t states the window
  full disk         the database on a small loop-mounted ext4 (a size-limited tmpfs where
                    loop devices are missing) that the check fills: writes get 503 with
                    Retry-After and X-Weave-Backoff, a 100-record POST fails whole, reads and
                    a first login answer 200, PRAGMA integrity_check is ok and no row is
                    lost; once space is freed, writes succeed again without a restart
  read-only         the kernel remounts the ext4 read-only after an error while the server
                    runs: writes 503, reads 200 (also from a worker started meanwhile),
                    nothing damaged; after e2fsck and a remount the data is all there
  locked            another process holds the write lock (BEGIN EXCLUSIVE): writes 503
                    within busy_timeout_ms, however many wait, reads 200; released, writes
                    succeed again
  full midway       the disk fills while a 100-record POST's commit is written: 503, none of
                    its records stored, the same POST succeeds whole once space is freed
  stuck sync        a worker killed while its -wal sync hangs on a disk that does not answer
                    (an ext4 image on a file system the check freezes): the request it was
                    serving gets 502 from nginx at once, not when the disk answers again
Environment: WEAVE_SERVER_BIN, WEAVE_ADMIN (the binaries), DURABILITY_TMP (a scratch folder).
Arguments: substrings; only checks whose name contains one run. Prints one line per check,
then "N passed, N failed". The helpers (SmallFs, traced_syncs, assert_intact) are meant for
reuse by other fault tests.
"""

import base64
import errno
import fcntl
import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weave_instance import Instance, binaries  # noqa: E402

TMP = os.environ.get("DURABILITY_TMP") or os.environ.get("TMPDIR") or "/tmp"
USER, PASSWORD = "dora", "dora-password-1"
USER2, PASSWORD2 = "fresh", "fresh-password-2"
RETRY_AFTER = "7"


class Skip(Exception):
    """The check cannot run here (the reason is printed)."""


# --- HTTP ---------------------------------------------------------------------------------

def call(inst, method, path, body=None, auth=(USER, PASSWORD), headers=None, timeout=60):
    """(status, {lower-case header: value}, body bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", inst.port, timeout=timeout)
    try:
        sent = dict(headers or {})
        if auth:
            token = base64.b64encode(("%s:%s" % auth).encode()).decode()
            sent["Authorization"] = "Basic " + token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        connection.request(method, "/1.1/%s/%s" % ((auth or (USER,))[0], path), data, sent)
        response = connection.getresponse()
        return (response.status, {k.lower(): v for k, v in response.getheaders()},
                response.read())
    finally:
        connection.close()


def ok(inst, method, path, body=None, auth=(USER, PASSWORD)):
    status, _, data = call(inst, method, path, body, auth)
    assert status == 200, "%s %s -> %d %r" % (method, path, status, data[:200])
    return json.loads(data)


def records(prefix, count, size):
    return [{"id": "%s%03d" % (prefix, i), "payload": ("%s %d " % (prefix, i)).ljust(size, "x")}
            for i in range(count)]


def assert_unavailable(reply, what):
    status, headers, data = reply
    assert status == 503, "%s: %d %r (expected 503)" % (what, status, data[:200])
    assert headers.get("retry-after") == RETRY_AFTER, "%s: Retry-After %r" % (
        what, headers.get("retry-after"))
    assert headers.get("x-weave-backoff") == RETRY_AFTER, "%s: X-Weave-Backoff %r" % (
        what, headers.get("x-weave-backoff"))


def start(name, database_path, sqlite=None, workers=2, accounts=None):
    settings = {
        "server": {"retry_after_seconds": int(RETRY_AFTER)},
        "database": {"sqlite": dict({"path": database_path}, **(sqlite or {}))},
        "auth": {"cache_seconds": 300},
    }
    if accounts:
        settings["accounts"] = accounts
    inst = Instance(TMP, name, settings, workers=workers)
    inst.start()
    inst.add_user(USER, PASSWORD)
    inst.add_user(USER2, PASSWORD2)
    return inst


def workers_of(inst):
    with open("/proc/%d/task/%d/children" % (inst.server_proc.pid, inst.server_proc.pid)) as f:
        return [int(pid) for pid in f.read().split()]


def stored_ids(database_path, collection_like="%"):
    """Record ids per collection name, read with SQLite directly (read-only)."""
    db = sqlite3.connect("file:%s?mode=ro" % database_path, uri=True, timeout=10)
    try:
        rows = db.execute(
            "SELECT coalesce(c.name, w.collection), w.id FROM wbo w LEFT JOIN collections c"
            " ON c.userid = w.username AND c.collectionid = w.collection").fetchall()
    finally:
        db.close()
    out = {}
    for collection, wbo_id in rows:
        out.setdefault(str(collection), set()).add(wbo_id)
    return out


def integrity(database_path):
    db = sqlite3.connect("file:%s?mode=ro" % database_path, uri=True, timeout=10)
    try:
        return db.execute("PRAGMA integrity_check").fetchall()
    finally:
        db.close()


def assert_intact(database_path, acknowledged):
    """integrity_check is ok and every acknowledged (collection, id) is stored."""
    result = integrity(database_path)
    assert result == [("ok",)], "integrity_check: %r" % result[:5]
    stored = stored_ids(database_path)
    lost = [(c, i) for c, i in acknowledged if i not in stored.get(c, set())]
    assert not lost, "%d acknowledged records lost, e.g. %r (stored: %r)" % (
        len(lost), lost[:5], {c: len(ids) for c, ids in stored.items()})


# --- small file systems -----------------------------------------------------------------

def run(*command, check=True):
    return subprocess.run(list(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=120, check=check)


class SmallFs:
    """A small file system mounted for one check: ext4 on a loop device, else tmpfs."""

    def __init__(self, name, size_mb, need_ext4=False, base=None):
        self.dir = os.path.join(base or TMP, name + "-mnt")
        self.image = os.path.join(base or TMP, name + ".img")
        self.kind = None
        os.makedirs(self.dir, exist_ok=True)
        if os.geteuid() != 0:
            raise Skip("not root: cannot mount a file system")
        run("truncate", "-s", "%dM" % size_mb, self.image)
        run("mkfs.ext4", "-q", "-F", "-m", "0", "-E", "lazy_itable_init=0,lazy_journal_init=0",
            self.image)
        mounted = run("mount", "-o", "loop,errors=remount-ro", self.image, self.dir, check=False)
        if mounted.returncode == 0:
            self.kind = "ext4"
            return
        if need_ext4:
            raise Skip("cannot loop-mount ext4 here: %s" % mounted.stdout.decode().strip())
        mounted = run("mount", "-t", "tmpfs", "-o", "size=%dm,mode=0700" % size_mb, "tmpfs",
                      self.dir, check=False)
        if mounted.returncode != 0:
            raise Skip("mounting is not allowed here: %s" % mounted.stdout.decode().strip())
        self.kind = "tmpfs"

    def device(self):
        with open("/proc/mounts") as mounts:
            for line in mounts:
                fields = line.split()
                if fields[1] == self.dir:
                    return fields[0], fields[3].split(",")
        return None, []

    def fill(self):
        """Writes a filler file until the file system has no space left."""
        fd = os.open(os.path.join(self.dir, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for size in (1 << 20, 1 << 16, 1 << 12, 1 << 10, 1 << 9):
                data = b"\xa5" * size
                while True:
                    try:
                        if os.write(fd, data) < size:
                            break
                    except OSError as error:
                        if error.errno != errno.ENOSPC:
                            raise
                        break
            os.fsync(fd)
        finally:
            os.close(fd)
        free = os.statvfs(self.dir)
        return free.f_bavail * free.f_frsize

    def free(self):
        os.unlink(os.path.join(self.dir, "filler"))
        os.sync()

    def umount(self):
        if self.dir and self.device()[0] is not None:
            if run("umount", self.dir, check=False).returncode != 0:
                run("umount", "-l", self.dir, check=False)


# --- the checks ---------------------------------------------------------------------------

CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


def traced_calls(pids, action, calls="fdatasync,fsync,pwrite64"):
    """Runs action() while strace records the given system calls of pids (all threads);
    returns ([(name, start, end, path)] of the calls that succeeded, in wall-clock seconds,
    with path the file of their descriptor), and action's result."""
    out = os.path.join(TMP, "strace-%d.out" % time.time_ns())
    command = ["strace", "-f", "-qq", "-ttt", "-T", "-y", "-s", "0", "-e", "trace=" + calls,
               "-o", out]
    for pid in pids:
        command += ["-p", str(pid)]
    tracer = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 20
        while not all(_traced(pid) for pid in pids):
            assert time.time() < deadline and tracer.poll() is None, \
                "strace did not attach: %r" % tracer.stderr.read()[:300]
            time.sleep(0.05)
        result = action()
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(20)
    return _parse_strace(out), result


def _traced(pid):
    tasks = os.listdir("/proc/%d/task" % pid)
    for task in tasks:
        with open("/proc/%d/task/%s/status" % (pid, task)) as status:
            if re.search(r"^TracerPid:\s+0$", status.read(), re.M):
                return False
    return True


def _parse_strace(path):
    calls, pending = [], {}
    start = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(\w+)\(\d+<([^>]*)>(.*)$")
    resumed = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+<\.\.\. (\w+) resumed>(.*)$")
    with open(path, errors="replace") as lines:
        for line in lines:
            line = line.rstrip("\n")
            match = start.match(line)
            if match:
                pid, began, name, target, rest = match.groups()
                if rest.endswith("<unfinished ...>"):
                    pending[pid] = (name, float(began), target)
                else:
                    calls.append(_finished(name, float(began), target, rest))
                continue
            match = resumed.match(line)
            if match and match.group(1) in pending:
                name, began, target = pending.pop(match.group(1))
                calls.append(_finished(name, began, target, match.group(4)))
    return [c for c in calls if c is not None]


def _finished(name, began, target, rest):
    result = re.search(r"=\s+(-?\d+).*<(\d+\.\d+)>\s*$", rest)
    if not result or int(result.group(1)) < 0:
        return None
    return (name, began, began + float(result.group(2)), target)


def wal(calls, *names):
    return [c[1:3] for c in calls if c[0] in names and c[3].endswith("weave.db-wal")]


@check
def sync_bound_normal_syncs_within_interval_after_traffic_stops():
    folder = os.path.join(TMP, "syncbound")
    os.makedirs(folder, exist_ok=True)
    database = os.path.join(folder, "weave.db")
    # The default interval (1000 ms) is the one under test.
    inst = start("syncbound-server", database, {"synchronous": "normal"})
    bound = 1.0
    try:
        ok(inst, "GET", "info/collections")  # logins done, workers warm
        time.sleep(1.5)  # past the old once-a-second checkpoint of every worker

        def eight_puts():
            for i in range(8):
                ok(inst, "PUT", "storage/bound/item%d" % i, {"payload": "write %d" % i})
            acknowledged = time.time()
            time.sleep(bound + 1.0)  # no more requests
            return acknowledged

        calls, acknowledged = traced_calls(workers_of(inst), eight_puts)
        # The last commit: the last write to the log before the last answer.
        committed = max(end for began, end in wal(calls, "pwrite64") if began < acknowledged)
        syncs = wal(calls, "fdatasync", "fsync")
        print("      WAL syncs after the last commit: %s" % ", ".join(
            "+%.0f ms (took %.1f ms)" % ((b - committed) * 1000, (e - b) * 1000)
            for b, e in syncs if b >= committed - 0.5) or "none", flush=True)
        covering = [s for s in syncs if s[0] >= committed and s[1] <= acknowledged + bound]
        assert covering, ("no sync of the WAL began after the last commit and ended within "
                          "%.0f ms of its answer; syncs: %r" % (bound * 1000, syncs))
        late = [s for s in syncs if s[0] > acknowledged + bound]
        assert not late, "an idle worker kept syncing: %r" % late
    finally:
        inst.stop()


@check
def sync_bound_full_syncs_every_commit_before_answering():
    folder = os.path.join(TMP, "syncfull")
    os.makedirs(folder, exist_ok=True)
    database = os.path.join(folder, "weave.db")
    inst = start("syncfull-server", database, {"synchronous": "full"})
    try:
        ok(inst, "GET", "info/collections")
        answered = []

        def puts():
            for i in range(8):
                sent = time.time()
                ok(inst, "PUT", "storage/full/item%d" % i, {"payload": "write %d" % i})
                answered.append((sent, time.time()))

        calls, _ = traced_calls(workers_of(inst), puts)
        writes, syncs = wal(calls, "pwrite64"), wal(calls, "fdatasync", "fsync")
        unsynced = []
        for i, (sent, got) in enumerate(answered):
            committed = max(e for b, e in writes if sent <= b < got)
            if not any(committed <= b and e <= got for b, e in syncs):
                unsynced.append(i)
        assert not unsynced, "PUTs answered without a WAL sync after their commit: %r" % unsynced
    finally:
        inst.stop()


@check
def sync_bound_is_printed_by_weave_server_t():
    server, _ = binaries()
    folder = os.path.join(TMP, "syncprint")
    os.makedirs(folder, exist_ok=True)
    for synchronous, extra, expected in (
            ("normal", "", "within 1000 ms"),
            ("normal", "    sync_interval_ms: 250\n", "within 250 ms"),
            ("full", "", "at commit")):
        config = os.path.join(folder, "weave-%s.yaml" % synchronous)
        with open(config, "w") as out:
            out.write("database:\n  sqlite:\n    path: \"%s/weave.db\"\n    synchronous: %s\n%s"
                      % (folder, synchronous, extra))
        done = subprocess.run([server, "-t", "-c", config], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=60)
        text = done.stdout.decode(errors="replace")
        assert done.returncode == 0, text
        assert expected in text, "%s%s: %r lacks %r" % (synchronous, extra.strip(), text, expected)


@check
def full_disk_writes_503_reads_200_nothing_lost_and_writes_resume():
    fs = SmallFs("full", 24)
    database = os.path.join(fs.dir, "weave.db")
    inst = None
    try:
        inst = start("full-server", database, {"busy_timeout_ms": 2000})
        master = inst.server_proc.pid
        acknowledged = set()
        for i in range(3):
            posted = records("b%d-" % i, 20, 200)
            result = ok(inst, "POST", "storage/base", posted)
            assert len(result["success"]) == 20, result
            acknowledged |= {("base", r["id"]) for r in posted}
        # An empty log: from here every commit needs new blocks.
        db = sqlite3.connect(database, timeout=30)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        left = fs.fill()
        print("      %s filled (%d bytes left)" % (fs.kind, left), flush=True)

        big = records("big", 100, 4000)
        assert_unavailable(call(inst, "POST", "storage/big", big), "100-record POST")
        assert_unavailable(call(inst, "PUT", "storage/base/one", {"payload": "x" * 3000}), "PUT")
        for _ in range(4):  # every worker
            assert_unavailable(call(inst, "POST", "storage/big", big), "100-record POST again")
            items = ok(inst, "GET", "storage/base?full=1")
            assert len(items) == 60, "read during the fault: %d records" % len(items)
            assert "base" in ok(inst, "GET", "info/collections")
        # A first login (its address is remembered in the database) still reads.
        status, _, data = call(inst, "GET", "info/collections", auth=(USER2, PASSWORD2))
        assert status == 200, "first login during the fault: %d %r" % (status, data[:200])
        assert call(inst, "GET", "storage/big")[0] in (200, 404)
        assert not ok(inst, "GET", "info/collection_counts").get("big"), "a half-written POST"
        assert_intact(database, acknowledged)
        assert "big" not in stored_ids(database), "records of the failed POST are stored"

        fs.free()
        deadline = time.time() + 10
        while True:  # no restart: the next write goes through
            status, _, data = call(inst, "POST", "storage/big", big)
            if status == 200 or time.time() > deadline:
                break
            time.sleep(0.2)
        assert status == 200, "after freeing space: %d %r" % (status, data[:200])
        assert len(json.loads(data)["success"]) == 100, data[:200]
        acknowledged |= {("big", r["id"]) for r in big}
        ok(inst, "PUT", "storage/base/one", {"payload": "after"})
        acknowledged.add(("base", "one"))
        assert len(ok(inst, "GET", "storage/big")) == 100
        assert inst.server_proc.pid == master and inst.server_proc.poll() is None
        inst.stop()
        inst = None
        assert_intact(database, acknowledged)
    finally:
        if inst is not None:
            inst.stop()
        fs.umount()


@check
def read_only_remount_writes_503_reads_200_nothing_damaged():
    fs = SmallFs("ro", 24, need_ext4=True)
    database = os.path.join(fs.dir, "weave.db")
    inst = None
    try:
        device, _ = fs.device()
        trigger = "/sys/fs/ext4/%s/trigger_fs_error" % os.path.basename(device)
        if not os.path.exists(trigger):
            raise Skip("this kernel has no %s" % trigger)
        inst = start("ro-server", database)
        acknowledged = set()
        posted = records("r", 50, 300)
        ok(inst, "POST", "storage/base", posted)
        acknowledged |= {("base", r["id"]) for r in posted}
        ok(inst, "PUT", "storage/base/last", {"payload": "last before the fault"})
        acknowledged.add(("base", "last"))
        # The writes are acknowledged; within sync_interval_ms (1 s) they are on the disk,
        # beyond the reach of what comes next.
        time.sleep(1.5)
        # What the kernel does after an I/O error with errors=remount-ro: the journal is
        # aborted, and data not yet on the disk is dropped.
        with open(trigger, "w") as out:
            out.write("durability check\n")
        options = fs.device()[1]
        assert "ro" in options or "emergency_ro" in options, options

        for _ in range(4):
            assert_unavailable(call(inst, "POST", "storage/big", records("big", 100, 2000)),
                               "100-record POST")
            assert_unavailable(call(inst, "PUT", "storage/base/x", {"payload": "x"}), "PUT")
            assert len(ok(inst, "GET", "storage/base?full=1")) == 51
        # A worker started on the read-only file system serves reads too.
        victim = workers_of(inst)[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.time() + 15
        while (victim in workers_of(inst) or len(workers_of(inst)) < 2) and time.time() < deadline:
            time.sleep(0.1)
        assert victim not in workers_of(inst) and len(workers_of(inst)) == 2
        for _ in range(6):
            assert len(ok(inst, "GET", "storage/base?full=1")) == 51
        status, _, data = call(inst, "GET", "info/collections", auth=(USER2, PASSWORD2))
        assert status == 200, "first login during the fault: %d %r" % (status, data[:200])
        assert "cannot start" not in inst_log(inst), inst_log(inst)[-2000:]
        assert_intact(database, acknowledged)

        # Repair: stop, check the file system, mount it again; nothing is lost.
        inst.stop()
        inst = None
        fs.umount()
        run("e2fsck", "-fy", fs.image, check=False)
        run("mount", "-o", "loop,errors=remount-ro", fs.image, fs.dir)
        assert_intact(database, acknowledged)
    finally:
        if inst is not None:
            inst.stop()
        fs.umount()


def inst_log(inst):
    with open(inst.server_log, errors="replace") as log:
        return log.read()


HOLDER = r"""
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
print("released", flush=True)
"""


@check
def locked_database_writes_503_within_busy_timeout_reads_200():
    folder = os.path.join(TMP, "locked")
    os.makedirs(folder, exist_ok=True)
    database = os.path.join(folder, "weave.db")
    busy_ms = 1000
    inst = start("locked-server", database, {"busy_timeout_ms": busy_ms}, workers=4)
    holder = None
    try:
        posted = records("l", 30, 200)
        ok(inst, "POST", "storage/base", posted)
        acknowledged = {("base", r["id"]) for r in posted}
        # The writers' collections exist, so their POSTs queue for the write lock.
        for n in range(4):
            ok(inst, "PUT", "storage/w%d/first" % n, {"payload": "first"})
            acknowledged.add(("w%d" % n, "first"))
        for _ in range(4):
            ok(inst, "GET", "info/collections")
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, database], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        assert holder.stdout.readline().strip() == b"locked"

        replies, lock = [], threading.Lock()

        def writer(n):
            began = time.time()
            reply = call(inst, "POST", "storage/w%d" % n, records("w%d-" % n, 100, 100))
            with lock:
                replies.append((time.time() - began, reply))

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        # Reads go on meanwhile.
        for _ in range(4):
            assert len(ok(inst, "GET", "storage/base?full=1")) == 30
        for thread in threads:
            thread.join(60)
        slowest = max(seconds for seconds, _ in replies)
        print("      4 writers waiting at once: answered in %s s" % ", ".join(
            "%.2f" % s for s, _ in sorted(replies, key=lambda r: r[0])), flush=True)
        for _, reply in replies:
            assert_unavailable(reply, "POST while locked")
        # Each request waits at most busy_timeout_ms in all, not behind the others' waits.
        assert slowest < busy_ms / 1000 * 1.8 + 0.5, "a write waited %.2f s" % slowest
        assert_intact(database, acknowledged)
        stored = stored_ids(database)
        assert all(stored["w%d" % n] == {"first"} for n in range(4)), "half-written POST"

        holder.stdin.write(b"go\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == b"released"
        holder.wait(10)
        posted = records("after", 100, 100)
        result = ok(inst, "POST", "storage/after", posted)
        assert len(result["success"]) == 100
        acknowledged |= {("after", r["id"]) for r in posted}
        assert_intact(database, acknowledged)
    finally:
        if holder is not None and holder.poll() is None:
            holder.kill()
        inst.stop()

@check
def full_disk_midway_through_a_100_record_post_fails_it_whole():
    """The disk fills while a 100-record POST's commit is being written (room is left for
    part of it): the POST answers 503 and stores nothing, what was acknowledged before is
    intact, and once space is freed the same POST succeeds whole."""
    fs = SmallFs("midway", 24)
    database = os.path.join(fs.dir, "weave.db")
    inst = None
    try:
        inst = start("midway-server", database, {"busy_timeout_ms": 2000})
        acknowledged = set()
        posted = records("base", 30, 200)
        assert len(ok(inst, "POST", "storage/base", posted)["success"]) == 30
        acknowledged |= {("base", r["id"]) for r in posted}
        db = sqlite3.connect(database, timeout=30)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        fs.fill()
        # Room for about a third of the batch (100 records of 4,000 bytes): its commit starts
        # writing and runs out of space half-way.
        filler = os.path.join(fs.dir, "filler")
        os.truncate(filler, os.path.getsize(filler) - (160 << 10))
        wal = database + "-wal"
        wal_before = os.path.getsize(wal) if os.path.exists(wal) else 0
        big = records("mid", 100, 4000)
        assert_unavailable(call(inst, "POST", "storage/mid", big), "100-record POST")
        wal_after = os.path.getsize(wal) if os.path.exists(wal) else 0
        print("      the log grew %d -> %d bytes before the disk was full" % (
            wal_before, wal_after), flush=True)
        assert wal_after > wal_before, "the POST failed before writing anything"
        assert "mid" not in stored_ids(database), "records of the failed POST are stored"
        assert not ok(inst, "GET", "info/collection_counts").get("mid"), "a half-written POST"
        assert len(ok(inst, "GET", "storage/base")) == 30
        assert_intact(database, acknowledged)
        fs.free()
        deadline = time.time() + 10
        while True:
            status, _, data = call(inst, "POST", "storage/mid", big)
            if status == 200 or time.time() > deadline:
                break
            time.sleep(0.2)
        assert status == 200, "after freeing space: %d %r" % (status, data[:200])
        assert len(json.loads(data)["success"]) == 100, data[:200]
        acknowledged |= {("mid", r["id"]) for r in big}
        inst.stop()
        inst = None
        assert_intact(database, acknowledged)
    finally:
        if inst is not None:
            inst.stop()
        fs.umount()


def threads_in_state(pid, state):
    """Thread ids of pid in the given scheduler state (e.g. "D": uninterruptible)."""
    found = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return found
    for tid in tasks:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == state:
                    found.append(int(tid))
        except OSError:
            pass
    return found


@check
def worker_killed_during_a_stuck_sync_answers_502_at_once():
    """A worker killed while its -wal sync thread is stuck in fdatasync (the disk does not
    answer; no signal ends that wait) must not keep the request it was serving: nginx
    answers 502 at once, not when the disk comes back. The database is on an ext4 image
    whose own file system (the outer one) the check freezes: the inner file system stays
    writable through the page cache, but nothing reaches its disk, so the next sync hangs."""
    outer = SmallFs("freeze-outer", 64, need_ext4=True)
    inner_dir = os.path.join(TMP, "freeze-inner-mnt")
    inner_image = os.path.join(outer.dir, "inner.img")
    inst = frozen = holder = None
    try:
        os.makedirs(inner_dir, exist_ok=True)
        run("truncate", "-s", "32M", inner_image)
        run("mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal", inner_image)
        run("mount", "-o", "loop", inner_image, inner_dir)
        database = os.path.join(inner_dir, "weave.db")
        inst = start("freeze-server", database, workers=1)
        worker = workers_of(inst)[0]
        ok(inst, "PUT", "storage/stuck/one", {"payload": "one"})  # logs in, checkpoints
        run("fsfreeze", "--freeze", outer.dir)
        frozen = outer.dir
        ok(inst, "PUT", "storage/stuck/two", {"payload": "two"})  # synced 500 ms later: hangs
        deadline = time.time() + 10
        while not threads_in_state(worker, "D") and time.time() < deadline:
            time.sleep(0.05)
        assert threads_in_state(worker, "D"), "the sync did not block on the frozen disk"
        # A request in flight: a POST that waits for the writers' lock, held here.
        holder = open(database + "-writelock", "a+")
        fcntl.flock(holder, fcntl.LOCK_EX)
        answer = {}

        def post():
            began = time.time()
            answer["reply"] = call(inst, "POST", "storage/stuck", [{"id": "three", "payload": "three"}], timeout=60)
            answer["at"] = time.time()
            answer["took"] = answer["at"] - began

        poster = threading.Thread(target=post)
        poster.start()
        time.sleep(1.0)  # accepted, and waiting for the lock
        assert "reply" not in answer, "the POST did not wait: %r" % (answer,)
        killed_at = time.time()
        os.kill(worker, signal.SIGKILL)
        poster.join(8)
        waited = (answer["at"] - killed_at) if "at" in answer else None
        run("fsfreeze", "--unfreeze", frozen)
        frozen = None
        poster.join(60)
        status = answer["reply"][0] if "reply" in answer else None
        print("      the POST in flight got %r %s after the kill" % (
            status, "%.2f s" % waited if waited is not None else "no answer within 8 s"),
            flush=True)
        assert waited is not None and waited < 3, \
            "the killed worker's connection stayed open while its sync hung"
        assert status == 502, "expected 502 from nginx, got %r" % status
        fcntl.flock(holder, fcntl.LOCK_UN)
        deadline = time.time() + 20
        while True:  # the master replaced the worker; writes go on
            status, _, _ = call(inst, "PUT", "storage/stuck/four", {"payload": "four"})
            if status == 200 or time.time() > deadline:
                break
            time.sleep(0.2)
        assert status == 200, "no write after the kill: %r" % status
        inst.stop()
        inst = None
        assert_intact(database, {("stuck", "one"), ("stuck", "two"), ("stuck", "four")})
    finally:
        if frozen:
            run("fsfreeze", "--unfreeze", frozen, check=False)
        if holder is not None:
            holder.close()
        if inst is not None:
            inst.stop()
        if run("umount", inner_dir, check=False).returncode != 0:
            run("umount", "-l", inner_dir, check=False)
        outer.umount()


def main():
    filters = sys.argv[1:]
    passed = failed = 0
    for function in CHECKS:
        name = function.__name__
        if filters and not any(f in name for f in filters):
            continue
        began = time.time()
        try:
            function()
            passed += 1
            print("ok    %s (%.1fs)" % (name, time.time() - began), flush=True)
        except Skip as reason:
            print("skip  %s: %s" % (name, reason), flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported and counted
            failed += 1
            print("FAIL  %s (%.1fs)" % (name, time.time() - began), flush=True)
            traceback.print_exc()
            sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
