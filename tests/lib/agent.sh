# SPDX-License-Identifier: Apache-2.0
# Shared by the `fota agent` tests (tests/agent) and bench/agent: the servers and the release key
# of an agent test, releases packed from the demo firmware, the agent's configuration, the agent
# started in the background and the device's status as it reports it. Sources harness.sh and
# servers.sh when they are not yet; the test sets FOTA and T (harness_start).

AGENT_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
declare -F servers_init > /dev/null || . "$AGENT_LIB_DIR/servers.sh"
# The product of the demo firmware that pack_release packs (a test may set another).
PRODUCT=stm32f407-demo

# agent_servers DIR | --s3 BUCKET: servers_init, Mosquitto, nginx serving DIR (made here) or the
# objects of BUCKET on the S3 server (started first), the agent's state directory $T/state, and a
# release key pair $T/release.key/.pub (the public half in PUBLIC_KEY). False when one fails.
agent_servers() {
  servers_init "$T"
  mkdir -p "$T/state"
  start_mosquitto || return 1
  if [ "$1" = --s3 ]; then
    start_s3 "$2" || return 1
  else
    mkdir -p "$1"
  fi
  start_nginx "$@" || return 1
  "$FOTA" keygen --out "$T/release" > /dev/null || return 1
  PUBLIC_KEY=$(awk '{print $2}' "$T/release.pub")
}

# start_cut_proxy CUTS MIN MAX SEED: tests/lib/cut_proxy.py in front of nginx (the first CUTS
# connections cut after MIN to MAX bytes), its log in $T/proxy.log; sets PROXY_URL.
start_cut_proxy() {
  python3 "$AGENT_LIB_DIR/cut_proxy.py" "$NGINX_PORT" "$T/proxy.port" "$@" > "$T/proxy.log" 2>&1 &
  harness_track $!
  wait_for '[ -s "$T/proxy.port" ]' 30 || { echo "proxy did not start"; return 1; }
  PROXY_URL="http://127.0.0.1:$(cat "$T/proxy.port")"
}

# pack_release APP VERSION NAME URL_BASE OUT [KEY]: the demo firmware APP ($ARTIFACTS/APP-A.elf and
# -B.elf) packed as release NAME VERSION of $PRODUCT into OUT, its images downloaded from
# URL_BASE, signed by KEY ($T/release.key). Exits the test when `fota pack` fails.
pack_release() {
  "$FOTA" pack --app-a "$ARTIFACTS/$1-A.elf" --app-b "$ARTIFACTS/$1-B.elf" --version "$2" \
    --product "$PRODUCT" --name "$3" --url-base "$4" --out "$5" \
    --sign "${6:-$T/release.key}" > /dev/null || { echo "pack $3 ($1 $2) failed"; exit 1; }
}

# write_agent_config FILE [TABLE.]KEY = VALUE...: an agent configuration (docs/agent.md) in FILE,
# each argument one TOML line of [TABLE] (broker, release, download; device: the one [[device]])
# or, without TABLE, of the top. An argument replaces the default of its key: state_dir
# "$T/state", broker.url $MQTT_URL, release.product $PRODUCT, release.public_keys [$PUBLIC_KEY],
# device.port "$T/tty".
write_agent_config() {
  local file=$1 arg key name table printed
  shift
  local keys=()      # in the order first given, so that the file reads like the call
  local -A values=()
  for arg in "state_dir = \"$T/state\"" "broker.url = \"$MQTT_URL\"" \
    "release.product = \"$PRODUCT\"" "release.public_keys = [\"$PUBLIC_KEY\"]" \
    "device.port = \"$T/tty\"" "$@"; do
    key=${arg%% = *}
    case $key in
      *.*) [[ ${key%%.*} =~ ^(broker|release|download|device)$ ]] ||
        { echo "write_agent_config: no table ${key%%.*} ($arg)" >&2; exit 2; } ;;
    esac
    [ -n "${values[$key]+set}" ] || keys+=("$key")
    values[$key]=${arg#* = }
  done
  {
    for table in "" broker release download device; do
      printed=""
      for key in "${keys[@]}"; do
        case $key in
          "$table".*) name=${key#"$table".} ;;
          *.*) continue ;;
          *) [ -z "$table" ] || continue; name=$key ;;
        esac
        if [ -n "$table" ] && [ -z "$printed" ]; then
          if [ "$table" = device ]; then echo "[[device]]"; else echo "[$table]"; fi
        fi
        printed=1
        echo "$name = ${values[$key]}"
      done
    done
  } > "$file"
}

# run_agent LOG [OPTIONS...]: `fota agent --config $T/agent.toml OPTIONS...` in the background,
# its output appended to LOG; sets APID (killed at exit by harness_cleanup).
run_agent() {
  local log=$1
  shift
  "$FOTA" agent --config "$T/agent.toml" "$@" >> "$log" 2>&1 &
  APID=$!
}
# agent_uid LOG: the unique ID of the device the agent of LOG identified first.
agent_uid() { grep -o "device [0-9A-F]\{24\}" "$1" | head -1 | cut -d" " -f2; }

# status FIELD: one field of the retained status of the device UID_HEX (`fota status --json`).
status() {
  "$FOTA" status --mqtt "$MQTT_URL" --product "$PRODUCT" --device "$UID_HEX" --json |
    python3 -c 'import json, sys; l = sys.stdin.readline(); print(json.loads(l).get(sys.argv[1], "") if l else "")' "$1"
}
summary() { echo "$(status state)/$(status running_version)/$(status running_slot)"; }
# follow TIMEOUT: `fota status --follow` on the device until a final state; output in $T/follow.txt.
follow() {
  "$FOTA" status --mqtt "$MQTT_URL" --product "$PRODUCT" --device "$UID_HEX" --follow \
    --timeout "$1" > "$T/follow.txt" 2>&1
}
# followed TIMEOUT COMMAND...: COMMAND (a release, a publication) run once `follow TIMEOUT` has
# subscribed, then follow's end awaited: COMMAND's exit code in CODE, follow's in FOLLOW_CODE.
followed() {
  local secs=$1 fpid
  shift
  follow "$secs" &
  fpid=$!
  harness_track "$fpid"
  if ! wait_for '[ -s "$T/follow.txt" ]' 20; then  # subscribed: it printed the retained state
    echo "FAIL followed: fota status --follow printed no retained state within 20 s"
    fails=$((fails + 1))
  fi
  "$@"
  CODE=$?
  wait "$fpid"
  FOLLOW_CODE=$?
}
# publish MOSQUITTO_PUB_OPTIONS...: a retained release notification on the channel CHANNEL
# (stable) of $PRODUCT.
publish() { mosquitto_pub -L "$MQTT_URL/fota/$PRODUCT/${CHANNEL:-stable}/release" -r -q 1 "$@"; }
