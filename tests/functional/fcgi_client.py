"""A minimal FastCGI client, for tests that talk to weave-server without a web server.

    status, headers, body = fcgi_request("/path/weave.sock", "GET", "/__heartbeat__")

The request's parameters are sent as given (bytes allowed), so a test can hand the server
what no web server would pass on: raw control characters or invalid UTF-8 in the path.
Standard library only.
"""

import socket
import struct

_BEGIN_REQUEST, _END_REQUEST, _PARAMS, _STDIN, _STDOUT = 1, 3, 4, 5, 6


def _record(kind, content, request_id=1):
    return struct.pack(">BBHHBB", 1, kind, request_id, len(content), 0, 0) + content


def _length(size):
    return bytes([size]) if size < 128 else struct.pack(">I", size | 0x80000000)


def _params(params):
    data = b""
    for name, value in params.items():
        name = name.encode() if isinstance(name, str) else name
        value = value.encode() if isinstance(value, str) else value
        data += _length(len(name)) + _length(len(value)) + name + value
    return data


def _read_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("connection closed mid-record")
        data += chunk
    return data


def fcgi_request(socket_path, method, uri, headers=None, body=b"", timeout=30):
    """Sends one request over a Unix socket; returns (status, {header: value}, body)."""
    params = {"REQUEST_METHOD": method, "REQUEST_URI": uri, "SERVER_PROTOCOL": "HTTP/1.1",
              "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": str(len(body))}
    for name, value in (headers or {}).items():
        params["HTTP_" + name.upper().replace("-", "_")] = value
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        message = _record(_BEGIN_REQUEST, struct.pack(">HB5x", 1, 0))
        encoded = _params(params)
        for start in range(0, len(encoded), 65535):
            message += _record(_PARAMS, encoded[start:start + 65535])
        message += _record(_PARAMS, b"")
        for start in range(0, len(body), 65535):
            message += _record(_STDIN, body[start:start + 65535])
        message += _record(_STDIN, b"")
        sock.sendall(message)
        output = b""
        while True:
            _, kind, _, length, padding, _ = struct.unpack(">BBHHBB", _read_exactly(sock, 8))
            content = _read_exactly(sock, length + padding)[:length]
            if kind == _STDOUT:
                output += content
            elif kind == _END_REQUEST:
                break
    head, _, response_body = output.partition(b"\r\n\r\n")
    response_headers = {}
    for line in head.split(b"\r\n"):
        name, _, value = line.decode("latin-1").partition(":")
        response_headers[name.strip().lower()] = value.strip()
    status = int(response_headers.get("status", "200").split()[0])
    return status, response_headers, response_body
