#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `fota flash --transport native|auto` end to end with the real ARM binaries on `vstm32 run`:
#   v1 in A -> native at 2 Mbaud: v2 confirmed in B -> auto (our bootloader answers): v3 in A
#   no bootloader at all: native -> clear "no bootloader answered" error (exit 3), nothing touched;
#   auto -> falls back to the ROM path and installs; dual recovery: the bootloader written back
#   with --raw through the ROM, then a native update confirms
#   bad usage: --raw with --transport native, native with --pins none and no --native-entry hello
# Usage: e2e_native_test.sh FOTA VSTM32 ARTIFACTS_DIR RELEASES_DIR
set -u
. "$(dirname "$0")/../lib/harness.sh"
harness_start fota-native-e2e FOTA VSTM32 ARTIFACTS RELEASES -- "$@"

flash() {
  "$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --confirm-timeout 4 --outcome-timeout 90 "$@"
}

factory_flash
start_vstm32
check "factory v1 boots and confirms" 'wait_for "grep -q \"^confirmed\" \"$T/console.log\"" 30'

# --- native at 2 Mbaud: v2 into B
flash --transport native --native-baud 2000000 --release "$RELEASES/demo-v2" --console --json \
  > "$T/out.json" 2> "$T/err.txt"
code=$?
check "native v2: exit 0 (confirmed)" '[ $code -eq 0 ]'
check "native v2: result names the transport and rate" \
  'grep -q "\"outcome\":\"confirmed\",\"slot\":\"B\",\"transport\":\"native\"[^}]*\"baud\":2000000" "$T/out.json"'
check "native v2: the bootloader tried it" 'grep -q "boot: slot=B version=2.0.0 decision=trial" "$T/out.json"'
check "native v2: no erase step of the engine (the bootloader erases)" '! grep -q "\"phase\":\"erase\"" "$T/out.json"'

# --- auto: our bootloader answers, so the native path; v3 into A
flash --transport auto --release "$RELEASES/demo-v3" > "$T/out.txt" 2>&1
code=$?
check "auto v3: exit 0" '[ $code -eq 0 ]'
check "auto v3: native chosen" 'grep -q "transport auto: our bootloader answered; native" "$T/out.txt"'
check "auto v3: confirmed in A" 'grep -q "confirmed: slot A runs 3.0.0" "$T/out.txt"'

# --- bad usage
flash --transport native --raw 0x08000000 "$ARTIFACTS/bootloader.bin" > "$T/out.txt" 2>&1
code=$?
check "--raw with --transport native: usage error" '[ $code -eq 1 ] && grep -q "ROM bootloader only" "$T/out.txt"'
"$FOTA" flash --port "$T/tty" --pins none --transport native --release "$RELEASES/demo-v2" \
  > "$T/out.txt" 2>&1
code=$?
check "native with --pins none needs --native-entry hello" '[ $code -eq 1 ] && grep -q "native-entry hello" "$T/out.txt"'
stop_vstm32

# --- no bootloader answering: sector 0 erased (a device whose bootloader was lost)
rm -f "$T/flash.bin"
"$VSTM32" flash-image create "$T/flash.bin" > /dev/null
"$VSTM32" flash-image place "$T/flash.bin" "$RELEASES/demo-v1/demo-v1-1.0.0-A.img" > /dev/null
cp "$T/flash.bin" "$T/before.bin"
start_vstm32
flash --transport native --release "$RELEASES/demo-v2" > "$T/out.txt" 2>&1
code=$?
check "no bootloader: native exits 3 (no device)" '[ $code -eq 3 ]'
check "no bootloader: the error says so" 'grep -q "no bootloader answered HELLO" "$T/out.txt"'
stop_vstm32
check "no bootloader: nothing touched" 'cmp -s "$T/before.bin" "$T/flash.bin"'
start_vstm32
flash --transport auto --no-wait --release "$RELEASES/demo-v2" > "$T/out.txt" 2>&1
code=$?
check "no bootloader: auto falls back to the ROM path" 'grep -q "transport auto: no native answer" "$T/out.txt"'
check "no bootloader: auto installs through the ROM (exit 0, committed)" \
  '[ $code -eq 0 ] && grep -q "committed (not waiting for the outcome)" "$T/out.txt"'
# Dual recovery: the bootloader back through the ROM path, then the native path works again.
flash --raw 0x08000000 "$ARTIFACTS/bootloader.bin" > "$T/out.txt" 2>&1
code=$?
check "recovery: bootloader written through the ROM (exit 0)" '[ $code -eq 0 ]'
check "recovery: the restored bootloader boots v2 from B" \
  'wait_for "grep -q \"^demo 2.0.0 slot B\" \"$T/console.log\"" 30'
check "recovery: v2 confirms" 'wait_for "tail -n 3 \"$T/console.log\" | grep -q \"^confirmed\"" 30'
flash --transport native --release "$RELEASES/demo-v3" > "$T/out.txt" 2>&1
code=$?
check "recovery: a native update afterwards confirms" '[ $code -eq 0 ] && grep -q "confirmed: slot A runs 3.0.0" "$T/out.txt"'
stop_vstm32

echo "$fails failure(s)"
[ $fails -eq 0 ]
