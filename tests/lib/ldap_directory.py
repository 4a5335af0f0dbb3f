"""A throwaway slapd for Python harnesses (tests/ldap, bench/soak.py): a thin wrapper of
scripts/ldap-slapd.sh (which builds, starts and stops it) plus the directory's well-known
names and entries in the layout of ldap/sample-directory.ldif.

Import it with the folder on sys.path:
    sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
    from ldap_directory import Slapd, person_ldif, ssha, USERS, READER
"""

import base64
import hashlib
import os
import socket
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SLAPD_SH = os.path.join(ROOT, "scripts", "ldap-slapd.sh")
SAMPLE_LDIF = os.path.join(ROOT, "ldap", "sample-directory.ldif")
BASE = "dc=example,dc=org"
USERS = "ou=users," + BASE
READER = "cn=sync-reader,ou=services," + BASE
READER_PW = "reader-password"
ADMIN = "cn=sync-admin,ou=services," + BASE
ROOT_DN = "cn=admin," + BASE
ROOT_PW = "root-password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ssha(password):
    """userPassword in slapd's salted SHA-1 form."""
    salt = os.urandom(8)
    return "{SSHA}" + base64.b64encode(
        hashlib.sha1(password.encode() + salt).digest() + salt).decode()


def person_ldif(uid, password, number=None, add=False):
    """An enabled user entry under ou=users (inetOrgPerson + dataStore, mail uid@example.org)
    as LDIF: for slapadd, or with add=True as a change for ldapmodify."""
    lines = ["dn: uid=%s,%s" % (uid, USERS)]
    if add:
        lines.append("changetype: add")
    lines += ["objectClass: inetOrgPerson", "objectClass: dataStore",
              "uid: " + uid, "cn: " + uid, "sn: " + uid, "mail: %s@example.org" % uid]
    if number is not None:
        lines.append("uidNumber: %d" % number)
    lines += ["userPassword: " + ssha(password), "account-enabled: Yes"]
    return "\n".join(lines) + "\n"


class Slapd:
    """slapd in folder, on two free loopback ports (StartTLS and ldaps://)."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.tls_port = free_port()

    def init(self, *ldifs):
        subprocess.run(["sh", SLAPD_SH, "init", self.folder] + list(ldifs), check=True,
                       timeout=60)

    def start(self):
        subprocess.run(["sh", SLAPD_SH, "start", self.folder, str(self.port), str(self.tls_port)],
                       check=True, timeout=30)

    def stop(self):
        subprocess.run(["sh", SLAPD_SH, "stop", self.folder], check=True, timeout=30)

    def pid(self):
        with open(os.path.join(self.folder, "slapd.pid")) as f:
            return int(f.read().strip())

    @property
    def ca(self):
        return os.path.join(self.folder, "tls", "ca.pem")

    def url(self, scheme="ldap"):
        return "%s://127.0.0.1:%d" % (scheme, self.tls_port if scheme == "ldaps" else self.port)

    def _env(self):
        env = dict(os.environ)
        env["LDAPTLS_CACERT"] = self.ca
        return env

    def search(self, base, filt, *attrs, scope="sub"):
        """Entries as {dn: {attr: [values]}} read as the root DN (ldapsearch)."""
        done = subprocess.run(
            ["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-o", "nettimeout=5", "-ZZ",
             "-H", self.url(), "-D", ROOT_DN, "-w", ROOT_PW, "-b", base, "-s", scope, filt]
            + list(attrs), capture_output=True, timeout=30, env=self._env())
        if done.returncode not in (0, 32):
            raise AssertionError("ldapsearch failed: %s" % done.stderr.decode())
        entries, current = {}, None
        for line in done.stdout.decode().splitlines():
            if not line.strip():
                continue
            name, _, value = line.partition(":")
            if value.startswith(":"):
                value = base64.b64decode(value[1:].strip()).decode("utf-8", "replace")
            else:
                value = value.strip()
            if name == "dn":
                current = entries.setdefault(value, {})
            else:
                current.setdefault(name, []).append(value)
        return entries

    def modify(self, ldif):
        """Applies LDIF changes (changetype: add/modify/delete) as the root DN."""
        done = subprocess.run(
            ["ldapmodify", "-x", "-o", "nettimeout=5", "-ZZ", "-H", self.url(), "-D", ROOT_DN,
             "-w", ROOT_PW], input=ldif.encode(), capture_output=True, timeout=30,
            env=self._env())
        if done.returncode != 0:
            raise AssertionError("ldapmodify failed: %s" % done.stderr.decode())

    def can_bind(self, dn, password):
        done = subprocess.run(
            ["ldapwhoami", "-x", "-o", "nettimeout=5", "-ZZ", "-H", self.url(), "-D", dn, "-w",
             password], capture_output=True, timeout=30, env=self._env())
        return done.returncode == 0
