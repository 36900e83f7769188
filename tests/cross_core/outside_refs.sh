#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks the symbols a linked ESP32 sketch probe leaves undefined (one per line on stdin): each
# must be an ESP-IDF/Arduino/cJSON function declared in tests/esp32_api_stubs, a C library
# function newlib provides, or a libgcc helper. A __wrap_ symbol is heap use (the heap trap's
# wraps: new/delete/malloc/free). Prints each offender with why; exits 1 if there is one.
# usage: outside_refs.sh < symbols
set -euo pipefail
stubs=$(cd "$(dirname "$0")/../esp32_api_stubs" && pwd)
# C library functions the adapters may call (newlib on ESP-IDF); the core itself may only use the
# ones tests/cross_core/probe/runtime.cc defines.
libc=" printf snprintf vsnprintf strchr strcmp strcpy strncpy strtol strtoll strtoul strtoull time "
status=0
count=0
while read -r symbol; do
  [ -n "$symbol" ] || continue
  count=$((count + 1))
  case "$symbol" in
    __wrap_*)
      echo "outside_refs: ${symbol#__wrap_} is heap use (the sketch must not allocate)" >&2
      status=1
      continue
      ;;
    __*) continue ;;  # libgcc helpers (soft float, atomics, 64-bit division)
  esac
  case "$libc" in *" $symbol "*) continue ;; esac
  if ! grep -rqw -- "$symbol" "$stubs"; then
    echo "outside_refs: $symbol is neither declared in tests/esp32_api_stubs nor a C library function" >&2
    status=1
  fi
done
echo "outside references: $count (ESP-IDF, C library, libgcc)"
exit $status
