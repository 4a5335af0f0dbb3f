"""Runs the functional suite in a fixed order and reports the counts.

Usage: python3 runner.py [SUBSTRING ...]   (only tests whose id contains one of them;
       -SUBSTRING leaves out the tests whose id contains it)
Prints one line per test, then "functional suite: N passed, N failed, N skipped"; with
WEAVE_COUNTS_FILE set, writes "passed failed" there (run.sh prints the final line).
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Crash safety last: it kills workers.
MODULES = [
    "test_storage",
    "test_params",
    "test_formats",
    "test_validation",
    "test_auth",
    "test_badinput",
    "test_client",
    "test_quota",
    "test_user_api",
    "test_templates",  # its own server
    "test_lockout",
    "test_shared_logins",  # its own server
    "test_hostile",  # its own server: the reruns on other back ends leave it out
    "test_faults",
    "test_upkeep",  # its own servers
    "test_metrics",  # its own servers
    "test_crash",
]


def flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from flatten(item)
        else:
            yield item


class Result(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.passed = 0
        self.started = 0.0

    def startTest(self, test):
        super().startTest(test)
        self.started = time.time()

    def _line(self, status, test):
        print("%-5s %s (%.2fs)" % (status, test.id(), time.time() - self.started), flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1
        self._line("ok", test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line("FAIL", test)

    def addError(self, test, err):
        super().addError(test, err)
        self._line("ERROR", test)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line("skip", test)
        print("      (%s)" % reason)


def main():
    filters = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    left_out = [arg[1:] for arg in sys.argv[1:] if arg.startswith("-")]
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for name in MODULES:
        module = __import__(name)
        tests = list(flatten(loader.loadTestsFromModule(module)))
        if filters:
            tests = [t for t in tests if any(f in t.id() for f in filters)]
        tests = [t for t in tests if not any(f in t.id() for f in left_out)]
        suite.addTests(tests)
    result = Result()
    began = time.time()
    suite.run(result)
    for kind, problems in (("FAIL", result.failures), ("ERROR", result.errors)):
        for test, trace in problems:
            print("=" * 70)
            print("%s: %s" % (kind, test.id() if hasattr(test, "id") else test))
            print("-" * 70)
            print(trace)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print("functional suite: %d passed, %d failed, %d skipped in %.1fs"
          % (result.passed, failed, len(result.skipped), time.time() - began))
    counts = os.environ.get("WEAVE_COUNTS_FILE")
    if counts:
        with open(counts, "w") as out:
            out.write("%d %d\n" % (result.passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
