#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails when a tracked source, script or CMake file lacks the SPDX licence line.
# Usage: scripts/checks/license.sh [--fix]
set -euo pipefail
cd "$(dirname "$0")/../.."
spdx='SPDX-License-Identifier: Apache-2.0'
fix=0
[ "${1:-}" = "--fix" ] && fix=1

files=()
while IFS= read -r -d '' f; do
  [ -f "$f" ] && files+=("$f")
done < <(git ls-files -z -- '*.c' '*.cc' '*.cpp' '*.h' '*.hpp' '*.ino' '*.sh' '*.cmake' \
           '*CMakeLists.txt' '*.ld' '*.ld.in' '*.S' '*.s' '*.js' '*.py' '.ci/run' \
           'Jenkinsfile' '*/Jenkinsfile' '*.yml' '*.yaml' '*.toml' '*.service')
# One awk over every file (a process per file took most of a minute on a loaded 2-core box):
# the line must be in a file's first 5 lines; empty files lack it too.
missing=()
if [ ${#files[@]} -gt 0 ]; then
  mapfile -t missing < <(awk -v spdx="$spdx" '
    FNR <= 5 && index($0, spdx) { ok[FILENAME] = 1; nextfile }
    FNR > 5 { nextfile }
    END { for (i = 1; i < ARGC; i++) if (!(ARGV[i] in ok)) print ARGV[i] }' "${files[@]}")
fi

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
