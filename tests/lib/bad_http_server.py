#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# An HTTP server that misbehaves on purpose, for fault tests: every request is answered with
# STATUS (e.g. 500), or with MODE "stall": a 206 with its headers and the first 100 body bytes,
# then silence (the connection stays open); or MODE "short": the files of DIR with a true
# Content-Length / Content-Range, but every body stops at byte CUT_AT of the file and the
# connection closes (a truncated object, an upstream that dies). Writes its port to PORT_FILE once
# listening and one line per request to stdout.
# Usage: bad_http_server.py PORT_FILE STATUS|stall
#        bad_http_server.py PORT_FILE short DIR CUT_AT
import http.server
import os
import sys
import threading
import time

port_file, mode = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, with_body):
        print(f"{self.command} {self.path} {mode} {self.headers.get('Range', '')}", flush=True)
        if mode == "short":
            self.short(with_body)
            return
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

    def short(self, with_body):
        path = os.path.join(sys.argv[3], os.path.basename(self.path))
        if not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = open(path, "rb").read()
        first, last = 0, len(data) - 1
        wanted = self.headers.get("Range", "")
        if wanted.startswith("bytes=") and "-" in wanted:
            a, b = wanted[6:].split("-", 1)
            first = int(a)
            last = min(int(b), len(data) - 1) if b else len(data) - 1
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(last - first + 1))
        self.send_header("ETag", '"short"')
        self.end_headers()
        if with_body:
            cut_at = int(sys.argv[4])
            self.wfile.write(data[first : max(first, min(last + 1, cut_at))])
            self.wfile.flush()
            self.close_connection = True

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
