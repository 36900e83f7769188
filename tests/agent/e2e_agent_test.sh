#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `fota agent` end to end, with the real ARM binaries on `vstm32 run`, Mosquitto and nginx:
#   signed v2 published (retained) -> the agent installs it -> status confirmed, v2 runs
#   malformed notification -> reported in the status, the agent keeps running
#   release whose image is missing (HTTP 404) -> failed, nothing erased, v2 keeps running
#   a server answering 500, a server that stalls -> retried, then failed; v2 keeps running
#   tampered image (one payload bit) -> failed before commit, v2 keeps running
#   header-only tamper (a signed header byte changed, header CRC fixed), image signed by a key the
#     device does not trust, signature bytes flipped -> refused before any erase, v2 keeps running
#   truncated body: a server that sends fewer bytes than its Content-Length (the same byte on every
#     retry), an object shorter than the manifest's size -> failed, never committed, v2 keeps running
#   manifest signed by an unknown key -> refused before any download
#   never-confirming release -> reported reverted, v2 runs again
#   SIGTERM -> the agent exits, the status says offline
#   restart -> the identity cached in state_dir is used (no reset of the device); --reprobe resets
# Usage: e2e_agent_test.sh FOTA VSTM32 ARTIFACTS_DIR RELEASES_DIR
set -u
. "$(dirname "$0")/../lib/agent.sh"
harness_start fota-agent-e2e FOTA VSTM32 ARTIFACTS RELEASES -- "$@"
agent_servers "$T/www" || exit 1
# Two misbehaving servers: one answers 500 to everything, one stalls after 100 bytes.
# A third serves the files of $T/short but every body stops at byte 6000 of the file.
mkdir -p "$T/short"
for mode in 500 stall short; do
  python3 "$(dirname "$0")/../lib/bad_http_server.py" "$T/$mode.port" "$mode" "$T/short" 6000 \
    > "$T/$mode.log" 2>&1 &
  harness_track $!
  wait_for "[ -s '$T/$mode.port' ]" 30 || { echo "bad_http_server $mode did not start"; exit 1; }
done
URL_500="http://127.0.0.1:$(cat "$T/500.port")"
URL_STALL="http://127.0.0.1:$(cat "$T/stall.port")"
URL_SHORT="http://127.0.0.1:$(cat "$T/short.port")"

# --- releases, signed with the fresh key of agent_servers
"$FOTA" keygen --out "$T/stranger" > /dev/null || exit 1
pack() {  # pack NAME VERSION DIR [KEY [URL_BASE]]: served from $T/www/DIR
  pack_release "$1" "$2" "$1" "${5:-$NGINX_URL}/$3" "$T/www/$3" "${4:-}"
}
pack demo-v2 2.0.0 v2
pack demo-v3 3.0.0 tampered
pack demo-v3 3.0.0 gone
pack demo-v3 3.0.0 stranger "$T/stranger.key"
pack demo-noconfirm 2.1.0 noconfirm
pack demo-v3 3.0.0 http500 "$T/release.key" "$URL_500"
pack demo-v3 3.0.0 stall "$T/release.key" "$URL_STALL"
pack demo-v3 3.0.0 header
pack demo-v3 3.0.0 wrongkey
pack demo-v3 3.0.0 sigflip
pack demo-v3 3.0.0 shortfile
pack demo-v3 3.0.0 cut "$T/release.key" "$URL_SHORT"
cp "$T/www/cut/"*.img "$T/short/"
rm "$T/www/gone/"*.img  # the manifest points to images that are not there: 404
# wrongkey: the manifest is signed by the trusted key, its images by the stranger's.
pack demo-v3 3.0.0 wrongkey-images "$T/stranger.key"
cp "$T/www/wrongkey-images/"*.img "$T/www/wrongkey/"
# shortfile: the objects end at byte 6000, the manifest says 9 KB or more.
for img in "$T/www/shortfile/"*.img; do truncate -s 6000 "$img"; done
# header: a signed header byte changed (build 0 -> 1), the header CRC made right again, so only
# the signature can tell. sigflip: one bit of the signature flipped, the CRC made right again.
edit_header() {  # edit_header FILE OFFSET XOR
  python3 - "$@" << 'PY'
import struct, sys, zlib
p, at, xor = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = bytearray(open(p, "rb").read())
b[at] ^= xor
b[508:512] = struct.pack("<I", zlib.crc32(bytes(b[:508])))
open(p, "wb").write(b)
PY
}
for img in "$T/www/header/"*.img; do edit_header "$img" 24 1; done
for img in "$T/www/sigflip/"*.img; do edit_header "$img" 140 4; done
# One bit flipped in the payload of both images (the manifest and the headers stay signed).
for img in "$T/www/tampered/"*.img; do
  python3 - "$img" << 'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[2048] ^= 0x10
open(p, "wb").write(b)
PY
done

# --- the device: our bootloader + v1 in slot A
factory_flash
start_vstm32
check "factory v1 boots and confirms" 'wait_for "grep -q \"^confirmed\" \"$T/console.log\"" 30'

write_agent_config "$T/agent.toml" 'log_level = "debug"' 'status_interval_s = 0.5' \
  'release.channel = "stable"' \
  "release.allowed_url_prefixes = [\"$NGINX_URL/\", \"$URL_500/\", \"$URL_STALL/\", \"$URL_SHORT/\"]" \
  'download.stall_timeout_s = 2' 'download.retries = 2' 'download.backoff_initial_s = 0.2' \
  'device.name = "rack-1"' "device.pins = \"vstm32:$T/ctl\"" 'device.confirm_timeout_s = 4' \
  'device.outcome_timeout_s = 120'
"$FOTA" agent --config "$T/agent.toml" --check-config > /dev/null
check "configuration accepted" '[ $? -eq 0 ]'

run_agent "$T/agent.log"
check "agent identified the device" 'wait_for "grep -q \"device [0-9A-F]\{24\} runs 1.0.0\" \"$T/agent.log\"" 60'
UID_HEX=$(agent_uid "$T/agent.log")
check "status: idle, running 1.0.0 in A" 'wait_for "[ \"\$(summary)\" = idle/1.0.0/A ]" 20 || { summary; false; }'

# --- v2: installed over the air and confirmed
followed 300 publish -f "$T/www/v2/manifest.json"
check "v2: status confirmed (follow exit 0)" '[ $FOLLOW_CODE -eq 0 ]'
check "v2: went through downloading" 'grep -q "^downloading" "$T/follow.txt"'
check "v2: the first confirmed status names 2.0.0 in B as running" 'grep -m1 "^confirmed" "$T/follow.txt" | grep -q "running 2.0.0/B"'
check "v2: banner on USART1" 'grep -q "^demo 2.0.0 slot B" "$T/console.log"'
check "v2: status confirmed, running 2.0.0 in B" '[ "$(summary)" = confirmed/2.0.0/B ]'
downloaded=$(grep -o "[0-9]* bytes downloaded" "$T/agent.log" | tail -1 | cut -d" " -f1)
size=$(stat -c %s "$T/www/v2/demo-v2-2.0.0-B.img")
check "v2: downloaded about once (${downloaded} of ${size} bytes)" '[ "$downloaded" -le $((size * 11 / 10 + 4096)) ]'

# --- a malformed notification: reported, the agent keeps running
publish -m '{"product": "stm32f407-demo", "version": '
check "malformed: reported in the status" 'wait_for "[ \"\$(status reason)\" = bad-notification ]" 20'
check "malformed: agent still running" 'kill -0 $APID'

# --- refusals and failures: each leaves v2 running
mark=$(stat -c %s "$T/console.log")
publish -f "$T/www/gone/manifest.json"
check "404: failed with the HTTP status" 'wait_for "[ \"\$(status state)\" = failed ] && status error | grep -q \"HTTP 404\"" 60'
check "404: v2 runs again" 'wait_for "tail -c +$((mark + 1)) \"$T/console.log\" | grep -q \"^demo 2.0.0 slot B\"" 30'

mark=$(stat -c %s "$T/console.log")
publish -f "$T/www/tampered/manifest.json"
check "tampered: failed payload-mismatch" 'wait_for "[ \"\$(status state)/\$(status reason)\" = failed/payload-mismatch ]" 120'
check "tampered: v2 runs again" 'wait_for "tail -c +$((mark + 1)) \"$T/console.log\" | grep -q \"^demo 2.0.0 slot B\"" 30'
check "tampered: never committed" '! tail -c +$((mark + 1)) "$T/console.log" | grep -q "version=3.0.0"'

mark=$(stat -c %s "$T/console.log")
publish -f "$T/www/http500/manifest.json"
check "500: failed with the HTTP status" 'wait_for "[ \"\$(status state)\" = failed ] && status error | grep -q \"HTTP 500\"" 60'
check "500: retried (3 requests)" '[ "$(grep -c "^GET" "$T/500.log")" -eq 3 ]'
check "500: v2 runs again" 'wait_for "tail -c +$((mark + 1)) \"$T/console.log\" | grep -q \"^demo 2.0.0 slot B\"" 30'

mark=$(stat -c %s "$T/console.log")
publish -f "$T/www/stall/manifest.json"
check "stall: failed after the stall timeouts" 'wait_for "[ \"\$(status state)\" = failed ] && status error | grep -qi \"timeout\|timed out\|too slow\"" 90'
check "stall: retried (3 requests)" '[ "$(grep -c "^GET" "$T/stall.log")" -eq 3 ]'
check "stall: v2 runs again" 'wait_for "tail -c +$((mark + 1)) \"$T/console.log\" | grep -q \"^demo 2.0.0 slot B\"" 30'

publish -f "$T/www/stranger/manifest.json"
check "unknown key: refused" 'wait_for "status error | grep -q \"not among the trusted public keys\"" 20'
check "unknown key: nothing downloaded" '! grep -q "stranger/.*img" "$SERVERS_DIR/nginx/access.log"'

# refused_before_erase NAME REASON ERROR_PATTERN: publishes release NAME; the status must become
# failed/REASON with an error matching ERROR_PATTERN, nothing erased, v2 running again.
refused_before_erase() {
  local name=$1 reason=$2 pattern=$3 erases mark
  erases=$(grep -c "state flashing" "$T/agent.log")
  mark=$(stat -c %s "$T/console.log")
  publish -f "$T/www/$name/manifest.json"
  check "$name: failed/$reason" 'wait_for "[ \"\$(status state)/\$(status reason)\" = failed/$reason ]" 60 || { summary; false; }'
  check "$name: the error says why ($pattern)" 'status error | grep -qi "$pattern"'
  check "$name: nothing erased" '[ "$(grep -c "state flashing" "$T/agent.log")" -eq "$erases" ]'
  check "$name: v2 runs again" 'wait_for "tail -c +$((mark + 1)) \"$T/console.log\" | grep -q \"^demo 2.0.0 slot B\"" 30'
  check "$name: never committed" '! tail -c +$((mark + 1)) "$T/console.log" | grep -q "version=3.0.0"'
}
refused_before_erase header bad-signature "signature does not verify"
refused_before_erase wrongkey unknown-key "not among release.public_keys"
refused_before_erase sigflip bad-signature "signature does not verify"
refused_before_erase shortfile source-failed "Content-Length differs from the release (6000 bytes"

# A body that ends before its Content-Length, at the same byte on every retry.
mark=$(stat -c %s "$T/console.log")
publish -f "$T/www/cut/manifest.json"
check "cut body: failed source-failed" 'wait_for "[ \"\$(status state)/\$(status reason)\" = failed/source-failed ]" 60 || { summary; false; }'
check "cut body: the error names the short transfer" 'status error | grep -qi "partial\|remaining\|closed"'
check "cut body: retried from byte 6000" '[ "$(grep -c "^GET .*bytes=6000-" "$T/short.log")" -eq 3 ]'
check "cut body: v2 runs again" 'wait_for "tail -c +$((mark + 1)) \"$T/console.log\" | grep -q \"^demo 2.0.0 slot B\"" 30'
check "cut body: never committed" '! tail -c +$((mark + 1)) "$T/console.log" | grep -q "version=3.0.0"'

# --- a release that never confirms: reverted, reported as such
followed 300 publish -f "$T/www/noconfirm/manifest.json"
check "noconfirm: follow ends non-zero" '[ $FOLLOW_CODE -ne 0 ]'
check "noconfirm: status reverted" 'grep -q "^reverted" "$T/follow.txt"'
check "noconfirm: status reverted, still runs 2.0.0" '[ "$(status state)/$(status running_version)" = reverted/2.0.0 ]'
check "noconfirm: bootloader went back to v2" 'grep -q "boot: slot=B version=2.0.0 decision=confirmed reason=reverted-A" "$T/console.log"'

# --- SIGTERM: a clean exit, status offline
kill -TERM "$APID"
check "SIGTERM: agent exits 0" 'wait_for "! kill -0 $APID 2>/dev/null" 30'
wait "$APID"
code=$?
APID=""
check "SIGTERM: exit code 0" '[ $code -eq 0 ]'
check "SIGTERM: status offline" '[ "$(status state)" = offline ]'

# --- restart: the cached identity, no reset; --reprobe: identified through the bootloader again
boots() { grep -c "boot: slot=" "$T/console.log"; }
before=$(boots)
run_agent "$T/agent2.log"
check "restart: identity from the cache" 'wait_for "grep -q \"device $UID_HEX runs 2.0.0+0 in slot B (identity cached\" \"$T/agent2.log\"" 30'
check "restart: status idle, running 2.0.0 in B" 'wait_for "[ \"\$(summary)\" = idle/2.0.0/B ]" 20 || { summary; false; }'
check "restart: the reverted release is not retried" 'wait_for "grep -q \"reverted before on this device\" \"$T/agent2.log\"" 20'
check "restart: the device was not reset" '[ "$(boots)" -eq "$before" ]'
kill -TERM "$APID"
wait "$APID"
run_agent "$T/agent3.log" --reprobe
check "--reprobe: identified through the bootloader" 'wait_for "grep -q \"device $UID_HEX runs 2.0.0+0 in slot B$\" \"$T/agent3.log\"" 60'
check "--reprobe: the device was reset" 'wait_for "[ \$(boots) -gt $before ]" 30'
check "--reprobe: status idle, running 2.0.0 in B" 'wait_for "[ \"\$(summary)\" = idle/2.0.0/B ]" 20 || { summary; false; }'
kill -TERM "$APID"
wait "$APID"
APID=""

stop_vstm32
[ $fails -eq 0 ] || { echo "--- agent log"; tail -60 "$T/agent.log"; }
echo "$fails failure(s)"
[ $fails -eq 0 ]
