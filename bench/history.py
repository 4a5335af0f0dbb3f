#!/usr/bin/env python3
"""The benchmark's performance history: bench/history.jsonl, one JSON line per `make bench`
run (kept in git, so the trend travels with the code), drawn by `make bench-report`.
Standard library only.

usage: history.py commit                       the commit to record: short hash, +dirty when
                                               tracked files other than the history changed
       history.py append RUN.json [--history FILE] [--profiled]   one line for a run saved
                                               by combine.py (--profiled: under perf record)
       history.py import RUN.json... [--history FILE]  several, oldest first, skipping runs
                                               the history already holds"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_HISTORY = os.path.join(HERE, "history.jsonl")
# The path as git names it: a bench run rewrites this file, which must not make the tree
# it measures look modified.
HISTORY_IN_TREE = "bench/history.jsonl"
# Per database: the ceiling whose share the targets are about (combine.py's TARGETS).
TARGET_CEILING = {"sqlite": "fixed", "mysql": "mysql"}


def current_commit(root=ROOT):
    """"abc1234", "abc1234+dirty", or "unknown" outside a git checkout."""
    def git(*args):
        return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True,
                              timeout=20, check=False)
    try:
        head = git("rev-parse", "--short", "HEAD")
        if head.returncode != 0:
            return "unknown"
        status = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                     f":(exclude){HISTORY_IN_TREE}")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.stdout.strip() + ("+dirty" if status.stdout.strip() else "")


def _mix(run):
    return (((run.get("weave") or {}).get("phases")) or {}).get("mix") or {}


def _commit_of(run):
    """Runs saved before the history existed say "abc1234-dirty" (git describe)."""
    git = (run.get("machine") or {}).get("git") or "unknown"
    return git[:-len("-dirty")] + "+dirty" if git.endswith("-dirty") else git


def _date_of(stamp):
    """"20261207T011448Z" -> "2026-12-07T01:14:48Z"."""
    if len(stamp) == 16 and stamp[8] == "T":
        return (f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:"
                f"{stamp[13:15]}Z")
    return stamp


def entry(run, profiled=False):
    """The history line of one saved run (combine.py's record). profiled: perf recorded the
    mix (its unwinding costs the server CPU: such runs form series of their own)."""
    summary = run.get("summary") or {}
    weave = run.get("weave") or {}
    mix = _mix(run)
    database = (run.get("database") or {}).get("driver") or summary.get("database") or "sqlite"
    ceilings = {name: summary[f"ceiling_{name}_rps"] for name in ("fixed", "sqlite", "mysql")
                if summary.get(f"ceiling_{name}_rps") is not None}
    ratios = {name: summary[f"ratio_{name}"] for name in ("fixed", "sqlite", "mysql")
              if summary.get(f"ratio_{name}") is not None}
    target = TARGET_CEILING.get(database, "fixed")
    targets = summary.get("targets") or {}
    types = {}
    for name, stats in sorted((mix.get("types") or {}).items()):
        types[name] = {key: stats.get(key) for key in ("rps", "p50_ms", "p99_ms")}
    stamp = run.get("timestamp", "")
    return {
        "run": stamp,
        "date": _date_of(stamp),
        "commit": _commit_of(run),
        "database": database,
        "cache": run.get("cache") or summary.get("cache") or "none",
        "users": weave.get("users"),
        "records": weave.get("records_per_user"),
        "connections": weave.get("connections"),
        "seconds": mix.get("seconds"),
        "workers": run.get("workers"),
        "keep_conn": run.get("keep_conn"),
        "external": bool(run.get("external_server")),
        "nproc": (run.get("machine") or {}).get("nproc"),
        "rps": summary.get("throughput_rps"),
        "ceilings": ceilings,
        "ratios": ratios,
        "target_ceiling": target,
        "target_ratio": ratios.get(target),
        "p50_ms": summary.get("p50_ms"),
        "p99_ms": summary.get("p99_ms"),
        "types": types,
        "worker_peak_rss_kb": summary.get("worker_peak_rss_kb"),
        "seed_seconds": summary.get("seed_seconds"),
        "seed_records": summary.get("seed_records"),
        "accounts_seconds": summary.get("accounts_seconds"),
        "targets": targets,
        # None: a target could not be judged (no ceiling measured in the run).
        "targets_met": (all(targets.values()) if len(targets) >= 3 or
                        any(value is False for value in targets.values()) else None),
        "machine_busy": bool(summary.get("machine_busy")),
        "ok": bool(summary.get("ok")),
        "profiled": profiled,
    }


def load(path):
    """The history's entries in file order; a damaged line is reported and skipped."""
    entries = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except ValueError as error:
                    print(f"history: {path}:{number}: skipped: {error}", file=sys.stderr)
                    continue
                if isinstance(value, dict):
                    entries.append(value)
    except FileNotFoundError:
        pass
    return entries


def append(path, line):
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n")


def read_run(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("commit", "append", "import"))
    parser.add_argument("runs", nargs="*")
    parser.add_argument("--history", default=DEFAULT_HISTORY)
    parser.add_argument("--profiled", action="store_true")
    args = parser.parse_args()
    if args.command == "commit":
        print(current_commit())
        return 0
    if not args.runs:
        parser.error(f"{args.command} needs a saved run (bench/runs/*.json)")
    known = {line.get("run") for line in load(args.history)}
    lines = []
    for path in args.runs:
        try:
            line = entry(read_run(path), args.profiled)
        except (OSError, ValueError, AttributeError, TypeError) as error:
            print(f"history: {path}: not a saved bench run: {error}", file=sys.stderr)
            return 1
        if args.command == "import" and line["run"] in known:
            print(f"history: {os.path.basename(path)} is in the history already")
            continue
        if line["rps"] is None:
            print(f"history: {os.path.basename(path)} has no timed mix: not recorded")
            continue
        lines.append(line)
    for line in sorted(lines, key=lambda value: value["date"]):
        append(args.history, line)
        print(f"history: {line['run']} ({line['commit']}, {line['database']}, cache"
              f" {line['cache']}, {line['users']}x{line['records']}) ->"
              f" {os.path.relpath(args.history)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
