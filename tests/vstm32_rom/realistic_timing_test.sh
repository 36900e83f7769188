#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Realistic timing is paced to the wall clock: over TCP at 115200 8E1, a 64 KB sector erase at x8
# takes its DS8626 typical 1.2 s, at x32 (parallelism byte 0x03) 0.55 s, and a 256-byte read
# takes at least its wire time (261 device bytes x 95.5 us = 24.9 ms).
# Usage: realistic_timing_test.sh VSTM32
set -euo pipefail
. "$(dirname "$0")/../lib/harness.sh"
harness_start vstm32-realistic-timing VSTM32 -- "$@"
read_hex() { timeout 10 head -c "$1" <&3 | od -An -v -tx1 | tr -d ' \n' || true; }
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
within() {  # within WHAT VALUE MIN MAX
  [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || fail "$1 took $2 ms, expected $3..$4 ms"
  echo "$1: $2 ms (expected $3..$4)"
}

"$VSTM32" flash-image create "$T/flash.bin" > /dev/null
run_vstm32 --boot0 --tcp 0 --control "$T/ctl" --timing realistic
wait_until "control socket" test -S "$T/ctl"
port=$(sed -n 's/.*tcp 127.0.0.1:\([0-9]*\).*/\1/p' "$T/vstm32.log")
exec 3<>"/dev/tcp/127.0.0.1/$port"
wait_until "ROM ready" rom_ready
printf '\x7f' >&3
[ "$(read_hex 1)" = 79 ] || fail "sync"

erase_sector4() {
  printf '\x44\xbb' >&3
  [ "$(read_hex 1)" = 79 ] || fail "erase command"
  local t0=$EPOCHREALTIME
  printf '\x00\x00\x00\x04\x04' >&3
  [ "$(read_hex 1)" = 79 ] || fail "erase ACK"
  ms_since "$t0"
}
within "64 KB erase at x8" "$(erase_sector4)" 1150 2000

# Parallelism x32: Write Memory of 0x03 FF FF FF at 0xFFFF0000.
printf '\x31\xce' >&3; [ "$(read_hex 1)" = 79 ] || fail "write command"
printf '\xff\xff\x00\x00\x00' >&3; [ "$(read_hex 1)" = 79 ] || fail "parallelism address"
printf '\x03\x03\xff\xff\xff\xff' >&3; [ "$(read_hex 1)" = 79 ] || fail "parallelism byte"
within "64 KB erase at x32" "$(erase_sector4)" 530 1100

printf '\x11\xee' >&3; [ "$(read_hex 1)" = 79 ] || fail "read command"
printf '\x08\x00\x00\x00\x08' >&3; [ "$(read_hex 1)" = 79 ] || fail "read address"
t0=$EPOCHREALTIME
printf '\xff\x00' >&3
data=$(read_hex 257)
[ ${#data} = 514 ] || fail "read returned ${#data} hex digits"
within "256-byte read" "$(ms_since "$t0")" 24 500

[ "$(ctl quit)" = ok ] || fail "quit"
wait "$VPID"
VPID=""
echo PASS
