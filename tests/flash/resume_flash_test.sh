#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Resume on vstm32 (ROM bootloader over a pty, realistic UART timing): `fota flash --resume FILE`
# is killed with SIGKILL in the middle of the write; the rerun checks the written tail through
# the ROM and continues from the saved point without erasing again. A changed release and a torn
# progress file start over. Images are generated (no ARM build needed), as in e2e_rom_test.sh.
# Usage: resume_flash_test.sh FOTA VSTM32
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/harness.sh"
harness_start fota-resume-e2e FOTA VSTM32 -- "$@"
slot_bytes() { dd if="$T/flash.bin" bs=1 skip=$(($1 - 0x08000000)) count=$2 2>/dev/null | md5sum | cut -d' ' -f1; }
file_md5() { md5sum < "$1" | cut -d' ' -f1; }
pack() {  # pack NAME VERSION SIZE SEED
  python3 "$HERE/make_app.py" A "$3" "$4" "$T/$1-A.bin" && python3 "$HERE/make_app.py" B "$3" "$4" "$T/$1-B.bin" &&
    "$FOTA" pack --app-a "$T/$1-A.bin" --app-b "$T/$1-B.bin" --version "$2" --product test --name "$1" --out "$T/$1" > /dev/null
}
flash() { "$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --no-wait --resume "$T/progress.bin" --json "$@"; }
# Slot sector (5..10) erases since the last call (vstm32 hands out each event once; the log's
# sectors 3 and 11 may be erased by a commit's compaction).
erases() { ctl events | grep -c "erase sector=\([5-9]\|10\) "; }
# Starts a flash in the background and kills it with SIGKILL once the write reached DECILE x 10 %
# (the JSON progress lines come once per decile).
flash_killed_at() {  # flash_killed_at DECILE RELEASE OUT
  "$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --no-wait --resume "$T/progress.bin" \
    --json --release "$2" > "$3" 2> "$3.err" &
  local pid=$!
  wait_for "grep -q '\"phase\":\"write\".*\"percent\":[$1-9][0-9]' '$3'" 120
  kill -9 "$pid"
  wait "$pid" 2> /dev/null
}

pack v1 1.0.0 20000 1 && pack v2 2.0.0 60000 2 && pack v3 3.0.0 60000 3 || { echo "pack failed"; exit 1; }
"$VSTM32" flash-image create "$T/flash.bin" > /dev/null
"$VSTM32" flash-image place "$T/flash.bin" "$T/v1/v1-1.0.0-A.img" > /dev/null
start_vstm32 --timing realistic
V2=$T/v2/v2-2.0.0-B.img
V2_SIZE=$(stat -c %s "$V2")

# --- killed at 50 %, rerun resumes from the saved point
flash_killed_at 5 "$T/v2" "$T/run1.json"
check "killed run left a 192-byte progress file" '[ "$(stat -c %s "$T/progress.bin" 2>/dev/null)" = 192 ]'
check "killed run did not commit" '! grep -q "\"event\":\"result\"" "$T/run1.json"'
erases > /dev/null
flash --release "$T/v2" > "$T/run2.json" 2> "$T/run2.err"
code=$?
check "rerun exit 0" '[ $code -eq 0 ]'
offset=$(grep -o '"resume_offset":[0-9]*' "$T/run2.json" | head -1 | cut -d: -f2)
echo "resumed at byte ${offset:-none} of $V2_SIZE"
check "rerun resumed past 40 % of the image" '[ -n "$offset" ] && [ "$offset" -ge $((V2_SIZE * 40 / 100)) ]'
check "rerun did not erase again" '[ "$(erases)" -eq 0 ]'
check "slot B byte-exact" '[ "$(slot_bytes 0x08080000 $V2_SIZE)" = "$(file_md5 "$V2")" ]'
check "result line says committed" 'tail -1 "$T/run2.json" | grep -q "\"outcome\":\"committed\""'
check "progress file removed after the commit" '[ ! -e "$T/progress.bin" ]'
"$FOTA" info --port "$T/tty" --pins "vstm32:$T/ctl" --json > "$T/info.json"
check "log: B on trial with 2.0.0" 'grep -q "\"slot\":\"B\",\"image\":\"2.0.0+0[^}]*\"state\":\"trial\"" "$T/info.json"'

# --- killed, then a different release: starts over (erases again), byte-exact. The slot is
#     bootcore::install_slot()'s choice (here A: B holds the newest trial, nothing is confirmed).
flash_killed_at 3 "$T/v2" "$T/run3.json"
target=$(grep -o '"slot":"[AB]"' "$T/run3.json" | head -1 | cut -d'"' -f4)
erases > /dev/null
flash --release "$T/v3" > "$T/run4.json" 2> "$T/run4.err"
check "changed release: exit 0" '[ $? -eq 0 ]'
check "changed release: said it starts over" 'grep -q "starting over" "$T/run4.json"'
check "changed release: not resumed" '! grep -q "resume_offset" "$T/run4.json"'
check "changed release: erased again" '[ "$(erases)" -gt 0 ]'
V3=$T/v3/v3-3.0.0-$target.img
address=$([ "$target" = A ] && echo 0x08020000 || echo 0x08080000)
check "changed release: slot $target byte-exact" '[ "$(slot_bytes $address $(stat -c %s "$V3"))" = "$(file_md5 "$V3")" ]'

# --- a torn progress file: starts over, never fails because of it. v3 again, now into B (A holds
#     v3 as the newest trial): B holds v2, committed and never booted (no bootloader here), which
#     a rerun of v2 would not write again but only commit anew.
flash_killed_at 3 "$T/v3" "$T/run5.json"
truncate -s 77 "$T/progress.bin"
flash --release "$T/v3" > "$T/run6.json" 2> "$T/run6.err"
code=$?
check "torn progress file: exit 0" '[ $code -eq 0 ] || { cat "$T/run6.err"; false; }'
check "torn progress file: said it starts over" 'grep -q "starting over" "$T/run6.json"'
check "every --json line parses" 'cat "$T"/run[246].json | python3 -c "import json,sys; [json.loads(l) for l in sys.stdin]"'

stop_vstm32
[ $fails -eq 0 ] && echo "resume e2e: all passed" || echo "resume e2e: $fails failed"
exit $((fails > 0))
