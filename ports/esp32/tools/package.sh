#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes ports/esp32 self-contained: copies it to OUT_DIR with the portable core under src/ (headers
# at src/<module>/, sources at src/fota_core/<module>/*.cpp, since the Arduino builder compiles
# only a library's own folder). OUT_DIR is then both an Arduino library (copy it into
# ~/Arduino/libraries/StmFota or zip it for "Add .ZIP Library") and an ESP-IDF component.
# usage: package.sh OUT_DIR
set -euo pipefail
out=${1:?usage: package.sh OUT_DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/../.." && pwd)
modules=$(sed -n 's/^set(FOTA_CORE_MODULES \(.*\))$/\1/p' "$here/CMakeLists.txt")
[ -n "$modules" ] || { echo "package: no FOTA_CORE_MODULES line in $here/CMakeLists.txt" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
cp -R "$here/library.properties" "$here/CMakeLists.txt" "$here/adapters.cmake" "$here/Kconfig" \
  "$here/src" "$here/examples" "$here/idf_example" "$out/"
for module in status $modules; do
  cp -R "$root/$module/include/$module" "$out/src/$module"
  if [ -d "$root/$module/src" ]; then
    mkdir -p "$out/src/fota_core/$module"
    for source in "$root/$module/src/"*.cc; do
      cp "$source" "$out/src/fota_core/$module/$(basename "${source%.cc}").cpp"
    done
    # A module's private headers stay beside its sources.
    for header in "$root/$module/src/"*.h; do
      if [ -e "$header" ]; then cp "$header" "$out/src/fota_core/$module/"; fi
    done
  fi
done
# The adapters too: the Arduino builder compiles .cpp (and .c, .S) files.
for source in "$out/src/fota_esp32/"*.cc; do
  mv "$source" "${source%.cc}.cpp"
done
sed -i 's|list(APPEND srcs src/fota_esp32/${adapter}.cc)|list(APPEND srcs src/fota_esp32/${adapter}.cpp)|' \
  "$out/CMakeLists.txt"
echo "package: $out ($(find "$out/src" -name '*.cpp' | wc -l) sources, modules: status $modules)"
