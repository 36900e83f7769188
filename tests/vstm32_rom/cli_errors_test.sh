#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `vstm32` refuses bad input with an error that names the problem, and flash-image works.
# Usage: cli_errors_test.sh VSTM32
set -uo pipefail
VSTM32=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
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

expect_error "does not exist" "$VSTM32" run --flash "$tmp/missing.bin"
head -c 1048577 /dev/zero > "$tmp/big.bin"
expect_error "1048577 bytes" "$VSTM32" run --flash "$tmp/big.bin"
expect_ok "$VSTM32" flash-image create "$tmp/f.bin"
expect_error "not a regular file" "$VSTM32" run --flash "$tmp"
expect_error "--product-id '0x10000' is not a 16-bit number" "$VSTM32" run --flash "$tmp/f.bin" --product-id 0x10000
expect_error "--product-id 'pid' is not a 16-bit number" "$VSTM32" run --flash "$tmp/f.bin" --product-id pid
expect_error "cannot open the USART1 log $tmp/no/such/dir/log" "$VSTM32" run --flash "$tmp/f.bin" --uart-log "$tmp/no/such/dir/log"
[ "$(stat -c %s "$tmp/f.bin")" = 1048576 ] || { echo "FAIL: image size"; fails=$((fails + 1)); }
[ "$(tr -d '\377' < "$tmp/f.bin" | wc -c)" = 0 ] || { echo "FAIL: image not erased"; fails=$((fails + 1)); }
expect_error "already exists" "$VSTM32" flash-image create "$tmp/f.bin"
echo "not an elf" > "$tmp/bad.elf"
expect_error "bad ELF" "$VSTM32" flash-image place "$tmp/f.bin" "$tmp/bad.elf"
printf '\177ELF\001\001\001' > "$tmp/short.elf"
expect_error "bad ELF" "$VSTM32" flash-image place "$tmp/f.bin" "$tmp/short.elf"
head -c 4096 /dev/urandom > "$tmp/blob.bin"
expect_error "needs --at" "$VSTM32" flash-image place "$tmp/f.bin" "$tmp/blob.bin"
expect_error "do not fit" "$VSTM32" flash-image place "$tmp/f.bin" "$tmp/blob.bin" --at 0x080FF800
cp "$tmp/blob.bin" "$tmp/blob.img"
expect_error "not a slot image" "$VSTM32" flash-image place "$tmp/f.bin" "$tmp/blob.img"
expect_ok "$VSTM32" flash-image place "$tmp/f.bin" "$tmp/blob.bin" --at 0x08010000
cmp -s <(dd if="$tmp/f.bin" bs=4096 skip=16 count=1 status=none) "$tmp/blob.bin" ||
  { echo "FAIL: placed bytes differ"; fails=$((fails + 1)); }
out=$("$VSTM32" flash-image inspect "$tmp/f.bin")
[[ "$out" == *" 4 0x08010000   64 KB  used"* && "$out" == *" 5 0x08020000  128 KB  erased"* ]] ||
  { echo "FAIL: inspect: $out"; fails=$((fails + 1)); }
touch "$tmp/taken"
expect_error "already exists" "$VSTM32" run --flash "$tmp/f.bin" --uart "$tmp/taken"
expect_error "already exists" "$VSTM32" run --flash "$tmp/f.bin" --control "$tmp/taken"
expect_error "24 hex digits" "$VSTM32" run --flash "$tmp/f.bin" --uid 1234
expect_error "timing" "$VSTM32" run --flash "$tmp/f.bin" --timing slow
expect_error "cannot connect" "$VSTM32" ctl --control "$tmp/nobody" status
[ $fails -eq 0 ] && echo PASS
exit $fails
