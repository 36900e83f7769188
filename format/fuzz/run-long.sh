#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Long fuzz campaign for the format/release parsers (the ctest smoke runs: docs/testing.md).
# Usage: format/fuzz/run-long.sh [SECONDS_PER_TARGET=600] [BUILD_DIR=build/host]
# Needs a tree configured with -DFOTA_FUZZ=ON (the host preset). Corpora are kept in
# <build>/fuzz-corpus/<target> so successive runs continue; crashes land in <build>/fuzz-crashes.
set -euo pipefail
seconds=${1:-600}
build=${2:-build/host}
cmake --build "$build" --target fuzz_image_header fuzz_meta_record fuzz_manifest
mkdir -p "$build/fuzz-crashes"
for target in format/fuzz/fuzz_image_header format/fuzz/fuzz_meta_record release/fuzz/fuzz_manifest; do
  name=$(basename "$target")
  corpus="$build/fuzz-corpus/$name"
  mkdir -p "$corpus"
  echo "== $name: ${seconds}s (corpus $corpus)"
  "$build/$target" "$corpus" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-crashes/$name-" 2>&1 | grep -E '^(stat::number_of_executed_units|Done|==[0-9]+== ERROR)' || true
  if ls "$build/fuzz-crashes/$name-"* >/dev/null 2>&1; then
    echo "$name: crash inputs in $build/fuzz-crashes" >&2
    exit 1
  fi
done
