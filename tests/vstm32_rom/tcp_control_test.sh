#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# USART1 over TCP (127.0.0.1) and the control socket end to end: sync and Get ID over TCP,
# bit errors switched on and off at run time, pins and power through the control socket.
# Usage: tcp_control_test.sh VSTM32
set -euo pipefail
. "$(dirname "$0")/../lib/harness.sh"
harness_start vstm32-tcp-control VSTM32 -- "$@"
# Read exactly N bytes from fd 3 with a deadline; prints them as hex.
read_hex() {
  local n=$1 out
  out=$(timeout 5 head -c "$n" <&3 | od -An -tx1 | tr -d ' \n') || true
  echo "$out"
}

"$VSTM32" flash-image create "$T/flash.bin" > /dev/null
run_vstm32 --boot0 --tcp 0 --control "$T/ctl" --rom v3.1
wait_until "control socket" test -S "$T/ctl"
port=$(sed -n 's/.*tcp 127.0.0.1:\([0-9]*\).*/\1/p' "$T/vstm32.log")
[ -n "$port" ] || fail "no TCP port printed"
exec 3<>"/dev/tcp/127.0.0.1/$port"
wait_until "ROM ready" rom_ready

# The bytes the device has sent so far (a count, so "nothing came back" needs no time window).
tx_bytes() { ctl status | sed -n 's/.* tx_bytes=\([0-9]*\).*/\1/p'; }

# Every bit flipped: 0x7F arrives as 0x80 and is not a sync; nothing comes back. The ROM handles
# bytes in order, so once the replies below are read, an answer to the corrupted byte would
# have been counted before them.
tx_start=$(tx_bytes)
[ "$(ctl ber 1)" = ok ] || fail "ber 1"
printf '\x7f' >&3
[[ "$(ctl status)" =~ ber_bits=8 ]] || fail "bit errors not counted: $(ctl status)"
[ "$(ctl ber 0)" = ok ] || fail "ber 0"

printf '\x7f' >&3
[ "$(read_hex 1)" = 79 ] || fail "no ACK to 0x7F over TCP"
printf '\x02\xfd' >&3
[ "$(read_hex 5)" = 7901041379 ] || fail "Get ID over TCP"
printf '\x01\xfe' >&3
[ "$(read_hex 5)" = 7931000079 ] || fail "Get Version over TCP"
[ "$(tx_bytes)" = $((tx_start + 11)) ] || fail "the corrupted sync was answered: $(ctl status)"

# Pins: BOOT0 low + reset boots from flash (erased here: the CPU takes the 0xFFFFFFFF vectors and
# locks up, as silicon does; the ROM stops answering); back to the ROM.
[ "$(ctl boot0 0)" = ok ] || fail "boot0 0"
[ "$(ctl reset)" = ok ] || fail "reset"
[[ "$(ctl status)" =~ mode=(cpu|lockup) ]] || fail "not booted from flash: $(ctl status)"
# A sync sent now must never be answered: counted at the end, after the ROM's next reply.
tx_locked=$(tx_bytes)
printf '\x7f' >&3
[ "$(ctl boot0 1)" = ok ] || fail "boot0 1"
[ "$(ctl nrst low)" = ok ] || fail "nrst low"
[[ "$(ctl status)" =~ mode=reset ]] || fail "NRST held: $(ctl status)"
# Fast timing: what the host writes while NRST is held goes on the line at the release.
rx_before=$(ctl status | sed -n 's/.* rx_bytes=\([0-9]*\).*/\1/p')
printf '\x00\x00\x00' >&3
held_3() { [[ "$(ctl status)" =~ rx_bytes=$rx_before\ .*rx_held=3 ]]; }
wait_until "3 bytes held while NRST is low" held_3
[ "$(ctl nrst high)" = ok ] || fail "nrst high"
[[ "$(ctl status)" =~ rx_bytes=$((rx_before + 3))\ .*rx_held=0 ]] || fail "held bytes not sent at the release: $(ctl status)"
# A reset pulse releases NRST too: bytes held before it go on the line.
[ "$(ctl nrst low)" = ok ] || fail "nrst low again"
printf '\x00\x00' >&3
held_2() { [[ "$(ctl status)" =~ rx_held=2 ]]; }
wait_until "2 bytes held while NRST is low" held_2
[ "$(ctl reset)" = ok ] || fail "reset while NRST is held"
[[ "$(ctl status)" =~ rx_bytes=$((rx_before + 5))\ .*rx_held=0 ]] || fail "held bytes not sent at the reset pulse: $(ctl status)"
[ "$(ctl power off)" = ok ] && [ "$(ctl power on)" = ok ] || fail "power cycle"
wait_until "ROM ready after power-on" rom_ready
printf '\x7f' >&3
[ "$(read_hex 1)" = 79 ] || fail "no ACK after power cycle"
# One byte sent since the sync to the locked-up CPU: this ACK. The ROM never answered with BOOT0
# low, nor the zeros held while NRST was low.
[ "$(tx_bytes)" = $((tx_locked + 1)) ] || fail "bytes sent with BOOT0 low or at NRST: $(ctl status)"

ctl events > "$T/events.txt"
for want in "power off" "power on" "reset cause=pin boot=flash" "reset cause=por boot=system" \
            "pin nrst=low" "rom: get-id ack"; do
  grep -q "$want" "$T/events.txt" || { cat "$T/events.txt"; fail "no event '$want'"; }
done
[ "$(ctl cut instructions 10)" = ok ] || fail "cut instructions refused"
[[ "$(ctl cut sideways 10)" == error* ]] || fail "unknown cut kind not refused"
[[ "$(ctl boot0 2)" == "error boot0 expects 0 or 1"* ]] || fail "bad command not refused"
[[ "$(ctl status)" =~ rom_version=3.1 ]] || fail "rom version"

[ "$(ctl quit)" = ok ] || fail "quit"
wait "$VPID" || fail "vstm32 exit status"
VPID=""
echo PASS
