#!/usr/bin/env python3
"""make bench: the benchmark's accounts as one `weave-admin import weave` file, so that
10,000 accounts cost one weave-admin process instead of 10,000. Each password (NAME-bench-pw,
what weave-load logs in with) gets its own yescrypt hash at the cost weave-admin add would
use (auth.password_hash_cost 0: yescrypt 4), made with libcrypt on every CPU, so logins
during the mix cost what they cost for accounts made any other way.

usage: accounts.py NAMES_FILE OUTPUT [--cost 4]"""

import argparse
import ctypes
import ctypes.util
import json
import multiprocessing
import os
import sys

_crypt = None


def _library():
    global _crypt
    if _crypt is None:
        library = ctypes.CDLL(ctypes.util.find_library("crypt") or "libcrypt.so.1")
        library.crypt_gensalt.restype = ctypes.c_char_p
        library.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p,
                                          ctypes.c_int]
        library.crypt.restype = ctypes.c_char_p
        library.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        _crypt = library
    return _crypt


def hash_password(job):
    password, cost = job
    library = _library()
    setting = library.crypt_gensalt(b"$y$", cost, None, 0)
    hashed = library.crypt(password.encode(), setting) if setting else None
    if not hashed or hashed.startswith(b"*"):
        raise RuntimeError("libcrypt cannot make a yescrypt hash")
    return hashed.decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names")
    parser.add_argument("output")
    parser.add_argument("--cost", type=int, default=4)
    args = parser.parse_args()
    with open(args.names, encoding="utf-8") as handle:
        names = [line.strip() for line in handle if line.strip()]
    with multiprocessing.Pool(os.cpu_count() or 1) as pool:
        hashes = pool.map(hash_password, [(f"{name}-bench-pw", args.cost) for name in names],
                          chunksize=64)
    with open(args.output, "w", encoding="utf-8") as out:
        out.write(json.dumps({"format": "weave-sync-export", "version": 1}) + "\n")
        for name, hashed in zip(names, hashes):
            out.write(json.dumps({"type": "account", "name": name, "email": "",
                                  "password_hash": hashed, "disabled": False}) + "\n")
        out.write(json.dumps({"type": "end", "accounts": len(names), "records": 0}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
