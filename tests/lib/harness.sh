# SPDX-License-Identifier: Apache-2.0
# Shared by the shell tests: results, bounded polling, and a vstm32 started for a test.
# Source it after setting T (the test's temporary directory) and VSTM32 (the vstm32 binary).

fails=0
# check NAME CONDITION: evaluates CONDITION, prints PASS/FAIL NAME, counts failures.
check() { if eval "$2"; then echo "PASS $1"; else echo "FAIL $1 ($2)"; fails=$((fails + 1)); fi; }

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
stop_vstm32() {
  "$VSTM32" ctl --control "$T/ctl" quit > /dev/null 2>&1
  wait "$VPID" 2> /dev/null
  VPID=""
}
ctl() { "$VSTM32" ctl --control "$T/ctl" "$@"; }

# For tests that stop at the first failure: fail MESSAGE prints it with the vstm32 log and exits.
fail() {
  echo "FAIL: $*"
  [ -f "$T/vstm32.log" ] && cat "$T/vstm32.log"
  exit 1
}
# wait_until DESCRIPTION COMMAND...: polls COMMAND for up to 20 s; fails the test when it never
# holds or when the vstm32 started by run_vstm32/start_vstm32 exited.
wait_until() {
  local what=$1
  shift
  local deadline=$((SECONDS + 20))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "$what not within 20 s"
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

# Kills a vstm32 still running and removes $T (kept when KEEP is set, for debugging).
harness_cleanup() {
  exec 3>&- 2> /dev/null || true  # a TCP connection to vstm32 the test opened
  [ -n "$VPID" ] && kill "$VPID" 2> /dev/null
  wait 2> /dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
