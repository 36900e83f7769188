# SPDX-License-Identifier: Apache-2.0
# Shared by the shell tests: arguments and temporary directory, results, bounded polling, a vstm32
# started for a test, and one clean-up at exit for everything the test started.
# Start a test with harness_start (or set T, the temporary directory, and VSTM32 before use).

fails=0
APID=""          # a `fota agent` the test runs in the background (killed at exit)
HARNESS_PIDS=()  # other background helpers (proxies, fake servers): harness_track PID

# harness_start NAME VARIABLE... -- "$@": the test's arguments into the named variables (a usage
# line naming them when one is missing), its temporary directory T=/tmp/NAME.XXXXXX, and
# harness_cleanup at exit.
harness_start() {
  local name=$1 names=() i=1 n
  shift
  while [ "$1" != "--" ]; do
    names+=("$1")
    shift
  done
  shift
  if [ $# -lt ${#names[@]} ]; then
    echo "usage: $(basename "$0") ${names[*]}" >&2
    exit 2
  fi
  for n in "${names[@]}"; do
    printf -v "$n" '%s' "${!i}"
    i=$((i + 1))
  done
  T=$(mktemp -d "/tmp/$name.XXXXXX")
  trap harness_cleanup EXIT
}
harness_track() { HARNESS_PIDS+=("$@"); }

# factory_flash [FILE]: FILE (default $T/flash.bin) as the factory leaves a device: blank flash,
# our bootloader ($ARTIFACTS/bootloader.elf) and demo v1 in slot A ($RELEASES/demo-v1).
factory_flash() {
  local file=${1:-$T/flash.bin}
  "$VSTM32" flash-image create --force "$file" > /dev/null &&
    "$VSTM32" flash-image place "$file" "$ARTIFACTS/bootloader.elf" > /dev/null &&
    "$VSTM32" flash-image place "$file" "$RELEASES/demo-v1/demo-v1-1.0.0-A.img" > /dev/null
}
# check NAME CONDITION: evaluates CONDITION, prints PASS/FAIL NAME, counts failures.
check() { if eval "$2"; then echo "PASS $1"; else echo "FAIL $1 ($2)"; fails=$((fails + 1)); fi; }
# run_out COMMAND...: runs COMMAND, its output (stdout and stderr) in $T/out.txt and its exit code
# in code, for the checks that follow.
run_out() {
  "$@" > "$T/out.txt" 2>&1
  code=$?
}

# wait_for CONDITION SECONDS: polls CONDITION until it holds; false when SECONDS passed first.
wait_for() {
  local deadline=$((SECONDS + $2))
  while ! eval "$1"; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.05
  done
}

# start_vstm32 [OPTIONS...]: `vstm32 run` on $T/flash.bin with USART1 on $T/tty, control on
# $T/ctl and the console appended to $T/console.log; sets VPID. Exits the test if it does not start.
VPID=""
start_vstm32() {
  rm -f "$T/tty" "$T/ctl"
  "$VSTM32" run --flash "$T/flash.bin" --uart "$T/tty" --control "$T/ctl" \
    --uart-log "$T/console.log" "$@" > "$T/vstm32.log" 2>&1 &
  VPID=$!
  wait_for '[ -S "$T/ctl" ] && [ -e "$T/tty" ]' 10 || {
    echo "vstm32 did not start:"
    cat "$T/vstm32.log"
    exit 1
  }
}
# stop_vstm32: closes the test's TCP connections to it (fds 3 and 4), asks it to quit through its
# control socket (a SIGTERM when it has none) and waits for it.
stop_vstm32() {
  exec 3>&- 4>&- 2> /dev/null || true
  if [ -S "$T/ctl" ]; then
    "$VSTM32" ctl --control "$T/ctl" quit > /dev/null 2>&1 || true
  else
    kill "$VPID" 2> /dev/null || true
  fi
  wait "$VPID" 2> /dev/null || true
  VPID=""
}
ctl() { "$VSTM32" ctl --control "$T/ctl" "$@"; }

# For tests that stop at the first failure: fail MESSAGE prints it with the vstm32 log (and the
# files named in FAIL_LOGS) and exits.
FAIL_LOGS=""
fail() {
  local f
  echo "FAIL: $*"
  for f in "$T/vstm32.log" $FAIL_LOGS; do [ -f "$f" ] && cat "$f"; done
  exit 1
}
# wait_until DESCRIPTION COMMAND...: polls COMMAND for up to WAIT_UNTIL_S seconds (20 unless the
# test says otherwise); fails the test when it never holds or when the vstm32 started by
# run_vstm32/start_vstm32 exited.
WAIT_UNTIL_S=20
wait_until() {
  local what=$1
  shift
  local deadline=$((SECONDS + WAIT_UNTIL_S))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "$what not within $WAIT_UNTIL_S s"
    [ -z "$VPID" ] || kill -0 "$VPID" 2> /dev/null || fail "vstm32 exited early"
    sleep 0.02
  done
}
# run_vstm32 OPTIONS...: `vstm32 run --flash $T/flash.bin OPTIONS...` in the background, output in
# $T/vstm32.log; sets VPID (wait for what the test needs with wait_until).
run_vstm32() {
  "$VSTM32" run --flash "$T/flash.bin" "$@" > "$T/vstm32.log" 2>&1 &
  VPID=$!
}
# True once the ROM bootloader takes a sync byte or a command.
rom_ready() { [[ "$(ctl status)" =~ rom=(wait-sync|command) ]]; }

# Kills what the test left running (agent, helpers, vstm32), stops the servers of servers.sh and
# removes $T (kept when KEEP is set, for debugging).
harness_cleanup() {
  local pid
  exec 3>&- 2> /dev/null || true  # a TCP connection to vstm32 the test opened
  # The agent may run under a wrapper (/usr/bin/time in bench_agent.sh): its children go too.
  # shellcheck disable=SC2046
  [ -n "$APID" ] && kill -9 $(cat /proc/"$APID"/task/*/children 2> /dev/null) "$APID" 2> /dev/null
  for pid in "${HARNESS_PIDS[@]}"; do kill "$pid" 2> /dev/null; done
  [ -n "$VPID" ] && kill "$VPID" 2> /dev/null
  if declare -F servers_stop > /dev/null; then servers_stop; fi
  wait 2> /dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
