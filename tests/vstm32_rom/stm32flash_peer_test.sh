#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Peer proof: stm32flash (Debian 0.7, unchanged 8E1 code path through the parity shim) against
# `vstm32 run --boot0`: write 300 KB at 0x08020000 with verify, read back the whole 1 MB, erase a
# sector, start an image with -g, readout protect/unprotect. Each result is compared byte for byte with the flash file.
# Usage: stm32flash_peer_test.sh VSTM32 PARITY_SHIM_SO [fast|realistic]
set -euo pipefail
VSTM32=$1
SHIM=$2
TIMING=${3:-fast}
command -v stm32flash >/dev/null || { echo "stm32flash not installed"; exit 1; }

tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; [ -f "$tmp/vstm32.log" ] && cat "$tmp/vstm32.log"; exit 1; }
ctl() { "$VSTM32" ctl --control "$tmp/ctl" "$@"; }
# Bounded wait for a path to appear (a condition, not a fixed sleep).
wait_for() {
  local deadline=$((SECONDS + 20))
  until [ -e "$1" ]; do
    [ $SECONDS -lt $deadline ] || fail "$1 did not appear within 20 s"
    kill -0 "$pid" 2>/dev/null || fail "vstm32 exited early"
    sleep 0.02
  done
}
# After a reset the ROM listens only after its start-up delay (real time in realistic mode):
# poll the control socket until it does, as a host would wait >= 100 ms.
wait_rom_ready() {
  local deadline=$((SECONDS + 20))
  until [[ "$(ctl status)" =~ rom=(wait-sync|command) ]]; do
    [ $SECONDS -lt $deadline ] || fail "ROM not ready within 20 s"
    sleep 0.02
  done
}
flash() {  # stm32flash through the shim, default 8e1, bounded
  wait_rom_ready
  local start=$EPOCHREALTIME
  LD_PRELOAD="$SHIM" timeout 600 stm32flash -b 115200 "$@" "$tmp/tty" > "$tmp/stm32flash.log" 2>&1 ||
    { tail -c 2000 "$tmp/stm32flash.log"; fail "stm32flash $* failed"; }
  awk -v a="$start" -v b="$EPOCHREALTIME" -v w="$*" 'BEGIN { printf "stm32flash %-40s %6.2f s\n", w, b - a }'
}

"$VSTM32" flash-image create "$tmp/flash.bin" > /dev/null
# Expected flash content, maintained alongside.
head -c 1048576 /dev/zero | tr '\0' '\377' > "$tmp/expected.bin"
# 300 KB of random data whose first 8 bytes are a vector table (MSP, reset PC) for -g.
head -c 307200 /dev/urandom > "$tmp/random.bin"
# A vector table (MSP 0x20020000, reset handler 0x08020009) and `b .` at 0x08020008 for the -g test.
printf '\x00\x00\x02\x20\x09\x00\x02\x08\xfe\xe7' | dd of="$tmp/random.bin" conv=notrunc status=none
dd if="$tmp/random.bin" of="$tmp/expected.bin" bs=1 seek=$((0x20000)) conv=notrunc status=none 2>/dev/null ||
  dd if="$tmp/random.bin" of="$tmp/expected.bin" obs=4096 seek=$((0x20000)) oflag=seek_bytes conv=notrunc status=none

"$VSTM32" run --flash "$tmp/flash.bin" --boot0 --uart "$tmp/tty" --control "$tmp/ctl" \
  --timing "$TIMING" > "$tmp/vstm32.log" 2>&1 &
pid=$!
wait_for "$tmp/tty"
wait_for "$tmp/ctl"

# 1. Write 300 KB at the start of slot A with verify.
flash -w "$tmp/random.bin" -v -S 0x08020000
cmp "$tmp/flash.bin" "$tmp/expected.bin" || fail "flash file differs after write"

# 1b. A second stm32flash without a reset: its 0x7F is taken as the first byte of a command, it
#     times out, sends 0x7F again and gets the NACK of "7F 7F": the ROM is already synced.
flash -r "$tmp/head.bin" -S 0x08020000:256
cmp "$tmp/head.bin" <(head -c 256 "$tmp/random.bin") || fail "read without re-sync differs"

# 2. Read the whole 1 MB back (fresh reset: new sync).
ctl reset > /dev/null
flash -r "$tmp/readback.bin" -S 0x08000000:1048576
cmp "$tmp/readback.bin" "$tmp/expected.bin" || fail "1 MB read-back differs"

# 3. Erase sector 6 (0x08040000, 128 KB) only.
ctl reset > /dev/null
flash -o -S 0x08040000:131072
dd if=/dev/zero bs=131072 count=1 status=none | tr '\0' '\377' |
  dd of="$tmp/expected.bin" bs=131072 seek=2 conv=notrunc status=none  # 0x40000 = 2 x 128 KB
cmp "$tmp/flash.bin" "$tmp/expected.bin" || fail "flash file differs after sector erase"
ctl events > "$tmp/events.txt"
grep -q "flash erase sector=6" "$tmp/events.txt" || fail "no erase event for sector 6"

# 4. Go: the ROM jumps with MSP and PC taken from the vector table at 0x08020000; the CPU then
#    executes the image's `b .` at 0x08020008.
ctl reset > /dev/null
flash -g 0x08020000
ctl events > "$tmp/events.txt"
grep -q "rom go address=0x08020000" "$tmp/events.txt" ||
  { cat "$tmp/events.txt"; fail "no go event"; }
ctl status > "$tmp/status.txt"
grep -q "mode=cpu .*pc=0x08020008" "$tmp/status.txt" ||
  { cat "$tmp/status.txt"; fail "the CPU does not run the image's first instruction after Go"; }

# 5. Readout protection: -j protects (the ROM resets the chip), reads are refused, -k removes it
#    with a mass erase.
ctl reset > /dev/null
flash -j
wait_rom_ready
if LD_PRELOAD="$SHIM" timeout 120 stm32flash -b 115200 -r "$tmp/refused.bin" -S 0x08000000:256 \
    "$tmp/tty" > "$tmp/refused.log" 2>&1; then
  fail "a read under readout protection succeeded"
fi
ctl reset > /dev/null
flash -k
head -c 1048576 /dev/zero | tr '\0' '\377' > "$tmp/expected.bin"
cmp "$tmp/flash.bin" "$tmp/expected.bin" || fail "readout unprotect did not mass-erase"

# 6. Quit: the file on disk is still exactly what the tools saw.
ctl quit > /dev/null
wait "$pid" || fail "vstm32 exit status $?"
pid=""
cmp "$tmp/flash.bin" "$tmp/expected.bin" || fail "flash file differs after exit"
echo "PASS"
