#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End to end: `fota flash` / `fota info` against `vstm32 run` (ROM bootloader over a pty, pins
# over the control socket). Usage: e2e_rom_test.sh FOTA VSTM32
# Images are generated (no ARM build needed) and there is no bootloader in sector 0, so nothing
# runs after a reset (the CPU locks up on the erased vector table): this checks what reaches
# flash, the log record, and every bad-input / fault case ending cleanly with the log (what the
# bootloader boots) unchanged. With the real firmware: e2e_update_test.sh.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/harness.sh"
harness_start fota-flash-e2e FOTA VSTM32 -- "$@"
UID_ARGS=(--uid 0123456789ABCDEF01234567)
slot_bytes() { dd if="$T/flash.bin" bs=1 skip=$(($1 - 0x08000000)) count=$2 2>/dev/null | md5sum | cut -d' ' -f1; }
pack() {  # pack NAME VERSION SIZE SEED
  python3 "$HERE/make_app.py" A "$3" "$4" "$T/$1-A.bin" && python3 "$HERE/make_app.py" B "$3" "$4" "$T/$1-B.bin" &&
    "$FOTA" pack --app-a "$T/$1-A.bin" --app-b "$T/$1-B.bin" --version "$2" --product test --name "$1" --out "$T/$1" > /dev/null
}
flash() { "$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --no-wait "$@"; }

pack v1 1.0.0 20000 1 && pack v2 2.0.0 60000 2 && pack v3 3.0.0 30000 3 && pack big 4.0.0 390000 4 || { echo "pack failed"; exit 1; }
"$VSTM32" flash-image create "$T/flash.bin" > /dev/null
"$VSTM32" flash-image place "$T/flash.bin" "$T/v1/v1-1.0.0-A.img" > /dev/null
start_vstm32 "${UID_ARGS[@]}"

# --- info on a factory-fresh device
"$FOTA" info --port "$T/tty" --pins "vstm32:$T/ctl" > "$T/info.txt" 2>&1
check "info exit 0" '[ $? -eq 0 ]'
check "info shows the UID" 'grep -q "0123456789ABCDEF01234567" "$T/info.txt"'
check "info shows v1 in A" 'grep -q "slot A      1.0.0" "$T/info.txt"'

# --- v2 goes to B, byte-exact, TRIAL appended
flash --release "$T/v2" > "$T/out.txt" 2>&1
check "flash v2 exit 0" '[ $? -eq 0 ]'
check "v2 image in slot B byte-exact" '[ "$(slot_bytes 0x08080000 $(stat -c %s "$T/v2/v2-2.0.0-B.img"))" = "$(md5sum < "$T/v2/v2-2.0.0-B.img" | cut -d" " -f1)" ]'
check "slot A untouched" '[ "$(slot_bytes 0x08020000 $(stat -c %s "$T/v1/v1-1.0.0-A.img"))" = "$(md5sum < "$T/v1/v1-1.0.0-A.img" | cut -d" " -f1)" ]'
"$FOTA" info --port "$T/tty" --pins "vstm32:$T/ctl" --json > "$T/info.json"
check "log: B on trial" 'grep -q "\"slot\":\"B\",\"image\":\"2.0.0+0[^}]*\"state\":\"trial\"" "$T/info.json"'
check "only sector 8 erased (x32)" '"$VSTM32" ctl --control "$T/ctl" events | grep -q "erase sector=8"'
"$VSTM32" ctl --control "$T/ctl" events | grep "erase sector" > "$T/erases.txt"
check "no other sector erased" '! grep -v "sector=11\|sector=3" "$T/erases.txt" | grep -q "erase sector"'

# --- bad inputs: nothing on the device changes (md5 of the whole flash)
before=$(md5sum < "$T/flash.bin")
cp -r "$T/v3" "$T/corrupt" && printf '\x00' | dd of="$T/corrupt/v3-3.0.0-A.img" bs=1 seek=2000 conv=notrunc 2>/dev/null
flash --release "$T/corrupt" > "$T/out.txt" 2>&1
check "corrupt release exit 2" '[ $? -eq 2 ]'
check "corrupt release message" 'grep -q "corrupt release" "$T/out.txt"'
cp -r "$T/v3" "$T/wrongslot" && python3 - "$T/wrongslot/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); s = m["slots"]; s["B"].update({k: s["A"][k] for k in ("file", "size", "crc32", "sha256")})
json.dump(m, open(sys.argv[1], "w"), indent=2)
PY
flash --release "$T/wrongslot" > "$T/out.txt" 2>&1
check "wrong-slot image exit 2" '[ $? -eq 2 ]'
check "wrong-slot message" 'grep -q "linked for slot A but the manifest lists it for slot B" "$T/out.txt"'
mkdir -p "$T/huge" && cp "$T/v3/manifest.json" "$T/huge/" && head -c 400000 /dev/zero > "$T/huge/v3-3.0.0-A.img" && cp "$T/v3/v3-3.0.0-B.img" "$T/huge/"
flash --release "$T/huge" > "$T/out.txt" 2>&1
check "too-large image exit 2" '[ $? -eq 2 ]'
flash --release "$T/nonexistent" > "$T/out.txt" 2>&1
check "missing release exit 2" '[ $? -eq 2 ] && grep -q "nonexistent" "$T/out.txt"'
"$FOTA" flash --port "$T/tty" --pins "vstm32:$T/nosock" --release "$T/v3" --no-wait > "$T/out.txt" 2>&1
check "bad pins socket exit 3" '[ $? -eq 3 ] && grep -q "nosock" "$T/out.txt"'
"$FOTA" flash --port "$T/nope" --pins "vstm32:$T/ctl" --release "$T/v3" --no-wait > "$T/out.txt" 2>&1
check "missing port exit 3" '[ $? -eq 3 ] && grep -q "nope" "$T/out.txt"'
"$VSTM32" ctl --control "$T/ctl" boot0 0 > /dev/null && "$VSTM32" ctl --control "$T/ctl" reset > /dev/null
"$FOTA" flash --port "$T/tty" --pins none --release "$T/v3" --no-wait > "$T/out.txt" 2>&1
check "no ROM (BOOT0 low, pins none) exit 3" '[ $? -eq 3 ] && grep -q "no answer to 0x7F" "$T/out.txt"'
check "flash unchanged by every bad input" '[ "$(md5sum < "$T/flash.bin")" = "$before" ]'

# --- bit errors 1e-4 on both directions: completes byte-exact or fails cleanly (then the log is unchanged)
"$VSTM32" ctl --control "$T/ctl" ber 0.0001 11 > /dev/null
flash --release "$T/v3" --verify=readback > "$T/out.txt" 2>&1
rc=$?
"$VSTM32" ctl --control "$T/ctl" ber 0 > /dev/null
echo "bit errors: fota flash rc=$rc, $(grep -o 'ber_bits=[0-9]*' <<< "$("$VSTM32" ctl --control "$T/ctl" status)")"
"$FOTA" info --port "$T/tty" --pins "vstm32:$T/ctl" --json > "$T/info.json"
if [ $rc -eq 0 ]; then
  check "BER: v3 in A byte-exact" '[ "$(slot_bytes 0x08020000 $(stat -c %s "$T/v3/v3-3.0.0-A.img"))" = "$(md5sum < "$T/v3/v3-3.0.0-A.img" | cut -d" " -f1)" ]'
  check "BER: log names v3 in A on trial" 'grep -q "\"slot\":\"A\",\"image\":\"3.0.0+0[^}]*\"state\":\"trial\"" "$T/info.json"'
else
  check "BER: clean failure code" '[ $rc -eq 4 ] || [ $rc -eq 5 ]'
  check "BER: log unchanged (B trial)" 'grep -q "\"slot\":\"B\",\"image\":\"2.0.0+0[^}]*\"state\":\"trial\"" "$T/info.json"'
fi

# --- cable pulled mid-write: vstm32 dies while fota streams a 390 KB image
cp "$T/flash.bin" "$T/flash-before-pull.bin"
"$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --no-wait --release "$T/big" > "$T/pull.txt" 2>&1 &
FPID=$!
harness_track "$FPID"
check "the write started before the pull" 'wait_for "grep -q \"^write: [1-9]\" \"$T/pull.txt\"" 60'
kill -9 "$VPID"; wait "$VPID" 2>/dev/null; VPID=""
wait "$FPID"
rc=$?
check "port vanished mid-write exit 4" '[ $rc -eq 4 ]'
check "port vanished message" 'grep -q "serial link failed" "$T/pull.txt"'
start_vstm32 "${UID_ARGS[@]}"
"$FOTA" info --port "$T/tty" --pins "vstm32:$T/ctl" --json > "$T/info.json"
info_rc=$?
check "after the pull the log names images, none of them 4.0.0 on trial" \
  '[ $info_rc -eq 0 ] && grep -q "\"image\":\"[23].0.0" "$T/info.json" && ! grep -q "\"image\":\"4.0.0[^}]*\"state\":\"trial\"" "$T/info.json"'
flash --release "$T/big" > "$T/out.txt" 2>&1
check "rerun after the pull succeeds" '[ $? -eq 0 ]'

# --- pipelined writes land byte-exact too
flash --release "$T/v3" --slot B --pipeline > "$T/out.txt" 2>&1
check "pipelined flash exit 0" '[ $? -eq 0 ]'
check "pipelined v3 in slot B byte-exact" '[ "$(slot_bytes 0x08080000 $(stat -c %s "$T/v3/v3-3.0.0-B.img"))" = "$(md5sum < "$T/v3/v3-3.0.0-B.img" | cut -d" " -f1)" ]'

# --- --raw (factory provisioning) at sector 4
head -c 5000 /dev/urandom > "$T/raw.bin"
"$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --raw 0x08010000 "$T/raw.bin" > "$T/out.txt" 2>&1
check "raw write exit 0" '[ $? -eq 0 ]'
check "raw bytes in place" '[ "$(slot_bytes 0x08010000 5000)" = "$(md5sum < "$T/raw.bin" | cut -d" " -f1)" ]'
"$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --raw 0x08010002 "$T/raw.bin" > "$T/out.txt" 2>&1
check "raw misaligned exit 1" '[ $? -eq 1 ]'

# --- a damaged key block in sector 2 (right magic, wrong CRC): info names it, exit 0
{ printf 'FKEY\001\000\001\000'; head -c 64 /dev/zero; printf '\001\002\003\004'; } > "$T/keyblock.bin"
"$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --raw 0x08008000 "$T/keyblock.bin" > "$T/out.txt" 2>&1
check "raw key block written" '[ $? -eq 0 ]'
"$FOTA" info --port "$T/tty" --pins "vstm32:$T/ctl" > "$T/info.txt" 2>&1
check "info with a damaged key block: exit 0" '[ $? -eq 0 ]'
check "info names the damaged key block" 'grep -q "^keys        damaged key block: key block CRC mismatch (a secure bootloader trusts nothing)" "$T/info.txt"'

# --- info through the native path with no bootloader of ours on the chip: named, exit 3
"$FOTA" info --port "$T/tty" --pins "vstm32:$T/ctl" --transport native > "$T/info.txt" 2>&1
code=$?
cat "$T/info.txt"
check "native info without our bootloader: exit 3" '[ $code -eq 3 ]'
check "native info without our bootloader: named" 'grep -q "our bootloader.s update mode did not answer" "$T/info.txt"'

# --- JSON lines are JSON
flash --release "$T/v1" --json > "$T/json.txt" 2> /dev/null
check "json exit 0" '[ $? -eq 0 ]'
check "every --json line parses" 'python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$T/json.txt"'
check "json result line" 'tail -1 "$T/json.txt" | grep -q "\"event\":\"result\",\"ok\":true"'

stop_vstm32
echo "$fails failure(s)"
[ $fails -eq 0 ]
