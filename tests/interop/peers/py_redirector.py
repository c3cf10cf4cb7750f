#!/usr/bin/python3
"""The textbook Python reverse proxy, as a baseline for scripts/redirector.ts.

http.server's ThreadingHTTPServer (a thread per client connection, HTTP/1.1 keep-alive towards
clients) relaying each request over a fresh http.client connection to the upstream, whole bodies
buffered in memory. TCP_NODELAY is set on client sockets (a stdlib class attribute): without it,
headers and body leave in two writes and keep-alive clients hit the 40 ms Nagle / delayed-ACK stall,
which would measure the kernel rather than the proxy.

Usage: py_redirector.py PORT UPSTREAM_HOST:PORT
"""
import http.client
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = frozenset(
    ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]
)


class Redirector(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    upstream = ("127.0.0.1", 80)

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            reply = conn.getresponse()
            payload = reply.read()
        except OSError as error:
            self.send_error(502, f"Upstream failed: {error}")
            return
        finally:
            conn.close()
        self.send_response(reply.status, reply.reason)
        for name, value in reply.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = forward

    def log_message(self, format, *args):  # quiet: it is a benchmark baseline
        pass


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: py_redirector.py PORT UPSTREAM_HOST:PORT")
    host, port = sys.argv[2].rsplit(":", 1)
    Redirector.upstream = (host, int(port))
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 128
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Redirector).serve_forever()


if __name__ == "__main__":
    main()
