#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cross-builds the portable core for one target (xtensa | arm) with tests/cross_core/project,
# prints code size, static RAM and the largest stack frame per module and of the linked probe,
# and fails when the build or the heap trap fails or the probe exceeds the budgets. Xtensa also
# links the FotaAgent sketch with section GC (its code is checked against SKETCH_BUDGET_BYTES).
# usage: cross_core.sh xtensa|arm BUILD_DIR [CODE_BUDGET_BYTES RAM_BUDGET_BYTES SKETCH_BUDGET_BYTES]
set -euo pipefail
target=$1
build=$2
code_budget=${3:-65536}
ram_budget=${4:-16384}
sketch_budget=${5:-81920}
root=$(cd "$(dirname "$0")/../.." && pwd)

case "$target" in
  xtensa) toolchain=$root/cmake/xtensa-lx106-elf.cmake ;;
  arm) toolchain=$root/cmake/arm-none-eabi.cmake ;;
  *) echo "cross_core: unknown target '$target' (xtensa or arm)" >&2; exit 2 ;;
esac

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root/tests/cross_core/project" -B "$build" -G Ninja \
    --toolchain "$toolchain" -DCMAKE_BUILD_TYPE=MinSizeRel "${launcher[@]}" >"$build.configure.log" 2>&1 ||
    { cat "$build.configure.log" >&2; echo "cross_core: configuring the $target build failed" >&2; exit 1; }
fi
if ! cmake --build "$build" -j 2 >"$build.build.log" 2>&1; then
  cat "$build.build.log" >&2
  echo "cross_core: the $target build of the core failed (compile error, undefined symbol or heap use: see above)" >&2
  exit 1
fi
trap=$(grep -o "heap trap: new.* are link errors.*" "$build.build.log" || true)
if [ -z "$trap" ]; then
  echo "cross_core: the heap trap check did not run in the $target build" >&2
  exit 1
fi

read -r compiler size <"$build/toolchain.txt"
echo "core for $target: $("$compiler" --version | head -1), freestanding, -Os"
echo "$trap"
printf '%-17s %8s %8s %8s %10s\n' module code data bss max_frame
while read -r module archive objdir; do
  if [ "$archive" = "-" ]; then
    printf '%-17s %8s %8s %8s %10s\n' "$module" "(headers only)" "" "" ""
    continue
  fi
  read -r text data bss < <("$size" -t "$archive" | awk 'END { print $1, $2, $3 }')
  frame=$(find "$objdir" -name '*.su' -exec cat {} + | awk -F'\t' '$2 > m { m = $2 } END { print m + 0 }')
  printf '%-17s %8d %8d %8d %10d\n' "$module" "$text" "$data" "$bss" "$frame"
done <"$build/modules.txt"

# What the core takes from the C/C++ runtime: symbols the modules use but do not define.
nm=${size%size}nm
archives=$(awk '$2 != "-" { print $2 }' "$build/modules.txt")
# shellcheck disable=SC2086
runtime=$(comm -23 <("$nm" -u $archives 2>/dev/null | awk 'NF == 2 { print $2 }' | sort -u) \
  <("$nm" --defined-only $archives 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u) |
  grep -v -E '^(__.*[sd]i3|__aeabi_.*)$' | c++filt | tr '\n' ' ')
echo "runtime used: $runtime(+ libgcc arithmetic)"

read -r text data bss < <("$size" "$build/core_probe" | awk 'NR == 2 { print $1, $2, $3 }')
ram=$((data + bss))
printf '%-17s %8d %8d %8d   (linked probe, all modules whole; code = text + rodata, RAM = data + bss)\n' \
  probe "$text" "$data" "$bss"
echo "budget: code $text / $code_budget B, static RAM $ram / $ram_budget B"
status=0
if [ "$text" -gt "$code_budget" ]; then
  echo "cross_core: $target code $text B exceeds the budget of $code_budget B" >&2
  status=1
fi
if [ "$ram" -gt "$ram_budget" ]; then
  echo "cross_core: $target static RAM $ram B exceeds the budget of $ram_budget B" >&2
  status=1
fi
if [ -f "$build/adapters.txt" ]; then
  read -r archive objdir files <"$build/adapters.txt"
  read -r text data bss < <("$size" -t "$archive" | awk 'END { print $1, $2, $3 }')
  frame=$(find "$objdir" -name '*.su' -exec cat {} + | awk -F'\t' '$2 > m { m = $2 } END { print m + 0 }')
  # shellcheck disable=SC2086
  lines=$(cat $files | wc -l)
  echo "ports/esp32 adapters (compiled against tests/esp32_api_stubs, not linked, not run):"
  printf '%-17s %8d %8d %8d %10d   (%d lines in %d files)\n' adapters "$text" "$data" "$bss" "$frame" \
    "$lines" "$(echo $files | wc -w)"
  # sizeof() of the port's objects (static RAM of a sketch): symbol sizes of probe/esp32_sizes.cc.
  nm=${size%size}nm
  while read -r _ symbol_size _ name; do
    printf '  sizeof %-20s %6d B\n' "${name#fota_size_}" "$((16#$symbol_size))"
  done < <("$nm" -S "$(cat "$build/sizes.txt")" | grep ' fota_size_')
fi
if [ -f "$build/sketch_probe" ]; then
  # What the FotaAgent sketch really links: its AgentApp from one entry, section GC (as ESP-IDF
  # links), ESP-IDF itself left out. Code per part from the map file.
  echo "sketch probe (FotaAgent's AgentApp linked with section GC; ESP-IDF's code not included):"
  parts=$(awk -f "$root/tests/cross_core/map_sizes.awk" "$build/sketch_probe.map" | sort -k2 -nr)
  core_code=0
  while read -r part bytes; do
    printf '  %-28s %8d\n' "$part" "$bytes"
    case "$part" in
      libfota_esp32_adapters.a | libfota_probe_runtime.a) ;;
      libfota_*) core_code=$((core_code + bytes)) ;;
    esac
  done <<<"$parts"
  read -r text data bss < <("$size" "$build/sketch_probe" | awk 'NR == 2 { print $1, $2, $3 }')
  printf '  %-28s %8d   (static RAM %d B, the app object included)\n' total "$text" "$((data + bss))"
  printf '  %-28s %8d\n' "core (fota_* modules)" "$core_code"
  if ! "$nm" -u "$build/sketch_probe" | awk '{ print $2 }' | "$root/tests/cross_core/outside_refs.sh"; then
    echo "cross_core: the sketch probe references something it must not (see above)" >&2
    status=1
  fi
  echo "sketch budget: code $text / $sketch_budget B (core and adapters)"
  if [ "$text" -gt "$sketch_budget" ]; then
    echo "cross_core: the sketch's code $text B exceeds the budget of $sketch_budget B" >&2
    status=1
  fi
fi
exit $status
