#!/usr/bin/env python3
"""Checks that the install lists cover every program the tests and harnesses call.

Reads the test and harness scripts (tests/, bench/, scripts/, .ci/, the Makefile's recipes),
finds the programs of PROGRAMS below that they call, maps each to its Debian package, and
fails, naming program, package and where it is called, when scripts/install-deps.sh's
build + test steps do not install that package. A program that a harness checks for or
starts (`for tool in ...`, `command -v X`, `need_tools ...`, subprocess(["X", ...])) but that
the table does not know fails too, so that a new tool gets a package.
Usage: scripts/check-test-deps.py   (INSTALL_DEPS=path tries another install script)
"""
import os
import re
import subprocess
import sys

ESSENTIAL = "(essential)"  # in every Debian system: Priority required / Essential: yes
# program -> Debian packages providing it (any one of them will do), or None with the
# reason it is not installed. A key may also be a regular expression (a leading "re:").
PROGRAMS = {
    "nginx": "nginx-light nginx-core nginx-full nginx-extras",
    "apache2": "apache2",
    "apache2ctl": "apache2",
    "mod_mpm_event": "apache2",
    "mod_authz_core": "apache2",
    "mod_setenvif": "apache2",
    "mod_proxy": "apache2",
    "mod_proxy_fcgi": "apache2",
    "mod_fcgid": "libapache2-mod-fcgid",
    "mariadb": "mariadb-client",
    "mariadb-dump": "mariadb-client",
    "sqlite3": "sqlite3",
    "mysql": "mariadb-client",
    "mariadbd": "mariadb-server",
    "mysqld": "mariadb-server",
    "mariadb-install-db": "mariadb-server",
    "mysql_install_db": "mariadb-server",
    "slapd": "slapd",
    "memcached": "memcached",
    "redis-server": "redis-server",
    "slapadd": "slapd",
    "slapcat": "slapd",
    "slappasswd": "slapd",
    "ldapadd": "ldap-utils",
    "ldapmodify": "ldap-utils",
    "ldapsearch": "ldap-utils",
    "ldapwhoami": "ldap-utils",
    "chromium": "chromium",
    "node": "nodejs",
    "npm": "npm",
    "wrk": "wrk",
    "clang": "clang",
    "clang++": "clang",
    "re:-fsanitize=[a-z,]*fuzzer": "libclang-rt-14-dev",
    "clang-format": "clang-format",
    "clang-tidy": "clang-tidy",
    "spawn-fcgi": "spawn-fcgi",
    "python3": "python3",
    "openssl": "openssl",
    "curl": "curl",
    "systemd-socket-activate": "systemd",
    "groff": "groff-base",
    "scdoc": "scdoc",
    "strace": "strace",
    "mkfs.ext4": "e2fsprogs",
    "e2fsck": "e2fsprogs",
    "mount": "mount",
    "umount": "mount",
    "g++": "g++",
    "make": "make",
    "nm": "binutils g++",  # g++ depends on binutils
    "readelf": "binutils g++",
    "ldd": ESSENTIAL,
    "mkfs.ext4": "e2fsprogs",
    "bear": None,  # make compdb only, a developer's tool
    "perf": None,  # make bench PROFILE=1 only; without it the bench runs unprofiled, saying so
    "git": "git",  # the bench's history names the commit; bench/test_report.py makes a repo
    "dpkg-query": ESSENTIAL,
    "apt-get": ESSENTIAL,
    "dpkg-buildpackage": "dpkg-dev",
    "dpkg-parsechangelog": "dpkg-dev",
    "dh": "debhelper",
    "lintian": "lintian",
}
# Programs of Essential packages (coreutils, util-linux, dash, sed, grep, findutils,
# diffutils, mawk, libc-bin, procps is not one) that harnesses may check for freely.
BASE = set("""sh env cat cp mv rm mkdir rmdir chmod chown chgrp ln readlink dirname basename
mktemp sleep kill timeout id date printf echo test true false tee cmp touch getent setpriv
nproc stat sed grep awk find xargs sort uniq tr head tail cut wc diff tar gzip mount umount
flock fsfreeze unshare""".split())

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCAN_DIRS = ("tests", "bench", "scripts", ".ci")
SKIP = {"scripts/install-deps.sh", "scripts/check-test-deps.py"}
EXTENSIONS = (".sh", ".py", ".js", ".mjs")


def files_to_scan():
    for top in SCAN_DIRS:
        for dirpath, dirnames, names in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = sorted(d for d in dirnames if d != "node_modules")
            for name in sorted(names):
                rel = os.path.relpath(os.path.join(dirpath, name), ROOT)
                if rel in SKIP:
                    continue
                if name.endswith(EXTENSIONS) or rel == os.path.join(".ci", "run"):
                    yield rel
    yield "Makefile"


def code_lines(rel):
    """(number, line) of the lines that are code: no comments; recipes of the Makefile."""
    with open(os.path.join(ROOT, rel), encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            stripped = line.strip()
            if rel == "Makefile":
                if line.startswith("\t"):
                    yield number, stripped
                continue
            if stripped.startswith(("#", "//")):
                continue
            yield number, stripped


def program_pattern(name):
    if name.startswith("re:"):
        return re.compile(name[3:])
    # A word of its own: not part of a path, a file name or another word.
    return re.compile(r"(?<![\w./$])" + re.escape(name) + r"(?![\w./-])")


# Programs a harness checks for or starts: their names must be in PROGRAMS or BASE.
CHECKED = [
    re.compile(r"\bfor (?:tool|module) in ([^;]+);"),
    re.compile(r"\bcommand -v ((?:\"?[\w.+-]+\"? ?)+)"),
    re.compile(r"\bneed_tools ((?:[\w.+-]+ ?)+)"),
    re.compile(r"(?:subprocess\.\w+|Popen)\(\[\"([\w.+-]+)\""),
]


def install_lists():
    script = os.environ.get("INSTALL_DEPS", os.path.join(HERE, "install-deps.sh"))
    env = dict(os.environ, WITH_LDAP="1", WITH_MYSQL="1")
    packages = set()
    for step in ("build", "test"):
        out = subprocess.run(["sh", script, step, "--list"], env=env, check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        packages.update(out.split())
    return packages


def main():
    listed = install_lists()
    patterns = {name: program_pattern(name) for name in PROGRAMS}
    called = {}  # program -> first "file:line"
    unknown = {}
    for rel in files_to_scan():
        for number, line in code_lines(rel):
            where = "%s:%d" % (rel, number)
            for name, pattern in patterns.items():
                if name not in called and pattern.search(line):
                    called[name] = where
            for checked in CHECKED:
                for match in checked.finditer(line):
                    for word in match.group(1).replace('"', " ").split():
                        if word.startswith("$") or "/" in word:
                            continue
                        if word not in PROGRAMS and word not in BASE:
                            unknown.setdefault(word, where)
    problems = []
    for name in sorted(called):
        packages = PROGRAMS[name]
        if packages is None or packages == ESSENTIAL:
            continue
        if not listed.intersection(packages.split()):
            problems.append("%s (called at %s) needs Debian package %s, which "
                            "scripts/install-deps.sh does not install"
                            % (name, called[name], " or ".join(packages.split())))
    for word in sorted(unknown):
        problems.append("%s (checked for or started at %s) is not in the table of %s: add "
                        "it with its Debian package" % (word, unknown[word],
                                                        os.path.basename(__file__)))
    for problem in problems:
        print(problem)
    if problems:
        print("check-test-deps: %d problem(s)" % len(problems))
        return 1
    needed = sorted(n for n in called if PROGRAMS[n] not in (None, ESSENTIAL))
    print("check-test-deps: the install lists cover the %d programs the tests call: %s"
          % (len(needed), " ".join(needed)))
    wanted = {p for n in needed for p in PROGRAMS[n].split()}
    extra = sorted(p for p in listed if p not in wanted and not p.startswith("lib"))
    print("check-test-deps: (listed, no call found: %s)" % " ".join(extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
