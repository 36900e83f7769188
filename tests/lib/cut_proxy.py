#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A TCP proxy for fault tests: forwards 127.0.0.1:<free port> to 127.0.0.1:TARGET_PORT and cuts
# the first CUTS connections after a random number of bytes sent to the client (in [MIN, MAX],
# seeded), like a network that drops. Writes its port to PORT_FILE once listening, and one line
# per connection ("conn N cut-at K sent S" / "conn N sent S") to stdout.
# Usage: cut_proxy.py TARGET_PORT PORT_FILE CUTS MIN MAX SEED
import random
import socket
import sys
import threading

target_port, port_file = int(sys.argv[1]), sys.argv[2]
cuts, low, high, seed = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rng = random.Random(seed)
lock = threading.Lock()
count = 0


def pump(src, dst, limit, report):
    sent = 0
    try:
        while True:
            data = src.recv(4096)
            if not data:
                break
            if limit is not None and sent + len(data) >= limit:
                dst.sendall(data[: limit - sent])
                sent = limit
                report(sent, True)
                return
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    report(sent, False)


def handle(client, n, limit):
    try:
        server = socket.create_connection(("127.0.0.1", target_port))
    except OSError:
        client.close()
        return

    def close_both():
        for s in (client, server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def report(sent, cut):
        with lock:
            print(f"conn {n} {'cut-at ' + str(limit) + ' ' if cut else ''}sent {sent}", flush=True)
        close_both()

    threading.Thread(target=pump, args=(client, server, None, lambda s, c: None), daemon=True).start()
    pump(server, client, limit, report)


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(16)
with open(port_file + ".tmp", "w") as f:
    f.write(str(listener.getsockname()[1]))
import os
os.rename(port_file + ".tmp", port_file)
while True:
    conn, _ = listener.accept()
    with lock:
        count += 1
        n = count
        limit = rng.randint(low, high) if n <= cuts else None
    threading.Thread(target=handle, args=(conn, n, limit), daemon=True).start()
