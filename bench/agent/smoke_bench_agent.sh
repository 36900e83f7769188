#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Smoke run of bench_agent.sh (ctest, label bench): the whole benchmark on a small image, so that
# its steps and the parsing of the agent's log keep working. Checks that every figure was measured
# (a number on each line), not the goals: the figures of a loaded CI box mean nothing.
# Usage: smoke_bench_agent.sh FOTA VSTM32 [IMAGE_BYTES]
set -u
out=$(bash "$(dirname "$0")/bench_agent.sh" "$1" "$2" "${3:-98304}" 2>&1)
code=$?
echo "$out"
[ $code -eq 0 ] || { echo "FAIL bench_agent.sh exited $code"; exit 1; }
fails=0
expect() {  # expect NAME REGEX: one output line matches REGEX
  if echo "$out" | grep -Eq "$2"; then echo "PASS $1"; else echo "FAIL $1 ($2)"; fails=$((fails + 1)); fi
}
num='[0-9]+(\.[0-9]+)?'
expect "fota flash time" "^fota flash \(local files\) +$num s$"
expect "agent time and ratio" "^fota agent \(MQTT \+ HTTP\) +$num s += $num x fota flash"
expect "peak RSS" "^agent peak RSS +$num MB"
expect "uncut update" "^uncut update +[1-9][0-9]* bytes written \([1-9][0-9]* programmed into the slot\), [1-9][0-9]* downloaded"
expect "network cut" "^cut at 50 % \(network\) +[1-9][0-9]* written, [1-9][0-9]* downloaded: extra -?$num % written"
expect "SIGKILL resume" "^SIGKILL at 50 % \+ restart +killed at >= [1-9][0-9]*, resumed at [1-9][0-9]*; both runs: [1-9][0-9]* written, [1-9][0-9]* downloaded: extra -?$num % written"
[ $fails -eq 0 ]
