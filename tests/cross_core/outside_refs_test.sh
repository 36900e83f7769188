#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# outside_refs.sh: accepts ESP-IDF functions the stubs declare, C library functions and libgcc
# helpers; refuses heap use and anything else, naming each offender.
set -uo pipefail
check=$(dirname "$0")/outside_refs.sh
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$(printf 'uart_write_bytes\nesp_mqtt_client_publish\ncJSON_ParseWithLength\nsnprintf\n__fixunsdfsi\n' |
  "$check" 2>&1) || fail "a clean list was refused: $out"
grep -q "outside references: 5" <<<"$out" || fail "count not printed: $out"

out=$(printf 'uart_write_bytes\n__wrap__Znwj\n' | "$check" 2>&1) && fail "heap use accepted"
grep -q "_Znwj is heap use" <<<"$out" || fail "heap use not named: $out"

out=$(printf 'nvs_open\nfota_made_up_call\n' | "$check" 2>&1) && fail "an undeclared symbol accepted"
grep -q "fota_made_up_call is neither declared" <<<"$out" || fail "offender not named: $out"
grep -q "nvs_open" <<<"$(grep outside_refs: <<<"$out")" && fail "a declared symbol was named: $out"
echo "outside_refs_test: ok"
