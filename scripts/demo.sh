#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main demo, over the air: sets up the machine, builds host tools + firmware (release preset),
# then starts locally Mosquitto, an S3 server (+ nginx in front of it, with Range and ETag), a
# virtual STM32F407 (vstm32: our bootloader + demo v1, the real ARM binaries) and `fota agent`.
# `fota release` publishes v2: the agent streams it into the device, `fota status` shows the
# progress, v2 confirms; then a release that never confirms is reverted and reported as such.
# The ROM-path demo with `fota flash` by hand is scripts/demo-rom.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# FOTA_DEMO_BUILD_DIR=<an existing build tree>: skip set-up and build (e.g. build/host).
build=${FOTA_DEMO_BUILD_DIR:-build/release}
if [ -z "${FOTA_DEMO_BUILD_DIR:-}" ]; then
  ./scripts/setup.sh
  [ -d node_modules/@20minutes/s3rver ] || npm ci --no-audit --no-fund
  cmake --preset release
  cmake --build --preset release
fi
vstm32=$build/bin/vstm32
fota=$build/tools/fota/fota
work=$(mktemp -d /tmp/fota-demo.XXXXXX)
source tests/lib/agent.sh  # and servers.sh, harness.sh
servers_init "$work"
apid="" vpid=""
cleanup() {
  [ -n "$apid" ] && kill -TERM "$apid" 2> /dev/null && wait "$apid" 2> /dev/null
  [ -S "$work/ctl" ] && "$vstm32" ctl --control "$work/ctl" quit > /dev/null 2>&1
  [ -n "$vpid" ] && wait "$vpid" 2> /dev/null
  servers_stop
  return 0
}
trap cleanup EXIT
started=$SECONDS

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# wait_or_stop CONDITION SECONDS WHAT: wait_for (tests/lib/harness.sh), or stop the demo saying
# what did not happen.
wait_or_stop() { wait_for "$1" "$2" || { echo "demo: $3 did not happen within $2 s" >&2 && exit 1; }; }

step "1. Servers on 127.0.0.1: Mosquitto, an S3 server (bucket fota), nginx in front of it"
start_mosquitto
start_s3 fota
start_nginx --s3 fota
echo "MQTT $MQTT_URL, S3 $S3_ENDPOINT, downloads from $NGINX_URL"

step "2. A factory-fresh device: our bootloader in sector 0, demo v1 in slot A, powered on"
"$vstm32" flash-image create "$work/flash.bin" > /dev/null
"$vstm32" flash-image place "$work/flash.bin" "$build/firmware/artifacts/bootloader.elf" \
  > /dev/null
"$vstm32" flash-image place "$work/flash.bin" "$build/releases/demo-v1/demo-v1-1.0.0-A.img" > /dev/null
"$vstm32" run --flash "$work/flash.bin" --uart "$work/tty" --control "$work/ctl" \
  --uart-log "$work/console.log" > "$work/vstm32.log" 2>&1 &
vpid=$!
wait_or_stop 'grep -q "^confirmed" "$work/console.log" 2> /dev/null' 30 "v1's confirmation"
tr -d '\r' < "$work/console.log" | sed 's/^/  USART1 | /'

step "3. fota agent: a gateway wired to the device (USART1 on a pty, BOOT0/NRST on vstm32's socket)"
# write_agent_config (tests/lib/agent.sh) puts the state and the device's tty in $T.
T=$work
PUBLIC_KEY=$(awk '{print $2}' "$build/keys/demo.pub")
write_agent_config "$work/agent.toml" 'status_interval_s = 0.5' 'release.channel = "stable"' \
  "release.allowed_url_prefixes = [\"$NGINX_URL/\"]" 'device.name = "demo-board"' \
  "device.pins = \"vstm32:$work/ctl\"" 'device.confirm_timeout_s = 5'
sed 's/^/  agent.toml | /' "$work/agent.toml"
"$fota" agent --config "$work/agent.toml" > "$work/agent.log" 2>&1 &
apid=$!
wait_or_stop 'grep -q "device [0-9A-F]\{24\} runs" "$work/agent.log"' 60 "the agent's identification"
uid=$(agent_uid "$work/agent.log")
echo "the agent read the device's unique ID through the ROM bootloader: $uid"
"$fota" status --config "$work/agent.toml"

release() {
  "$fota" release --dir "$build/releases/$1" --sign "$build/keys/demo.key" \
    --endpoint "$S3_ENDPOINT" --bucket fota --url-base "$NGINX_URL" --mqtt "$MQTT_URL" "${@:2}"
}
# follow: `fota status --follow` on the device until the update ends (its lines are the demo's).
follow() {
  "$fota" status --config "$work/agent.toml" --device "$uid" --follow --timeout 300 \
    > "$work/follow.txt" 2>&1 &
  fpid=$!
  wait_or_stop '[ -s "$work/follow.txt" ]' 20 "fota status' subscription"
}
show_follow() {
  set +e
  wait "$fpid"
  code=$?
  set -e
  sed 's/^/  fota status | /' "$work/follow.txt"
}

step "4. fota release demo v2: images + manifest into S3, the signed manifest on MQTT (retained)"
follow
release demo-v2
show_follow
[ $code -eq 0 ] || { echo "demo: v2 did not confirm"; tail -30 "$work/agent.log"; exit 1; }
tr -d '\r' < "$work/console.log" | grep -a -E "^(boot: slot=B|demo 2.0.0|confirmed)" |
  sed 's/^/  USART1 | /'

step "5. fota release demo-noconfirm (2.1.0): an image that never confirms itself"
echo "   The agent resets it when it has not confirmed within 5 s; each reset uses one of its 3"
echo "   trial attempts, then the bootloader rejects it and boots v2 again."
follow
release demo-noconfirm
show_follow
[ $code -eq 1 ] && grep -q "^reverted" "$work/follow.txt" ||
  { echo "demo: expected 'reverted'"; tail -30 "$work/agent.log"; exit 1; }

step "6. The fleet as the agents report it (fota status)"
"$fota" status --config "$work/agent.toml"
kill -TERM "$apid"
wait "$apid" || true
apid=""

cat << EOF

demo done in $((SECONDS - started)) s (after the build). What you saw:
 - vstm32 ran our bootloader and demo v1 (real ARM binaries on an emulated Cortex-M4);
 - fota agent read the device's unique ID and boot log through ST's ROM bootloader and
   subscribed to fota/stm32f407-demo/stable/release;
 - fota release uploaded the signed v2 to the S3 server and published its manifest; the agent
   checked the manifest's signature and its policy, downloaded the image with HTTP Range requests
   (through nginx) straight into slot B over the ROM bootloader, checked the header signature
   before erasing and the CRC-32/SHA-256 before committing, then watched v2 boot on trial and
   confirm itself: only then did the status say "confirmed";
 - a release that never confirms was tried three times and rejected by the bootloader: the device
   went back to v2 by itself and the agent reported "reverted".
Logs: $work (agent.log, console.log).
Docs: docs/agent.md (fota agent, fota status), docs/releasing.md, docs/flashing.md.
EOF
