#!/usr/bin/env python3
"""make check: the benchmark's history and its report, on small fixtures (a few seconds, no
bench run): bench/history.py turns a saved run into its line and names the commit (+dirty
only for changes other than the history itself); bench/report.py writes a page that parses
as XML with its charts, prints a summary per series, and warns when a series' newest run
is more than 10 % below the best of its previous five, and only then.
Ends with "N passed, N failed", like the suites of tests/run_all.sh."""

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import history  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}svg"
results = {"passed": 0, "failed": 0}


def check(condition, what, detail=""):
    if condition:
        results["passed"] += 1
        print(f"ok: {what}")
    else:
        results["failed"] += 1
        print(f"FAIL: {what}{': ' + detail if detail else ''}")


def line(run, commit, rps, ratio, p99=5.0, database="sqlite", cache="none", users=100,
         records=6000, ok=True):
    return {"run": run, "date": f"2026-12-0{run[7]}T{run[9:11]}:00:00Z", "commit": commit,
            "database": database, "cache": cache, "users": users, "records": records,
            "rps": rps, "ceilings": {"fixed": rps / ratio}, "ratios": {"fixed": ratio},
            "target_ceiling": "fixed", "target_ratio": ratio, "p50_ms": 2.0, "p99_ms": p99,
            "types": {"info_collections": {"rps": rps / 2, "p50_ms": 1.5, "p99_ms": p99},
                      "post_collection": {"rps": rps / 4, "p50_ms": 3.0, "p99_ms": 2 * p99}},
            "worker_peak_rss_kb": 13000, "seed_seconds": 9.0, "accounts_seconds": 1.0,
            "targets": {}, "targets_met": False, "ok": ok}


def write_history(path, lines):
    with open(path, "w", encoding="utf-8") as handle:
        for value in lines:
            handle.write(json.dumps(value) + "\n")
        handle.write("not json: a damaged line is skipped\n")


def report(folder, lines):
    path = os.path.join(folder, "history.jsonl")
    output = os.path.join(folder, "report.html")
    write_history(path, lines)
    done = subprocess.run([sys.executable, os.path.join(HERE, "report.py"), path, output],
                          capture_output=True, text=True, timeout=60, check=False)
    return done, output


def test_report(folder):
    stable = [line(f"2026120{day}T{hour:02d}0000Z", f"c{day}{hour}", 4000 + 10 * hour, 0.2)
              for day, hour in ((1, 10), (1, 11), (2, 10), (3, 10), (4, 10), (5, 10))]
    # A second series (MariaDB) whose newest run drops by 25 % against the third before it.
    mysql = [line("20261201T120000Z", "c1m", 2000, 0.2, database="mysql"),
             line("20261202T120000Z", "c2m", 2400, 0.24, database="mysql"),
             line("20261203T120000Z", "c3m", 2300, 0.23, database="mysql"),
             line("20261204T120000Z", "c4m", 1800, 0.18, database="mysql")]
    done, output = report(folder, stable + mysql)
    check(done.returncode == 0, "report.py succeeds on a history", done.stderr)
    try:
        root = ET.parse(output).getroot()
        charts = root.findall(f".//{SVG}")
        check(len(charts) >= 4, "the page parses as XML and holds the trend charts",
              f"{len(charts)} svg")
        text = ET.tostring(root, encoding="unicode")
        check("MariaDB, no cache, 100×6000" in text and "SQLite, no cache, 100×6000" in text,
              "one series per database, cache and size")
        check("<script" not in text and "http://" not in text.replace(
            "http://www.w3.org/", ""), "no scripts, no external assets")
    except (OSError, ET.ParseError) as error:
        check(False, "the page parses as XML", str(error))
    warnings = [text for text in done.stdout.splitlines() if text.startswith("WARNING")]
    check(len(warnings) == 2 and all("MariaDB" in text for text in warnings)
          and "25 %" in warnings[0] and "c4m" in warnings[0] and "c2m" in warnings[0],
          "the MariaDB drop is warned about (throughput and share), the SQLite series not",
          done.stdout)
    check(any(text.startswith("SQLite, no cache, 100×6000: 6 run(s)")
              for text in done.stdout.splitlines()), "a text summary per series", done.stdout)

    # Only the previous five count: a best run six back does not make a warning.
    old_best = [line("20261201T010000Z", "c0", 9000, 0.5)] + stable[1:]
    done, _ = report(folder, old_best + [line("20261206T100000Z", "c6", 3900, 0.2)])
    check("WARNING" not in done.stdout, "a best run older than the previous five is ignored",
          done.stdout)
    # A drop of exactly 10 % is not more than 10 %; a failed run is no baseline.
    done, _ = report(folder, [line("20261201T100000Z", "a", 1000, 0.2),
                              line("20261202T100000Z", "b", 5000, 0.9, ok=False),
                              line("20261203T100000Z", "c", 900, 0.18)])
    check("WARNING" not in done.stdout, "10 % exactly and failed runs do not warn",
          done.stdout)
    # A run under perf (PROFILE=1) is slower by the profiling: not compared with the others.
    profiled = dict(line("20261206T100000Z", "c6", 2000, 0.1), profiled=True)
    done, _ = report(folder, stable + [profiled])
    check("WARNING" not in done.stdout and "SQLite, no cache, 100×6000, under perf: 1 run(s)"
          in done.stdout, "a profiled run is a series of its own", done.stdout)
    done, _ = report(folder, [])
    check(done.returncode != 0 and "no runs" in done.stderr, "an empty history is an error")


def test_entry():
    run = {"timestamp": "20261207T011448Z", "machine": {"git": "8667a91-dirty", "nproc": 2},
           "database": {"driver": "mysql"}, "cache": "redis", "workers": 4,
           "summary": {"ok": True, "throughput_rps": 1000.0, "p50_ms": 5.0, "p99_ms": 20.5,
                       "ceiling_fixed_rps": 20000.0, "ratio_fixed": 0.05,
                       "ceiling_mysql_rps": 4000.0, "ratio_mysql": 0.25,
                       "worker_peak_rss_kb": 14000, "seed_seconds": 12.5,
                       "targets": {"a": False, "b": True, "c": True}},
           "weave": {"users": 1000, "records_per_user": 600, "connections": 16,
                     "phases": {"mix": {"seconds": 30.0, "types": {
                         "meta_global": {"rps": 300.0, "p50_ms": 4.0, "p99_ms": 9.0,
                                         "count": 9000}}}}}}
    value = history.entry(run)
    check(value["profiled"] is False and history.entry(run, True)["profiled"] is True,
          "a profiled run is marked")
    check(value["commit"] == "8667a91+dirty" and value["date"] == "2026-12-07T01:14:48Z",
          "a saved run's commit and date", str(value))
    check((value["database"], value["cache"], value["users"], value["records"])
          == ("mysql", "redis", 1000, 600), "database, cache and size")
    check(value["target_ratio"] == 0.25 and value["targets_met"] is False
          and value["types"]["meta_global"] == {"rps": 300.0, "p50_ms": 4.0, "p99_ms": 9.0},
          "MariaDB's target is the one-SELECT ceiling; per-type p50/p99", str(value))


def test_commit(folder):
    repo = os.path.join(folder, "repo")
    os.makedirs(os.path.join(repo, "bench"))

    def git(*args):
        return subprocess.run(["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t",
                               *args], capture_output=True, text=True, timeout=30, check=True)
    git("init", "-q")
    for name in ("bench/history.jsonl", "code.txt"):
        with open(os.path.join(repo, name), "w", encoding="utf-8") as handle:
            handle.write("1\n")
    git("add", ".")
    git("commit", "-q", "-m", "fixture")
    head = git("rev-parse", "--short", "HEAD").stdout.strip()
    with open(os.path.join(repo, "bench/history.jsonl"), "a", encoding="utf-8") as handle:
        handle.write("2\n")
    check(history.current_commit(repo) == head, "a grown history does not make the tree dirty",
          history.current_commit(repo))
    with open(os.path.join(repo, "code.txt"), "a", encoding="utf-8") as handle:
        handle.write("2\n")
    check(history.current_commit(repo) == head + "+dirty", "a changed file does",
          history.current_commit(repo))


def main():
    with tempfile.TemporaryDirectory(prefix="weave-bench-report.") as folder:
        test_report(folder)
        test_entry()
        test_commit(folder)
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
