#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `fota flash --i2c` end to end: our bootloader and the demo on `vstm32 run --i2c1 tcp:0` (real
# ARM binaries, realistic timing), the update engine over the native target on the I2C link at
# 400 kHz through the endpoint, NRST through the control socket.
#   usage errors: --i2c with --transport rom, with --raw
#   a wrong address -> exit 3 naming the address, nothing touched, v1 keeps running
#   v2 into B over I2C -> the bootloader verifies it, boots it on trial, the demo confirms it; the
#   engine reads the verdict from the bootloader's log (no console on I2C) -> exit 0, confirmed
#   `fota info --i2c`: usage errors, a wrong address named, then both slots and their states
# Usage: i2c_flash_e2e_test.sh FOTA VSTM32 ARTIFACTS_DIR RELEASES_DIR
set -u
. "$(dirname "$0")/../lib/harness.sh"
harness_start fota-i2c-e2e FOTA VSTM32 ARTIFACTS RELEASES -- "$@"

factory_flash
start_vstm32 --timing realistic --i2c1 tcp:0 --i2c-speed 400000
wait_for 'grep -q "i2c1 tcp 127.0.0.1:" "$T/vstm32.log"' 10 || fail "no i2c1 endpoint"
PORT=$(sed -n 's/.*i2c1 tcp 127.0.0.1:\([0-9]*\).*/\1/p' "$T/vstm32.log")
check "factory v1 boots and confirms" 'wait_for "grep -q \"^confirmed\" \"$T/console.log\"" 30'

# --- usage errors: the ROM bootloader is not on I2C
"$FOTA" flash --i2c "tcp:$PORT" --transport rom --release "$RELEASES/demo-v2" > "$T/rom.txt" 2>&1
code=$?
check "--transport rom --i2c: usage error" '[ $code -eq 1 ] && grep -q "only the native protocol" "$T/rom.txt"'
"$FOTA" flash --i2c "tcp:$PORT" --raw 0x08000000 "$ARTIFACTS/bootloader.bin" > "$T/raw.txt" 2>&1
code=$?
check "--raw --i2c: usage error" '[ $code -eq 1 ] && grep -q "ROM bootloader only" "$T/raw.txt"'

# --- nobody at 0x43: a clear error, the device boots on after its listening window
mark=$(stat -c %s "$T/console.log")
"$FOTA" flash --i2c "tcp:$PORT:0x43" --pins "vstm32:$T/ctl" --release "$RELEASES/demo-v2" \
  > "$T/wrong.txt" 2>&1
code=$?
check "wrong address: exit 3" '[ $code -eq 3 ]'
check "wrong address: message names it" 'grep -q "address 0x43: no device acknowledges the address" "$T/wrong.txt"'
check "wrong address: v1 runs again and confirms" 'wait_for "tail -c +$((mark + 1)) \"$T/console.log\" | sed -n \"/^demo 1.0.0 slot A/,\\\$p\" | grep -q \"^confirmed\"" 30'

# --- v2 over I2C
mark=$(stat -c %s "$T/console.log")
"$FOTA" flash --i2c "tcp:$PORT" --pins "vstm32:$T/ctl" --release "$RELEASES/demo-v2" \
  --outcome-timeout 8 --json > "$T/out.json" 2> "$T/out.txt"
code=$?
cat "$T/out.txt"
grep -v '"event":"progress"' "$T/out.json"
check "flash over I2C: exit 0" '[ $code -eq 0 ]'
check "the engine's plan: v2 into B" 'grep "\"event\":\"plan\"" "$T/out.json" | grep "\"slot\":\"B\"" | grep -q "\"version\":\"2.0.0\""'
check "committed as TRIAL" 'grep -q "\"state\":\"trial\"" "$T/out.json"'
check "verdict from the bootloader's log: confirmed" 'grep "\"event\":\"result\"" "$T/out.json" | grep -q "\"outcome\":\"confirmed\""'
check "JSON result: native over i2c, nothing resent" 'grep "\"event\":\"result\"" "$T/out.json" | grep "\"link\":\"i2c\"" | grep "\"transport\":\"native\"" | grep -q "\"frames_resent\":0"'
after() { tail -c +$((mark + 1)) "$T/console.log"; }
check "v2 banner" 'wait_for "after | grep -q \"^demo 2.0.0 slot B\"" 30'
check "boot log: B trial" 'after | grep -q "boot: slot=B version=2.0.0 decision=trial"'
check "v2 confirms itself" 'wait_for "after | sed -n \"/^demo 2.0.0 slot B/,\\\$p\" | grep -q \"^confirmed\"" 30'

# --- fota info over I2C
"$FOTA" info --i2c "tcp:$PORT" --transport rom > "$T/info.txt" 2>&1
code=$?
check "info --i2c --transport rom: usage error" '[ $code -eq 1 ] && grep -q "only the native protocol" "$T/info.txt"'
"$FOTA" info > "$T/info.txt" 2>&1
code=$?
check "info without --port or --i2c: usage error" '[ $code -eq 1 ] && grep -q "exactly one of --port, --i2c" "$T/info.txt"'
"$FOTA" info --i2c "tcp:$PORT:0x43" --pins "vstm32:$T/ctl" > "$T/info.txt" 2>&1
code=$?
cat "$T/info.txt"
check "info at a wrong address: exit 3, address named" '[ $code -eq 3 ] && grep -q "address 0x43.*no device acknowledges the address" "$T/info.txt"'
"$FOTA" info --i2c "tcp:$PORT" --pins "vstm32:$T/ctl" > "$T/info.txt" 2>&1
code=$?
cat "$T/info.txt"
check "info over I2C: exit 0" '[ $code -eq 0 ]'
check "info over I2C: v1 in A and v2 in B, both confirmed" 'grep -q "^slot A      1.0.0, crc 0x[0-9A-F]\{8\}; log: confirmed" "$T/info.txt" && grep -q "^slot B      2.0.0, crc 0x[0-9A-F]\{8\}; log: confirmed" "$T/info.txt"'
info_json=$("$FOTA" info --i2c "tcp:$PORT" --pins "vstm32:$T/ctl" --json)
check "info --json over I2C: native, B confirmed, next to A" 'python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d[\"transport\"]==\"native\" and d[\"slots\"][1][\"state\"]==\"confirmed\" and d[\"slots\"][1][\"image\"].startswith(\"2.0.0, crc \") and d[\"install_slot\"]==\"A\" and len(d[\"uid\"])==24" "$info_json"'
stop_vstm32
[ "$fails" -eq 0 ] || exit 1
