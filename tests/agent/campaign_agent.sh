#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Fault campaigns of `fota agent` on vstm32 (realistic timing, our bootloader + the demo
# firmware, real Mosquitto + nginx). One release after another, alternating the demo's 2.0.0 and
# 3.0.0 (the demo confirms only the version it was built as; every second release is a downgrade
# asked for by an `update` command with allow_downgrade), and during each update a fault at a
# random point:
#   kill   the agent SIGKILLed KILLS_PER_RELEASE times at random moments, restarted each time
#   power  the target's power cut at a random time or flash operation (`vstm32 ctl cut random`),
#          powered on again once off; the agent notices and finishes by itself
#   broker Mosquitto restarted while the image is downloading
#   cut    every connection to the image server cut after a random 200..9000 bytes
#          (tests/lib/cut_proxy.py); each release must also download <= 1.1 x its image
# Each release must end with the device confirmed on it (a status naming it as running, its
# bootloader line naming it). Counted: faults injected, completed, bricked (no image
# boots), wrong image (another version runs), failed reruns (the release did not end installed).
# Usage: campaign_agent.sh FOTA VSTM32 ARTIFACTS_DIR RELEASES_DIR MODE FAULTS [SEED]
set -u
. "$(dirname "$0")/../lib/agent.sh"
harness_start fota-agent-campaign FOTA VSTM32 ARTIFACTS RELEASES MODE FAULTS -- "$@"
SEED=${7:-1}
RANDOM=$SEED
KILLS_PER_RELEASE=${FOTA_KILLS_PER_RELEASE:-5}
agent_servers "$T/www" || exit 1
IMAGE_URL=$NGINX_URL
if [ "$MODE" = cut ]; then
  start_cut_proxy 1000000 200 9000 "$SEED" || exit 1
  IMAGE_URL=$PROXY_URL
fi

factory_flash
start_vstm32 --timing realistic
check "factory v1 boots and confirms" 'wait_for "grep -q \"^confirmed\" \"$T/console.log\"" 30'

write_agent_config "$T/agent.toml" 'log_level = "debug"' 'status_interval_s = 0.2' \
  "release.allowed_url_prefixes = [\"$IMAGE_URL/\"]" 'release.allow_downgrade = true' \
  'download.retries = 20' 'download.backoff_initial_s = 0.05' 'download.backoff_max_s = 0.5' \
  "device.pins = \"vstm32:$T/ctl\"" 'device.confirm_timeout_s = 20' \
  'device.outcome_timeout_s = 30' 'device.retry_s = 1'
run_agent "$T/agent.log"
wait_for "grep -q \"device [0-9A-F]\{24\} runs\" \"$T/agent.log\"" 60 || {
  echo "the agent did not identify the device"
  tail "$T/agent.log"
  exit 1
}
UID_HEX=$(agent_uid "$T/agent.log")
# status FIELD: one field of the retained status, in place of agent.sh's (for messages; sed, not a
# JSON tool: a Python started through a version-manager shim costs seconds on a loaded machine).
status() {
  "$FOTA" status --mqtt "$MQTT_URL" --product "$PRODUCT" --device "$UID_HEX" --json 2> /dev/null |
    sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}
command() { mosquitto_pub -L "$MQTT_URL/fota/$PRODUCT/device/$UID_HEX/cmd" -q 1 -m "$1"; }
# installed VERSION: since the release was published the bootloader booted VERSION and the agent
# says the device runs it: confirmed or idle, or an `update` command to VERSION refused as not
# newer (the agent restarted after the install and the campaign asked for VERSION again).
installed() {
  # The boot line as the agent saw it while observing (at once), or in vstm32's console log
  # (buffered: it can arrive a minute late).
  { tail -c +$((agent_mark + 1)) "$T/agent.log" | grep -q "console: boot: slot=. version=$1 decision=" ||
    tail -c +$((console_mark + 1)) "$T/console.log" | grep -aq "version=$1 decision="; } &&
    installed_status "$1"
}
# installed_status VERSION: the retained status names VERSION as running, confirmed or idle (or
# failed with "not newer"). One `fota status` and grep, no JSON tool: this is polled.
installed_status() {
  local st
  st=$("$FOTA" status --mqtt "$MQTT_URL" --product "$PRODUCT" --device "$UID_HEX" --json 2> /dev/null)
  echo "$st" | grep -q "\"running_version\":\"$1\"" &&
    { echo "$st" | grep -Eq '"state":"(confirmed|idle)"' ||
      { echo "$st" | grep -q '"state":"failed"' && echo "$st" | grep -q "not newer"; }; }
}
# flash_work: from vstm32's flash events since the last call, "WRITTEN ERASES OVER": bytes
# programmed into the slots (0x08020000..0x080E0000), sector erases there (sectors 5..10), and
# those of the erases that came after bytes were programmed (written data thrown away).
flash_work() {
  local line a b written=0 erases=0 over=0
  while read -r line; do
    if [[ $line =~ flash\ program\ 0x([0-9A-F]{8})\.\.0x([0-9A-F]{8}) ]]; then
      a=$((16#${BASH_REMATCH[1]})) b=$((16#${BASH_REMATCH[2]}))
      [ $a -lt $((0x08020000)) ] && a=$((0x08020000))
      [ $b -gt $((0x080E0000)) ] && b=$((0x080E0000))
      [ $b -gt $a ] && written=$((written + b - a))
    elif [[ $line =~ flash\ erase\ sector=([0-9]+) ]]; then
      if [ "${BASH_REMATCH[1]}" -ge 5 ] && [ "${BASH_REMATCH[1]}" -le 10 ]; then
        erases=$((erases + 1))
        [ $written -gt 0 ] && over=$((over + 1))
      fi
    fi
  done < <(ctl events)
  echo "$written $erases $over"
}
# downloaded RELEASE: image bytes nginx sent for release RELEASE so far.
downloaded() {
  awk -v r="/r$1/" '$7 ~ r && $7 ~ /\.img$/ { n += $10 } END { print n + 0 }' \
    "$SERVERS_DIR/nginx/access.log"
}
# events WHAT: how many times the agent logged WHAT so far.
events() { grep -c "$1" "$T/agent.log"; }

faults=0 completed=0 bricked=0 wrong=0 failed=0 release=0 resumed=0 over=0
extra_written=0 extra_downloaded=0 restarted=0 reerased=0 image_total=0
while [ $faults -lt "$FAULTS" ]; do
  release=$((release + 1))
  major=3 app=demo-v3 downgrade=""
  [ $((release % 2)) -eq 1 ] && major=2 app=demo-v2
  [ $release -gt 1 ] && [ $major -eq 2 ] && downgrade=1
  version="$major.0.0"
  pack_release "$app" "$version" "r$release" "$IMAGE_URL/r$release" "$T/www/r$release"
  mark=$(events "state downloading")
  checking=$(events "state checking")
  console_mark=$(stat -c %s "$T/console.log")
  agent_mark=$(stat -c %s "$T/agent.log")
  notnewer=$(events "not newer")
  flash_work > /dev/null
  publish -f "$T/www/r$release/manifest.json"
  # A downgrade: only an explicit command installs it, asked for once the agent said "not newer"
  # (again after each restart; an agent restarted in the middle of the update resumes it by
  # itself: then it starts checking instead, and is not asked).
  ask() {
    [ -n "$downgrade" ] || return 0
    wait_for "[ \$(events 'not newer') -gt $notnewer ] || [ \$(events 'state checking') -gt $checking ]" 60
    [ "$(events 'not newer')" -gt "$notnewer" ] || return 0
    command "{\"command\":\"update\",\"version\":\"$version\"}"
  }
  ask
  case "$MODE" in
    kill)
      for _ in $(seq "$KILLS_PER_RELEASE"); do
        [ $faults -ge "$FAULTS" ] && break
        # A random moment of the update: 0 to 8 s after the engine started (or resumed) it.
        wait_for "[ \$(events 'state checking') -gt $checking ] || installed $version" 300
        installed "$version" && break
        sleep "$((RANDOM % 8)).$((RANDOM % 10))"
        installed "$version" && break
        kill -9 "$APID"
        wait "$APID" 2> /dev/null
        faults=$((faults + 1))
        echo "release $version: SIGKILL $faults after: $(grep "state \|outcome" "$T/agent.log" | tail -1 | cut -d' ' -f3-)"
        checking=$(events "state checking")
        notnewer=$(events "not newer")
        run_agent "$T/agent.log"
        ask
      done
      ;;
    power)
      # The cut: within 4 s of simulated time, or at one of the next 2048 flash operations.
      ctl cut random $((SEED * 1000 + release)) 4000 2048 > /dev/null
      if wait_for 'ctl status | grep -q power=off' 20; then
        faults=$((faults + 1))
        echo "release $version: power cut $faults ($(status state), $(status bytes) bytes)"
        ctl power on > /dev/null
      else
        echo "release $version: the planned cut did not come within 20 s"
        ctl cut cancel > /dev/null 2>&1
      fi
      ;;
    broker)
      if wait_for "[ \$(events 'state downloading') -gt $mark ]" 300; then
        restart_mosquitto
        faults=$((faults + 1))
        echo "release $version: broker restart $faults while downloading"
      else
        echo "release $version: never saw downloading"
      fi
      ;;
    cut)
      cuts_before=$(grep -c "cut-at" "$T/proxy.log")
      ;;
    *) echo "unknown mode $MODE"; exit 2 ;;
  esac
  if wait_for "installed $version" 900; then
    completed=$((completed + 1))
    echo "release $release ($version): installed"
    if [ "$MODE" = cut ]; then
      cuts=$(($(grep -c "cut-at" "$T/proxy.log") - cuts_before))
      faults=$((faults + cuts))
      downloaded=$(grep -o "[0-9]* bytes downloaded" "$T/agent.log" | tail -1 | cut -d" " -f1)
      size=$(stat -c %s "$T/www/r$release/r$release-$version-A.img")
      echo "release $version: $cuts cuts, $downloaded bytes downloaded for a $size-byte image"
      [ "$downloaded" -le $((size * 11 / 10)) ] || { over=$((over + 1)); echo "release $version: MORE THAN 1.1 x"; }
    fi
    grep "outcome confirmed" "$T/agent.log" | tail -1 | grep -q "resumed at" && resumed=$((resumed + 1))
    # What the faults cost: bytes written into the slots and downloaded beyond the image, and
    # whether the slot was erased more than once: again before anything was written (an erase
    # that was interrupted, done again) or after bytes were written (an update that started over).
    read -r written erases erased_over <<< "$(flash_work)"
    size=$(stat -c %s "$T/www/r$release/r$release-$version-A.img")
    got=$(downloaded "$release")
    image_total=$((image_total + size))
    [ "$written" -gt "$size" ] && extra_written=$((extra_written + written - size))
    [ "$got" -gt "$size" ] && extra_downloaded=$((extra_downloaded + got - size))
    [ "$erases" -gt 1 ] && reerased=$((reerased + 1))
    [ "$erased_over" -gt 0 ] && restarted=$((restarted + 1))
    echo "release $version: $written bytes written, $got downloaded ($size-byte image), $erases slot erase(s)"
  else
    running=$(status running_version)
    echo "release $version: not installed (state $(status state), running ${running:-?}, error $(status error))"
    failed=$((failed + 1))
    # Does any image still boot? Reset and look for a confirmed boot.
    ctl power on > /dev/null 2>&1
    before=$(grep -ac "decision=confirmed" "$T/console.log")
    ctl reset > /dev/null 2>&1
    if ! wait_for "[ \$(grep -ac decision=confirmed \"$T/console.log\") -gt $before ]" 60; then
      bricked=$((bricked + 1))
      echo "release $version: BRICKED"
      break
    fi
    last=$(grep -ao "version=[0-9.]* decision=confirmed" "$T/console.log" | tail -1 | cut -d= -f2 | cut -d' ' -f1)
    case "$last" in
      2.0.0 | 3.0.0) ;;
      *) wrong=$((wrong + 1)); echo "release $version: WRONG IMAGE $last" ;;
    esac
  fi
done
kill -TERM "$APID"
wait "$APID"
APID=""
stop_vstm32
echo "mode $MODE seed $SEED: $faults faults over $release releases: completed $completed (resumed $resumed), bricked $bricked, wrong image $wrong, failed reruns $failed, over 1.1 x downloaded $over"
echo "mode $MODE seed $SEED: over the completed releases ($image_total image bytes): $extra_written bytes re-written, $extra_downloaded re-downloaded, $reerased release(s) erased their slot more than once, $restarted of them after writing (started over)"
[ $fails -eq 0 ] && [ $bricked -eq 0 ] && [ $wrong -eq 0 ] && [ $failed -eq 0 ] && [ $over -eq 0 ]
