#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Formats every tracked C/C++ file with the repository's .clang-format.
# Usage: scripts/format.sh          rewrite files in place
#        scripts/format.sh --check  fail (non-zero) on any drift, print the offending files
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -- '*.c' '*.cc' '*.cpp' '*.h' '*.hpp' '*.ino')
if [ "${1:-}" = "--check" ]; then
  if ! clang-format --dry-run -Werror "${files[@]}" 2>/tmp/fota-format-check.$$; then
    grep -o '^[^:]*:[0-9]*:[0-9]*: error' /tmp/fota-format-check.$$ | cut -d: -f1 | sort -u |
      sed 's/^/format: drift in /' >&2
    rm -f /tmp/fota-format-check.$$
    echo "format: run scripts/format.sh to fix" >&2
    exit 1
  fi
  rm -f /tmp/fota-format-check.$$
  echo "format: ${#files[@]} files match .clang-format"
else
  clang-format -i "${files[@]}"
  echo "format: ${#files[@]} files formatted"
fi
