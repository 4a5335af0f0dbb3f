#!/usr/bin/env python3
"""Merges the load tool's JSON files of one bench run, prints the summary and saves the run
as <runs-dir>/<timestamp>.json. Called by bench/run.sh; standard library only."""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

# What the issue asks of the server on the reference machine, per database: a share of one
# ceiling's throughput (SQLite: the fixed-body ceiling; MariaDB: the one-SELECT ceiling on
# the same MariaDB) and a p99 bound over the whole mix.
TARGETS = {
    "sqlite": {"ceiling": "fixed", "ratio": 0.50, "p99_ms": 10.0},
    "mysql": {"ceiling": "mysql", "ratio": 0.50, "p99_ms": 20.0},
}
TARGET_RSS_KB = 20 * 1024
# The ceilings a run may hold: summary key, key under "ceilings" in the saved run, label.
CEILINGS = (
    ("fixed", "fixed", "a: fixed body"),
    ("sqlite", "sqlite_pk", "b: one primary-key SELECT on SQLite"),
    ("mysql", "mysql_pk", "b: one primary-key SELECT on MariaDB"),
)
DATABASE_NAMES = {"sqlite": "SQLite", "mysql": "MariaDB"}


def load(path):
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        print(f"bench: cannot read {path}: {error}", file=sys.stderr)
        return None


def machine():
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    info["mem_mb"] = int(line.split()[1]) // 1024
                    break
    except OSError:
        pass
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        info["git"] = os.environ.get("BENCH_GIT_REV") or subprocess.run(
            ["git", "-C", root, "describe", "--always", "--dirty"],
            capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True, timeout=10,
                               check=False)
        info["nginx"] = nginx.stderr.strip().split("/")[-1]
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def cpu_samples(path):
    """(time, cumulative CPU seconds) pairs sampled by bench/run.sh, oldest first."""
    samples = []
    if not path or not os.path.exists(path):
        return samples
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) == 2:
                try:
                    samples.append((float(fields[0]), float(fields[1])))
                except ValueError:
                    pass
    return samples


def cpu_at(samples, when):
    """Cumulative CPU seconds at `when`, interpolated between samples; None outside them."""
    if len(samples) < 2 or when < samples[0][0] or when > samples[-1][0] + 1.0:
        return None
    for (t0, c0), (t1, c1) in zip(samples, samples[1:]):
        if t0 <= when <= t1:
            return c0 + (c1 - c0) * (when - t0) / max(t1 - t0, 1e-9)
    return samples[-1][1]


def cpu_pct(samples, start, end):
    """Percent of one core used between start and end, or None."""
    if start is None or end is None or end <= start:
        return None
    first, last = cpu_at(samples, start), cpu_at(samples, end)
    if first is None or last is None:
        return None
    return round(100 * (last - first) / (end - start), 1)


def timed(run):
    """The timed phase of a load-tool result."""
    if not run:
        return None
    phases = run.get("phases", {})
    return phases.get("mix") or phases.get("timed")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weave", required=True)
    parser.add_argument("--fixed")
    parser.add_argument("--sqlite")
    parser.add_argument("--mysql")
    parser.add_argument("--db", choices=sorted(TARGETS), default="sqlite")
    parser.add_argument("--cache", choices=("none", "memcached", "redis"), default="none")
    parser.add_argument("--db-version")
    parser.add_argument("--db-settings")
    parser.add_argument("--db-cpu-log")
    parser.add_argument("--db-peak-rss-kb", type=int)
    parser.add_argument("--cache-cpu-log")
    parser.add_argument("--data-kb", type=int)
    parser.add_argument("--weave-end", type=float)
    parser.add_argument("--fixed-end", type=float)
    parser.add_argument("--mysql-end", type=float)
    parser.add_argument("--accounts-seconds", type=float, default=0.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep-conn", type=int, choices=(0, 1),
                        help="1: nginx kept its connections to the server open")
    parser.add_argument("--runs-dir")
    parser.add_argument("--external", action="store_true")
    parser.add_argument("--nice", type=int)
    parser.add_argument("--stamp", help="the run's name (default: now, 20261207T011448Z)")
    args = parser.parse_args()

    weave = load(args.weave)
    fixed = load(args.fixed)
    sqlite = load(args.sqlite)
    mysql = load(args.mysql)
    runs = {"fixed": fixed, "sqlite": sqlite, "mysql": mysql}
    stamp = args.stamp or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    mix = timed(weave)
    target = TARGETS[args.db]
    db_name = DATABASE_NAMES[args.db]
    summary = {"ok": bool(weave and weave.get("ok")) and mix is not None, "database": args.db,
               "cache": args.cache}
    if weave and mix:
        summary["throughput_rps"] = mix["rps"]
        summary["p50_ms"] = mix["all"]["p50_ms"]
        summary["p99_ms"] = mix["all"]["p99_ms"]
        summary["errors"] = mix["errors"]
        summary["wrong"] = mix["wrong"]
        summary["worker_peak_rss_kb"] = weave["resources"]["worker_peak_rss_kb"]
        summary["load_cpu_pct"] = weave["resources"]["load_cpu_pct"]
        summary["other_cpu_pct"] = weave["resources"].get("other_cpu_pct")
        summary["seed_seconds"] = weave["seed"]["seconds"]
        summary["seed_records"] = weave["seed"]["records"]
    summary["accounts_seconds"] = args.accounts_seconds
    if args.data_kb is not None:
        summary["data_kb"] = args.data_kb
    # DB=mysql: mariadbd's own CPU during the timed phases (weave-load counts it as "other").
    samples = cpu_samples(args.db_cpu_log)
    if samples:
        phases = (weave or {}).get("phases") or {}
        if mix and args.weave_end:
            mix_end = args.weave_end - (phases.get("final_verify") or {}).get("seconds", 0)
            summary["db_cpu_pct"] = cpu_pct(samples, mix_end - mix["seconds"], mix_end)
        for name, end in (("fixed", args.fixed_end), ("mysql", args.mysql_end)):
            if end and timed(runs[name]):
                summary[f"ceiling_{name}_db_cpu_pct"] = cpu_pct(
                    samples, end - timed(runs[name])["seconds"], end)
        for key, run in (("db_cpu_pct", weave), ("ceiling_fixed_db_cpu_pct", fixed),
                         ("ceiling_mysql_db_cpu_pct", mysql)):
            other = ((run or {}).get("resources") or {}).get("other_cpu_pct")
            if summary.get(key) is not None and other is not None:
                # What is left for other processes once mariadbd is taken out.
                summary[key.replace("db_cpu_pct", "other_cpu_pct_without_db")] = round(
                    max(0.0, other - summary[key]), 1)
    # CACHE=: the cache server's own CPU during the mix (also "other" to weave-load).
    cache_samples = cpu_samples(args.cache_cpu_log)
    if cache_samples and weave and mix and args.weave_end:
        mix_end = args.weave_end - ((weave.get("phases") or {}).get("final_verify") or {}).get(
            "seconds", 0)
        summary["cache_cpu_pct"] = cpu_pct(cache_samples, mix_end - mix["seconds"], mix_end)
    if args.db_peak_rss_kb:
        summary["db_peak_rss_kb"] = args.db_peak_rss_kb
    for name, _, _ in CEILINGS:
        run = runs[name]
        phase = timed(run)
        if phase:
            summary[f"ceiling_{name}_rps"] = phase["rps"]
            summary[f"ceiling_{name}_p99_ms"] = phase["all"]["p99_ms"]
            if mix and phase["rps"] > 0:
                summary[f"ratio_{name}"] = round(mix["rps"] / phase["rps"], 4)
            summary["ok"] = summary["ok"] and run.get("ok", False)

    database = {"driver": args.db, "name": db_name}
    if args.db_version:
        database["version"] = args.db_version
    if args.db_settings:
        database["settings"] = args.db_settings
    ceiling_b = next(((key, label) for name, key, label in CEILINGS[1:] if runs[name]), None)
    record = {
        "timestamp": stamp,
        "machine": machine(),
        "external_server": args.external,
        "workers": args.workers,
        "keep_conn": args.keep_conn,
        "nice": args.nice,
        "database": database,
        "cache": args.cache,
        "ceiling_b": {"name": ceiling_b[0], "label": ceiling_b[1][3:]} if ceiling_b else None,
        "summary": summary,
        "weave": weave,
        "ceilings": {key: runs[name] for name, key, _ in CEILINGS
                     if runs[name] or name in ("fixed", args.db)},
    }

    print(f"\n== summary ({stamp})")
    m = record["machine"]
    print(f"machine: {m.get('nproc')} CPUs, {m.get('cpu', '?')}, {m.get('mem_mb', '?')} MB;"
          f" git {m.get('git', '?')}")
    where = "external server, not started here" if args.external else "started by the bench"
    details = ", ".join(part for part in (database.get("version"), database.get("settings"))
                        if part)
    print(f"database: {db_name} ({where}{'; ' + details if details else ''});"
          f" cache: {args.cache}")
    if "throughput_rps" in summary:
        data = f"; data {summary['data_kb'] / 1024:.0f} MB on disk" if "data_kb" in summary else ""
        print(f"seeding: {summary['seed_records']} records in {summary['seed_seconds']:.1f} s"
              f" ({summary['seed_records'] / max(summary['seed_seconds'], 1e-9):.0f} records/s);"
              f" accounts {summary['accounts_seconds']:.1f} s{data}")
        print(f"server mix: {summary['throughput_rps']:.0f} req/s, p50 {summary['p50_ms']:.2f} ms,"
              f" p99 {summary['p99_ms']:.2f} ms, worker peak RSS"
              f" {summary['worker_peak_rss_kb'] / 1024:.1f} MB, load tool CPU"
              f" {summary['load_cpu_pct']:.0f} % of a core")
        if summary.get("db_cpu_pct") is not None or "db_peak_rss_kb" in summary:
            parts = []
            if summary.get("db_cpu_pct") is not None:
                parts.append(f"CPU {summary['db_cpu_pct']:.0f} % of a core during the mix")
            if "db_peak_rss_kb" in summary:
                parts.append(f"peak RSS {summary['db_peak_rss_kb'] / 1024:.0f} MB")
            print(f"mariadbd: {', '.join(parts)}")
        if summary.get("cache_cpu_pct") is not None:
            print(f"{args.cache}: CPU {summary['cache_cpu_pct']:.0f} % of a core during the mix")
    for name, _, label in CEILINGS:
        if f"ceiling_{name}_rps" in summary:
            ratio = summary.get(f"ratio_{name}")
            share = f" -> server reaches {100 * ratio:.1f} %" if ratio is not None else ""
            db_cpu = summary.get(f"ceiling_{name}_db_cpu_pct")
            db_cpu = f" (mariadbd {db_cpu:.0f} % of a core)" if db_cpu is not None else ""
            print(f"ceiling ({label}): {summary[f'ceiling_{name}_rps']:.0f} req/s,"
                  f" p99 {summary[f'ceiling_{name}_p99_ms']:.2f} ms{db_cpu}{share}")
    if "throughput_rps" in summary:
        checks = []
        ratio_name = (f">= {100 * target['ratio']:.0f} % of the"
                      f" {'fixed-body' if target['ceiling'] == 'fixed' else 'one-SELECT'} ceiling")
        ratio = summary.get(f"ratio_{target['ceiling']}")
        checks.append((ratio_name, None if ratio is None else ratio >= target["ratio"]))
        checks.append((f"p99 <= {target['p99_ms']:.0f} ms",
                       summary["p99_ms"] <= target["p99_ms"]))
        if summary["worker_peak_rss_kb"] > 0:
            checks.append((f"worker RSS <= {TARGET_RSS_KB // 1024} MB",
                           summary["worker_peak_rss_kb"] <= TARGET_RSS_KB))
        summary["targets"] = {name: passed for name, passed in checks if passed is not None}
        summary["targets_for"] = args.db
        print(f"targets ({db_name}): " + "; ".join(
            f"{name}: {'not measured' if passed is None else 'met' if passed else 'MISSED'}"
            for name, passed in checks))
    others = [summary.get("other_cpu_pct_without_db", summary.get("other_cpu_pct"))]
    for name, run in runs.items():
        without_db = summary.get(f"ceiling_{name}_other_cpu_pct_without_db")
        others.append(without_db if without_db is not None else
                      ((run or {}).get("resources") or {}).get("other_cpu_pct"))
    others = [value for value in others if value is not None]
    if others and max(others) > 10:
        summary["machine_busy"] = True
        print(f"WARNING: up to {max(others):.0f} % of a core went to other processes (other"
              " programs, kernel threads) during the timed phases; compare with care")
    print("verification: " + ("OK" if summary["ok"] else "FAILED (see messages above)"))

    if args.runs_dir:
        os.makedirs(args.runs_dir, exist_ok=True)
        path = os.path.join(args.runs_dir, f"{stamp}.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(record, handle, indent=1)
            handle.write("\n")
        print(f"saved: {os.path.relpath(path)}")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
