"""Crash safety: SIGKILL workers while large POSTs are in flight (needs WEAVE_MASTER_PID,
WEAVE_WORKERS, and the server on this machine).

Afterwards every POST that got a 200 must have all its records stored with the returned
timestamp, no POST may be half-applied, the per-collection totals must agree with the
records, and the master must have replaced the workers."""

import os
import random
import signal
import threading
import time
import unittest

from weave import WeaveTestCase, account, env_int, require_account
from weave_instance import live_children

RECORDS_PER_POST = 100
POSTERS = 6
KILLS = 25
KILL_INTERVAL = 0.12
KILL_SECONDS = 15


class Concurrency(WeaveTestCase):
    """Parallel writers and readers on one account, without kills: no request fails (the
    workers wait for each other's write transactions), every POST gets its own timestamp,
    and a reader never sees part of a POST."""

    coll = "concurrent"

    @classmethod
    def setUpClass(cls):
        cls.acct = account("_CRASH") or require_account()

    def test_parallel_posts_and_reads(self):
        self.acct.wipe()
        results, errors, partial_reads = {}, [], []
        per_post = 50

        def writer(number):
            for round_ in range(6):
                post = number * 100 + round_
                records = [{"id": "w%04dr%02d" % (post, i), "payload": "w%d %d" % (post, i)}
                           for i in range(per_post)]
                coll = self.coll if number % 2 == 0 else self.coll + "2"
                try:
                    response = self.acct.post("storage/" + coll, records, timeout=60)
                except Exception as error:
                    errors.append(repr(error))
                    continue
                if response.status != 200:
                    errors.append(repr(response))
                    continue
                results[post] = (coll, response.json())

        def reader():
            for _ in range(15):
                try:
                    response = self.acct.get("storage/%s?full=1" % self.coll, timeout=60)
                except Exception as error:
                    errors.append(repr(error))
                    continue
                if response.status != 200:
                    errors.append(repr(response))
                    continue
                counts = {}
                for record in response.json():
                    counts[record["id"][1:5]] = counts.get(record["id"][1:5], 0) + 1
                partial_reads.extend(post for post, n in counts.items() if n != per_post)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
        threads += [threading.Thread(target=reader) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(partial_reads, [], "a GET saw part of a POST")
        self.assertEqual(len(results), 36)
        by_collection = {}
        for post, (coll, result) in results.items():
            self.assertEqual(len(result["success"]), per_post)
            by_collection.setdefault(coll, []).append(result["modified"])
        for coll, stamps in by_collection.items():
            self.assertEqual(len(stamps), len(set(stamps)), "two POSTs share a timestamp")
            stored = self.get_full(self.acct, coll)
            self.assertEqual(len(stored), len(stamps) * per_post)
            self.assertEqual(self.assertOk(self.acct.get("info/collections")).json()[coll],
                             max(stamps))
            for post, (c, result) in results.items():
                if c == coll:
                    for id_ in result["success"]:
                        self.assertEqual(stored[id_]["modified"], result["modified"])


class CrashSafety(WeaveTestCase):
    coll = "crashtest"

    @classmethod
    def setUpClass(cls):
        cls.master = env_int("WEAVE_MASTER_PID", 0)
        cls.workers = env_int("WEAVE_WORKERS", 0)
        if not cls.master or not cls.workers:
            raise unittest.SkipTest("WEAVE_MASTER_PID / WEAVE_WORKERS not set")
        if not os.path.exists("/proc/%d" % cls.master):
            raise unittest.SkipTest("the server master does not run on this machine")
        cls.acct = account("_CRASH") or require_account()

    def wait_for_workers(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(live_children(self.master)) == self.workers:
                return
            time.sleep(0.05)
        self.fail("worker count is %d, not %d, %ds after the kills"
                  % (len(live_children(self.master)), self.workers, timeout))

    def records_for(self, post):
        rng = random.Random(post)
        filler = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(1500))
        return [{"id": "p%05dr%03d" % (post, i), "sortindex": i,
                 "payload": "post %d record %d %s" % (post, i, filler)}
                for i in range(RECORDS_PER_POST)]

    def test_sigkill_workers_during_posts(self):
        self.acct.wipe()
        self.wait_for_workers()
        outcomes = {}  # post number -> (status or exception text, parsed body or None)
        counter = iter(range(1, 1000000))
        lock = threading.Lock()
        stop = threading.Event()

        def poster():
            while not stop.is_set():
                with lock:
                    post = next(counter)
                try:
                    response = self.acct.post("storage/" + self.coll, self.records_for(post),
                                              timeout=60)
                    body = response.json() if response.status == 200 else None
                    outcomes[post] = (response.status, body, response.timestamp)
                except Exception as error:  # connection reset etc.: the POST's fate is unknown
                    outcomes[post] = (repr(error), None, None)

        threads = [threading.Thread(target=poster) for _ in range(POSTERS)]
        for thread in threads:
            thread.start()
        kills = 0
        try:
            rng = random.Random(7)
            time.sleep(0.3)
            deadline = time.time() + KILL_SECONDS
            # The master holds back a respawn for a second after a worker that died young,
            # so some rounds find no worker to kill.
            while kills < KILLS and time.time() < deadline:
                children = live_children(self.master)
                if children:
                    try:
                        os.kill(rng.choice(children), signal.SIGKILL)
                        kills += 1
                    except ProcessLookupError:
                        pass
                time.sleep(KILL_INTERVAL)
        finally:
            stop.set()
            for thread in threads:
                thread.join(120)
        self.assertGreaterEqual(kills, KILLS // 2, "too few workers to kill")

        # The master replaced every killed worker and the service answers.
        self.wait_for_workers()
        self.assertOk(self.acct.get("info/collections"))

        stored = {}
        response = self.acct.get("storage/%s?full=1" % self.coll)
        self.assertOk(response)
        for record in response.json():
            stored.setdefault(int(record["id"][1:6]), []).append(record)

        ok = [post for post, (status, _, _) in outcomes.items() if status == 200]
        failed = [post for post in outcomes if post not in ok]
        print("      %d POSTs: %d ok, %d failed (%s); %d workers killed"
              % (len(outcomes), len(ok), len(failed),
                 sorted({str(outcomes[p][0])[:40] for p in failed}), kills))
        self.assertGreater(len(ok), 0)
        self.assertTrue(set(stored) <= set(outcomes), "records of POSTs never sent")
        for post in ok:
            _, body, header = outcomes[post]
            expected = self.records_for(post)
            self.assertEqual(sorted(body["success"]), sorted(r["id"] for r in expected))
            self.assertEqual(body["failed"], {})
            self.assertEqual(body["modified"], header)
            records = stored.get(post, [])
            self.assertEqual(len(records), RECORDS_PER_POST, "POST %d got 200 but is incomplete"
                             % post)
            for record in records:
                self.assertEqual(record["modified"], body["modified"], "POST %d" % post)
            self.assertEqual({r["id"]: r["payload"] for r in records},
                             {r["id"]: r["payload"] for r in expected})
        for post in failed:
            records = stored.get(post, [])
            self.assertIn(len(records), (0, RECORDS_PER_POST),
                          "POST %d (%s) is half-applied" % (post, outcomes[post][0]))
            self.assertLessEqual(len({r["modified"] for r in records}), 1)
        # Every committed POST has its own timestamp.
        stamps = [records[0]["modified"] for records in stored.values()]
        self.assertEqual(len(stamps), len(set(stamps)))

        # The per-collection totals survived the crashes.
        total = sum(len(records) for records in stored.values())
        counts = self.assertOk(self.acct.get("info/collection_counts")).json()
        self.assertEqual(counts.get(self.coll, 0), total)
        usage = self.assertOk(self.acct.get("info/collection_usage")).json()
        payload_bytes = sum(len(r["payload"].encode()) for records in stored.values()
                            for r in records)
        self.assertAlmostEqual(usage.get(self.coll, 0), payload_bytes / 1024, places=2)
        if stamps:
            self.assertEqual(self.assertOk(self.acct.get("info/collections")).json()[self.coll],
                             max(stamps))
        # And the server still takes writes.
        self.post_records(self.acct, self.coll, [{"id": "after", "payload": "still works"}])
        self.assertEqual(self.assertOk(self.acct.get("storage/%s/after" % self.coll)).json()
                         ["payload"], "still works")


if __name__ == "__main__":
    unittest.main()
