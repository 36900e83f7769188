#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a raw application binary for a slot (vector table first), for tests that must not
depend on the ARM build: SP in RAM, reset vector (Thumb) inside the slot, seeded filler."""
import random
import struct
import sys

slot, size, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
base = {"A": 0x08020200, "B": 0x08080200}[slot]
rng = random.Random(seed)
body = bytearray(rng.getrandbits(8) for _ in range(size))
body[0:8] = struct.pack("<II", 0x20020000, base + 0x189)
# Some all-0xFF blocks, as real images have (padding), so the skip path is exercised.
for off in range(4096, min(size, 8192)):
    body[off] = 0xFF
open(out, "wb").write(body)
