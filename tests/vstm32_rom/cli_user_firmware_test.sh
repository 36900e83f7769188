#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `vstm32 run` with an ordinary interrupt-driven application (testfw-irq): USART1 and USART2 each
# on their own TCP port (interrupt echo on both), the user button and a pin through the control
# socket, and a host at the wrong line rate getting garbage plus a warning.
# Usage: cli_user_firmware_test.sh VSTM32 ARTIFACTS_DIR
set -euo pipefail
VSTM32=$1
ARTIFACTS=$2
tmp=$(mktemp -d)
pid=""
stop_vstm32() {
  exec 3>&- 4>&- 2>/dev/null || true
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" || true; fi
  pid=""
}
cleanup() {
  stop_vstm32
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$tmp/vstm32.log" "$tmp/console.txt" 2>/dev/null; exit 1; }
ctl() { "$VSTM32" ctl --control "$tmp/ctl" "$@"; }
wait_until() {  # wait_until DESCRIPTION COMMAND... (bounded poll)
  local what=$1; shift
  local deadline=$((SECONDS + 90))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "$what not within 90 s"
    kill -0 "$pid" 2>/dev/null || fail "vstm32 exited early"
    sleep 0.02
  done
}
console_has() { grep -q "$1" "$tmp/console.txt" 2>/dev/null; }
start() {  # start EXTRA_ARGS...
  rm -f "$tmp/console.txt" "$tmp/ctl"
  "$VSTM32" run --flash "$tmp/flash.bin" --tcp 0 --uart2 tcp:0 --uart-log "$tmp/console.txt" \
    --control "$tmp/ctl" "$@" > "$tmp/vstm32.log" 2>&1 &
  pid=$!
  wait_until "control socket" test -S "$tmp/ctl"
  port1=$(sed -n 's/.*, tcp 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/vstm32.log")
  port2=$(sed -n 's/.*uart2 tcp 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/vstm32.log")
  [ -n "$port1" ] && [ -n "$port2" ] || fail "TCP ports not printed"
  exec 3<>"/dev/tcp/127.0.0.1/$port1"
  exec 4<>"/dev/tcp/127.0.0.1/$port2"
}

"$VSTM32" flash-image create "$tmp/flash.bin" > /dev/null
"$VSTM32" flash-image place "$tmp/flash.bin" "$ARTIFACTS/testfw-irq.elf" > /dev/null

start
wait_until "echo: ready" console_has "echo: ready"
printf 'hello.' >&3
printf 'world.' >&4
got=$(timeout 60 head -c 6 <&4) || true
[ "$got" = "WORLD." ] || fail "USART2 echo: got '$got'"
wait_until "USART1 echo" console_has "HELLO."
wait_until "button: ready" console_has "button: ready"
[ "$(ctl button press)" = ok ] || fail "button press"
pressed_once() { ctl events >> "$tmp/events.txt"; grep -q "pin PA0=0" "$tmp/events.txt"; }
wait_until "button released" pressed_once
grep -q "blue=1" "$tmp/events.txt" || fail "the first press did not reach EXTI0: $(cat "$tmp/events.txt")"
[ "$(ctl pin PA0 1)" = ok ] || fail "pin PA0 1"
wait_until "second press counted" console_has "button: presses=2"
[[ "$(ctl pin PZ0 1)" =~ ^error ]] || fail "a bad pin name was accepted"
grep -q "warning:" "$tmp/vstm32.log" && fail "unexpected warning: $(cat "$tmp/vstm32.log")"
stop_vstm32

# The host side at 38400 baud, the firmware's USART1 at 115200: garbage and one warning.
start --baud 38400
wait_until "echo: ready" console_has "echo: ready"
stop_vstm32
grep -q "USART1 runs at 115226 baud, its host side at 38400: every byte is garbled" \
  "$tmp/vstm32.log" || fail "no line-rate warning"
echo "cli user firmware: ok"
