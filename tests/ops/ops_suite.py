"""The README's operator procedures (backup, restore, upgrade, TLS, moving from the PHP
server), run as written against weave-server behind nginx (tests/ops/run.sh). Each check
reads its commands from README.md (doc_steps.py) and checks what they promise: every write
acknowledged before a backup (SQLite, MariaDB) is served after its restore and none made
after it; a database of the first schema (SQLite, MariaDB) is upgraded with every record
and login kept; a certificate chain from a private CA serves Sync over HTTPS behind the
shipped nginx and Apache sites; the PHP runbook freezes, imports, verifies and rolls back.
Arguments: substrings; only checks whose name contains one of them run."""

import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "functional"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

import check_runner  # noqa: E402
import doc_steps  # noqa: E402
import weave  # noqa: E402
import weave_instance  # noqa: E402
from weave_instance import Instance  # noqa: E402

TMP = os.environ["OPS_TMP"]
PASSWORD = "backup-test-password"


def machine_for(inst, var_lib, extra_paths=None, extra_env=None):
    """The README's machine for one instance: /var/lib/weave is var_lib, /etc/weave/weave.yaml
    its configuration, /var/backups/weave a folder beside it; systemctl drives it."""
    backups = os.path.join(inst.dir, "backups")
    pidfile = os.path.join(inst.dir, "server.pid")
    with open(pidfile, "w") as out:
        out.write("%d\n" % inst.server_proc.pid if inst.server_proc else "")
    paths = {"/var/lib/weave": var_lib, "/etc/weave/weave.yaml": inst.config,
             "/var/backups/weave": backups}
    paths.update(extra_paths or {})
    env = {"OPS_SERVER_BIN": inst.server_bin, "OPS_CONFIG": inst.config,
           "OPS_PIDFILE": pidfile, "OPS_LOG": inst.server_log, "OPS_URL": inst.url,
           "OPS_NGINX_DIR": os.path.join(inst.dir, "nginx"),
           "PATH": os.path.dirname(inst.server_bin) + os.pathsep + os.environ["PATH"]}
    env.update(extra_env or {})
    return doc_steps.Machine(paths, env)


def stop_everything(inst, machine):
    """Stops the server the shim may have started, then the instance (nginx)."""
    pidfile = machine.env["OPS_PIDFILE"]
    subprocess.run([os.path.join(doc_steps.SHIMS, "systemctl"), "stop",
                    "weave-server.service"], env=machine.env, timeout=60, check=False)
    inst.stop()
    assert not os.path.getsize(pidfile), "weave-server did not stop"
    report = inst.sanitizer_report()
    assert report is None, report


class Writer(threading.Thread):
    """PUTs records one after another until stopped; remembers when each was acknowledged."""

    def __init__(self, account, collection):
        super().__init__(daemon=True)
        self.account, self.collection = account, collection
        self.acked = []  # (monotonic time of the answer, id)
        self.errors = []
        self.running = True

    def run(self):
        number = 0
        while self.running:
            number += 1
            record_id = "w%06d" % number
            try:
                answer = self.account.put("storage/%s/%s" % (self.collection, record_id),
                                          {"payload": "payload of " + record_id}, timeout=30)
            except OSError as error:  # the server is being restored: not acknowledged
                self.errors.append(str(error))
                time.sleep(0.05)
                continue
            if answer.status == 200:
                self.acked.append((time.monotonic(), record_id))
            else:
                self.errors.append(repr(answer))

    def stop(self):
        self.running = False
        self.join(60)


def served_ids(account, collection):
    answer = account.get("storage/%s?full=1" % collection)
    assert answer.status == 200, answer
    return {item["id"]: item["payload"] for item in answer.json()}


def writes_acknowledged_before_a_sqlite_backup_survive_its_restore():
    inst = Instance(TMP, "sqlite-backup", workers=3)
    var_lib = os.path.join(inst.dir, "var-lib-weave")
    os.makedirs(var_lib)
    inst.settings["database"]["sqlite"]["path"] = os.path.join(var_lib, "weave.db")
    inst.start()
    inst.add_user("alice", PASSWORD)
    machine = machine_for(inst, var_lib)
    try:
        alice = weave.Account(weave.Server(inst.url), "alice", PASSWORD)
        writer = Writer(alice, "history")
        writer.start()
        time.sleep(1.0)  # records before the backup, and the writer still going during it
        backup_started = time.monotonic()
        output = machine.run("sqlite-backup")
        backup_ended = time.monotonic()
        assert "\nok\n" in "\n" + output, "integrity_check did not print ok:\n" + output
        time.sleep(0.5)
        writer.stop()
        assert not writer.errors, writer.errors[:5]
        before = [i for t, i in writer.acked if t < backup_started]
        after = [i for t, i in writer.acked if t > backup_ended]
        assert len(before) > 5 and after, (len(before), len(after))
        assert alice.put("storage/bookmarks/late", {"payload": "after the backup"}).status == 200

        machine.run("sqlite-restore")
        kept = os.listdir(os.path.join(var_lib, "before-restore"))
        assert "weave.db" in kept, kept
        served = served_ids(alice, "history")
        missing = [i for i in before if i not in served]
        assert not missing, "acknowledged before the backup, not restored: %s" % missing[:10]
        assert all(served[i] == "payload of " + i for i in before)
        assert not [i for i in after if i in served], "writes after the backup were restored"
        assert alice.get("storage/bookmarks/late").status == 404
        answer = alice.get("info/collections")
        assert answer.status == 200 and "history" in answer.json(), answer
        assert alice.put("storage/bookmarks/new", {"payload": "after the restore"}).status == 200
        assert weave.Account(weave.Server(inst.url), "alice", "wrong password").get(
            "info/collections").status == 401
    finally:
        stop_everything(inst, machine)


def password_hash(password):
    """A hash the server checks, made by weave-admin in a scratch database."""
    scratch = tempfile.mkdtemp(dir=TMP, prefix="scratch-")
    config = os.path.join(scratch, "weave.yaml")
    with open(config, "w") as out:
        out.write("database:\n  sqlite:\n    path: %s/weave.db\n" % scratch)
    admin = os.environ["WEAVE_ADMIN"]
    subprocess.run([admin, "-c", config, "add", "scratch"], input=(password + "\n").encode(),
                   check=True, stdout=subprocess.DEVNULL, timeout=60)
    with sqlite3.connect(os.path.join(scratch, "weave.db")) as db:
        return db.execute("SELECT password_hash FROM users WHERE username = 'scratch'").fetchone()[0]


# The first version's data: alice (id 3) with history and a custom collection, and records
# left behind by a deleted account (id 7), whose id a new account must not get.
V1_RECORDS = [  # (user id, collection id, record id, modified in centiseconds, payload)
    (3, 4, "h1", 176500000012, "first history record"),
    (3, 4, "h2", 176500000034, "second history record"),
    (3, 101, "c1", 176500000056, "custom collection record"),
    (7, 4, "gone", 176500000078, "left by a deleted account"),
]


def make_v1_database(path):
    with open(os.path.join(HERE, "schema-v1-sqlite.sql")) as schema:
        script = schema.read()
    db = sqlite3.connect(path)
    db.executescript(script)
    db.execute("INSERT INTO users (id, username, password_hash, email) VALUES (3, 'alice', ?, "
               "'alice@example.org')", (password_hash(PASSWORD),))
    db.execute("INSERT INTO collections VALUES (3, 101, 'custom')")
    for user, collection, record_id, modified, payload in V1_RECORDS:
        db.execute("INSERT INTO wbo (username, collection, id, modified, payload, payload_size, "
                   "sortindex) VALUES (?, ?, ?, ?, ?, ?, 5)",
                   (user, collection, record_id, modified, payload, len(payload)))
    for user, collection, _, modified, _ in V1_RECORDS:
        db.execute("UPDATE collection_stats SET modified = max(modified, ?) WHERE userid = ? "
                   "AND collection = ?", (modified, user, collection))
    db.commit()
    db.close()


def columns(path, table):
    with sqlite3.connect(path) as db:
        return [row[1] for row in db.execute("PRAGMA table_info(%s)" % table)]


def check_v1_data_after_upgrade(inst, user_ids):
    """What the first version's data must look like through the upgraded server; user_ids
    gives the id of an account by name."""
    alice = weave.Account(weave.Server(inst.url), "alice", PASSWORD)
    answer = alice.get("info/collections")
    assert answer.status == 200, answer
    assert answer.json() == {"history": 1765000000.34, "custom": 1765000000.56}, answer.json()
    for _, collection, record_id, modified, payload in V1_RECORDS[:3]:
        name = "custom" if collection == 101 else "history"
        record = alice.get("storage/%s/%s" % (name, record_id)).json()
        assert record["payload"] == payload and record["modified"] == modified / 100, record
        assert record["sortindex"] == 5, record
    assert weave.Account(weave.Server(inst.url), "alice", "wrong password").get(
        "info/collections").status == 401
    assert alice.put("storage/history/h3", {"payload": "after the upgrade"}).status == 200
    assert alice.get("info/collection_counts").json() == {"history": 3, "custom": 1}
    inst.add_user("bob", PASSWORD)
    bob = user_ids("bob")
    assert bob > 7, "a new account got id %d, at or below a deleted account's" % bob
    bob_account = weave.Account(weave.Server(inst.url), "bob", PASSWORD)
    assert bob_account.get("storage/history/gone").status == 404
    changed = inst.admin("passwd", "alice", stdin="a new password for alice\n")
    assert changed.returncode == 0, changed.stderr
    assert alice.get("info/collections").status == 401


def a_database_of_the_first_schema_is_upgraded_keeping_records_and_logins():
    inst = Instance(TMP, "sqlite-upgrade", workers=2)
    var_lib = os.path.join(inst.dir, "var-lib-weave")
    os.makedirs(var_lib)
    database = os.path.join(var_lib, "weave.db")
    make_v1_database(database)
    assert "generation" not in columns(database, "users")
    inst.settings["database"]["sqlite"]["path"] = database
    inst.start_nginx()  # the old version's server is not there: the package starts the new one
    machine = machine_for(inst, var_lib)
    try:
        os.makedirs(os.path.join(inst.dir, "backups"), mode=0o700)
        output = machine.run("upgrade")
        backup = os.path.join(inst.dir, "backups", "before-upgrade.db")
        assert "generation" not in columns(backup, "users"), "the backup is not the old database"
        assert "generation" in columns(database, "users")
        assert "records" in output.lower(), output

        def user_ids(name):
            with sqlite3.connect(database) as db:
                return db.execute("SELECT id FROM users WHERE username = ?", (name,)).fetchone()[0]

        check_v1_data_after_upgrade(inst, user_ids)
    finally:
        stop_everything(inst, machine)


def openssl(*args, cwd):
    done = subprocess.run(["openssl"] + list(args), cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=60)
    assert done.returncode == 0, done.stdout.decode(errors="replace")


def make_pki(folder):
    """root-ca.crt > intermediate-ca.crt > sync.example.org.crt (and its key), and an
    unrelated other-ca.crt."""
    os.makedirs(folder)
    ca_ext = os.path.join(folder, "ca.ext")
    with open(ca_ext, "w") as out:
        out.write("basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n")
    leaf_ext = os.path.join(folder, "leaf.ext")
    with open(leaf_ext, "w") as out:
        out.write("subjectAltName=DNS:sync.example.org\nextendedKeyUsage=serverAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for name in ("root-ca", "other-ca"):
        openssl("req", "-x509", *ec, "-days", "2", "-subj", "/CN=weave test " + name,
                "-addext", "basicConstraints=critical,CA:true", "-keyout", name + ".key",
                "-out", name + ".crt", cwd=folder)
    for name, issuer, ext, subject in (
            ("intermediate-ca", "root-ca", ca_ext, "/CN=weave test intermediate"),
            ("sync.example.org", "intermediate-ca", leaf_ext, "/CN=sync.example.org")):
        openssl("req", *ec, "-subj", subject, "-keyout", name + ".key", "-out", name + ".csr",
                cwd=folder)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", issuer + ".crt", "-CAkey",
                issuer + ".key", "-CAcreateserial", "-days", "2", "-extfile", ext, "-out",
                name + ".crt", cwd=folder)


def curl(*args):
    """(status, output) of curl -sS ARGS; output has the headers with -i."""
    done = subprocess.run(["curl", "-sS", "--max-time", "20"] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return done.returncode, done.stdout.decode(errors="replace")


def sync_over_https(base, resolve, cafile):
    """A record PUT and read back over HTTPS, trusting cafile only."""
    auth = ["-u", "alice:" + PASSWORD, "--resolve", resolve, "--cacert", cafile]
    status, output = curl(*auth, "-f", "-X", "PUT", "-H", "Content-Type: application/json",
                          "--data", '{"payload": "over TLS"}', base + "/1.1/alice/storage/tabs/t1")
    assert status == 0, output
    status, output = curl(*auth, "-f", "-i", base + "/1.1/alice/storage/tabs/t1")
    assert status == 0 and '"over TLS"' in output, output
    assert "strict-transport-security: max-age=63072000" in output.lower(), output


def check_redirect_and_challenge(http_base, resolve, webroot):
    challenge = os.path.join(webroot, ".well-known", "acme-challenge")
    os.makedirs(challenge, exist_ok=True)
    for folder in (os.path.dirname(webroot), webroot, os.path.dirname(challenge), challenge):
        os.chmod(folder, 0o755)  # the web server's workers may run as www-data or nobody
    with open(os.path.join(challenge, "token123"), "w") as out:
        out.write("token123.proof")
    os.chmod(os.path.join(challenge, "token123"), 0o644)
    status, output = curl("--resolve", resolve, "-f", http_base + "/.well-known/acme-challenge/token123")
    assert status == 0 and output == "token123.proof", output
    status, output = curl("--resolve", resolve, "-i", http_base + "/1.1/alice/info/collections")
    assert " 301 " in output.splitlines()[0], output
    assert "location: https://sync.example.org" in output.lower(), output


def shipped(path, replacements):
    with open(os.path.join(doc_steps.ROOT, path)) as source:
        text = source.read()
    for old, new in replacements:
        assert old in text, "%s no longer has %r" % (path, old)
        text = text.replace(old, new)
    return text


def nginx_serves_sync_over_tls_with_a_private_ca_chain():
    inst = Instance(TMP, "tls-nginx", workers=2)
    https_port, http_port = weave_instance.free_port(), weave_instance.free_port()
    inst.settings["server"]["public_url"] = "https://sync.example.org:%d/" % https_port
    sites = os.path.join(inst.dir, "sites-enabled")
    os.makedirs(sites)
    inst.nginx_extra = "  include %s/*.conf;\n" % sites
    inst.start()
    inst.add_user("alice", PASSWORD)
    pki = os.path.join(inst.dir, "pki")
    make_pki(pki)
    etc_ssl = os.path.join(inst.dir, "etc-ssl")
    webroot = os.path.join(inst.dir, "www", "html")
    for folder in ("certs", "private"):
        os.makedirs(os.path.join(etc_ssl, folder))
    logs = os.path.join(inst.dir, "nginx", "logs")
    site = shipped("conf/nginx/weave.conf", [
        ("listen 80;", "listen 127.0.0.1:%d;" % http_port),
        ("listen 443 ssl;", "listen 127.0.0.1:%d ssl;" % https_port),
        ("listen [::]:80;", ""), ("listen [::]:443 ssl;", ""),
        ("/run/weave/weave.sock", inst.socket), ("/etc/ssl", etc_ssl), ("/var/www/html", webroot),
        ("/etc/nginx/snippets/fastcgi_weave.conf",
         os.path.join(doc_steps.ROOT, "conf/nginx/fastcgi_weave.conf")),
        ("/var/log/nginx", logs)])
    with open(os.path.join(sites, "weave.conf"), "w") as out:
        out.write(site)
    machine = machine_for(inst, os.path.join(inst.dir, "unused"), extra_paths={
        "/etc/ssl": etc_ssl, "https://sync.example.org/": "https://sync.example.org:%d/" % https_port},
        extra_env={"OPS_HTTPS_PORT": str(https_port)})
    try:
        output = machine.run("tls-pki", cwd=pki)
        assert "sync.example.org.crt: OK" in output, output
        mode = os.stat(os.path.join(etc_ssl, "private", "sync.example.org.key")).st_mode & 0o777
        assert mode == 0o600, oct(mode)
        base = "https://sync.example.org:%d" % https_port
        sync_over_https(base, "sync.example.org:%d:127.0.0.1" % https_port,
                        os.path.join(pki, "root-ca.crt"))
        status, output = curl("--resolve", "sync.example.org:%d:127.0.0.1" % https_port,
                              "--cacert", os.path.join(pki, "other-ca.crt"),
                              base + "/__heartbeat__")
        assert status != 0 and "certificate" in output.lower(), output
        check_redirect_and_challenge("http://sync.example.org:%d" % http_port,
                                     "sync.example.org:%d:127.0.0.1" % http_port, webroot)
    finally:
        stop_everything(inst, machine)


APACHE_MODULES = ("mpm_event", "authz_core", "setenvif", "alias", "headers", "ssl", "proxy",
                  "proxy_fcgi")


def apache_conf(folder, http_port, https_port, site):
    """A self-contained httpd.conf for the test's Apache, with the shipped site included."""
    for sub in ("run", "logs"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    lines = ['ServerRoot "%s"' % folder, "ServerName 127.0.0.1",
             'PidFile "%s/run/httpd.pid"' % folder, 'DefaultRuntimeDir "%s/run"' % folder,
             'ErrorLog "%s/logs/error.log"' % folder, "LogLevel warn",
             "Listen 127.0.0.1:%d" % http_port, "Listen 127.0.0.1:%d" % https_port,
             "StartServers 1", "ServerLimit 2", "ThreadsPerChild 16",
             "Define WEAVE_ACCESS_LOG %s/logs/weave-access.log" % folder]
    lines += ["LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so" % (m, m)
              for m in APACHE_MODULES]
    if os.getuid() == 0:  # children as www-data, as on Debian
        lines += ["User www-data", "Group www-data"]
    with open(os.path.join(folder, "site.conf"), "w") as out:
        out.write(site)
    lines.append('Include "%s/site.conf"' % folder)
    path = os.path.join(folder, "httpd.conf")
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    return path


def wait_https(base, resolve, cafile):
    for _ in range(300):
        if curl("--resolve", resolve, "--cacert", cafile, "-f", base + "/__heartbeat__")[0] == 0:
            return
        time.sleep(0.1)
    raise AssertionError("no answer from " + base)


def apache_serves_sync_over_tls_with_the_shipped_site():
    inst = Instance(TMP, "tls-apache", workers=2)
    https_port, http_port = weave_instance.free_port(), weave_instance.free_port()
    inst.settings["server"]["public_url"] = "https://sync.example.org:%d/" % https_port
    inst.start()
    inst.add_user("alice", PASSWORD)
    pki = os.path.join(inst.dir, "pki")
    make_pki(pki)
    etc_ssl = os.path.join(inst.dir, "etc-ssl")
    os.makedirs(os.path.join(etc_ssl, "certs"))
    os.makedirs(os.path.join(etc_ssl, "private"), mode=0o700)
    with open(os.path.join(etc_ssl, "certs", "sync.example.org.pem"), "w") as chain:
        for name in ("sync.example.org.crt", "intermediate-ca.crt"):
            with open(os.path.join(pki, name)) as part:
                chain.write(part.read())
    key = os.path.join(etc_ssl, "private", "sync.example.org.key")
    with open(os.path.join(pki, "sync.example.org.key")) as source:
        with open(key, "w") as out:
            out.write(source.read())
    os.chmod(key, 0o600)
    webroot = os.path.join(inst.dir, "www", "html")
    folder = os.path.join(inst.dir, "apache")
    site = shipped("conf/apache/weave-site.conf", [
        ("<VirtualHost *:80>", "<VirtualHost 127.0.0.1:%d>" % http_port),
        ("<VirtualHost *:443>", "<VirtualHost 127.0.0.1:%d>" % https_port),
        ('"https://sync.example.org/$1"', '"https://sync.example.org:%d/$1"' % https_port),
        ("/etc/ssl", etc_ssl), ("/var/www/html", webroot),
        ("Include /usr/share/weave/apache/weave-proxy-fcgi.conf",
         "Define WEAVE_SOCKET %s\n    Include %s" % (
             inst.socket, os.path.join(doc_steps.ROOT, "conf/apache/weave-proxy-fcgi.conf")))])
    conf = apache_conf(folder, http_port, https_port, site)
    apache = None
    try:
        os.makedirs(webroot)
        test = subprocess.run(["/usr/sbin/apache2", "-t", "-f", conf], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=60)
        assert test.returncode == 0, test.stdout.decode(errors="replace")
        with open(os.path.join(folder, "stderr.log"), "wb") as log:
            apache = subprocess.Popen(["/usr/sbin/apache2", "-f", conf, "-DFOREGROUND"],
                                      stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        base = "https://sync.example.org:%d" % https_port
        resolve = "sync.example.org:%d:127.0.0.1" % https_port
        wait_https(base, resolve, os.path.join(pki, "root-ca.crt"))
        sync_over_https(base, resolve, os.path.join(pki, "root-ca.crt"))
        status, output = curl("--resolve", resolve, "--cacert",
                              os.path.join(pki, "other-ca.crt"), base + "/__heartbeat__")
        assert status != 0 and "certificate" in output.lower(), output
        check_redirect_and_challenge("http://sync.example.org:%d" % http_port,
                                     "sync.example.org:%d:127.0.0.1" % http_port, webroot)
    finally:
        if apache is not None:
            apache.terminate()
            apache.wait(30)
        inst.stop()


class Skip(Exception):
    """A check that cannot run in this build (counted as neither passed nor failed)."""


def import_mysql_suite():
    """tests/mysql/mysql_suite.py, for its MariaDB helpers and PHP-era database, on the
    test's MariaDB."""
    os.environ.setdefault("MYSQL_DIR", os.environ["OPS_MYSQL_DIR"])
    os.environ.setdefault("MYSQL_PORT", os.environ["OPS_MYSQL_PORT"])
    sys.path.insert(0, os.path.join(HERE, "..", "mysql"))
    import mysql_suite  # noqa: E402  pylint: disable=import-outside-toplevel
    return mysql_suite


def mariadb_shims(folder):
    """mariadb and mariadb-dump as the README runs them (root, MariaDB's administrator by
    its unix socket), aimed at the test's MariaDB."""
    os.makedirs(folder)
    socket_path = os.path.join(os.environ["OPS_MYSQL_DIR"], "mysqld.sock")
    for tool in ("mariadb", "mariadb-dump"):
        path = os.path.join(folder, tool)
        with open(path, "w") as out:
            out.write("#!/bin/sh\n# %s on the test's MariaDB (tests/ops/ops_suite.py)\n"
                      "exec /usr/bin/%s --no-defaults --socket=%s \"$@\"\n"
                      % (tool, tool, socket_path))
        os.chmod(path, 0o755)
    return folder


def writes_acknowledged_before_a_mariadb_dump_survive_its_restore():
    if not os.environ.get("OPS_MYSQL_DIR"):
        raise Skip("built without MySQL (WITH_MYSQL=0)")
    inst = Instance(TMP, "mariadb-backup", {"database": {"driver": "mysql", "mysql": {
        "host": "127.0.0.1", "port": int(os.environ["OPS_MYSQL_PORT"]), "user": "weave",
        "password": os.environ["OPS_MYSQL_PASSWORD"], "database": "weave"}}}, workers=3)
    inst.start()
    inst.add_user("alice", PASSWORD)
    shims = mariadb_shims(os.path.join(inst.dir, "bin"))
    machine = machine_for(inst, os.path.join(inst.dir, "unused"), extra_env={
        "PATH": shims + os.pathsep + os.path.dirname(inst.server_bin) + os.pathsep
        + os.environ["PATH"]})
    try:
        alice = weave.Account(weave.Server(inst.url), "alice", PASSWORD)
        writer = Writer(alice, "history")
        writer.start()
        time.sleep(1.0)
        backup_started = time.monotonic()
        machine.run("mariadb-backup")
        backup_ended = time.monotonic()
        time.sleep(0.5)
        writer.stop()
        assert not writer.errors, writer.errors[:5]
        before = [i for t, i in writer.acked if t < backup_started]
        after = [i for t, i in writer.acked if t > backup_ended]
        assert len(before) > 5 and after, (len(before), len(after))
        inst.add_user("bob", PASSWORD)  # an account made after the backup is gone after it

        machine.run("mariadb-restore")
        served = served_ids(alice, "history")
        missing = [i for i in before if i not in served]
        assert not missing, "acknowledged before the backup, not restored: %s" % missing[:10]
        assert all(served[i] == "payload of " + i for i in before)
        assert not [i for i in after if i in served], "writes after the backup were restored"
        counts = alice.get("info/collection_counts").json()
        assert counts.get("history") == len(served), (counts, len(served))
        bob = weave.Account(weave.Server(inst.url), "bob", PASSWORD)
        assert bob.get("info/collections").status == 401
        assert alice.put("storage/history/new", {"payload": "after the restore"}).status == 200
        assert alice.get("info/collection_counts").json()["history"] == len(served) + 1
    finally:
        stop_everything(inst, machine)


def a_mariadb_database_of_the_first_schema_is_upgraded_keeping_records_and_logins():
    if not os.environ.get("OPS_MYSQL_DIR"):
        raise Skip("built without MySQL (WITH_MYSQL=0)")
    mysql_suite = import_mysql_suite()
    mysql_suite.create_database("weave_v1")
    with open(os.path.join(HERE, "schema-v1-mysql.sql")) as schema:
        mysql_suite.sql("weave_v1", schema.read())
    statements = ["INSERT INTO users (id, username, password_hash, email) VALUES "
                  "(3, 'alice', %s, 'alice@example.org');" % mysql_suite.quote(
                      password_hash(PASSWORD)),
                  "INSERT INTO collections VALUES (3, 101, 'custom');"]
    for user, collection, record_id, modified, payload in V1_RECORDS:
        statements.append(
            "INSERT INTO wbo (username, collection, id, modified, payload, payload_size, "
            "sortindex) VALUES (%d, %d, '%s', %d, '%s', %d, 5);"
            % (user, collection, record_id, modified, payload, len(payload)))
    mysql_suite.sql("weave_v1", "\n".join(statements))
    assert ["generation"] not in mysql_suite.sql(
        "weave_v1", "SELECT column_name FROM information_schema.columns WHERE "
        "table_schema = 'weave_v1' AND table_name = 'users'")
    inst = Instance(TMP, "mariadb-upgrade", {"database": {"driver": "mysql", "mysql": {
        "host": "127.0.0.1", "port": int(os.environ["OPS_MYSQL_PORT"]), "user": "weave",
        "password": os.environ["OPS_MYSQL_PASSWORD"], "database": "weave_v1"}}}, workers=2)
    inst.start()
    try:
        def user_ids(name):
            return int(mysql_suite.sql("weave_v1", "SELECT id FROM users WHERE username = '%s'"
                                       % name)[0][0])

        check_v1_data_after_upgrade(inst, user_ids)
    finally:
        inst.stop()
        report = inst.sanitizer_report()
        assert report is None, report


def php_mysql(user, password, statement):
    """Runs statement on the PHP database as the PHP server's account; its status."""
    socket_path = os.path.join(os.environ["OPS_MYSQL_DIR"], "mysqld.sock")
    return subprocess.run(["mariadb", "--no-defaults", "--socket=" + socket_path, "-u", user,
                           "-p" + password, "phpdb", "-e", statement],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)


def the_php_runbook_freezes_imports_verifies_and_rolls_back():
    if not os.environ.get("OPS_MYSQL_DIR"):
        raise Skip("built without MySQL (WITH_MYSQL=0)")
    mysql_suite = import_mysql_suite()
    mysql_suite.load_php_database("phpdb")
    mysql_suite.sql(None, "CREATE USER 'phpserver'@'localhost' IDENTIFIED BY 'php-secret';"
                    "GRANT ALL ON phpdb.* TO 'phpserver'@'localhost';")
    assert php_mysql("phpserver", "php-secret", "DELETE FROM wbo WHERE 0").returncode == 0
    inst = Instance(TMP, "php", workers=2)
    inst.start()
    shims = mariadb_shims(os.path.join(inst.dir, "bin"))
    machine = machine_for(inst, os.path.join(inst.dir, "unused"), extra_paths={
        "/etc/weave/php-import-password": os.path.join(inst.dir, "php-import-password"),
        "db.example.org/weave": "127.0.0.1:%s/phpdb" % os.environ["OPS_MYSQL_PORT"],
        "weave.*": "phpdb.*", "'weave'@'localhost'": "'phpserver'@'localhost'"},
        extra_env={"PATH": shims + os.pathsep + os.path.dirname(inst.server_bin) + os.pathsep
                   + os.environ["PATH"]})
    try:
        machine.run("php-freeze")
        frozen = php_mysql("phpserver", "php-secret", "DELETE FROM wbo WHERE 0")
        assert frozen.returncode != 0, "the PHP account still writes after the freeze"
        assert php_mysql("phpserver", "php-secret", "SELECT COUNT(*) FROM wbo").returncode == 0
        output = machine.run("php-import")
        assert "verify: 0 differences" in output, output
        user = weave.Account(weave.Server(inst.url), mysql_suite.PHP_USER,
                             mysql_suite.PHP_PASSWORD)
        answer = user.get("info/collections")
        assert answer.status == 200 and answer.json()["custom1"] == 1266000000.77, answer
        record = user.get("storage/bookmarks/menu").json()
        assert record["modified"] == 1265000000.12 and record["sortindex"] == 100, record
        with sqlite3.connect(inst.settings["database"]["sqlite"]["path"]) as db:
            stored = db.execute("SELECT password_hash FROM users WHERE username = ?",
                                (mysql_suite.PHP_USER,)).fetchone()[0]
        assert stored.startswith("$y$"), "the first login did not replace the PHP hash"
        source = mysql_suite.sql("phpdb", "SELECT password_hash FROM users WHERE id = %d"
                                 % mysql_suite.PHP_USER_ID)
        assert source[0][0].startswith("{SSHA-256}"), "the import wrote to the source"
        machine.run("php-rollback")
        assert php_mysql("phpserver", "php-secret", "DELETE FROM wbo WHERE 0").returncode == 0
    finally:
        mysql_suite.sql(None, "DROP USER IF EXISTS 'phpserver'@'localhost';"
                        "DROP USER IF EXISTS 'weave_import'@'%';")
        stop_everything(inst, machine)


def main():
    results = {"passed": 0, "failed": 0}
    checks = [writes_acknowledged_before_a_sqlite_backup_survive_its_restore,
              a_database_of_the_first_schema_is_upgraded_keeping_records_and_logins,
              nginx_serves_sync_over_tls_with_a_private_ca_chain,
              apache_serves_sync_over_tls_with_the_shipped_site,
              writes_acknowledged_before_a_mariadb_dump_survive_its_restore,
              a_mariadb_database_of_the_first_schema_is_upgraded_keeping_records_and_logins,
              the_php_runbook_freezes_imports_verifies_and_rolls_back]
    check_runner.run_checks(checks, sys.argv[1:], results, skip=(Skip,))
    return check_runner.write_counts(results)


if __name__ == "__main__":
    sys.exit(main())
