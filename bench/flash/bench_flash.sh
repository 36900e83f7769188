#!/bin/bash
# `fota flash` vs `stm32flash -w -v` vs the physical limit, on vstm32 in realistic timing
# (115200 baud 8E1 paced to the wall clock, DS8626 typical erase/program times), 384 KB image.
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
start() {
  rm -f "$T/tty" "$T/ctl"; "$VSTM32" flash-image create --force "$T/flash.bin" > /dev/null
  "$VSTM32" run --flash "$T/flash.bin" --uart "$T/tty" --control "$T/ctl" --timing realistic $1 > "$T/v.log" 2>&1 &
  VPID=$!
  for _ in $(seq 200); do [ -S "$T/ctl" ] && [ -e "$T/tty" ] && return; sleep 0.05; done; echo "vstm32 did not start"; exit 1
}
stop() { "$VSTM32" ctl --control "$T/ctl" quit > /dev/null; wait $VPID 2>/dev/null || true; VPID=""; }
now() { date +%s.%N; }

start ""
t0=$(now); "$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --release "$T/rel" --slot B --no-wait --quiet; t1=$(now)
fota_s=$(echo "$t1 - $t0" | bc -l)
t0=$(now); "$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --release "$T/rel" --slot B --no-wait --quiet --verify=readback; t1=$(now)
fota_rb_s=$(echo "$t1 - $t0" | bc -l)
t0=$(now); "$FOTA" flash --port "$T/tty" --pins "vstm32:$T/ctl" --release "$T/rel" --slot B --no-wait --quiet --pipeline; t1=$(now)
fota_pl_s=$(echo "$t1 - $t0" | bc -l)
stop
start "--boot0"
for _ in $(seq 200); do [[ "$("$VSTM32" ctl --control "$T/ctl" status)" =~ rom=(wait-sync|command) ]] && break; sleep 0.05; done
t0=$(now); LD_PRELOAD="$SHIM" stm32flash -b $BAUD -w "$IMG" -v -S 0x08080000 "$T/tty" > "$T/stm32flash.log" 2>&1 || { echo "stm32flash failed:"; tail -5 "$T/stm32flash.log"; exit 1; }; t1=$(now)
st_s=$(echo "$t1 - $t0" | bc -l)
stop
# Physical limit: image bytes on the wire at 11 bits per 8E1 byte + DS8626 typical x32 erase of
# the sectors used (128 KB: 1 s each).
sectors=$(( (BYTES + 131071) / 131072 ))
limit_s=$(echo "$BYTES * 11 / $BAUD + $sectors * 1.0" | bc -l)
printf 'image %d bytes, 115200 8E1, realistic timing\n' "$BYTES"
printf 'physical limit            %7.2f s (wire %.2f s + %d x 1 s erase at x32)\n' "$limit_s" "$(echo "$BYTES*11/$BAUD" | bc -l)" "$sectors"
printf 'fota flash                %7.2f s  = %.3f x limit, %.3f x stm32flash\n' "$fota_s" "$(echo "$fota_s/$limit_s" | bc -l)" "$(echo "$fota_s/$st_s" | bc -l)"
printf 'fota flash --pipeline     %7.2f s  = %.3f x limit, %.3f x stm32flash\n' "$fota_pl_s" "$(echo "$fota_pl_s/$limit_s" | bc -l)" "$(echo "$fota_pl_s/$st_s" | bc -l)"
printf 'fota flash --verify=readback %4.2f s  = %.3f x stm32flash\n' "$fota_rb_s" "$(echo "$fota_rb_s/$st_s" | bc -l)"
printf 'stm32flash -w -v          %7.2f s  = %.3f x limit\n' "$st_s" "$(echo "$st_s/$limit_s" | bc -l)"
