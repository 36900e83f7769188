#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails when a freestanding library names a throwing helper of the C++ runtime
# (std::__throw_*, __cxa_throw, ...): string_view::substr, array::at, std::optional::value and
# the like compile under -fno-exceptions but pull in code that aborts the firmware.
# Usage: scripts/checks/freestanding_throw.sh NM LIBRARY_DIR...
#   NM: the cross toolchain's nm (LTO objects are read through its plugin)
#   LIBRARY_DIR: searched for *.a (e.g. the host build's firmware/ tree)
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 NM LIBRARY_DIR..." >&2
  exit 2
fi
nm=$1
shift
archives=()
for dir in "$@"; do
  [ -d "$dir" ] || { echo "freestanding_throw: $dir does not exist (build the firmware first)" >&2; exit 1; }
  while IFS= read -r -d '' a; do archives+=("$a"); done < <(find "$dir" -name '*.a' -print0 | sort -z)
done
if [ ${#archives[@]} -eq 0 ]; then
  echo "freestanding_throw: no libraries under $* (build the firmware first)" >&2
  exit 1
fi
pattern='std::__throw_|__cxa_throw|__cxa_allocate_exception|__cxa_begin_catch|__cxa_rethrow'
if ! listing=$("$nm" -A -C -u "${archives[@]}" 2>&1); then
  echo "$listing" >&2
  echo "freestanding_throw: $nm could not read the libraries" >&2
  exit 1
fi
found=$(grep -E "$pattern" <<<"$listing" || true)
if [ -n "$found" ]; then
  echo "$found" | sed "s|^$PWD/||" >&2
  echo "freestanding_throw: the libraries above use throwing runtime helpers" >&2
  exit 1
fi
echo "freestanding_throw: ${#archives[@]} libraries, none uses std::__throw_* or __cxa_throw"
