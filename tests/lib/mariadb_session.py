"""A MariaDB connection held open for a test (tests/mysql, tests/cluster): the mariadb client
on a pipe, as the administrator (the calling OS user, unix_socket authentication, as
scripts/mariadb.sh and scripts/galera.sh set it up), for transactions that must stay open
across the steps of a check (a held row lock, a conflicting write)."""

import os
import pwd
import subprocess
import threading
import time


def admin_user():
    """The MariaDB administrator: the calling OS user."""
    return pwd.getpwuid(os.getuid()).pw_name


class MariadbSession:
    def __init__(self, socket_path, database):
        self.proc = subprocess.Popen(
            ["mariadb", "--no-defaults", "--protocol=socket", "--socket=" + socket_path,
             "-u", admin_user(), "--batch", "--skip-column-names", "--unbuffered", "--force",
             database], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.marks = 0

    def send(self, statements):
        """Sends statements; returns the mark that wait() waits for (they may block)."""
        self.marks += 1
        mark = "mark-%d" % self.marks
        self.proc.stdin.write(("%s;\nSELECT '%s';\n" % (statements, mark)).encode())
        self.proc.stdin.flush()
        return mark

    def wait(self, mark, timeout=30):
        """The output lines up to mark (their errors included)."""
        lines, deadline = [], time.time() + timeout
        result = {}

        def read():
            while True:
                line = self.proc.stdout.readline().decode(errors="replace").rstrip("\n")
                if not line or line == mark:
                    result["done"] = bool(line)
                    return
                lines.append(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(max(0.0, deadline - time.time()))
        assert result.get("done"), "session: no %s after %r" % (mark, lines)
        return lines

    def run(self, statements, timeout=30):
        """Output lines of statements (their errors included)."""
        return self.wait(self.send(statements), timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
