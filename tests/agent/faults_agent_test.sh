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
. "$(dirname "$0")/../lib/agent.sh"
harness_start fota-agent-faults FOTA VSTM32 ARTIFACTS RELEASES -- "$@"
CUTS=${FOTA_AGENT_CUTS:-4}
SEED=${FOTA_AGENT_SEED:-1}
agent_servers "$T/www" || exit 1
start_cut_proxy "$CUTS" 200 9000 "$SEED" || exit 1
pack_release demo-v2 2.0.0 demo-v2 "$PROXY_URL/demo-v2" "$T/www/demo-v2"
pack_release demo-v3 3.0.0 demo-v3 "$PROXY_URL/demo-v3" "$T/www/demo-v3"

factory_flash
start_vstm32 --timing realistic  # UART and flash at silicon speed: an update lasts long enough to kill
check "factory v1 boots and confirms" 'wait_for "grep -q \"^confirmed\" \"$T/console.log\"" 30'

write_agent_config "$T/agent.toml" 'log_level = "debug"' \
  "release.allowed_url_prefixes = [\"$PROXY_URL/\"]" 'download.stall_timeout_s = 5' \
  'download.retries = 20' 'download.backoff_initial_s = 0.05' 'download.backoff_max_s = 0.5' \
  "device.pins = \"vstm32:$T/ctl\"" 'device.confirm_timeout_s = 15'
run_agent "$T/agent.log"
check "agent identified the device" 'wait_for "grep -q \"device [0-9A-F]\{24\} runs\" \"$T/agent.log\"" 60'
UID_HEX=$(agent_uid "$T/agent.log")

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
check "kill: v3 was never booted (cut before its commit)" '! grep -q "version=3.0.0" "$T/console.log"'
run_agent "$T/agent.log"
check "kill: after the restart v3 is confirmed" 'wait_for "[ \"\$(status state)/\$(status running_version)\" = confirmed/3.0.0 ]" 180'
check "kill: the update resumed (no second erase)" 'grep -q "outcome confirmed.*resumed at" "$T/agent.log"'

# --- broker restart: status republished
check "broker restart: the broker listens again" restart_mosquitto
check "broker restart: status republished" 'wait_for "[ \"\$(status running_version)\" = 3.0.0 ]" 60'

kill -TERM "$APID"
wait "$APID"
APID=""
stop_vstm32
[ $fails -eq 0 ] || { echo "--- agent log"; tail -40 "$T/agent.log"; cat "$T/proxy.log"; }
echo "$fails failure(s)"
[ $fails -eq 0 ]
