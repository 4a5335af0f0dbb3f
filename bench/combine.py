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

# What the issue asks of the server on the reference machine.
TARGET_RATIO = 0.50
TARGET_P99_MS = 10.0
TARGET_RSS_KB = 20 * 1024


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
    parser.add_argument("--accounts-seconds", type=float, default=0.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--runs-dir")
    parser.add_argument("--external", action="store_true")
    parser.add_argument("--nice", type=int)
    args = parser.parse_args()

    weave = load(args.weave)
    fixed = load(args.fixed)
    sqlite = load(args.sqlite)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    mix = timed(weave)
    summary = {"ok": bool(weave and weave.get("ok")) and mix is not None}
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
    for name, run in (("fixed", fixed), ("sqlite", sqlite)):
        phase = timed(run)
        if phase:
            summary[f"ceiling_{name}_rps"] = phase["rps"]
            summary[f"ceiling_{name}_p99_ms"] = phase["all"]["p99_ms"]
            if mix and phase["rps"] > 0:
                summary[f"ratio_{name}"] = round(mix["rps"] / phase["rps"], 4)
            summary["ok"] = summary["ok"] and run.get("ok", False)

    record = {
        "timestamp": stamp,
        "machine": machine(),
        "external_server": args.external,
        "workers": args.workers,
        "nice": args.nice,
        "summary": summary,
        "weave": weave,
        "ceilings": {"fixed": fixed, "sqlite_pk": sqlite},
    }

    print(f"\n== summary ({stamp})")
    m = record["machine"]
    print(f"machine: {m.get('nproc')} CPUs, {m.get('cpu', '?')}, {m.get('mem_mb', '?')} MB;"
          f" git {m.get('git', '?')}")
    if "throughput_rps" in summary:
        print(f"seeding: {summary['seed_records']} records in {summary['seed_seconds']:.1f} s"
              f" ({summary['seed_records'] / max(summary['seed_seconds'], 1e-9):.0f} records/s);"
              f" accounts {summary['accounts_seconds']:.1f} s")
        print(f"server mix: {summary['throughput_rps']:.0f} req/s, p50 {summary['p50_ms']:.2f} ms,"
              f" p99 {summary['p99_ms']:.2f} ms, worker peak RSS"
              f" {summary['worker_peak_rss_kb'] / 1024:.1f} MB, load tool CPU"
              f" {summary['load_cpu_pct']:.0f} % of a core")
    for name, label in (("fixed", "fixed body"), ("sqlite", "one SELECT")):
        if f"ceiling_{name}_rps" in summary:
            ratio = summary.get(f"ratio_{name}")
            share = f" -> server reaches {100 * ratio:.1f} %" if ratio is not None else ""
            print(f"ceiling ({label}): {summary[f'ceiling_{name}_rps']:.0f} req/s,"
                  f" p99 {summary[f'ceiling_{name}_p99_ms']:.2f} ms{share}")
    if "throughput_rps" in summary:
        checks = []
        if "ratio_fixed" in summary:
            checks.append((f">= {100 * TARGET_RATIO:.0f} % of the fixed-body ceiling",
                           summary["ratio_fixed"] >= TARGET_RATIO))
        checks.append((f"p99 <= {TARGET_P99_MS:.0f} ms", summary["p99_ms"] <= TARGET_P99_MS))
        if summary["worker_peak_rss_kb"] > 0:
            checks.append((f"worker RSS <= {TARGET_RSS_KB // 1024} MB",
                           summary["worker_peak_rss_kb"] <= TARGET_RSS_KB))
        summary["targets"] = {name: passed for name, passed in checks}
        print("targets: " + "; ".join(f"{name}: {'met' if passed else 'MISSED'}"
                                      for name, passed in checks))
    others = [summary.get("other_cpu_pct")] + [
        ((timed_run or {}).get("resources") or {}).get("other_cpu_pct")
        for timed_run in (fixed, sqlite)]
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
