#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Peer proof: stm32flash (Debian 0.7, unchanged 8E1 code path through the parity shim) against
# `vstm32 run --boot0`: write 300 KB at 0x08020000 with verify, read back the whole 1 MB, erase a
# sector, start an image with -g, readout protect/unprotect. Each result is compared byte for byte with the flash file.
# Usage: stm32flash_peer_test.sh VSTM32 PARITY_SHIM_SO [fast|realistic]
set -euo pipefail
command -v stm32flash >/dev/null || { echo "stm32flash not installed"; exit 1; }
. "$(dirname "$0")/../lib/harness.sh"
harness_start vstm32-stm32flash-peer VSTM32 SHIM -- "$@"
TIMING=${3:-fast}
# After a reset the ROM listens only after its start-up delay (real time in realistic mode):
# poll the control socket until it does, as a host would wait >= 100 ms.
wait_rom_ready() { wait_until "ROM ready" rom_ready; }
flash() {  # stm32flash through the shim, default 8e1, bounded
  wait_rom_ready
  local start=$EPOCHREALTIME
  LD_PRELOAD="$SHIM" timeout 600 stm32flash -b 115200 "$@" "$T/tty" > "$T/stm32flash.log" 2>&1 ||
    { tail -c 2000 "$T/stm32flash.log"; fail "stm32flash $* failed"; }
  awk -v a="$start" -v b="$EPOCHREALTIME" -v w="$*" 'BEGIN { printf "stm32flash %-40s %6.2f s\n", w, b - a }'
}

"$VSTM32" flash-image create "$T/flash.bin" > /dev/null
# Expected flash content, maintained alongside.
head -c 1048576 /dev/zero | tr '\0' '\377' > "$T/expected.bin"
# 300 KB of random data whose first 8 bytes are a vector table (MSP, reset PC) for -g.
head -c 307200 /dev/urandom > "$T/random.bin"
# A vector table (MSP 0x20020000, reset handler 0x08020009) and `b .` at 0x08020008 for the -g test.
printf '\x00\x00\x02\x20\x09\x00\x02\x08\xfe\xe7' | dd of="$T/random.bin" conv=notrunc status=none
dd if="$T/random.bin" of="$T/expected.bin" bs=1 seek=$((0x20000)) conv=notrunc status=none 2>/dev/null ||
  dd if="$T/random.bin" of="$T/expected.bin" obs=4096 seek=$((0x20000)) oflag=seek_bytes conv=notrunc status=none

run_vstm32 --boot0 --uart "$T/tty" --control "$T/ctl" --timing "$TIMING"
wait_until "$T/tty" test -e "$T/tty"
wait_until "$T/ctl" test -S "$T/ctl"

# 1. Write 300 KB at the start of slot A with verify.
flash -w "$T/random.bin" -v -S 0x08020000
cmp "$T/flash.bin" "$T/expected.bin" || fail "flash file differs after write"

# 1b. A second stm32flash without a reset: its 0x7F is taken as the first byte of a command, it
#     times out, sends 0x7F again and gets the NACK of "7F 7F": the ROM is already synced.
flash -r "$T/head.bin" -S 0x08020000:256
cmp "$T/head.bin" <(head -c 256 "$T/random.bin") || fail "read without re-sync differs"

# 2. Read the whole 1 MB back (fresh reset: new sync).
ctl reset > /dev/null
flash -r "$T/readback.bin" -S 0x08000000:1048576
cmp "$T/readback.bin" "$T/expected.bin" || fail "1 MB read-back differs"

# 3. Erase sector 6 (0x08040000, 128 KB) only.
ctl reset > /dev/null
flash -o -S 0x08040000:131072
dd if=/dev/zero bs=131072 count=1 status=none | tr '\0' '\377' |
  dd of="$T/expected.bin" bs=131072 seek=2 conv=notrunc status=none  # 0x40000 = 2 x 128 KB
cmp "$T/flash.bin" "$T/expected.bin" || fail "flash file differs after sector erase"
ctl events > "$T/events.txt"
grep -q "flash erase sector=6" "$T/events.txt" || fail "no erase event for sector 6"

# 4. Go: the ROM jumps with MSP and PC taken from the vector table at 0x08020000; the CPU then
#    executes the image's `b .` at 0x08020008.
ctl reset > /dev/null
flash -g 0x08020000
ctl events > "$T/events.txt"
grep -q "rom go address=0x08020000" "$T/events.txt" ||
  { cat "$T/events.txt"; fail "no go event"; }
ctl status > "$T/status.txt"
grep -q "mode=cpu .*pc=0x08020008" "$T/status.txt" ||
  { cat "$T/status.txt"; fail "the CPU does not run the image's first instruction after Go"; }

# 5. Readout protection: -j protects (the ROM resets the chip), reads are refused, -k removes it
#    with a mass erase.
ctl reset > /dev/null
flash -j
wait_rom_ready
if LD_PRELOAD="$SHIM" timeout 120 stm32flash -b 115200 -r "$T/refused.bin" -S 0x08000000:256 \
    "$T/tty" > "$T/refused.log" 2>&1; then
  fail "a read under readout protection succeeded"
fi
ctl reset > /dev/null
flash -k
head -c 1048576 /dev/zero | tr '\0' '\377' > "$T/expected.bin"
cmp "$T/flash.bin" "$T/expected.bin" || fail "readout unprotect did not mass-erase"

# 6. Quit: the file on disk is still exactly what the tools saw.
ctl quit > /dev/null
wait "$VPID" || fail "vstm32 exit status $?"
VPID=""
cmp "$T/flash.bin" "$T/expected.bin" || fail "flash file differs after exit"
echo "PASS"
