#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `vstm32 run` executing real firmware (our bootloader + demo v1) through the CLI: console on the
# --uart-log, events (reset cause, LEDs, flash programs), a power cut by instruction count, power
# on again, a pin reset, and the flash file holding what the firmware wrote (cuts at flash steps
# and at random are covered by tests/vstm32_core and tests/flash/power_cut_flash_test.sh).
# Usage: cli_machine_test.sh VSTM32 ARTIFACTS_DIR RELEASES_DIR
set -u
. "$(dirname "$0")/../lib/harness.sh"
harness_start vstm32-cli-machine VSTM32 ARTIFACTS RELEASES -- "$@"
count() { tr -d '\r' < "$T/console.log" | grep -c "$1"; }

factory_flash
cp "$T/flash.bin" "$T/factory.bin"
start_vstm32

# The firmware runs: the bootloader's line, the demo's banner and its confirmation.
check "bootloader and demo ran" 'wait_for "grep -q \"^confirmed\" \"$T/console.log\"" 30'
check "boot line" 'grep -q "^boot: slot=A version=1.0.0 decision=trial reason=log-empty" "$T/console.log"'
ctl events > "$T/events.txt"
check "power-on reset event" 'grep -q "reset cause=por boot=flash" "$T/events.txt"'
check "LED events" 'grep -q "leds green=1" "$T/events.txt"'
check "flash program events (log records)" 'grep -q "flash program 0x080E" "$T/events.txt"'
check "status: CPU mode" 'ctl status | grep -q "mode=cpu"'

# Power cut after N instructions: the chip goes off and stays off until power on.
ctl cut instructions 1000 > /dev/null
check "cut instructions: power off" 'wait_for "ctl status | grep -q power=off" 10'
ctl events > "$T/events.txt"
check "cut event" 'grep -q "power cut" "$T/events.txt"'
before=$(count "^demo 1.0.0 slot A")
ctl power on > /dev/null
check "power on: boots again, confirmed" 'wait_for "[ \$(count \"^demo 1.0.0 slot A\") -gt $before ]" 30'

# NRST pulse: a pin reset, the confirmed image boots again.
ctl reset > /dev/null
ctl events > "$T/events.txt"
check "reset cause pin" 'grep -q "reset cause=pin boot=flash" "$T/events.txt"'

# Bad control input is refused with a message, and the machine keeps running.
check "bad cut refused" '[[ "$(ctl cut flash-step x)" == "error cut flash-step expects a step number"* ]]'
check "still running" 'ctl status | grep -q "power=on"'

ctl quit > /dev/null
wait "$VPID"
VPID=""
check "flash file holds the firmware's log records" '! cmp -s "$T/factory.bin" "$T/flash.bin"'
check "bootloader and slot A untouched in the file" 'cmp -s <(head -c 917504 "$T/factory.bin") <(head -c 917504 "$T/flash.bin")'

echo "$fails failure(s)"
[ $fails -eq 0 ]
