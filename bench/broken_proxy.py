#!/usr/bin/env python3
"""A deliberately broken Sync server for bench/test_broken.sh: an HTTP/1.1 proxy that
forwards everything to the real server, except that every other POST of exactly 10 records
(the load mix's uploads; seeding sends other sizes) is answered with a fake success without
being forwarded. A benchmark that only looks at status codes would not notice.

usage: broken_proxy.py LISTEN_PORT UPSTREAM_PORT      (both on 127.0.0.1)"""

import http.client
import http.server
import json
import signal
import sys
import threading
import time

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection", "content-length"}


class State:
    lock = threading.Lock()
    ten_record_posts = 0
    dropped = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream_port = 0

    def log_message(self, *args):  # quiet
        pass

    def upstream(self):
        if getattr(self, "_upstream", None) is None:
            self._upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port,
                                                        timeout=30)
        return self._upstream

    def answer(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def fake_success(self, body):
        try:
            ids = [record.get("id") for record in json.loads(body)]
        except (ValueError, AttributeError):
            return False
        stamp = f"{time.time():.2f}"
        reply = json.dumps({"modified": float(stamp), "success": ids, "failed": {}})
        self.answer(200, [("Content-Type", "application/json"), ("X-Weave-Timestamp", stamp)],
                    reply.encode())
        return True

    def relay(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.command == "POST":
            try:
                count = len(json.loads(body))
            except ValueError:
                count = 0
            if count == 10:
                with State.lock:
                    State.ten_record_posts += 1
                    drop = State.ten_record_posts % 2 == 0
                    State.dropped += drop
                if drop and self.fake_success(body):
                    return
        headers = {name: value for name, value in self.headers.items()
                   if name.lower() not in HOP_BY_HOP}
        for attempt in range(2):
            try:
                connection = self.upstream()
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self._upstream = None
                if attempt == 1:
                    self.answer(502, [], b"proxy: upstream failed")
                    return
        self.answer(response.status, response.getheaders(), data)

    do_GET = do_POST = do_PUT = do_DELETE = relay


def main():
    listen_port, upstream_port = int(sys.argv[1]), int(sys.argv[2])
    Handler.upstream_port = upstream_port
    server = http.server.ThreadingHTTPServer(("127.0.0.1", listen_port), Handler)
    server.daemon_threads = True

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        print(f"broken_proxy: dropped {State.dropped} of {State.ten_record_posts} POSTs of 10 records",
              file=sys.stderr)


if __name__ == "__main__":
    main()
