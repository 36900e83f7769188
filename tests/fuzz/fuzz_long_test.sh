#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/fuzz-long.sh: finds every fuzzer the build registers, runs one for a second on a kept
# corpus, names what is wrong with its arguments, and fails naming the target and the crash input
# when a fuzzer crashes (a fake libFuzzer in a fake build tree, so that the real ones need not).
# Usage: fuzz_long_test.sh SCRIPT BUILD_DIR
source "$(dirname "$0")/../lib/harness.sh"
harness_start fuzz-long SCRIPT BUILD -- "$@"

run() {
  "$SCRIPT" "$@" > "$T/out" 2>&1
  code=$?
}
has() { grep -qF -- "$1" "$T/out"; }

# --- the real build tree: every fuzz smoke test is a target
run --list --build "$BUILD"
smokes=$(ctest --test-dir "$BUILD" -N -L fuzz | grep -c "fuzz_smoke\.")
check "--list names every fuzz smoke test's target ($smokes)" \
  '[ $code = 0 ] && [ "$(wc -l < "$T/out")" = "$smokes" ] && has fuzz_manifest && has fuzz_native_frames'

corpus="$T/work/fuzz-corpus/fuzz_meta_record"  # not the build tree's: a user's campaign stays
run --seconds 1 --no-build --build "$BUILD" --work "$T/work" fuzz_meta_record
check "one target for 1 s: no crash" '[ $code = 0 ] && has "fuzz_meta_record: ok" && has "1 target(s), 1s each, no crash"'
check "the corpus is kept for the next campaign" '[ "$(find "$corpus" -type f | wc -l)" -gt 0 ]'

run --seconds 1 --no-build --build "$BUILD" fuzz_nothing
check "an unknown target is named with the known ones" '[ $code = 2 ] && has "no fuzz target fuzz_nothing" && has "fuzz_status"'
run --seconds soon --build "$BUILD"
check "a bad --seconds is named" '[ $code = 2 ] && has "--seconds takes a whole number, not \"soon\""'
run --build "$T/nowhere"
check "a tree that is not configured is named" '[ $code = 2 ] && has "$T/nowhere is not a configured build tree"'
run --frobnicate
check "an unknown option is named" '[ $code = 2 ] && has "unknown option --frobnicate"'

# --- a fake tree whose fuzzer crashes on its first input, as libFuzzer reports it
mkdir -p "$T/fake"
cat > "$T/fake/crashing-fuzzer" << 'FUZZER'
#!/usr/bin/env bash
for arg; do case "$arg" in -artifact_prefix=*) prefix=${arg#-artifact_prefix=} ;; esac; done
printf 'boom' > "${prefix}crash-0123"
echo "==4242== ERROR: AddressSanitizer: heap-buffer-overflow"
exit 1
FUZZER
chmod +x "$T/fake/crashing-fuzzer"
cat > "$T/fake/CTestTestfile.cmake" << CTEST
add_test(fuzz_smoke.fake_fuzzer "$T/fake/crashing-fuzzer" "-runs=10" "-seed=1" "-max_len=64")
set_tests_properties(fuzz_smoke.fake_fuzzer PROPERTIES LABELS "fuzz")
CTEST
run --seconds 1 --no-build --build "$T/fake"
check "a crash fails the campaign (exit 1) naming the target" '[ $code = 1 ] && has "fake_fuzzer: FAILED" && has "1 target(s) failed: fake_fuzzer"'
check "the crash input is kept where the message says" '[ -f "$T/fake/fuzz-crashes/fake_fuzzer-crash-0123" ] && has "ERROR: AddressSanitizer"'
# A fuzzer that finds nothing new leaves the last campaign's crash input alone, and passes.
sed -i 's/^printf .*/true/; s/^echo .*//; s/^exit 1/exit 0/' "$T/fake/crashing-fuzzer"
run --seconds 1 --no-build --build "$T/fake"
check "a later clean campaign passes and keeps the earlier crash input" '[ $code = 0 ] && [ -f "$T/fake/fuzz-crashes/fake_fuzzer-crash-0123" ]'

echo "$fails failure(s)"
[ "$fails" = 0 ]
