#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Power cuts during `fota flash` on the CPU machine with the real bootloader and demo releases.
# Each round arms a random cut (`ctl cut random SEED WINDOW_MS FLASH_OPS`: a random time in the
# next WINDOW_MS of simulated time, or, for half the seeds, a random one of the next FLASH_OPS
# flash operations, torn where it lands), runs `fota flash` of the other release, powers the device
# back on with BOOT0 low, and checks that it boots v1 or v2 and passes its self-test within the
# boot budget; then reruns `fota flash` without a cut, which must confirm. Then a few rounds with a
# bit-error rate of 1e-4 on the link: the update completes or fails cleanly, and the device never
# boots a corrupt image.
# Usage: power_cut_flash_test.sh FOTA VSTM32 ARTIFACTS_DIR RELEASES_DIR
# Rounds: FOTA_FLASH_POWER_CUTS (default 4: the CI smoke), FOTA_FLASH_BER_ROUNDS (default 1).
set -u
. "$(dirname "$0")/../lib/harness.sh"
harness_start fota-flash-cuts FOTA VSTM32 ARTIFACTS RELEASES -- "$@"
ROUNDS=${FOTA_FLASH_POWER_CUTS:-4}
BER_ROUNDS=${FOTA_FLASH_BER_ROUNDS:-1}
SEED_BASE=${FOTA_FLASH_POWER_CUT_SEED:-1000}

flash() {
  "$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --retries 2 --confirm-timeout 5 \
    --outcome-timeout 30 --quiet "$@"
}
console_since() { tail -c +$(($1 + 1)) "$T/console.log"; }
# Powers the device on with BOOT0 low and waits for an application that passed its self-test.
# Prints the version that runs; returns 1 when none did within the budget (a brick).
boots_valid_app() {
  local mark
  mark=$(stat -c %s "$T/console.log")
  ctl boot0 0 > /dev/null
  ctl power on > /dev/null
  if ! wait_for 'console_since $mark | grep -q "^self-test ok"' 60; then
    echo "no application passed its self-test within 60 s; console since power-on:" >&2
    console_since "$mark" >&2
    return 1
  fi
  console_since "$mark" | tr -d '\r' | sed -n 's/^demo \([0-9.]*\) slot \([AB]\)$/\1 \2/p' | tail -1
}

factory_flash
start_vstm32
wait_for 'grep -q "^confirmed" "$T/console.log"' 30 || {
  echo "factory v1 did not confirm"
  exit 1
}

cuts=0 cut_in_flash=0 no_cut=0 bricks=0 wrong=0 rerun_failed=0 flash_ok_despite=0
release=demo-v2
for ((i = 1; i <= ROUNDS; i++)); do
  seed=$((SEED_BASE + i))
  ctl cut random "$seed" 2500 3000 > /dev/null
  flash --release "$RELEASES/$release" > "$T/round.txt" 2>&1
  code=$?
  ctl cut cancel > /dev/null
  if ctl status | grep -q "power=off"; then
    cuts=$((cuts + 1))
    [ $code -ne 0 ] && cut_in_flash=$((cut_in_flash + 1)) || flash_ok_despite=$((flash_ok_despite + 1))
  else
    no_cut=$((no_cut + 1)) # the cut would have landed after this flash: cut now instead
    ctl power off > /dev/null
    cuts=$((cuts + 1))
  fi
  if ! running=$(boots_valid_app); then
    bricks=$((bricks + 1))
    echo "round $i (seed $seed, fota exit $code): BRICKED"
    cat "$T/round.txt"
    break
  fi
  case "$running" in
    "1.0.0 "* | "2.0.0 "*) ;;
    *)
      wrong=$((wrong + 1))
      echo "round $i (seed $seed): runs '$running', expected 1.0.0 or 2.0.0"
      ;;
  esac
  flash --release "$RELEASES/$release" > "$T/rerun.txt" 2>&1
  rerun=$?
  if [ $rerun -ne 0 ]; then
    rerun_failed=$((rerun_failed + 1))
    echo "round $i (seed $seed): rerun of fota flash $release failed with exit $rerun:"
    cat "$T/rerun.txt"
  fi
  echo "round $i seed $seed: fota exit $code, then runs $running, rerun exit $rerun"
  [ $release = demo-v2 ] && release=demo-v1 || release=demo-v2
done

ber_ok=0 ber_failed_cleanly=0 ber_bad=0
for ((i = 1; i <= BER_ROUNDS; i++)); do
  ctl ber 1e-4 $((SEED_BASE + 500 + i)) > /dev/null
  flash --release "$RELEASES/$release" --json > "$T/ber.txt" 2>&1
  code=$?
  cp "$T/ber.txt" "$T/ber-$i.txt"
  ctl ber 0 > /dev/null
  case $code in
    0) ber_ok=$((ber_ok + 1)) ;;
    3 | 4 | 5 | 6 | 7) ber_failed_cleanly=$((ber_failed_cleanly + 1)) ;;
    *)
      ber_bad=$((ber_bad + 1))
      echo "BER round $i: unexpected exit $code"
      cat "$T/ber.txt"
      ;;
  esac
  ctl power off > /dev/null
  if ! running=$(boots_valid_app); then
    bricks=$((bricks + 1))
    echo "BER round $i: BRICKED"
  fi
  echo "BER round $i: fota exit $code ($(grep -o "error: .*\|reverted.*\|confirmed: .*" "$T/ber.txt" | head -1)), then runs $running"
  [ $release = demo-v2 ] && release=demo-v1 || release=demo-v2
done

echo "power cuts: $cuts ($cut_in_flash inside fota flash, $flash_ok_despite after fota had" \
  "finished its flash, $no_cut placed after the flow), bricked: $bricks, wrong image: $wrong," \
  "rerun failures: $rerun_failed"
echo "bit errors 1e-4: $BER_ROUNDS rounds, $ber_ok completed, $ber_failed_cleanly failed cleanly," \
  "$ber_bad unclean"
[ $bricks -eq 0 ] && [ $wrong -eq 0 ] && [ $rerun_failed -eq 0 ] && [ $ber_bad -eq 0 ] &&
  [ $cut_in_flash -gt 0 ]
