#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `vstm32` refuses bad input with an error that names the problem, and flash-image works.
# Usage: cli_errors_test.sh VSTM32
set -uo pipefail
. "$(dirname "$0")/../lib/harness.sh"
harness_start vstm32-cli-errors VSTM32 -- "$@"
expect_error() {  # expect_error "substring" command...
  local want=$1; shift
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ $rc -eq 0 ] || [[ "$out" != *"$want"* ]]; then
    echo "FAIL: '$*' -> rc=$rc, output: $out (wanted an error containing '$want')"; fails=$((fails + 1))
  fi
}
expect_ok() {
  local out
  out=$("$@" 2>&1) || { echo "FAIL: '$*' -> $out"; fails=$((fails + 1)); }
}

expect_error "does not exist" "$VSTM32" run --flash "$T/missing.bin"
head -c 1048577 /dev/zero > "$T/big.bin"
expect_error "1048577 bytes" "$VSTM32" run --flash "$T/big.bin"
expect_ok "$VSTM32" flash-image create "$T/f.bin"
expect_error "not a regular file" "$VSTM32" run --flash "$T"
expect_error "--product-id '0x10000' is not a 16-bit number" "$VSTM32" run --flash "$T/f.bin" --product-id 0x10000
expect_error "--product-id 'pid' is not a 16-bit number" "$VSTM32" run --flash "$T/f.bin" --product-id pid
expect_error "cannot open the USART1 log $T/no/such/dir/log" "$VSTM32" run --flash "$T/f.bin" --uart-log "$T/no/such/dir/log"
[ "$(stat -c %s "$T/f.bin")" = 1048576 ] || { echo "FAIL: image size"; fails=$((fails + 1)); }
[ "$(tr -d '\377' < "$T/f.bin" | wc -c)" = 0 ] || { echo "FAIL: image not erased"; fails=$((fails + 1)); }
expect_error "already exists" "$VSTM32" flash-image create "$T/f.bin"
echo "not an elf" > "$T/bad.elf"
expect_error "bad ELF" "$VSTM32" flash-image place "$T/f.bin" "$T/bad.elf"
printf '\177ELF\001\001\001' > "$T/short.elf"
expect_error "bad ELF" "$VSTM32" flash-image place "$T/f.bin" "$T/short.elf"
head -c 4096 /dev/urandom > "$T/blob.bin"
expect_error "needs --at" "$VSTM32" flash-image place "$T/f.bin" "$T/blob.bin"
expect_error "do not fit" "$VSTM32" flash-image place "$T/f.bin" "$T/blob.bin" --at 0x080FF800
cp "$T/blob.bin" "$T/blob.img"
expect_error "not a slot image" "$VSTM32" flash-image place "$T/f.bin" "$T/blob.img"
expect_ok "$VSTM32" flash-image place "$T/f.bin" "$T/blob.bin" --at 0x08010000
cmp -s <(dd if="$T/f.bin" bs=4096 skip=16 count=1 status=none) "$T/blob.bin" ||
  { echo "FAIL: placed bytes differ"; fails=$((fails + 1)); }
out=$("$VSTM32" flash-image inspect "$T/f.bin")
[[ "$out" == *" 4 0x08010000   64 KB  used"* && "$out" == *" 5 0x08020000  128 KB  erased"* ]] ||
  { echo "FAIL: inspect: $out"; fails=$((fails + 1)); }
touch "$T/taken"
expect_error "already exists" "$VSTM32" run --flash "$T/f.bin" --uart "$T/taken"
expect_error "already exists" "$VSTM32" run --flash "$T/f.bin" --control "$T/taken"
expect_error "24 hex digits" "$VSTM32" run --flash "$T/f.bin" --uid 1234
expect_error "timing" "$VSTM32" run --flash "$T/f.bin" --timing slow
expect_error "cannot connect" "$VSTM32" ctl --control "$T/nobody" status
[ $fails -eq 0 ] && echo PASS
exit $fails
