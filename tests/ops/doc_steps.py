"""The README's operator procedures, run as written (tests/ops): a shell block that follows a
line "<!-- tested: NAME -->" in README.md is read from there, its machine paths are moved
into the test's folder, and it runs with tests/ops/shims first in PATH (systemctl, apt-get
and runuser stand for the test's own processes). So a procedure that stops working fails
the test, and the README cannot drift from what was tested."""

import os
import pwd
import grp
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIMS = os.path.join(ROOT, "tests", "ops", "shims")


def readme_block(name, readme=os.path.join(ROOT, "README.md")):
    """The text of the fenced block after "<!-- tested: NAME -->" (exactly one)."""
    with open(readme, encoding="utf-8") as source:
        lines = source.read().splitlines()
    marker = "<!-- tested: %s -->" % name
    found = [i for i, line in enumerate(lines) if line.strip() == marker]
    assert len(found) == 1, "README.md has %d blocks marked %s" % (len(found), marker)
    start = found[0] + 1
    assert lines[start].strip().startswith("```"), "no code block right after " + marker
    body = []
    for line in lines[start + 1:]:
        if line.strip().startswith("```"):
            return "\n".join(body) + "\n"
        body.append(line)
    raise AssertionError("the block after %s never ends" % marker)


class Machine:
    """Where the README's paths lead in the test: paths maps each machine path (a prefix)
    to a folder of the test; env adds to the environment of the blocks (the shims read
    OPS_* variables)."""

    def __init__(self, paths, env):
        self.paths = paths
        self.env = dict(os.environ)
        self.env.update(env)
        self.env["PATH"] = SHIMS + os.pathsep + self.env.get("PATH", "")

    def rewrite(self, text):
        # Longest first, so /var/lib/weave/x is not taken by a shorter /var/lib.
        for machine_path in sorted(self.paths, key=len, reverse=True):
            text = text.replace(machine_path, self.paths[machine_path])
        # The package's user is this test's user (root: the suite's; chown to oneself works).
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        text = re.sub(r"-g _weave\b", "-g " + group, text)
        text = text.replace("_weave:_weave", "%s:%s" % (user, group))
        return re.sub(r"\b_weave\b", user, text)

    def run(self, name, timeout=120, cwd=None):
        """Runs the README block NAME (sh -e, one script, so variables and $(...) work as
        in a root shell); returns its output, or raises with it."""
        script = "set -eux\n" + self.rewrite(readme_block(name))
        done = subprocess.run(["sh", "-c", script], env=self.env, cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
        output = done.stdout.decode(errors="replace")
        if done.returncode != 0:
            raise AssertionError("README block %s failed (status %d):\n%s\n-- output:\n%s"
                                 % (name, done.returncode, script, output[-4000:]))
        return output
