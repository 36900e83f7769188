#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Long fuzz campaign over every libFuzzer target the build registers (the ctest smoke runs
# fuzz_smoke.<target>, label fuzz): each target runs for SECONDS with the smoke run's own flags
# (-max_len, -len_control, ...), on a corpus kept in <work>/fuzz-corpus/<target> so that
# successive campaigns go on where the last one stopped. Crash inputs and logs land in
# <work>/fuzz-crashes/<target>-*; the script exits 1 naming them.
#
#   scripts/fuzz-long.sh [--seconds N] [--build DIR] [--work DIR] [--no-build] [TARGET...]
#
# --seconds: per target (default 600). --build: a tree configured with -DFOTA_FUZZ=ON (default
# build/host, the host preset). --work: where corpora and crashes are kept (default the build
# tree). --no-build: run the fuzzers as built. TARGETs: a subset by name (fuzz_manifest,
# fuzz_native_frames, ...; default all). --list: the targets, then exit.
set -euo pipefail

seconds=600
build=build/host
work=""
do_build=1
list=""
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift ;;
    --build) build=$2; shift ;;
    --work) work=$2; shift ;;
    --no-build) do_build="" ;;
    --list) list=1 ;;
    -h | --help) sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz-long.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) only+=("$1") ;;
  esac
  shift
done
case "$seconds" in
  '' | *[!0-9]*) echo "fuzz-long.sh: --seconds takes a whole number, not \"$seconds\"" >&2; exit 2 ;;
esac
if [ ! -f "$build/CTestTestfile.cmake" ]; then
  echo "fuzz-long.sh: $build is not a configured build tree (cmake --preset host)" >&2
  exit 2
fi
work=${work:-$build}

# "NAME<TAB>COMMAND ARGS" for every fuzz smoke test, from ctest's own record of the command.
declare -A command_of=()
names=()
while IFS=$'\t' read -r name command; do
  names+=("$name")
  command_of[$name]=$command
done < <(ctest --test-dir "$build" -N -V -L fuzz 2>/dev/null | awk '
  / Test command: / { sub(/^[0-9]+: Test command: /, ""); command = $0 }
  /Test +#[0-9]+: fuzz_smoke\./ { sub(/.*fuzz_smoke\./, ""); print $0 "\t" command }')
if [ ${#names[@]} -eq 0 ]; then
  echo "fuzz-long.sh: no fuzz targets in $build (configure it with -DFOTA_FUZZ=ON)" >&2
  exit 2
fi
if [ -n "$list" ]; then
  printf '%s\n' "${names[@]}"
  exit 0
fi
if [ ${#only[@]} -gt 0 ]; then
  for name in "${only[@]}"; do
    if [ -z "${command_of[$name]+set}" ]; then
      echo "fuzz-long.sh: no fuzz target $name (known: ${names[*]})" >&2
      exit 2
    fi
  done
  names=("${only[@]}")
fi

[ -z "$do_build" ] || cmake --build "$build" --target "${names[@]}"
mkdir -p "$work/fuzz-crashes"
failed=()
for name in "${names[@]}"; do
  # The smoke run's arguments are ctest's quoted words of our own CMake: safe to re-split.
  eval "set -- ${command_of[$name]}"
  binary=$1
  shift
  flags=()
  for arg in "$@"; do
    case "$arg" in -runs=* | -seed=* | -print_final_stats=*) ;; *) flags+=("$arg") ;; esac
  done
  corpus="$work/fuzz-corpus/$name"
  mkdir -p "$corpus"
  crashes() { find "$work/fuzz-crashes" -maxdepth 1 -name "$name-*" | wc -l; }
  before=$(crashes)  # crash inputs of earlier campaigns are kept, never counted again
  echo "== $name: ${seconds}s, corpus $corpus ($(find "$corpus" -type f | wc -l) inputs)"
  status=0
  "$binary" "$corpus" "${flags[@]}" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/fuzz-crashes/$name-" > "$work/fuzz-crashes/$name.log" 2>&1 || status=$?
  grep -E '^stat::number_of_executed_units|^==[0-9]+== ?ERROR|^SUMMARY' "$work/fuzz-crashes/$name.log" || true
  if [ "$status" != 0 ] || [ "$(crashes)" -gt "$before" ]; then
    echo "$name: FAILED (exit $status; log $work/fuzz-crashes/$name.log)" >&2
    failed+=("$name")
  else
    echo "$name: ok, corpus now $(find "$corpus" -type f | wc -l) inputs"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz-long.sh: ${#failed[@]} target(s) failed: ${failed[*]}; crash inputs in $work/fuzz-crashes" >&2
  exit 1
fi
echo "fuzz-long.sh: ${#names[@]} target(s), ${seconds}s each, no crash"
