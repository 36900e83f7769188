#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `vstm32 run --gdb PORT` driven by Debian's gdb-multiarch in batch mode (a real debug session):
#  1. testfw-irq at 0x0800'0000: halted at the reset vector on attach, `break main`, a
#     breakpoint in the SysTick handler (IPSR 15 in xpsr), read and write a variable, single step,
#     a write watchpoint (stops where the firmware next writes the variable) and an access one, a
#     breakpoint in the TIM2 interrupt handler (IPSR 44, backtrace through the exception frame),
#     detach: the firmware runs on to its TIM2 output.
#  2. the demo application in slot A behind our bootloader (when its release images exist):
#     `break main`, continue, the PC in main, registers, a step.
# Usage: gdb_session_test.sh VSTM32 ARTIFACTS_DIR [RELEASES_DIR]
set -euo pipefail
GDB=$(command -v gdb-multiarch || true)
[ -n "$GDB" ] || { echo "gdb-multiarch not installed"; exit 1; }
. "$(dirname "$0")/../lib/harness.sh"
harness_start vstm32-gdb-session VSTM32 ARTIFACTS -- "$@"
RELEASES=${3:-}
FAIL_LOGS=$T/gdb.txt
WAIT_UNTIL_S=60
port_printed() { grep -q "gdb 127.0.0.1:[0-9]" "$T/vstm32.log"; }
start() {
  rm -f "$T/console.txt"
  run_vstm32 --gdb 0 --uart-log "$T/console.txt"
  wait_until "gdb port" port_printed
  port=$(sed -n 's/.*gdb 127.0.0.1:\([0-9]*\).*/\1/p' "$T/vstm32.log")
}
expect() {  # expect DESCRIPTION EXTENDED_REGEX (in the gdb transcript)
  grep -Eq "$2" "$T/gdb.txt" || fail "$1: no match for '$2'"
}

# ---- 1. testfw-irq: interrupt handlers ----
"$VSTM32" flash-image create "$T/flash.bin" > /dev/null
"$VSTM32" flash-image place "$T/flash.bin" "$ARTIFACTS/testfw-irq.elf" > /dev/null
start
ms="'(anonymous namespace)::g_ms'"
timeout 60 "$GDB" -nx -batch \
  -ex "target remote 127.0.0.1:$port" \
  -ex 'info registers pc' \
  -ex 'break main' -ex c -ex 'info registers pc' -ex delete \
  -ex 'break SysTick_Handler' -ex c \
  -ex 'printf "systick ipsr=%d\n", $xpsr & 0x1ff' \
  -ex "printf \"g_ms=%u\n\", *(unsigned *)&$ms" \
  -ex c \
  -ex "printf \"g_ms=%u\n\", *(unsigned *)&$ms" \
  -ex "set var *(unsigned *)&$ms = 4242" \
  -ex "printf \"written=%u\n\", *(unsigned *)&$ms" \
  -ex 'printf "before step pc=0x%x\n", $pc' -ex stepi -ex 'printf "after step pc=0x%x\n", $pc' \
  -ex delete -ex "watch *(unsigned *)&$ms" -ex c \
  -ex "printf \"watched g_ms=%u\n\", *(unsigned *)&$ms" \
  -ex delete -ex "awatch *(unsigned *)&$ms" -ex c -ex delete \
  -ex 'break TIM2_IRQHandler' -ex c \
  -ex 'printf "tim2 ipsr=%d\n", $xpsr & 0x1ff' -ex bt \
  -ex 'printf "msp=0x%x sp=0x%x\n", $msp, $sp' \
  -ex delete -ex detach \
  "$ARTIFACTS/testfw-irq.elf" > "$T/gdb.txt" 2>&1 || fail "gdb-multiarch failed"
expect "halted at the reset vector" "pc +0x[0-9a-f]+ +0x[0-9a-f]+ <Reset_Handler>"
expect "breakpoint in main" "Breakpoint 1, 0x[0-9a-f]+ in main"
expect "pc in main" "pc +0x[0-9a-f]+ +0x[0-9a-f]+ <main(\\+[0-9]+)?>"
expect "breakpoint in SysTick_Handler" "Breakpoint 2, 0x[0-9a-f]+ in SysTick_Handler"
expect "IPSR in SysTick" "systick ipsr=15"
first=$(sed -n 's/^g_ms=\([0-9]*\)$/\1/p' "$T/gdb.txt" | head -1)
second=$(sed -n 's/^g_ms=\([0-9]*\)$/\1/p' "$T/gdb.txt" | sed -n 2p)
[ -n "$first" ] && [ -n "$second" ] && [ $((second - first)) -eq 1 ] ||
  fail "g_ms from one SysTick to the next: '$first' then '$second'"
expect "memory write" "written=4242"
before=$(sed -n 's/^before step pc=\(0x[0-9a-f]*\)$/\1/p' "$T/gdb.txt")
after=$(sed -n 's/^after step pc=\(0x[0-9a-f]*\)$/\1/p' "$T/gdb.txt")
[ -n "$before" ] && [ -n "$after" ] && [ $((after - before)) -ge 2 ] && [ $((after - before)) -le 4 ] ||
  fail "stepi moved the pc from '$before' to '$after'"
# Watchpoints (Z2, Z4): the firmware's next write of g_ms (written as 4242 above) stops it.
expect "hardware write watchpoint set" "Hardware watchpoint [0-9]+: \*\(unsigned \*\)"
expect "stopped where g_ms changes" "Old value = 4242"
changed=$(sed -n 's/^New value = \([0-9]*\)$/\1/p' "$T/gdb.txt" | head -1)
[ -n "$changed" ] && [ "$changed" != 4242 ] || fail "no new value of g_ms at the watchpoint"
expect "the value read after the watchpoint" "watched g_ms=$changed\$"
expect "access watchpoint" "Hardware access \(read/write\) watchpoint [0-9]+: \*\(unsigned \*\)"
expect "access watchpoint hit" "^Value = [0-9]+$"
expect "breakpoint in TIM2_IRQHandler" "Breakpoint [0-9]+, 0x[0-9a-f]+ in TIM2_IRQHandler"
expect "IPSR in TIM2" "tim2 ipsr=44"
expect "backtrace through the exception frame" "<signal handler called>"
expect "handler on MSP" "msp=(0x[0-9a-f]+) sp=\\1"
wait_until "the firmware runs on after detach" grep -q "tim2: toggles=8" "$T/console.txt"
stop_vstm32

# ---- 2. the demo application behind the bootloader ----
if [ -n "$RELEASES" ] && [ -f "$RELEASES/demo-v1/demo-v1-1.0.0-A.img" ]; then
  "$VSTM32" flash-image create "$T/flash.bin" --force > /dev/null
  "$VSTM32" flash-image place "$T/flash.bin" "$ARTIFACTS/bootloader.elf" > /dev/null
  "$VSTM32" flash-image place "$T/flash.bin" "$RELEASES/demo-v1/demo-v1-1.0.0-A.img" > /dev/null
  start
  timeout 60 "$GDB" -nx -batch \
    -ex "target remote 127.0.0.1:$port" \
    -ex 'break main' -ex c \
    -ex 'info registers pc' -ex 'info registers sp lr xpsr' \
    -ex stepi -ex 'info registers pc' -ex detach \
    "$ARTIFACTS/demo-v1-A.elf" > "$T/gdb.txt" 2>&1 || fail "gdb-multiarch failed (demo)"
  expect "breakpoint in main" "Breakpoint 1, 0x[0-9a-f]+ in main"
  expect "pc in main" "pc +0x[0-9a-f]+ +0x[0-9a-f]+ <main"
  wait_until "the demo runs on after detach" grep -q "self-test ok" "$T/console.txt"
  stop_vstm32
fi
echo "gdb session: ok"
