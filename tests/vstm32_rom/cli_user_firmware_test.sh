#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `vstm32 run` with an ordinary interrupt-driven application (testfw-irq): USART1 and USART2 each
# on their own TCP port (interrupt echo on both), the user button and a pin through the control
# socket, and a host at the wrong line rate getting garbage plus a warning.
# Usage: cli_user_firmware_test.sh VSTM32 ARTIFACTS_DIR
set -euo pipefail
. "$(dirname "$0")/../lib/harness.sh"
harness_start vstm32-cli-user-firmware VSTM32 ARTIFACTS -- "$@"
FAIL_LOGS=$T/console.txt
WAIT_UNTIL_S=90
console_has() { grep -q "$1" "$T/console.txt" 2>/dev/null; }
start() {  # start EXTRA_ARGS...
  rm -f "$T/console.txt" "$T/ctl"
  run_vstm32 --tcp 0 --uart2 tcp:0 --uart-log "$T/console.txt" --control "$T/ctl" "$@"
  wait_until "control socket" test -S "$T/ctl"
  port1=$(sed -n 's/.*, tcp 127.0.0.1:\([0-9]*\).*/\1/p' "$T/vstm32.log")
  port2=$(sed -n 's/.*uart2 tcp 127.0.0.1:\([0-9]*\).*/\1/p' "$T/vstm32.log")
  [ -n "$port1" ] && [ -n "$port2" ] || fail "TCP ports not printed"
  exec 3<>"/dev/tcp/127.0.0.1/$port1"
  exec 4<>"/dev/tcp/127.0.0.1/$port2"
}

"$VSTM32" flash-image create "$T/flash.bin" > /dev/null
"$VSTM32" flash-image place "$T/flash.bin" "$ARTIFACTS/testfw-irq.elf" > /dev/null

start
wait_until "echo: ready" console_has "echo: ready"
printf 'hello.' >&3
printf 'world.' >&4
got=$(timeout 60 head -c 6 <&4) || true
[ "$got" = "WORLD." ] || fail "USART2 echo: got '$got'"
wait_until "USART1 echo" console_has "HELLO."
wait_until "button: ready" console_has "button: ready"
[ "$(ctl button press)" = ok ] || fail "button press"
pressed_once() { ctl events >> "$T/events.txt"; grep -q "pin PA0=0" "$T/events.txt"; }
wait_until "button released" pressed_once
grep -q "blue=1" "$T/events.txt" || fail "the first press did not reach EXTI0: $(cat "$T/events.txt")"
[ "$(ctl pin PA0 1)" = ok ] || fail "pin PA0 1"
wait_until "second press counted" console_has "button: presses=2"
[[ "$(ctl pin PZ0 1)" =~ ^error ]] || fail "a bad pin name was accepted"
grep -q "warning:" "$T/vstm32.log" && fail "unexpected warning: $(cat "$T/vstm32.log")"
stop_vstm32

# The host side at 38400 baud, the firmware's USART1 at 115200: garbage and one warning.
start --baud 38400
wait_until "echo: ready" console_has "echo: ready"
stop_vstm32
grep -q "USART1 runs at 115226 baud, its host side at 38400: every byte is garbled" \
  "$T/vstm32.log" || fail "no line-rate warning"
echo "cli user firmware: ok"
