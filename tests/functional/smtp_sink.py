#!/usr/bin/env python3
"""A tiny SMTP server for tests: accepts every message and keeps it as a file.

Standard library only. Listens on 127.0.0.1 (loopback only) and speaks just enough SMTP
for libcurl and smtplib: EHLO/HELO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, VRFY, QUIT.
No TLS, no AUTH.

Command line:
    smtp_sink.py FOLDER [--port N] [--port-file FILE]
Stores each message as FOLDER/<sequence>.eml (written to a temporary name, then renamed,
so a reader never sees half a message), with two leading headers X-Sink-Mail-From and
X-Sink-Rcpt-To giving the envelope. --port 0 (the default) picks a free port; the port
is printed on standard output and, with --port-file, written to that file once the
socket listens. Stops on SIGTERM or SIGINT.

From Python:
    sink = SmtpSink(folder); sink.start(); ... sink.wait_for_messages(1, timeout=10); sink.stop()
"""

import argparse
import email
import email.policy
import os
import signal
import socketserver
import sys
import threading
import time

MAX_LINE = 4096  # bytes per command or message line (RFC 5321 says 1000; be lenient)
MAX_MESSAGE = 10 * 1024 * 1024
MAX_RECIPIENTS = 100
IDLE_TIMEOUT = 30  # seconds without a line before the connection is dropped


class _Handler(socketserver.StreamRequestHandler):
    timeout = IDLE_TIMEOUT

    def reply(self, text):
        self.wfile.write(text.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def read_line(self):
        line = self.rfile.readline(MAX_LINE + 1)
        if not line:
            return None
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            # Too long: drop the rest of it.
            while line and not line.endswith(b"\n"):
                line = self.rfile.readline(MAX_LINE + 1)
            return b"\x00too-long"
        return line.rstrip(b"\r\n")

    def reset(self):
        self.mail_from = None
        self.recipients = []

    def handle(self):
        self.reset()
        self.greeted = False
        try:
            self.reply("220 localhost smtp_sink ready")
            while True:
                line = self.read_line()
                if line is None:
                    return
                if line == b"\x00too-long":
                    self.reply("500 line too long")
                    continue
                if not self.command(line.decode("utf-8", "replace")):
                    return
        except (OSError, ValueError):
            return  # timeout or the client went away

    def command(self, line):
        verb, _, argument = line.partition(" ")
        verb = verb.upper()
        argument = argument.strip()
        if verb == "EHLO":
            self.greeted = True
            self.reset()
            self.wfile.write(b"250-localhost\r\n250-8BITMIME\r\n250-SIZE %d\r\n250 HELP\r\n"
                             % MAX_MESSAGE)
            self.wfile.flush()
        elif verb == "HELO":
            self.greeted = True
            self.reset()
            self.reply("250 localhost")
        elif verb == "MAIL":
            if not argument.upper().startswith("FROM:"):
                self.reply("501 syntax: MAIL FROM:<address>")
            elif self.mail_from is not None:
                self.reply("503 sender already given")
            else:
                self.mail_from = self.address(argument[5:])
                self.reply("250 OK")
        elif verb == "RCPT":
            if self.mail_from is None:
                self.reply("503 need MAIL first")
            elif not argument.upper().startswith("TO:"):
                self.reply("501 syntax: RCPT TO:<address>")
            elif len(self.recipients) >= MAX_RECIPIENTS:
                self.reply("452 too many recipients")
            else:
                self.recipients.append(self.address(argument[3:]))
                self.reply("250 OK")
        elif verb == "DATA":
            if not self.recipients:
                self.reply("503 need RCPT first")
                return True
            self.reply("354 end data with <CR><LF>.<CR><LF>")
            data = self.read_data()
            if data is None:
                return False
            if len(data) > MAX_MESSAGE:
                self.reply("552 message too large")
            else:
                name = self.server.store(self.mail_from, self.recipients, data)
                self.reply("250 OK queued as %s" % name)
            self.reset()
        elif verb == "RSET":
            self.reset()
            self.reply("250 OK")
        elif verb == "NOOP":
            self.reply("250 OK")
        elif verb == "VRFY":
            self.reply("252 cannot verify, but will accept")
        elif verb == "QUIT":
            self.reply("221 bye")
            return False
        else:
            self.reply("502 command not implemented")
        return True

    @staticmethod
    def address(text):
        text = text.strip()
        if text.startswith("<"):
            end = text.find(">")
            return text[1:end] if end > 0 else text[1:]
        return text.split(" ")[0]

    def read_data(self):
        lines = []
        size = 0
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            if not line:
                return None
            stripped = line.rstrip(b"\r\n")
            if stripped == b".":
                break
            if stripped.startswith(b"."):
                stripped = stripped[1:]  # dot-stuffing
            size += len(stripped) + 2
            if size <= MAX_MESSAGE:
                lines.append(stripped)
        if size > MAX_MESSAGE:
            return b"x" * (MAX_MESSAGE + 1)
        return b"\r\n".join(lines) + b"\r\n"


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address, folder):
        super().__init__(address, _Handler)
        self.folder = folder
        self.lock = threading.Lock()
        self.count = 0

    def store(self, mail_from, recipients, data):
        with self.lock:
            self.count += 1
            name = "%06d.eml" % self.count
            while os.path.exists(os.path.join(self.folder, name)):
                self.count += 1
                name = "%06d.eml" % self.count
        envelope = ("X-Sink-Mail-From: %s\r\nX-Sink-Rcpt-To: %s\r\n"
                    % (mail_from, ", ".join(recipients))).encode("utf-8", "replace")
        temporary = os.path.join(self.folder, "." + name + ".tmp")
        with open(temporary, "wb") as out:
            out.write(envelope + data)
        os.rename(temporary, os.path.join(self.folder, name))
        return name


class SmtpSink:
    """Runs the sink in a background thread of the calling process."""

    def __init__(self, folder, port=0):
        os.makedirs(folder, exist_ok=True)
        self.folder = folder
        self._server = _Server(("127.0.0.1", port), folder)
        self.port = self._server.server_address[1]
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def files(self):
        return list_messages(self.folder)

    def wait_for_messages(self, count, timeout=10.0):
        return wait_for_messages(self.folder, count, timeout)


def list_messages(folder):
    """The stored message files, oldest first."""
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".eml"))
    except FileNotFoundError:
        return []
    return [os.path.join(folder, n) for n in names]


def wait_for_messages(folder, count, timeout=10.0):
    """Waits until at least count messages are stored; returns the files (maybe fewer)."""
    deadline = time.time() + timeout
    while True:
        files = list_messages(folder)
        if len(files) >= count or time.time() >= deadline:
            return files
        time.sleep(0.05)


def read_message(path):
    """Parses a stored file into an email.message.EmailMessage."""
    with open(path, "rb") as source:
        return email.message_from_binary_file(source, policy=email.policy.default)


def main(argv):
    parser = argparse.ArgumentParser(description="Store every SMTP message as a file.")
    parser.add_argument("folder")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    args = parser.parse_args(argv)
    sink = SmtpSink(args.folder, args.port)
    stopping = threading.Event()

    def on_signal(_signum, _frame):
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sink.start()
    if args.port_file:
        temporary = args.port_file + ".tmp"
        with open(temporary, "w") as out:
            out.write("%d\n" % sink.port)
        os.rename(temporary, args.port_file)
    print("smtp_sink listening on 127.0.0.1:%d, storing in %s" % (sink.port, args.folder),
          flush=True)
    while not stopping.wait(0.5):
        pass
    sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
