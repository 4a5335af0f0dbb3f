"""Starts extra weave-server + nginx pairs with their own configuration, on loopback.

For suites that need settings the shared instances of run.sh do not have (registration
policies, mail, lockout, a path prefix). Standard library only.

    inst = Instance(folder, "open", {"registration": {"policy": "open"}}, path_prefix="/sync")
    inst.start()          # waits until /__heartbeat__ answers through nginx
    inst.url              # http://127.0.0.1:PORT/sync
    inst.admin("invite")  # runs weave-admin -c <its config>
    inst.stop()

The binaries come from WEAVE_SERVER_BIN / WEAVE_ADMIN (run.sh exports WEAVE_ADMIN; the
server is taken from the same folder), else from build/.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "ERROR: UndefinedBehaviorSanitizer", "runtime error:")


def run_cases(cases):
    """A suite's main(): binaries from the build folder named as the first argument (if
    any), each unittest case class run, "N passed, N failed" printed; the exit status."""
    if len(sys.argv) > 1:
        os.environ.setdefault("WEAVE_SERVER_BIN", os.path.join(sys.argv[1], "weave-server"))
        os.environ.setdefault("WEAVE_ADMIN", os.path.join(sys.argv[1], "weave-admin"))
    suite = unittest.TestSuite()
    for case in cases:
        suite.addTests(unittest.defaultTestLoader.loadTestsFromTestCase(case))
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def binaries():
    """(weave-server, weave-admin) paths."""
    admin = os.environ.get("WEAVE_ADMIN")
    server = os.environ.get("WEAVE_SERVER_BIN")
    if not server and admin:
        server = os.path.join(os.path.dirname(admin), "weave-server")
    server = server or os.path.join(ROOT, "build", "weave-server")
    admin = admin or os.path.join(os.path.dirname(server), "weave-admin")
    return server, admin


def tools_missing():
    """A reason the instances cannot start here, or None."""
    server, admin = binaries()
    for path in (server, admin):
        if not os.access(path, os.X_OK):
            return "%s is missing (build it first)" % path
    for tool in ("nginx",):
        if not any(os.access(os.path.join(d, tool), os.X_OK)
                   for d in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/sbin"]):
            return "%s not found" % tool
    return None


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def live_children(parent):
    """Pids of the non-zombie child processes of parent (from /proc)."""
    children = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, ppid = fields[0], int(fields[1])
        if ppid == parent and state not in ("Z", "X"):
            children.append(int(name))
    return children


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"%s"' % text


def to_yaml(settings, indent=0):
    """YAML for nested dicts of scalars and lists of scalars."""
    lines = []
    pad = "  " * indent
    for key, value in settings.items():
        if isinstance(value, dict):
            lines.append("%s%s:" % (pad, key))
            lines.append(to_yaml(value, indent + 1))
        elif isinstance(value, (list, tuple)):
            lines.append("%s%s: [%s]" % (pad, key, ", ".join(_scalar(v) for v in value)))
        else:
            lines.append("%s%s: %s" % (pad, key, _scalar(value)))
    return "\n".join(lines)


def merge(base, extra):
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


class Instance:
    def __init__(self, base_dir, name, settings=None, path_prefix="", public_url=False,
                 workers=2):
        self.name = name
        self.dir = os.path.join(base_dir, name)
        os.makedirs(os.path.join(self.dir, "nginx"), exist_ok=True)
        os.chmod(self.dir, 0o711)  # nginx workers may run as another user
        self.port = free_port()
        self.prefix = path_prefix
        self.url = "http://127.0.0.1:%d%s" % (self.port, path_prefix)
        self.socket = os.path.join(self.dir, "weave.sock")
        self.config = os.path.join(self.dir, "weave.yaml")
        self.server_log = os.path.join(self.dir, "server.log")
        self.security_log = os.path.join(self.dir, "security.log")
        self.server_bin, self.admin_bin = binaries()
        base = {
            "server": {
                "listen": "unix:" + self.socket,
                "socket_mode": "0666",
                "workers": workers,
                "shutdown_timeout_seconds": 5,
                "path_prefix": path_prefix,
            },
            "database": {"sqlite": {"path": os.path.join(self.dir, "weave.db")}},
            "log": {"level": "info", "access_log": True},
            "security_log": {"target": "file", "file": self.security_log},
        }
        if public_url:
            base["server"]["public_url"] = "http://127.0.0.1:%d%s/" % (self.port, path_prefix)
        self.settings = merge(base, settings or {})
        self.env = None  # the server's environment (None: this process's)
        # More nginx server blocks (text), added to the generated nginx.conf's http block;
        # they may use the upstream "weave".
        self.nginx_extra = ""
        self.server_proc = None
        self.nginx_proc = None

    def start(self, timeout=30):
        self.start_nginx()
        self.start_server(timeout)
        return self

    def start_nginx(self):
        """Writes the configuration and starts nginx alone (start_server starts the server;
        start does both)."""
        with open(self.config, "w") as out:
            out.write("# Written by weave_instance.py\n" + to_yaml(self.settings) + "\n")
        nginx_dir = os.path.join(self.dir, "nginx")
        conf = subprocess.run(
            ["sh", os.path.join(ROOT, "scripts", "nginx-conf.sh"), nginx_dir, str(self.port),
             "unix:" + self.socket, ROOT],
            check=True, stdout=subprocess.PIPE, timeout=30).stdout
        if self.nginx_extra:
            conf = conf.rstrip()
            conf = conf[:conf.rfind(b"}")] + self.nginx_extra.encode() + b"\n}\n"
        with open(os.path.join(nginx_dir, "nginx.conf"), "wb") as out:
            out.write(conf)
        with open(os.path.join(nginx_dir, "stderr.log"), "ab") as log:
            self.nginx_proc = subprocess.Popen(
                ["nginx", "-p", nginx_dir, "-c", os.path.join(nginx_dir, "nginx.conf"),
                 "-g", "daemon off;"], stdout=log, stderr=log, stdin=subprocess.DEVNULL)

    def start_server(self, timeout=30):
        """Starts weave-server (nginx runs: start_nginx) and waits until /__heartbeat__
        answers through nginx."""
        with open(self.server_log, "ab") as log:
            self.server_proc = subprocess.Popen([self.server_bin, "-c", self.config],
                                                stdout=log, stderr=log,
                                                stdin=subprocess.DEVNULL, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.server_proc.poll() is not None:
                break
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", self.prefix + "/__heartbeat__")
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        with open(self.server_log, errors="replace") as log:
            raise RuntimeError("instance %s did not come up:\n%s" % (self.name, log.read()[-3000:]))

    def admin(self, *args, stdin=""):
        """Runs weave-admin on this instance's configuration; returns CompletedProcess."""
        return subprocess.run([self.admin_bin, "-c", self.config] + list(args),
                              input=stdin.encode("utf-8"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)

    def add_user(self, name, password, email=""):
        args = ["add", name] + ([email] if email else [])
        result = self.admin(*args, stdin=password + "\n")
        if result.returncode != 0:
            raise RuntimeError("weave-admin add %s: %s" % (name, result.stderr.decode()))

    def stop(self):
        for proc in (self.nginx_proc, self.server_proc):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (self.nginx_proc, self.server_proc):
            if proc is None:
                continue
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.nginx_proc = self.server_proc = None

    def sanitizer_report(self):
        """The first lines of a sanitizer report in the server log, or None."""
        try:
            with open(self.server_log, errors="replace") as log:
                text = log.read()
        except FileNotFoundError:
            return None
        for marker in SANITIZER_MARKERS:
            at = text.find(marker)
            if at >= 0:
                return text[at:at + 4000]
        return None

    def security_events(self):
        try:
            with open(self.security_log, errors="replace") as log:
                return log.read().splitlines()
        except FileNotFoundError:
            return []
