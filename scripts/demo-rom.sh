#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The ROM-path demo (`fota flash` by hand; the main demo, over the air, is scripts/demo.sh): sets
# up the machine, builds host tools + firmware (release preset), packs the demo releases, then
# updates a virtual STM32F407 (vstm32, running the real ARM binaries) through ST's ROM bootloader
# (AN3155) with `fota flash`, exactly as a Linux gateway wired to BOOT0/NRST/USART1
# would: v1 runs -> v2 installed and confirmed -> a never-confirming release is reverted to v2.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset release
cmake --build --preset release

build=build/release
vstm32=$build/bin/vstm32
fota=$build/tools/fota/fota
work=$(mktemp -d /tmp/fota-demo.XXXXXX)
cleanup() {
  [ -S "$work/ctl" ] && "$vstm32" ctl --control "$work/ctl" quit > /dev/null 2>&1 || true
  [ -n "${vpid:-}" ] && wait "$vpid" 2> /dev/null || true
}
trap cleanup EXIT
started=$SECONDS

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Polls the console log (what USART1 transmitted) for a line, with a deadline.
wait_console() {
  local deadline=$((SECONDS + $2))
  until grep -q "$1" "$work/console.log" 2> /dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "demo: '$1' did not appear on USART1 within $2 s" >&2
      exit 1
    fi
    sleep 0.1
  done
}

step "1. A factory-fresh device: our bootloader in sector 0, demo v1 in slot A"
"$vstm32" flash-image create "$work/flash.bin"
"$vstm32" flash-image place "$work/flash.bin" "$build/firmware/artifacts/bootloader.elf"
"$vstm32" flash-image place "$work/flash.bin" "$build/releases/demo-v1/demo-v1-1.0.0-A.img"

step "2. Power on the virtual STM32F407 (USART1 on $work/tty, BOOT0/NRST on $work/ctl)"
"$vstm32" run --flash "$work/flash.bin" --uart "$work/tty" --control "$work/ctl" \
  --uart-log "$work/console.log" &
vpid=$!
wait_console "^confirmed" 30
echo "USART1 said:"
tr -d '\r' < "$work/console.log" | sed 's/^/  | /'

step "3. fota flash demo v2: ROM bootloader (BOOT0 high + NRST), identify, read the boot log," \
  "erase the inactive slot, stream 256-byte writes, append TRIAL, reset; then watch the console"
"$fota" flash --port "$work/tty" --pins "vstm32:$work/ctl" --release "$build/releases/demo-v2" \
  --console

step "4. fota flash a release that never confirms itself (demo-noconfirm, 2.1.0)"
echo "   fota resets it when it has not confirmed within 5 s; each reset uses one of its 3 trial"
echo "   attempts, then the bootloader rejects it and falls back to v2."
set +e
"$fota" flash --port "$work/tty" --pins "vstm32:$work/ctl" \
  --release "$build/releases/demo-noconfirm" --console --confirm-timeout 5
code=$?
set -e
if [ $code -ne 6 ]; then
  echo "demo: expected exit code 6 (reverted), got $code" >&2
  exit 1
fi
echo "(exit code 6: reverted, as expected)"

step "5. What is on the device now"
"$fota" info --port "$work/tty" --pins "vstm32:$work/ctl"
"$vstm32" ctl --control "$work/ctl" quit > /dev/null
wait "$vpid" || true
vpid=

cat << EOF

demo done in $((SECONDS - started)) s (after the build). What you saw:
 - vstm32 executed our bootloader and demo v1 (real ARM binaries) on an emulated Cortex-M4;
   the bootloader found an empty log and booted v1 on trial, v1 confirmed itself;
 - fota flash put v2 into slot B through ST's ROM bootloader protocol, the bootloader checked
   its CRC-32 and SHA-256, booted it on trial under the watchdog, and v2 confirmed;
 - a release that never confirms was tried three times and rejected: the device went back to
   v2 by itself, and fota reported "reverted" (exit code 6).
Docs: docs/flashing.md (fota flash), docs/bootloader.md (boot decisions), docs/vstm32.md.
EOF
