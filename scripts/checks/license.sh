#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails when a tracked source, script or CMake file lacks the SPDX licence line.
# Usage: scripts/checks/license.sh [--fix]
set -euo pipefail
cd "$(dirname "$0")/../.."
spdx='SPDX-License-Identifier: Apache-2.0'
fix=0
[ "${1:-}" = "--fix" ] && fix=1

missing=()
while IFS= read -r f; do
  [ -f "$f" ] || continue
  head -n 5 "$f" | grep -q "$spdx" && continue
  missing+=("$f")
done < <(git ls-files -- '*.c' '*.cc' '*.cpp' '*.h' '*.hpp' '*.ino' '*.sh' '*.cmake' \
           '*CMakeLists.txt' '*.ld' '*.ld.in' '*.S' '*.s' '*.js' '*.py' '.ci/run' \
           'Jenkinsfile' '*/Jenkinsfile' '*.yml' '*.yaml' '*.toml' '*.service')

if [ ${#missing[@]} -eq 0 ]; then
  echo "license: every source, script and CMake file carries '$spdx'"
  exit 0
fi
if [ $fix -eq 0 ]; then
  printf 'license: missing "%s" in:\n' "$spdx" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "license: run scripts/checks/license.sh --fix" >&2
  exit 1
fi
for f in "${missing[@]}"; do
  case "$f" in
    *.c|*.cc|*.cpp|*.h|*.hpp|*.ino|*.js|*.S|*.s) line="// $spdx" ;;
    *.ld|*.ld.in) line="/* $spdx */" ;;
    *) line="# $spdx" ;;
  esac
  tmp=$(mktemp)
  if head -n 1 "$f" | grep -q '^#!'; then
    { head -n 1 "$f"; echo "$line"; tail -n +2 "$f"; } > "$tmp"
  else
    { echo "$line"; cat "$f"; } > "$tmp"
  fi
  chmod --reference="$f" "$tmp"; mv "$tmp" "$f"
  echo "license: added to $f"
done
