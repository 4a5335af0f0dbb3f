"""What bench/soak.py and bench/move_soak.py share: the environment's settings, the servers'
configuration, starting weave-server and nginx, the accounts weave-load uses."""

import os
import socket
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def env(name, default):
    value = os.environ.get(name, "")
    return type(default)(value) if value != "" else default


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def account_names(users, connections):
    """weave-load's accounts: its users, then one scratch account per connection."""
    return (["benchu%03d" % i for i in range(1, users + 1)] +
            ["benchscratch%03d" % i for i in range(1, connections + 1)])


def tail(path, lines=20):
    try:
        with open(path, errors="replace") as log:
            return "".join(log.readlines()[-lines:])
    except OSError:
        return ""


def server_yaml(writer, tmp, name, workers, max_requests, database, server_lines="",
                sections=""):
    """A weave-server configuration (text) that listens on TMP/NAME.sock, logs its security
    events to TMP/security-NAME.log, keeps its data as database (the keys under database:)
    and retries soon (5 s) after an overload; server_lines are more keys under server:,
    sections more top-level sections. writer names the script, in the first line."""
    return ("# Written by %s\nserver:\n%s"
            '  listen: "unix:%s/%s.sock"\n  socket_mode: "0666"\n'
            "  workers: %d\n  max_requests_per_worker: %d\n"
            "  shutdown_timeout_seconds: 10\n  retry_after_seconds: 5\n"
            "database:\n%s"
            "log:\n  level: info\n  access_log: false\n"
            # A file, not syslog: syslog's socket, opened at a worker's first event, would
            # read as a second socket in soak.py's descriptor check.
            'security_log:\n  target: file\n  file: "%s/security-%s.log"\n%s'
            % (writer, server_lines, tmp, name, workers, max_requests, database, tmp, name,
               sections))


def start_server(build, config, log_path):
    """weave-server -c config, its output appended to log_path."""
    # ASan's quarantine keeps freed memory for a while: it would read as RSS growth.
    environment = dict(os.environ)
    environment.setdefault("ASAN_OPTIONS", "quarantine_size_mb=0")
    with open(log_path, "ab") as log:
        return subprocess.Popen([os.path.join(build, "weave-server"), "-c", config],
                                stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                env=environment)


def start_nginx(nginx_dir, sites):
    """nginx in nginx_dir (made here) for sites: lines "PORT LOCATION UPSTREAM", as
    scripts/nginx-sites-conf.sh reads them."""
    os.makedirs(nginx_dir, exist_ok=True)
    conf = subprocess.run(["sh", os.path.join(ROOT, "scripts", "nginx-sites-conf.sh"),
                           nginx_dir, ROOT], input=sites.encode(), check=True,
                          stdout=subprocess.PIPE).stdout
    with open(os.path.join(nginx_dir, "nginx.conf"), "wb") as out:
        out.write(conf)
    with open(os.path.join(nginx_dir, "stderr.log"), "ab") as log:
        return subprocess.Popen(["nginx", "-p", nginx_dir, "-c",
                                 os.path.join(nginx_dir, "nginx.conf"), "-g", "daemon off;"],
                                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
