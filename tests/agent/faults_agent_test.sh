#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `fota agent` under faults (smoke mode; the counts are parameters for a longer campaign):
#   network cuts: every one of the first CUTS connections to the image server is cut at a random
#     byte (tests/lib/cut_proxy.py): the update completes, bytes downloaded <= 1.1 x the image
#   SIGKILL of the agent mid-update, restarted: the update completes and resumes (no new erase)
#   broker restarted: the agent reconnects and republishes its status
# Usage: faults_agent_test.sh FOTA VSTM32 ARTIFACTS_DIR RELEASES_DIR
# Environment: FOTA_AGENT_CUTS (default 4), FOTA_AGENT_SEED (default 1).
set -u
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/servers.sh"
harness_start fota-agent-faults FOTA VSTM32 ARTIFACTS RELEASES -- "$@"
CUTS=${FOTA_AGENT_CUTS:-4}
SEED=${FOTA_AGENT_SEED:-1}
servers_init "$T"

PRODUCT=stm32f407-demo
mkdir -p "$T/www" "$T/state"
start_mosquitto || exit 1
start_nginx "$T/www" || exit 1
python3 "$(dirname "$0")/../lib/cut_proxy.py" "$NGINX_PORT" "$T/proxy.port" "$CUTS" 200 9000 \
  "$SEED" > "$T/proxy.log" 2>&1 &
harness_track $!
wait_for '[ -s "$T/proxy.port" ]' 30 || { echo "proxy did not start"; exit 1; }
PROXY_URL="http://127.0.0.1:$(cat "$T/proxy.port")"

"$FOTA" keygen --out "$T/release" > /dev/null || exit 1
PUBLIC_KEY=$(awk '{print $2}' "$T/release.pub")
pack() {  # pack NAME VERSION
  "$FOTA" pack --app-a "$ARTIFACTS/$1-A.elf" --app-b "$ARTIFACTS/$1-B.elf" --version "$2" \
    --product "$PRODUCT" --name "$1" --url-base "$PROXY_URL/$1" --out "$T/www/$1" \
    --sign "$T/release.key" > /dev/null || { echo "pack $1 failed"; exit 1; }
}
pack demo-v2 2.0.0
pack demo-v3 3.0.0

factory_flash
start_vstm32 --timing realistic  # UART and flash at silicon speed: an update lasts long enough to kill
check "factory v1 boots and confirms" 'wait_for "grep -q \"^confirmed\" \"$T/console.log\"" 30'

cat > "$T/agent.toml" << CONF
state_dir = "$T/state"
log_level = "debug"
[broker]
url = "$MQTT_URL"
[release]
product = "$PRODUCT"
allowed_url_prefixes = ["$PROXY_URL/"]
public_keys = ["$PUBLIC_KEY"]
[download]
stall_timeout_s = 5
retries = 20
backoff_initial_s = 0.05
backoff_max_s = 0.5
[[device]]
port = "$T/tty"
pins = "vstm32:$T/ctl"
confirm_timeout_s = 15
CONF
start_agent() {
  "$FOTA" agent --config "$T/agent.toml" >> "$T/agent.log" 2>&1 &
  APID=$!
}
start_agent
check "agent identified the device" 'wait_for "grep -q \"device [0-9A-F]\{24\} runs\" \"$T/agent.log\"" 60'
UID_HEX=$(grep -o "device [0-9A-F]\{24\}" "$T/agent.log" | head -1 | cut -d" " -f2)
status() {
  "$FOTA" status --broker "$MQTT_URL" --product "$PRODUCT" --device "$UID_HEX" --json |
    python3 -c 'import json, sys; l = sys.stdin.readline(); print(json.loads(l).get(sys.argv[1], "") if l else "")' "$1"
}
publish() { mosquitto_pub -L "$MQTT_URL/fota/$PRODUCT/stable/release" -r -q 1 "$@"; }

# --- network cuts
publish -f "$T/www/demo-v2/manifest.json"
check "cuts: v2 confirmed" 'wait_for "[ \"\$(status state)/\$(status running_version)\" = confirmed/2.0.0 ]" 180'
cut=$(grep -c "cut-at" "$T/proxy.log")
check "cuts: $cut of the connections were cut" '[ "$cut" -ge 1 ]'
downloaded=$(grep -o "[0-9]* bytes downloaded" "$T/agent.log" | tail -1 | cut -d" " -f1)
size=$(stat -c %s "$T/www/demo-v2/demo-v2-2.0.0-B.img")
check "cuts: ${downloaded} bytes downloaded for a ${size}-byte image (<= 1.1 x)" \
  '[ "$downloaded" -le $((size * 11 / 10)) ]'

# --- SIGKILL mid-update, restart: resumes and confirms
downloads() { grep -c "state downloading" "$T/agent.log"; }
before=$(downloads)
publish -f "$T/www/demo-v3/manifest.json"
check "kill: v3 download started" 'wait_for "[ \$(downloads) -gt $before ]" 60'
kill -9 "$APID"
wait "$APID" 2> /dev/null
APID=""
check "kill: the broker published the last will" 'wait_for "[ \"\$(status state)\" = offline ]" 60'
check "kill: v2 still runs or v3 not committed" '! grep -q "version=3.0.0" "$T/console.log" || grep -q "^demo 3.0.0" "$T/console.log"'
start_agent
check "kill: after the restart v3 is confirmed" 'wait_for "[ \"\$(status state)/\$(status running_version)\" = confirmed/3.0.0 ]" 180'
check "kill: the update resumed (no second erase)" 'grep -q "outcome confirmed.*resumed at" "$T/agent.log"'

# --- broker restart: status republished
kill "$MQTT_PID"
wait_for '! kill -0 $MQTT_PID 2> /dev/null' 10
( as_nobody mosquitto -c "$SERVERS_DIR/mosquitto.conf" > "$SERVERS_DIR/mosquitto.out2" 2>&1 ) &
MQTT_PID=$!
SERVER_PIDS+=("$MQTT_PID")
check "broker restart: status republished" 'wait_for "[ \"\$(status running_version)\" = 3.0.0 ]" 60'

kill -TERM "$APID"
wait "$APID"
APID=""
stop_vstm32
[ $fails -eq 0 ] || { echo "--- agent log"; tail -40 "$T/agent.log"; cat "$T/proxy.log"; }
echo "$fails failure(s)"
[ $fails -eq 0 ]
