#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Packages ports/esp32 (tools/package.sh) and compiles every source of the package with the Xtensa
# compiler the way the Arduino builder sees it: the package's src/ as the only project include
# directory (plus the ESP-IDF API declarations of tests/esp32_api_stubs), and the ESP-IDF example's
# app_main. Checks that every adapter the ESP-IDF component lists and every example exists, and
# that library.properties has the fields the Arduino library specification requires. Compiles;
# does not link or run.
# usage: package_check.sh OUT_DIR
set -euo pipefail
out=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/ports/esp32/tools/package.sh" "$out/StmFota"
pkg=$out/StmFota

for field in name version author maintainer sentence paragraph category url architectures; do
  grep -q "^$field=." "$pkg/library.properties" ||
    { echo "package_check: library.properties has no '$field'" >&2; exit 1; }
done
for example in examples/FotaAgent/FotaAgent.ino examples/FlashFromUrl/FlashFromUrl.ino \
  idf_example/CMakeLists.txt idf_example/main/CMakeLists.txt idf_example/main/main.cpp \
  idf_example/sdkconfig.defaults; do
  [ -f "$pkg/$example" ] || { echo "package_check: $example missing" >&2; exit 1; }
done
adapters=$(sed -n '/^set(FOTA_ESP32_ADAPTERS/,/)/p' "$pkg/adapters.cmake" |
  sed 's/^set(FOTA_ESP32_ADAPTERS//; s/)//' | tr '\n' ' ')
for adapter in $adapters; do
  [ -f "$pkg/src/fota_esp32/$adapter.cpp" ] ||
    { echo "package_check: the component lists $adapter, but src/fota_esp32/$adapter.cpp is missing" >&2; exit 1; }
done
# Every adapter source in the package is listed by the component.
for source in "$pkg/src/fota_esp32/"*.cpp; do
  name=$(basename "${source%.cpp}")
  echo " $adapters " | grep -q " $name " ||
    { echo "package_check: src/fota_esp32/$name.cpp is not in the component's FOTA_ESP32_ADAPTERS" >&2; exit 1; }
done

# libstdc++/newlib headers as cmake/xtensa-lx106-elf.cmake takes them.
includes=()
while read -r dir; do
  dir=$(realpath "$dir")
  case "$dir" in */lib/gcc/*) ;; *) includes+=(-isystem "$dir") ;; esac
done < <(arm-none-eabi-g++ -xc++ -E -Wp,-v /dev/null -o /dev/null 2>&1 | sed -n 's/^ \(\/.*\)/\1/p')
launcher=()
command -v ccache >/dev/null && launcher=(ccache)
rm -rf "$out/obj"
mkdir -p "$out/obj"
# The examples as the Arduino builder compiles a sketch: C++ with Arduino.h included first.
for sketch in "$pkg"/examples/*/*.ino; do
  { echo '#include <Arduino.h>'; cat "$sketch"; } >"$out/obj/$(basename "$sketch").cpp"
done
compile() {
  "${launcher[@]}" xtensa-lx106-elf-g++ -std=gnu++20 -mlongcalls -Os -fno-exceptions -fno-rtti \
    -Wall -Wextra -Werror "${includes[@]}" -I"$pkg/src" -isystem "$root/tests/esp32_api_stubs" \
    -c "$1" -o "$out/obj/$(basename "$1").o"
}
# The ESP-IDF example's app_main, as ESP-IDF compiles it (no Arduino.h).
cp "$pkg/idf_example/main/main.cpp" "$out/obj/idf_example_main.cpp"
mapfile -t sources < <(find "$pkg/src" "$out/obj" -name '*.cpp' | sort)
failed=0
# Two compilers at a time (the machine is shared).
for ((i = 0; i < ${#sources[@]}; i += 2)); do
  compile "${sources[i]}" &
  first=$!
  if ((i + 1 < ${#sources[@]})); then compile "${sources[i + 1]}" || failed=1; fi
  wait "$first" || failed=1
done
[ "$failed" -eq 0 ] || { echo "package_check: compiling the package failed (see above)" >&2; exit 1; }
count=${#sources[@]}
echo "package_check: $count sources and examples of the package compiled for Xtensa with only src/ on the include path"
