#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# An HTTP server that misbehaves on purpose, for fault tests: every request is answered with
# STATUS (e.g. 500), or with MODE "stall": a 206 with its headers and the first 100 body bytes,
# then silence (the connection stays open). Writes its port to PORT_FILE once listening and one
# line per request to stdout.
# Usage: bad_http_server.py PORT_FILE STATUS|stall
import http.server
import os
import sys
import threading
import time

port_file, mode = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, with_body):
        print(f"{self.command} {self.path} {mode}", flush=True)
        if mode == "stall":
            first = 0
            wanted = self.headers.get("Range", "")
            if wanted.startswith("bytes=") and wanted[6:].split("-")[0].isdigit():
                first = int(wanted[6:].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {first}-{first + 32767}/40000")
            self.send_header("Content-Length", "32768")
            self.send_header("ETag", '"stall"')
            self.end_headers()
            if with_body:
                self.wfile.write(b"\xff" * 100)
                self.wfile.flush()
                time.sleep(3600)
            return
        body = f"{mode}\n".encode()
        self.send_response(int(mode))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self):
        self.answer(True)

    def do_HEAD(self):
        self.answer(False)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
