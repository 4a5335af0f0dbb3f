"""Helpers shared by the cluster suites (galera_suite.py, syncrepl_suite.py): HTTP through
a weave_instance.Instance, the User API calls they use, and the check runner. Standard
library only."""

import base64
import http.client
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "lib"))
import check_runner  # noqa: E402


def wait_until(predicate, what, timeout=60):
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out waiting for " + what
        time.sleep(0.2)


def request(server, method, path, body=None, auth=None, timeout=30, raw=None):
    """(status, headers dict with lower-case names, body bytes); status -1 if the
    connection failed. body is sent as JSON, raw as it is."""
    headers = {}
    if auth:
        token = base64.b64encode(("%s:%s" % auth).encode()).decode()
        headers["Authorization"] = "Basic " + token
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if raw is not None:
        data = raw
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        answer = (response.status, {k.lower(): v for k, v in response.getheaders()},
                  response.read())
        connection.close()
        return answer
    except OSError as error:
        return -1, {}, repr(error).encode()


def register(server, name, password):
    return request(server, "PUT", "/user/1.0/" + name,
                   {"password": password, "email": name + "@example.org"})


def login(server, name, password):
    return request(server, "GET", "/1.1/%s/info/collections" % name, auth=(name, password))


def assert_clean_503(status, headers, body, what):
    assert status == 503 and headers.get("retry-after"), \
        "%s: %s %r %r" % (what, status, headers, body[:200])


def run_checks(checks, filters, servers):
    """Runs the checks whose name contains one of filters (all without filters), then stops
    servers (weave_instance.Instance objects) and counts a sanitizer report in their logs as
    a failure. Writes "passed failed" to WEAVE_COUNTS_FILE; returns the exit status."""
    results = {"passed": 0, "failed": 0}
    try:
        check_runner.run_checks(checks, filters, results)
    finally:
        for server in list(servers):
            server.stop()
            report = server.sanitizer_report()
            if report:
                print("sanitizer report in %s:\n%s" % (server.name, report), flush=True)
                results["failed"] += 1
    return check_runner.write_counts(results)
