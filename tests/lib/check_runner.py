"""Runs the named checks of a Python suite (tests/mysql, tests/cluster): one line each
("ok    name (1.2s)", "FAIL  name" and its traceback, "skip  name: why"), counted in a
{"passed", "failed"} dict, and the counts written for the suite's shell script
(WEAVE_COUNTS_FILE, read by suite_counts in tests/lib/harness.sh)."""

import os
import sys
import time
import traceback


def run_checks(checks, filters, results, skip=()):
    """Runs each check (a function without arguments) whose name contains one of filters
    (all without filters); an exception of a type in skip is a skip, not a failure."""
    for function in checks:
        name = function.__name__
        if filters and not any(f in name for f in filters):
            continue
        started = time.time()
        try:
            function()
            results["passed"] += 1
            print("ok    %s (%.1fs)" % (name, time.time() - started), flush=True)
        except skip as reason:  # pylint: disable=catching-non-exception
            print("skip  %s: %s" % (name, reason), flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported and counted
            results["failed"] += 1
            print("FAIL  %s (%.1fs)" % (name, time.time() - started), flush=True)
            traceback.print_exc()
            sys.stdout.flush()


def write_counts(results):
    """Writes "passed failed" to WEAVE_COUNTS_FILE; returns the exit status."""
    counts = os.environ.get("WEAVE_COUNTS_FILE")
    if counts:
        with open(counts, "w") as out:
            out.write("%d %d\n" % (results["passed"], results["failed"]))
    return 0 if results["failed"] == 0 else 1
