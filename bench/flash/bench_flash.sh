#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `fota flash` (pipelined, the default; --no-pipeline; --verify=readback) vs `stm32flash -w -v` vs
# the physical limit, on vstm32 in realistic timing (115200 baud 8E1 paced to the wall clock,
# DS8626 typical erase/program times), 384 KB image. Goals (issue 6): fota flash <= 1.12 x the
# limit and <= 0.6 x stm32flash; --verify=readback no slower than stm32flash. Wall-clock paced:
# run it on an otherwise idle machine (the load average is printed).
# Usage: bench_flash.sh FOTA VSTM32 PARITY_SHIM_SO [IMAGE_BYTES]
set -eu
FOTA=$1; VSTM32=$2; SHIM=$3; BYTES=${4:-393216}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/fota-bench-flash.XXXXXX)
VPID=""
trap '[ -n "$VPID" ] && kill $VPID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
BAUD=115200
python3 "$HERE/../../tests/flash/make_app.py" A $((BYTES - 512)) 7 "$T/app-A.bin"
python3 "$HERE/../../tests/flash/make_app.py" B $((BYTES - 512)) 7 "$T/app-B.bin"
"$FOTA" pack --app-a "$T/app-A.bin" --app-b "$T/app-B.bin" --version 2.0.0 --product bench --name bench --out "$T/rel" > /dev/null
IMG="$T/rel/bench-2.0.0-B.img"
# A small release for the untimed first update: a device in the field has a boot log, a blank
# flash image does not (the first append erases both log sectors, ~1.3 s nobody pays twice).
python3 "$HERE/../../tests/flash/make_app.py" A 4096 8 "$T/warm-A.bin"
python3 "$HERE/../../tests/flash/make_app.py" B 4096 8 "$T/warm-B.bin"
"$FOTA" pack --app-a "$T/warm-A.bin" --app-b "$T/warm-B.bin" --version 1.0.0 --product bench --name warm --out "$T/warm" > /dev/null
start() {
  rm -f "$T/tty" "$T/ctl"; "$VSTM32" flash-image create --force "$T/flash.bin" > /dev/null
  "$VSTM32" run --flash "$T/flash.bin" --uart "$T/tty" --control "$T/ctl" --timing realistic $1 > "$T/v.log" 2>&1 &
  VPID=$!
  for _ in $(seq 200); do [ -S "$T/ctl" ] && [ -e "$T/tty" ] && return; sleep 0.05; done; echo "vstm32 did not start"; exit 1
}
stop() { "$VSTM32" ctl --control "$T/ctl" quit > /dev/null; wait $VPID 2>/dev/null || true; VPID=""; }
now() { date +%s.%N; }

start ""
flash() { "$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --slot B --no-wait --quiet "$@"; }
flash --release "$T/warm"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(now); flash --release "$T/rel"; t1=$(now)
fota_s=$(echo "$t1 - $t0" | bc -l)
t0=$(now); flash --release "$T/rel" --no-pipeline; t1=$(now)
fota_np_s=$(echo "$t1 - $t0" | bc -l)
t0=$(now); flash --release "$T/rel" --verify=readback; t1=$(now)
fota_rb_s=$(echo "$t1 - $t0" | bc -l)
stop
start "--boot0"
rom_ready() { [[ "$("$VSTM32" ctl --control "$T/ctl" status)" =~ rom=(wait-sync|command) ]]; }
for _ in $(seq 200); do rom_ready && break; sleep 0.05; done
rom_ready || { echo "bench_flash: the ROM bootloader did not come up within 10 s"; exit 1; }
t0=$(now); LD_PRELOAD="$SHIM" stm32flash -b $BAUD -w "$IMG" -v -S 0x08080000 "$T/tty" > "$T/stm32flash.log" 2>&1 || { echo "stm32flash failed:"; tail -5 "$T/stm32flash.log"; exit 1; }; t1=$(now)
st_s=$(echo "$t1 - $t0" | bc -l)
stop
# Physical limit: image bytes on the wire at 11 bits per 8E1 byte + DS8626 typical x32 erase of
# the sectors used (128 KB: 1 s each).
sectors=$(( (BYTES + 131071) / 131072 ))
limit_s=$(echo "$BYTES * 11 / $BAUD + $sectors * 1.0" | bc -l)
r() { printf '%.3f' "$(echo "$1 / $2" | bc -l)"; }
printf 'image %d bytes, 115200 8E1, realistic timing (load average %s before, %s after)\n' "$BYTES" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'physical limit               %7.2f s  (wire %.2f s + %d x 1 s erase at x32)\n' "$limit_s" "$(echo "$BYTES*11/$BAUD" | bc -l)" "$sectors"
printf 'fota flash                   %7.2f s  = %s x limit, %s x stm32flash\n' "$fota_s" "$(r "$fota_s" "$limit_s")" "$(r "$fota_s" "$st_s")"
printf 'fota flash --no-pipeline     %7.2f s  = %s x limit, %s x stm32flash\n' "$fota_np_s" "$(r "$fota_np_s" "$limit_s")" "$(r "$fota_np_s" "$st_s")"
printf 'fota flash --verify=readback %7.2f s  = %s x limit, %s x stm32flash\n' "$fota_rb_s" "$(r "$fota_rb_s" "$limit_s")" "$(r "$fota_rb_s" "$st_s")"
printf 'stm32flash -w -v             %7.2f s  = %s x limit\n' "$st_s" "$(r "$st_s" "$limit_s")"
