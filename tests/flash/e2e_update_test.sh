#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End to end with the real ARM binaries: our bootloader and the demo releases on `vstm32 run`
# (CPU machine), updated by `fota flash` through ST's ROM bootloader, outcome read from the
# console and the boot log.
#   v1 in A -> flash v2 -> v2 confirmed in B -> flash v3 -> v3 confirmed in A
#   never-confirming image -> reported reverted (exit 6), v3 keeps running
#   hard-faulting image -> the watchdog resets it until it is rejected -> reverted (exit 6)
#   cable pulled mid-write -> exit 4, previous firmware boots, rerun confirms
#   wrong product ID -> refused before anything is touched (exit 3)
# Usage: e2e_update_test.sh FOTA VSTM32 ARTIFACTS_DIR RELEASES_DIR
set -u
. "$(dirname "$0")/../lib/harness.sh"
harness_start fota-update-e2e FOTA VSTM32 ARTIFACTS RELEASES -- "$@"

flash() {
  "$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --confirm-timeout "${CONFIRM:-4}" \
    --outcome-timeout "${OUTCOME:-90}" "$@"
}
info_json() { "$FOTA" info --port "$T/tty" --pins "vstm32:$T/ctl" --json; }
# flash_confirmed RELEASE VERSION SLOT: `fota flash --console` of RELEASE confirms VERSION in SLOT:
# exit 0, the verdict, the new image's banner from the virtual USART1 (output in $T/out.txt).
flash_confirmed() {
  local release=$1 version=$2 slot=$3
  run_out flash --release "$RELEASES/$release" --console
  check "flash $release exit 0 (confirmed)" '[ $code -eq 0 ]'
  check "$release verdict line: slot $slot runs $version" 'grep -q "confirmed: slot $slot runs $version" "$T/out.txt"'
  check "$release banner from the virtual USART1" 'grep -q "console: demo $version slot $slot" "$T/out.txt"'
}

factory_flash
start_vstm32
check "factory v1 boots and confirms" 'wait_for "grep -q \"^confirmed\" \"$T/console.log\"" 30'

# --- v2 into B: confirmed
flash_confirmed demo-v2 2.0.0 B
check "bootloader verified v2 on trial" 'grep -q "console: boot: slot=B version=2.0.0 decision=trial" "$T/out.txt"'
info_json > "$T/info.json"
check "log: B confirmed" 'grep -q "\"slot\":\"B\",\"image\":\"2.0.0[^}]*\"state\":\"confirmed\"" "$T/info.json"'

# --- v3 goes back to A: confirmed
flash_confirmed demo-v3 3.0.0 A

# --- a never-confirming image: reset after each confirm timeout, reverted after its attempts
flash --release "$RELEASES/demo-noconfirm" --console --json > "$T/out.json" 2> "$T/err.txt"
code=$?
check "never-confirming image: exit 6 (reverted)" '[ $code -eq 6 ]'
check "it had 3 trial boots" '[ "$(grep -c "\"event\":\"console\",\"line\":\"boot: slot=B.*decision=trial reason=attempt-" "$T/out.json")" -eq 3 ]'
check "result says reverted" 'grep -q "\"outcome\":\"reverted\"" "$T/out.json"'
check "bootloader fell back to v3 in A" 'grep -q "boot: slot=A version=3.0.0 decision=confirmed reason=reverted-B-attempts-exhausted" "$T/out.json"'
info_json > "$T/info.json"
check "log: B rejected" 'grep -q "\"slot\":\"B\",\"image\":\"2.1.0[^}]*\"state\":\"rejected\"" "$T/info.json"'
check "log: A still confirmed" 'grep -q "\"slot\":\"A\",\"image\":\"3.0.0[^}]*\"state\":\"confirmed\"" "$T/info.json"'

# --- a hard-faulting image: no reset from fota (confirm timeout off), the IWDG does it
# (3 x 8.19 s of simulated watchdog time: slow under ASan on a loaded machine, hence 300 s)
CONFIRM=0 OUTCOME=300 flash --release "$RELEASES/demo-hardfault" --console > "$T/hardfault.txt" 2>&1
code=$?
check "hard-faulting image: exit 6 (reverted by the watchdog)" '[ $code -eq 6 ]'
check "three faulting trial boots" '[ "$(grep -c "hardfault: executing an undefined instruction" "$T/hardfault.txt")" -eq 3 ]'
check "reverted to v3" 'grep -q "slot=A version=3.0.0 decision=confirmed reason=reverted-B" "$T/hardfault.txt"'
"$VSTM32" ctl --control "$T/ctl" events > "$T/events.txt"
check "watchdog resets seen by the machine" '[ "$(grep -c "reset cause=iwdg" "$T/events.txt")" -ge 3 ]'

# --- cable pulled mid-write (realistic timing, so the write phase lasts a while): vstm32 dies,
#     fota fails cleanly; powered again, the device runs the previous firmware; a rerun confirms.
stop_vstm32
start_vstm32 --timing realistic
"$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --release "$RELEASES/demo-v2" > "$T/pull.txt" 2>&1 &
FPID=$!
harness_track "$FPID"
check "the write started before the pull" 'wait_for "grep -q \"^write: [1-9]\" \"$T/pull.txt\"" 60'
kill -9 "$VPID"
wait "$VPID" 2> /dev/null
VPID=""
wait "$FPID"
code=$?
check "port vanished mid-write: exit 4" '[ $code -eq 4 ]'
check "port vanished: message" 'grep -q "serial link failed" "$T/pull.txt"'
mark=$(stat -c %s "$T/console.log")
start_vstm32
check "after the pull the device runs v3 again" 'wait_for "tail -c +$((mark + 1)) \"$T/console.log\" | grep -q \"^demo 3.0.0 slot A\"" 30'
run_out flash --release "$RELEASES/demo-v2"
check "rerun after the pull: confirmed" '[ $code -eq 0 ]'

# --- bad input: a chip that answers another product ID (0x419, an F42x/43x) is refused before
#     anything is erased.
stop_vstm32
cp "$T/flash.bin" "$T/before.bin"
start_vstm32 --product-id 0x419
run_out flash --release "$RELEASES/demo-v2"
check "wrong PID: exit 3" '[ $code -eq 3 ]'
check "wrong PID named" 'grep -q "0x419" "$T/out.txt"'
stop_vstm32
check "wrong PID: bootloader and slots untouched" 'cmp -s <(head -c 917504 "$T/before.bin") <(head -c 917504 "$T/flash.bin")'

echo "$fails failure(s)"
[ $fails -eq 0 ]
