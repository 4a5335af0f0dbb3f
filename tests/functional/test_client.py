"""A real client's first and second sync, request by request (protocol §6.5, §6.6, §6.7).

The requests are the ones Firefox 4+ / Pale Moon (UXP) send: text/plain bodies, the browser
Accept header except on streamed downloads (application/newlines), raw ids= lists,
X-Confirm-Delete: 1 on the wipe, ?v= on info/collections. What the client depends on is
asserted at each step."""

import json
import random
import string
import unittest

from weave import Account, Server, WeaveTestCase, require_account

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
USER_AGENT = "Mozilla/5.0 PaleMoon/33.0 FxSync/1.40.0.20240101.desktop"
GUID_CHARS = string.ascii_letters + string.digits + "-_"


def make_guid(rng):
    return "".join(rng.choice(GUID_CHARS) for _ in range(12))


def login_guid(rng):
    h = "0123456789abcdef"
    parts = [8, 4, 4, 4, 12]
    return "{" + "-".join("".join(rng.choice(h) for _ in range(n)) for n in parts) + "}"


def encrypted(rng, size=200):
    return json.dumps({"ciphertext": "".join(rng.choice(string.ascii_letters + "+/")
                                             for _ in range(size)) + "==",
                       "IV": "".join(rng.choice(string.ascii_letters) for _ in range(22)) + "==",
                       "hmac": "".join(rng.choice("0123456789abcdef") for _ in range(64))})


def parse_newlines(body):
    """UXP recordHandler: only '\\n'-terminated lines at index > 0 are handled."""
    records, buffer = [], body.decode("utf-8")
    while True:
        index = buffer.find("\n")
        if index <= 0:
            break
        records.append(json.loads(buffer[:index]))
        buffer = buffer[index + 1:]
    return records, buffer


class Device:
    """One browser profile: sends what the Sync client sends and keeps its state."""

    def __init__(self, test, acct, name):
        self.test = test
        self.acct = acct
        self.name = name
        self.client_id = make_guid(random.Random(name))
        self.server_time = None
        self.last_sync = {}
        self.log = []

    def request(self, method, rel, body=None, accept=BROWSER_ACCEPT, headers=None):
        all_headers = {"User-Agent": USER_AGENT, "Accept": accept}
        all_headers.update(headers or {})
        response = self.acct.request(method, rel, body, headers=all_headers,
                                     content_type="text/plain")
        self.log.append((method, rel, response.status))
        if response.header("X-Weave-Timestamp") is not None:
            self.server_time = float(response.header("X-Weave-Timestamp"))
        # The client backs off on X-Weave-Backoff even with a 200; nothing here should ask it to.
        self.test.assertIsNone(response.header("X-Weave-Backoff"), (method, rel))
        return response

    def info_collections(self, daily=False):
        response = self.request("GET", "info/collections" + ("?v=1.40.0" if daily else ""))
        self.test.assertOk(response)
        return response.json()

    def upload(self, engine, records):
        """_uploadOutgoing: POSTs of at most 100 records; lastSync := X-Weave-Timestamp."""
        stamps = []
        for start in range(0, len(records), 100):
            chunk = records[start:start + 100]
            response = self.request("POST", "storage/" + engine, json.dumps(chunk))
            result = self.test.assertPostOk(response, failed={})
            self.test.assertEqual(sorted(result["success"]), sorted(r["id"] for r in chunk))
            stamps.append(response.timestamp)
            self.last_sync[engine] = response.timestamp
        self.test.assertEqual(stamps, sorted(stamps))
        return stamps

    def download(self, engine, extra=""):
        """_processIncoming: streamed GET newer=lastSync&full=1, lastSync := max modified."""
        query = "full=1"
        if self.last_sync.get(engine):
            query = "newer=%.2f&full=1" % self.last_sync[engine]
        response = self.request("GET", "storage/%s?%s%s" % (engine, query, extra),
                                accept="application/newlines")
        self.test.assertOk(response)
        self.test.assertEqual(response.content_type, "application/newlines")
        records, rest = parse_newlines(response.body)
        self.test.assertEqual(rest, "", "unterminated last record")
        self.test.assertEqual(response.header("X-Weave-Records"), str(len(records)))
        if records:
            self.last_sync[engine] = max(self.last_sync.get(engine, 0),
                                         max(r["modified"] for r in records))
        return records


class RealClient(WeaveTestCase):
    @classmethod
    def setUpClass(cls):
        cls.acct = require_account("_CLIENT")

    def make_data(self):
        rng = random.Random(20240101)
        data = {
            "bookmarks": [{"id": make_guid(rng), "payload": encrypted(rng),
                           "sortindex": rng.randint(0, 5000), "parentid": "menu"}
                          for _ in range(250)],
            "history": [{"id": make_guid(rng), "payload": encrypted(rng, 120),
                         "sortindex": rng.randint(0, 200000), "ttl": 5184000}
                        for _ in range(150)],
            "passwords": [{"id": login_guid(rng), "payload": encrypted(rng)} for _ in range(5)],
            "tabs": [{"id": make_guid(rng), "payload": encrypted(rng, 600), "ttl": 604800}],
            "prefs": [{"id": make_guid(rng), "payload": encrypted(rng, 2000)}],
            "forms": [{"id": make_guid(rng), "payload": encrypted(rng, 60)} for _ in range(30)],
        }
        # Uploads carry every field the client got before, modified included (ignored).
        for record in data["forms"][:5]:
            record["modified"] = 1234567890.12
        return data

    def client_record(self, device):
        payload = json.dumps({"ciphertext": "client " + device.name, "IV": "x", "hmac": "y"})
        return {"id": device.client_id, "payload": payload, "ttl": 1814400}

    def first_sync(self, device):
        """§6.5: the first sync of a brand-new account. Returns what was uploaded."""
        self.acct.wipe()  # precondition: nothing stored for this account
        d = device
        # 0. Node lookup (authenticated, like every request of the client). 404 means
        #    "single-server mode": the client keeps using its server URL.
        response = self.acct.server.request(
            "GET", "/user/1.0/%s/node/weave" % self.acct.user,
            headers={"Authorization": self.acct.auth(), "User-Agent": USER_AGENT,
                     "Accept": BROWSER_ACCEPT})
        self.assertIn(response.status, (200, 404), response)
        if response.status == 200:
            node = response.text
            self.assertRegex(node, r"^https?://[^\s]+/$")  # used verbatim as a prefix
            cluster = Account(Server(node), self.acct.user, self.acct.password)
            self.assertOk(cluster.get("info/collections"))
        # 1. info/collections (with ?v= once a day): an empty object.
        self.assertEqual(d.info_collections(daily=True), {})
        # 2. meta/global: 404 (anything but 200/404 aborts the sync).
        self.assertEqual(d.request("GET", "storage/meta/global").status, 404)
        # 3. Fresh start: wipe, meta/global, keys, check info/collections, fetch keys.
        response = d.request("DELETE", "storage", headers={"X-Confirm-Delete": "1"})
        self.assertIn(response.status, (200, 404))
        self.assertTimestampHeader(response)
        sync_id = make_guid(random.Random("sync"))
        meta = {"syncID": sync_id, "storageVersion": 5, "declined": []}
        response = d.request("PUT", "storage/meta/global",
                             json.dumps({"id": "global", "payload": json.dumps(meta)}))
        self.assertEqual(response.status, 200, response)
        keys_payload = encrypted(random.Random("keys"), 300)
        response = d.request("PUT", "storage/crypto/keys",
                             json.dumps({"id": "keys", "payload": keys_payload}))
        self.assertEqual(response.status, 200, response)  # exactly 200
        keys_ts = float(response.body)  # the body is the server's timestamp
        self.assertEqual(keys_ts, response.timestamp)
        collections = d.info_collections()
        self.assertIn("crypto", collections)
        self.assertGreaterEqual(collections["crypto"], keys_ts)
        self.assertIn("meta", collections)
        response = d.request("GET", "storage/crypto/keys")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.json()["payload"], keys_payload)
        self.assertEqual(response.json()["modified"], keys_ts)
        # 4. Clients engine: wipe (200/404), no GET, upload own record with its ttl.
        self.assertIn(d.request("DELETE", "storage/clients").status, (200, 404))
        d.upload("clients", [self.client_record(d)])
        # 5. Every engine: wipe, then upload everything in POSTs of <= 100 records.
        data = self.make_data()
        for engine, records in data.items():
            self.assertIn(d.request("DELETE", "storage/" + engine).status, (200, 404))
            stamps = d.upload(engine, records)
            self.assertEqual(len(stamps), (len(records) + 99) // 100)
        # 6. meta/global again, now with the engines.
        meta["engines"] = {engine: {"version": 1, "syncID": make_guid(random.Random(engine))}
                           for engine in list(data) + ["clients"]}
        response = d.request("PUT", "storage/meta/global",
                             json.dumps({"id": "global", "payload": json.dumps(meta)}))
        self.assertEqual(response.status, 200)
        meta_ts = float(response.body)
        # What the next sync will rely on: info/collections values = each engine's lastSync.
        collections = d.info_collections()
        expected = {engine: d.last_sync[engine] for engine in list(data) + ["clients"]}
        expected.update(meta=meta_ts, crypto=keys_ts)
        self.assertEqual(collections, expected)
        counts = self.assertOk(d.request("GET", "info/collection_counts")).json()
        expected_counts = {engine: len(records) for engine, records in data.items()}
        expected_counts.update(meta=1, crypto=1, clients=1)
        self.assertEqual(counts, expected_counts)
        return data, meta, meta_ts, keys_ts

    def test_first_sync(self):
        device = Device(self, self.acct, "desktop")
        data, _, _, _ = self.first_sync(device)
        # Everything reads back exactly (modified sent by the client was ignored).
        for engine, records in data.items():
            stored = self.get_full(self.acct, engine)
            self.assertEqual(len(stored), len(records))
            for record in records:
                got = stored[record["id"]]
                self.assertEqual(got["payload"], record["payload"])
                self.assertEqual(got.get("sortindex"), record.get("sortindex"))
                self.assertNotEqual(got["modified"], 1234567890.12)
                self.assertNotIn("ttl", got)

    def test_second_sync_and_second_device(self):
        desktop = Device(self, self.acct, "desktop")
        data, meta, meta_ts, keys_ts = self.first_sync(desktop)

        # --- A second device joins (§6.5 end): meta/global, keys, clients, every engine.
        laptop = Device(self, self.acct, "laptop")
        collections = laptop.info_collections()
        response = laptop.request("GET", "storage/meta/global")
        self.assertEqual(response.status, 200)
        self.assertEqual(json.loads(response.json()["payload"]), meta)
        self.assertEqual(response.json()["modified"], meta_ts)
        self.assertEqual(laptop.request("GET", "storage/crypto/keys").status, 200)
        clients = laptop.download("clients")
        self.assertEqual([c["id"] for c in clients], [desktop.client_id])
        laptop.upload("clients", [self.client_record(laptop)])
        for engine, records in data.items():
            extra = {"bookmarks": "&sort=index", "history": "&sort=index&limit=5000"}.get(engine, "")
            got = laptop.download(engine, extra)
            self.assertEqual(sorted(r["id"] for r in got), sorted(r["id"] for r in records))
            self.assertEqual(laptop.last_sync[engine], collections[engine])
            if engine == "bookmarks":
                indexes = [r["sortindex"] for r in got]
                self.assertEqual(indexes, sorted(indexes, reverse=True))
        # The laptop changes five bookmarks.
        rng = random.Random("laptop edits")
        changed = [dict(r, payload=encrypted(rng)) for r in data["bookmarks"][:5]]
        stamps = laptop.upload("bookmarks", changed)

        # --- The desktop's next sync (§6.6).
        collections = desktop.info_collections(daily=True)
        # meta/global and crypto/keys unchanged: the client does not refetch them.
        self.assertEqual(collections["meta"], meta_ts)
        self.assertEqual(collections["crypto"], keys_ts)
        # The clients engine is reset at browser start: whole collection, streamed.
        desktop.last_sync.pop("clients")
        clients = desktop.download("clients")
        self.assertEqual(sorted(c["id"] for c in clients),
                         sorted([desktop.client_id, laptop.client_id]))
        # Engines are downloaded only when info/collections is newer than lastSync.
        for engine in data:
            newer = collections[engine] > desktop.last_sync[engine]
            self.assertEqual(newer, engine == "bookmarks", engine)
            if not newer:
                # A client that asked anyway gets nothing (newer is strict).
                self.assertEqual(desktop.download(engine), [])
        got = desktop.download("bookmarks", "&sort=index")
        self.assertEqual(sorted(r["id"] for r in got), sorted(r["id"] for r in changed))
        self.assertEqual({r["modified"] for r in got}, {stamps[-1]})
        self.assertEqual({r["id"]: r["payload"] for r in got},
                         {r["id"]: r["payload"] for r in changed})
        self.assertEqual(desktop.last_sync["bookmarks"], collections["bookmarks"])
        self.assertEqual(desktop.download("bookmarks"), [])

        # History on a mobile-sized batch: limit, then the id list, then ids= batches of 50.
        first = desktop.request("GET", "storage/history?full=1&sort=index&limit=50",
                                accept="application/newlines")
        batch, _ = parse_newlines(first.body)
        self.assertEqual(len(batch), 50)
        ids = self.assertOk(desktop.request("GET", "storage/history?sort=index")).json()
        self.assertEqual(len(ids), 150)
        self.assertEqual(ids[:50], [r["id"] for r in batch])
        queued = [i for i in ids if i not in {r["id"] for r in batch}]
        fetched = list(batch)
        for start in range(0, len(queued), 50):
            response = desktop.request("GET", "storage/history?full=1&ids=" +
                                       ",".join(queued[start:start + 50]),
                                       accept="application/newlines")
            records, rest = parse_newlines(response.body)
            self.assertEqual(rest, "")
            self.assertEqual(len(records), len(queued[start:start + 50]))
            fetched += records
        self.assertEqual(sorted(r["id"] for r in fetched), sorted(r["id"] for r in data["history"]))

        # Local changes go up (a deletion is an encrypted record, not an HTTP DELETE).
        tombstone = {"id": data["forms"][0]["id"], "payload": json.dumps({"deleted": True})}
        new_form = {"id": make_guid(random.Random("new form")), "payload": encrypted(rng)}
        stamp = desktop.upload("forms", [tombstone, new_form])[-1]
        self.assertEqual(desktop.info_collections()["forms"], stamp)

        # Duplicate resolution: DELETE ?ids= with up to 100 raw ids.
        dupes = [r["id"] for r in data["bookmarks"][100:200]]
        response = desktop.request("DELETE", "storage/bookmarks?ids=" + ",".join(dupes))
        self.assertTimestampBody(response)
        self.assertEqual(len(self.get_ids(self.acct, "bookmarks")), 150)
        # Passwords: removing stored Sync credentials by {guid} (200 or 400 accepted).
        guid = data["passwords"][0]["id"]
        response = desktop.request("DELETE", "storage/passwords?ids=" + guid)
        self.assertIn(response.status, (200, 400))
        self.assertNotIn(guid, self.get_ids(self.acct, "passwords"))
        self.assertEqual(len(self.get_ids(self.acct, "passwords")), 4)
        # canDecrypt: the newest record.
        response = desktop.request("GET", "storage/bookmarks?limit=1&sort=newest&full=1")
        newest = self.assertOk(response).json()
        self.assertEqual(len(newest), 1)
        self.assertEqual(newest[0]["modified"], stamps[-1])
        # The preferences pane.
        usage = self.assertOk(desktop.request("GET", "info/collection_usage")).json()
        counts = self.assertOk(desktop.request("GET", "info/collection_counts")).json()
        used, _ = self.assertOk(desktop.request("GET", "info/quota")).json()
        self.assertEqual(counts["bookmarks"], 150)
        self.assertEqual(counts["forms"], 31)
        self.assertEqual(counts["clients"], 2)
        self.assertAlmostEqual(sum(usage.values()), used, places=2)
        # Start over on the laptop: its own clients record goes.
        self.assertTimestampBody(laptop.request("DELETE", "storage/clients/" + laptop.client_id))
        self.assertEqual(laptop.request("GET", "storage/clients/" + laptop.client_id).status, 404)
        self.assertEqual(self.get_ids(self.acct, "clients"), [desktop.client_id])
        # An engine disabled everywhere is wiped.
        self.assertTimestampBody(desktop.request("DELETE", "storage/forms"))
        self.assertNotIn("forms", desktop.info_collections())
        # No request of either device got a server error.
        for method, rel, status in desktop.log + laptop.log:
            self.assertLess(status, 500, (method, rel))


if __name__ == "__main__":
    unittest.main()
