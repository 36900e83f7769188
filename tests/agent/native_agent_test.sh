#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `fota agent` over our bootloader's native update mode, end to end: real Mosquitto, the S3 server
# with nginx in front, vstm32 running our bootloader and the demo firmware (the real ARM binaries):
#   a [[device]] with transport = "native", native_baud = 2000000: `fota release` puts signed v2
#     into S3 and its manifest on MQTT -> the agent streams it into slot B over the native path at
#     2 Mbaud -> v2 confirms -> status confirmed, running 2.0.0 in B
#   transport = "auto": our bootloader answers the probe, so native again: v3 into slot A
#   a transport that does not exist, native without pins and with the pin entry: refused at start
#     with an error naming the key, the device untouched
# The native wake-up (a pin reset, then sync bytes through the bootloader's 0.5 ms listening window)
# can miss on vstm32 when the host is loaded: the agent then tries again after retry_s, as it would
# with a real device, so the waits below are long.
# Usage: native_agent_test.sh FOTA VSTM32 ARTIFACTS_DIR RELEASES_DIR
set -u
. "$(dirname "$0")/../lib/agent.sh"
harness_start fota-agent-native FOTA VSTM32 ARTIFACTS RELEASES -- "$@"
agent_servers --s3 fota || exit 1
pack_release demo-v2 2.0.0 demo-v2 "$NGINX_URL" "$T/demo-v2"
pack_release demo-v3 3.0.0 demo-v3 "$NGINX_URL" "$T/demo-v3"
release() {  # release DIR: images + manifest into S3, the manifest on MQTT (retained)
  "$FOTA" release --dir "$T/$1" --sign "$T/release.key" --endpoint "$S3_ENDPOINT" --bucket fota \
    --url-base "$NGINX_URL" --mqtt "$MQTT_URL" > "$T/release-$1.log" 2>&1
}

# The factory image: our bootloader, v1 in slot A.
factory_flash
start_vstm32
check "factory v1 boots and confirms" 'wait_for "grep -q \"^confirmed\" \"$T/console.log\"" 30'

config() {  # config FILE DEVICE_LINES...: this test's configuration, DEVICE_LINES in its [[device]]
  local file=$1
  shift
  write_agent_config "$file" 'log_level = "debug"' 'status_interval_s = 0.5' \
    "release.allowed_url_prefixes = [\"$NGINX_URL/\"]" 'device.name = "rack-1"' \
    'device.confirm_timeout_s = 4' 'device.outcome_timeout_s = 60' 'device.retry_s = 1' \
    "${@/#/device.}"
}

# --- bad configurations: refused before the device is touched, the key named
boots() { grep -c "boot: slot=" "$T/console.log"; }
before=$(boots)
config "$T/bad1.toml" "pins = \"vstm32:$T/ctl\"" 'transport = "usb"'
"$FOTA" agent --config "$T/bad1.toml" > "$T/bad1.txt" 2>&1
code=$?
check "transport = \"usb\": refused (exit 1)" '[ $code -eq 1 ]'
check "transport = \"usb\": the error names the key and the choices" \
  'grep -q "device\[0\].transport: \"usb\" is not one of rom, native, auto" "$T/bad1.txt"'
config "$T/bad2.toml" 'transport = "native"'
"$FOTA" agent --config "$T/bad2.toml" --check-config > "$T/bad2.txt" 2>&1
code=$?
check "native without pins, pin entry: refused (exit 1)" '[ $code -eq 1 ]'
check "native without pins: the error names native_entry" \
  'grep -q "device\[0\].native_entry: \"pin\" needs reset pins" "$T/bad2.txt"'
write_agent_config "$T/bad3.toml" "broker.password_file = \"$T/no-such.pw\"" \
  "release.allowed_url_prefixes = [\"$NGINX_URL/\"]" "device.pins = \"vstm32:$T/ctl\""
"$FOTA" agent --config "$T/bad3.toml" --check-config > "$T/bad3.txt" 2>&1
code=$?
check "unreadable broker.password_file: refused (exit 1)" '[ $code -eq 1 ]'
check "unreadable broker.password_file: the key and the file are named" \
  'grep -qF "broker.password_file: password file $T/no-such.pw: cannot be read" "$T/bad3.txt"'
check "bad configurations: the device was not reset" '[ "$(boots)" -eq "$before" ]'

# on_transport TRANSPORT LOG SAYS IDENTIFIED: the agent with transport = TRANSPORT at up to
# 2 Mbaud, output in LOG; it must log SAYS, then IDENTIFIED: the device identified (240 s: a missed
# native wake-up is tried again after retry_s).
on_transport() {
  local transport=$1 log=$2 says=$3 identified=$4
  config "$T/agent.toml" "pins = \"vstm32:$T/ctl\"" "transport = \"$transport\"" 'native_baud = 2000000'
  run_agent "$log"
  check "$transport: the agent logs \"$says\"" 'wait_for "grep -q \"$says\" \"$log\"" 30'
  check "$transport: the device identified (\"$identified\")" \
    'wait_for "grep -q \"$identified\" \"$log\"" 240'
}

# --- native at 2 Mbaud: v2 from S3 into slot B, identified through our bootloader
on_transport native "$T/agent.log" "transport native (our bootloader.s update mode), up to 2000000 baud" \
  "device [0-9A-F]\{24\} runs 1.0.0+0 in slot A$"
UID_HEX=$(agent_uid "$T/agent.log")
check "native: status idle, running 1.0.0 in A" 'wait_for "[ \"\$(summary)\" = idle/1.0.0/A ]" 20 || { summary; false; }'
followed 500 release demo-v2
check "v2: fota release to S3 + MQTT (exit 0)" '[ $CODE -eq 0 ] || { cat "$T/release-demo-v2.log"; false; }'
check "v2: status confirmed (follow exit 0)" '[ $FOLLOW_CODE -eq 0 ] || { cat "$T/follow.txt"; false; }'
check "v2: streamed over the native path at 2 Mbaud" \
  'grep -q "native: image sent at 2000000 baud" "$T/agent.log"'
check "v2: downloaded from S3 through nginx" \
  'grep -q "GET /[^ ]*demo-v2-2.0.0-B.img" "$SERVERS_DIR/nginx/access.log"'
check "v2: the bootloader tried it" 'grep -q "boot: slot=B version=2.0.0 decision=trial" "$T/console.log"'
check "v2: banner on USART1" 'grep -q "^demo 2.0.0 slot B" "$T/console.log"'
check "v2: status confirmed, running 2.0.0 in B" 'wait_for "[ \"\$(summary)\" = confirmed/2.0.0/B ]" 20 || { summary; false; }'
kill -TERM "$APID"
wait "$APID"
code=$?
APID=""
check "native: SIGTERM, exit 0" '[ $code -eq 0 ]'

# --- auto: our bootloader answers the probe, so the native path; the application runs again
# after the probe; v3 into slot A
on_transport auto "$T/agent2.log" "transport auto: our bootloader answered; native" \
  "device $UID_HEX runs 2.0.0+0 in slot B$"
followed 500 release demo-v3
check "auto v3: status confirmed (follow exit 0)" '[ $FOLLOW_CODE -eq 0 ] || { cat "$T/follow.txt"; false; }'
check "auto v3: over the native path" 'grep -q "native: image sent at 2000000 baud" "$T/agent2.log"'
check "auto v3: status confirmed, running 3.0.0 in A" 'wait_for "[ \"\$(summary)\" = confirmed/3.0.0/A ]" 20 || { summary; false; }'
kill -TERM "$APID"
wait "$APID"
APID=""

stop_vstm32
[ $fails -eq 0 ] || { echo "--- agent log"; tail -40 "$T/agent.log"; tail -40 "$T/agent2.log" 2> /dev/null; }
echo "$fails failure(s)"
[ $fails -eq 0 ]
