#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `fota release` of a release whose images are IMAGE_BYTES each (default 393216 = 384 KB, a full
# slot; two images) to the local S3 server + Mosquitto: wall time of the command and where it
# goes (signing + verification, broker connect, each upload, each publish), from its --json
# summary. Goal (issue 12): <= 2 s. Each round releases a new version (nothing is skipped as
# unchanged). Prints the load average: the machine is shared.
# usage: bench_release.sh FOTA [IMAGE_BYTES] [ROUNDS]
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../../tests/lib/servers.sh"  # and harness.sh
harness_start fota-bench-release FOTA -- "$@"
BYTES="${2:-393216}"
ROUNDS="${3:-3}"
servers_init "$T"
start_s3 fota && start_mosquitto || exit 1
python3 "$HERE/../../tests/flash/make_app.py" A $((BYTES - 512)) 7 "$T/a.bin"
python3 "$HERE/../../tests/flash/make_app.py" B $((BYTES - 512)) 7 "$T/b.bin"
"$FOTA" keygen --out "$T/bench" > /dev/null || exit 1
echo "fota release: 2 images x $BYTES bytes, S3 $S3_ENDPOINT, MQTT $MQTT_URL; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  "$FOTA" pack --app-a "$T/a.bin" --app-b "$T/b.bin" --version "2.0.$round" --product bench \
    --name bench --out "$T/rel$round" > /dev/null || exit 1
  start_ns=$(date +%s%N)
  "$FOTA" release --dir "$T/rel$round" --sign "$T/bench.key" --endpoint "$S3_ENDPOINT" --bucket fota \
    --url-base http://downloads.invalid --mqtt "$MQTT_URL" --json > "$T/out$round.json" || {
    echo "release failed"
    exit 1
  }
  wall_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
  python3 - "$T/out$round.json" "$wall_ms" "$round" << 'PY'
import json, sys
summary = [json.loads(l) for l in open(sys.argv[1]) if '"summary"' in l][0]
t = summary["timings_ms"]
print(f"round {sys.argv[3]}: wall {int(sys.argv[2])} ms (process start to exit), in-process {summary['total_ms']:.1f} ms, {summary['bytes']} bytes uploaded")
for name, ms in t.items():
    print(f"  {name:55s} {ms:8.1f} ms")
PY
done
