#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Bad input on the TCP endpoints of `vstm32 run` (testfw-irq at 0x0800'0000):
 1. --gdb: packets with a bad checksum are refused with '-' (and not run), a '-' from the
    debugger makes the server send its last packet again, malformed packets answer E01,
    unknown ones the empty reply, line noise and an endless packet are dropped with a warning;
    the session works afterwards and the firmware runs on after detach.
 2. --i2c1: a request of an unknown kind closes the connection with a warning, a client that
    leaves in the middle of a request gets a warning and nothing reaches the bus, the largest
    requests (65,535 bytes) are answered; after each a new request is answered and the machine
    keeps running.
Usage: bad_input_test.py VSTM32 ARTIFACTS_DIR"""
import atexit
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

VSTM32, ARTIFACTS = sys.argv[1], sys.argv[2]
TIMEOUT_S = 60
tmp = tempfile.TemporaryDirectory()
procs = []


def stop_all():
    for p in procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


atexit.register(stop_all)


def fail(what):
    print("FAIL: " + what)
    for name in sorted(os.listdir(tmp.name)):
        if name.endswith(".log"):
            with open(os.path.join(tmp.name, name), errors="replace") as f:
                print("---- " + name + "\n" + f.read())
    sys.exit(1)


def wait_until(what, predicate):
    deadline = time.monotonic() + TIMEOUT_S
    while not predicate():
        if time.monotonic() > deadline:
            fail(what + " not within %d s" % TIMEOUT_S)
        for p in procs:
            if p.poll() is not None:
                fail("vstm32 exited early (%d)" % p.returncode)
        time.sleep(0.02)


def read_log(name):
    with open(os.path.join(tmp.name, name), errors="replace") as f:
        return f.read()


def start(name, *args):
    flash = os.path.join(tmp.name, "flash.bin")
    if not os.path.exists(flash):
        subprocess.run([VSTM32, "flash-image", "create", flash], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([VSTM32, "flash-image", "place", flash,
                        os.path.join(ARTIFACTS, "testfw-irq.elf")], check=True,
                       stdout=subprocess.DEVNULL)
    log = open(os.path.join(tmp.name, name + ".log"), "w")
    procs.append(subprocess.Popen([VSTM32, "run", "--flash", flash, "--uart-log",
                                   os.path.join(tmp.name, name + ".console")] + list(args),
                                  stdout=log, stderr=subprocess.STDOUT))


def port_in_log(name, pattern):
    found = []

    def printed():
        m = re.search(pattern, read_log(name + ".log"))
        if m:
            found.append(int(m.group(1)))
        return bool(m)

    wait_until(name + " port", printed)
    return found[0]


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def take(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                fail("connection closed while %d bytes were expected (have %r)" % (n, self.buf))
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def packet(self):
        """The next '$...#xx' (acks before it are returned separately by take)."""
        while b"#" not in self.buf or len(self.buf) < self.buf.index(b"#") + 3:
            chunk = self.sock.recv(65536)
            if not chunk:
                fail("connection closed in the middle of %r" % self.buf)
            self.buf += chunk
        end = self.buf.index(b"#") + 3
        out, self.buf = self.buf[:end], self.buf[end:]
        if not out.startswith(b"$"):
            fail("expected a packet, got %r" % out)
        return out


def frame(payload):
    return b"$" + payload + b"#" + b"%02x" % (sum(payload) & 0xFF)


def expect(what, got, want):
    if got != want:
        fail("%s: got %r, want %r" % (what, got, want))


# ---- 1. GDB remote protocol ----
start("gdb", "--gdb", "0")
gdb = connect(port_in_log("gdb", r"gdb 127\.0\.0\.1:(\d+)"))
r = Reader(gdb)
gdb.sendall(frame(b"qC"))
expect("ack", r.take(1), b"+")
expect("qC", r.packet(), frame(b"QC1"))
# A bad checksum: '-' and the packet is not run; the next good packet is answered.
gdb.sendall(b"$g#00" + frame(b"qC"))
expect("bad checksum refused", r.take(1), b"-")
expect("next packet acknowledged", r.take(1), b"+")
expect("next packet answered (not the g)", r.packet(), frame(b"QC1"))
gdb.sendall(b"$qC#zz")
expect("non-hex checksum refused", r.take(1), b"-")
# The debugger refuses our reply: the same packet again.
gdb.sendall(frame(b"m8000000,4"))
expect("ack", r.take(1), b"+")
first = r.packet()
gdb.sendall(b"-")
expect("retransmission after '-'", r.packet(), first)
if not re.fullmatch(rb"\$[0-9a-f]{8}#[0-9a-f]{2}", first):
    fail("m8000000,4 answered %r" % first)
# Malformed packets: E01; unknown packets: the empty reply.
for bad in (b"mZZ,4", b"m20000000", b"M20000000,4:00", b"Pzz=00", b"p999", b"Z2,20000000,0",
            b"Z0,nothex,2"):
    gdb.sendall(frame(bad))
    expect("ack", r.take(1), b"+")
    expect("malformed %r" % bad, r.packet(), frame(b"E01"))
for unknown in (b"vMustReplyEmpty", b"qNotAThing", b"Z9,20000000,4", b"!", b""):
    gdb.sendall(frame(unknown))
    expect("ack", r.take(1), b"+")
    expect("unknown %r" % unknown, r.packet(), frame(b""))
# Line noise before a packet, then a packet that never ends: dropped with a warning.
gdb.sendall(b"noise" + frame(b"qC"))
expect("ack after noise", r.take(1), b"+")
expect("packet after noise", r.packet(), frame(b"QC1"))
gdb.sendall(b"$" + b"a" * 40000)
wait_until("the warning on an endless packet",
           lambda: "without a packet end" in read_log("gdb.log"))
gdb.sendall(frame(b"qC"))
expect("ack after the endless packet", r.take(1), b"+")
expect("the session after bad input", r.packet(), frame(b"QC1"))
if "bad checksum" not in read_log("gdb.log"):
    fail("no warning for the bad checksum")
# Detach: the firmware runs on.
gdb.sendall(frame(b"D"))
expect("ack", r.take(1), b"+")
expect("detach", r.packet(), frame(b"OK"))
gdb.close()
wait_until("the firmware after detach",
           lambda: "tim2: toggles=8" in read_log("gdb.console") if os.path.exists(
               os.path.join(tmp.name, "gdb.console")) else False)
stop_all()
procs.clear()

# ---- 2. I2C1 framing ----
control = os.path.join(tmp.name, "control.sock")
start("i2c", "--i2c1", "tcp:0", "--control", control)
i2c_port = port_in_log("i2c", r"i2c1 tcp 127\.0\.0\.1:(\d+)")


def sim_ms():
    out = subprocess.run([VSTM32, "ctl", "--control", control, "status"], capture_output=True,
                         text=True, timeout=TIMEOUT_S)
    m = re.search(r"sim_ms=([0-9.]+)", out.stdout)
    if not m:
        fail("ctl status: %r %r" % (out.stdout, out.stderr))
    return float(m.group(1))


def nobody_answers(sock, what):
    """A read from an address nobody acknowledges (testfw-irq leaves I2C1 off): status 1."""
    sock.sendall(b"R\x50\x01\x00")
    expect(what, Reader(sock).take(3), b"\x01\x00\x00")


wait_until("the control socket", lambda: os.path.exists(control))
t0 = sim_ms()
# An unknown kind: the server closes the connection (where the next request starts is lost).
s = connect(i2c_port)
s.sendall(b"X\x50\x01\x00W\x50")
try:
    closed = s.recv(16) == b""
except ConnectionResetError:  # closed with the rest of our bytes unread
    closed = True
if not closed:
    fail("the connection stayed open after an unknown request kind")
s.close()
wait_until("the warning on an unknown kind",
           lambda: "i2c1 client sent 0x58 where a request starts" in read_log("i2c.log"))
s = connect(i2c_port)
nobody_answers(s, "a request after the unknown kind")
# A client that leaves in the middle of a write: nothing reaches the bus, a warning.
s.sendall(b"W\x50\x0a\x00" + b"12345")
s.close()
wait_until("the warning on a truncated request",
           lambda: "middle of a write request (9 of 14 bytes)" in read_log("i2c.log"))
s = connect(i2c_port)
s.sendall(b"W\x50")
s.close()
wait_until("the warning on a truncated header",
           lambda: "after 2 bytes of a request header" in read_log("i2c.log"))
# The largest requests the u16 length allows, in pieces: answered in order.
s = connect(i2c_port)
s.sendall(b"W\x50\xff\xff" + b"\xa5" * 30000)
s.sendall(b"\xa5" * (65535 - 30000) + b"R\x50\xff\xff")
rs = Reader(s)
expect("a 65,535-byte write to nobody", rs.take(3), b"\x01\x00\x00")
expect("a 65,535-byte read from nobody", rs.take(3), b"\x01\x00\x00")
nobody_answers(s, "the same connection afterwards")
s.close()
wait_until("simulated time going on", lambda: sim_ms() > t0)
for p in procs:
    if p.poll() is not None:
        fail("vstm32 exited (%d)" % p.returncode)
print("bad input: ok")
