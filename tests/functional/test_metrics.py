"""Metrics through a real nginx, on a server of its own: /__metrics__ under load from several
threads (the totals of every worker, parsed by the Prometheus client's own parser), its
allow-list (another REMOTE_ADDR gets 404 as if the path did not exist), worker restarts,
lockouts, queue waits, and the statsd lines the server pushes to a UDP socket.
"""

import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import unittest

import weave_instance
from weave import Account, Server, WeaveTestCase, main_server, wbo

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    # Debian's python3-prometheus-client (scripts/install-deps.sh test), also when python3
    # is another interpreter (a virtualenv, pyenv): the module is pure Python.
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        text_string_to_metric_families = None

USER, PASSWORD = "metrics-user", "metrics-password-1"
LOCKED_USER, LOCKED_PASSWORD = "metrics-locked", "metrics-password-2"
OTHER_ADDRESS = "192.0.2.77"  # what the second nginx listener reports as REMOTE_ADDR


def parse(text):
    """{(sample name, frozenset of labels): value} and {family name: type}."""
    samples, types = {}, {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples, types


def key(name, **labels):
    return (name, frozenset(labels.items()))


def requests_key(route, method, status):
    return key("weave_requests_total", route=route, method=method, status=str(status))


class MetricsCase(WeaveTestCase):
    @classmethod
    def setUpClass(cls):
        missing = weave_instance.tools_missing()
        if missing:
            raise unittest.SkipTest(missing)
        if text_string_to_metric_families is None:  # a failure, not a skip: it is listed
            raise AssertionError("python3-prometheus-client is not installed "
                                 "(sh scripts/install-deps.sh test)")
        cls.folder = tempfile.mkdtemp(prefix="weave-metrics.")
        os.chmod(cls.folder, 0o711)
        cls.statsd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cls.statsd.bind(("127.0.0.1", 0))
        cls.statsd.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        settings = {
            "metrics": {"enabled": True, "allow": ["127.0.0.1", "::1"],
                        "statsd": "127.0.0.1:%d" % cls.statsd.getsockname()[1],
                        "statsd_prefix": "sync"},
            # A per-user lockout only: every request here comes from 127.0.0.1.
            "accounts": {"lockout_max_failures": 2, "lockout_max_failures_per_address": 0,
                         "lockout_seconds": 600},
        }
        cls.instance = weave_instance.Instance(cls.folder, "metrics", settings, workers=3)
        cls.other_port = weave_instance.free_port()
        cls.instance.nginx_extra = cls.other_listener()
        cls.instance.start()
        cls.instance.add_user(USER, PASSWORD)
        cls.instance.add_user(LOCKED_USER, LOCKED_PASSWORD)
        cls.server = Server(cls.instance.url)
        cls.other = Server("http://127.0.0.1:%d" % cls.other_port)
        cls.account = Account(cls.server, USER, PASSWORD)

    @classmethod
    def other_listener(cls):
        """A second nginx server that hands the worker another REMOTE_ADDR."""
        with open(os.path.join(weave_instance.ROOT, "conf", "nginx", "fastcgi_weave.conf")) as f:
            params = f.read()
        params = re.sub(r"fastcgi_param\s+REMOTE_ADDR\s+\$remote_addr;",
                        "fastcgi_param REMOTE_ADDR %s;" % OTHER_ADDRESS, params)
        assert OTHER_ADDRESS in params
        path = os.path.join(cls.folder, "fastcgi_other.conf")
        with open(path, "w") as out:
            out.write(params)
        return """
  server {
    listen 127.0.0.1:%d;
    location / {
      fastcgi_pass weave;
      include %s;
    }
  }""" % (cls.other_port, path)

    @classmethod
    def tearDownClass(cls):
        instance = getattr(cls, "instance", None)
        if instance is not None:
            instance.stop()
            report = instance.sanitizer_report()
            if report:
                raise AssertionError("sanitizer report in the server log:\n" + report)
        if getattr(cls, "statsd", None) is not None:
            cls.statsd.close()
        shutil.rmtree(getattr(cls, "folder", ""), ignore_errors=True)

    def scrape(self):
        response = self.server.request("GET", "/__metrics__")
        self.assertStatus(response, 200)
        self.assertTrue(response.content_type == "text/plain", response)
        self.assertIn("version=0.0.4", response.header("Content-Type"))
        return parse(response.text)

    def worker_pids(self):
        return weave_instance.live_children(self.instance.server_proc.pid)

    def wait_for(self, what, predicate, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        self.fail("timed out waiting for " + what)


class Scrape(MetricsCase):
    def test_counters_move_by_the_requests_made_under_load(self):
        before, _ = self.scrape()
        threads, per_thread = 6, 50  # 300 requests, several at a time across 3 workers
        results, lock = [], threading.Lock()

        def load(number):
            for i in range(per_thread):
                kind = i % 5
                if kind in (0, 1):
                    status = self.account.get("info/collections").status
                elif kind == 2:
                    status = self.account.put("storage/tabs/t%d-%d" % (number, i),
                                              wbo("x", "payload")).status
                elif kind == 3:
                    status = self.account.get("storage/tabs/missing-%d" % i).status
                else:
                    status = self.server.request("GET", "/no/such/path/%d" % i).status
                with lock:
                    results.append((kind, status))

        workers = [threading.Thread(target=load, args=(n,)) for n in range(threads)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        after, types = self.scrape()
        expected_status = {0: 200, 1: 200, 2: 200, 3: 404, 4: 404}
        self.assertEqual([s for k, s in results if s != expected_status[k]], [])
        per_kind = threads * per_thread // 5

        def moved(sample_key):
            return after.get(sample_key, 0) - before.get(sample_key, 0)

        self.assertEqual(moved(requests_key("info_collections", "GET", 200)), 2 * per_kind)
        self.assertEqual(moved(requests_key("storage_collection_id", "PUT", 200)), per_kind)
        self.assertEqual(moved(requests_key("storage_collection_id", "GET", 404)), per_kind)
        self.assertEqual(moved(requests_key("unmatched", "any", 404)), per_kind)
        self.assertEqual(moved(requests_key("metrics", "GET", 200)), 1)
        # Every request waited for a worker, the second scrape included; nginx tells when
        # it handed each over.
        self.assertEqual(moved(key("weave_queue_wait_seconds_count")), threads * per_thread + 1)
        self.assertEqual(types["weave_requests"], "counter")
        self.assertEqual(types["weave_request_duration_seconds"], "histogram")
        self.assertEqual(types["weave_queue_wait_seconds"], "histogram")
        # The histogram agrees with the counter, and its buckets only grow.
        labels = dict(route="info_collections", method="GET", status="200")
        count = after[key("weave_request_duration_seconds_count", **labels)]
        self.assertEqual(count, after[requests_key("info_collections", "GET", 200)])
        self.assertEqual(after[key("weave_request_duration_seconds_bucket", le="+Inf",
                                   **labels)], count)
        buckets = sorted((float(dict(k[1])["le"]), v) for k, v in after.items()
                         if k[0] == "weave_request_duration_seconds_bucket"
                         and all(dict(k[1]).get(n) == labels[n] for n in labels))
        self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets))
        self.assertGreater(after[key("weave_request_duration_seconds_sum", **labels)], 0)
        # No user name ever becomes a label.
        self.assertFalse([k for k in after if USER in repr(k)])

    def test_every_scrape_sees_the_totals_of_all_workers(self):
        # Worker by worker the counts would go up and down; totals go up by one a scrape.
        seen = []
        for _ in range(12):
            samples, _ = self.scrape()
            seen.append(samples[requests_key("metrics", "GET", 200)])
        self.assertEqual(seen, list(range(int(seen[0]), int(seen[0]) + 12)))

    def test_other_addresses_get_404_as_if_it_did_not_exist(self):
        missing = self.other.request("GET", "/no-such-path")
        self.assertStatus(missing, 404)
        for method in ("GET", "POST", "PUT", "DELETE", "HEAD"):
            response = self.other.request(method, "/__metrics__")
            self.assertStatus(response, 404)
            if method != "HEAD":
                self.assertEqual(response.body, missing.body)
            self.assertIsNone(response.header("Allow"))
        # From an allowed address the path exists: other methods are 405, not 404.
        self.assertStatus(self.server.request("POST", "/__metrics__", ""), 405)
        # The other listener reaches the same server otherwise.
        self.assertStatus(self.other.request("GET", "/__heartbeat__"), 200)

    def test_off_by_default(self):
        # The shared instance of run.sh has no metrics section.
        self.assertStatus(main_server().request("GET", "/__metrics__"), 404)


class Events(MetricsCase):
    def test_lockouts_are_counted(self):
        before, _ = self.scrape()
        account = Account(self.server, LOCKED_USER, "wrong password")
        for _ in range(2):
            self.assertStatus(account.get("info/collections"), 401)
        for _ in range(3):  # refused by the lockout, the password not even tried
            self.assertStatus(account.get("info/collections"), 401)
        after, _ = self.scrape()
        self.assertEqual(after[key("weave_lockouts_total")] -
                         before.get(key("weave_lockouts_total"), 0), 3)

    def test_a_worker_that_dies_is_counted_as_restarted(self):
        died = key("weave_worker_restarts_total", reason="died")
        before, _ = self.scrape()
        victim = self.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        self.wait_for("the master to replace the worker",
                      lambda: victim not in self.worker_pids() and len(self.worker_pids()) == 3)
        after = self.wait_for("the restart to be counted",
                              lambda: (lambda s: s if s[died] > before[died] else None)(
                                  self.scrape()[0]))
        self.assertEqual(after[died] - before[died], 1)
        self.assertEqual(after[key("weave_database_errors_total")],
                         before[key("weave_database_errors_total")])

    def test_statsd_lines_arrive(self):
        self.statsd.settimeout(0.2)
        try:  # what earlier tests sent
            while True:
                self.statsd.recv(65536)
        except socket.timeout:
            pass
        for _ in range(3):
            self.assertStatus(self.account.get("info/collections"), 200)
        lines, datagrams = [], []
        self.statsd.settimeout(5)
        deadline = time.time() + 10
        while time.time() < deadline and \
                sum(1 for line in lines if line.startswith("sync.requests.info_collections.")) < 3:
            datagrams.append(self.statsd.recv(65536).decode().splitlines())
            lines += datagrams[-1]
        # A request's lines leave together, in one datagram.
        requests = [datagram for datagram in datagrams
                    if "sync.requests.info_collections.GET.200:1|c" in datagram]
        self.assertEqual(len(requests), 3, datagrams)
        for datagram in requests:
            kinds = {line.split(".")[1].split(":")[0] for line in datagram}
            self.assertTrue({"queue_wait", "request_time", "requests"} <= kinds, datagram)
        self.assertEqual(lines.count("sync.requests.info_collections.GET.200:1|c"), 3, lines)
        timings = [line for line in lines
                   if re.fullmatch(r"sync\.request_time\.info_collections\.GET:\d+\.\d{3}\|ms",
                                   line)]
        self.assertEqual(len(timings), 3, lines)
        self.assertTrue(any(re.fullmatch(r"sync\.queue_wait:\d+\.\d{3}\|ms", line)
                            for line in lines), lines)


if __name__ == "__main__":
    unittest.main()
