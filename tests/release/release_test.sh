#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fota keygen / pack --sign / verify / release / promote end to end, against the real servers
# (SigV4-checking S3 server, Mosquitto plain and TLS + password, nginx), and every bad input of
# the release pipeline: each check names what it proves.
# usage: release_test.sh FOTA [ARTIFACTS_DIR]
#   ARTIFACTS_DIR: the ARM build's artefacts: the demo v2 (demo-v2-A.elf, -B.elf) is what gets
#   released; without it, generated applications stand in.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../lib/servers.sh"  # and harness.sh
harness_start fota-release-test FOTA -- "$@"
ARTIFACTS="${2:-}"
servers_init "$T"

servers_up() {
  start_s3 fota && start_mosquitto && start_mosquitto --tls --user ci:s3cret && start_nginx --s3 fota
}
servers_up || exit 1

# Quietly run fota; stdout+stderr in $T/out.
RC=0
run() {
  "$FOTA" "$@" > "$T/out" 2>&1
  RC=$?
}
has() { grep -qF -- "$1" "$T/out"; }
# The retained message on TOPIC (empty when none within 1 s): -N keeps the payload byte-exact.
retained() { mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t "$1" -C 1 -W 1 -N 2> /dev/null; }
object() { echo "$S3_DIR/fota/$1._S3rver_object"; }

S3="--endpoint $S3_ENDPOINT --bucket fota --prefix fw"
MQ="--mqtt $MQTT_URL"

# --- Keys ------------------------------------------------------------------------------------
run keygen --out "$T/ci"
check "keygen writes NAME.key with mode 0600" '[ "$(stat -c %a "$T/ci.key")" = 600 ]'
check "keygen writes NAME.pub" '[ -s "$T/ci.pub" ] && has "key id:"'
key_md5=$(md5sum < "$T/ci.key")
run keygen --out "$T/ci"
check "keygen refuses to overwrite a key (exit 1, the key unchanged)" '[ $RC != 0 ] && has "already exists" && [ "$(md5sum < "$T/ci.key")" = "$key_md5" ]'
"$FOTA" keygen --out "$T/other" > /dev/null
cp "$T/ci.key" "$T/open.key" && chmod 644 "$T/open.key"

# --- Packing and verifying -------------------------------------------------------------------
python3 "$HERE/../flash/make_app.py" A 65536 7 "$T/a.bin"
python3 "$HERE/../flash/make_app.py" B 65536 7 "$T/b.bin"
APP_A="$T/a.bin" APP_B="$T/b.bin"
if [ -n "$ARTIFACTS" ] && [ -f "$ARTIFACTS/demo-v2-A.elf" ]; then
  APP_A="$ARTIFACTS/demo-v2-A.elf" APP_B="$ARTIFACTS/demo-v2-B.elf"
  echo "releasing the demo v2 firmware ($APP_A, $APP_B)"
fi
python3 "$HERE/../flash/make_app.py" A 65536 8 "$T/a3.bin"
python3 "$HERE/../flash/make_app.py" B 65536 8 "$T/b3.bin"
pack() {  # pack VERSION OUT [extra...]
  local v="$1" out="$2"
  shift 2
  "$FOTA" pack --app-a "$APP_A" --app-b "$APP_B" --version "$v" --product demo --name demo \
    --out "$out" "$@" > /dev/null
}
pack 2.0.0 "$T/v2" --sign "$T/ci.key"
run verify --key "$T/ci.pub" "$T/v2"
check "pack --sign: verify accepts the signed release" 'has "OK demo 2.0.0"'
run pack --app-a "$T/a.bin" --app-b "$T/b.bin" --version 2.0.0 --out "$T/x" --sign "$T/open.key"
check "pack refuses a private key readable by others" 'has "readable by others (mode 0644)"'
# Independent check of the manifest signature scheme with openssl (not libsodium): the
# signature over manifest.json with its 128 signature digits set to '0'.
python3 - "$T/v2/manifest.json" "$T/ci.pub" "$T/zeroed.json" "$T/sig.bin" "$T/pub.der" << 'PY'
import re, sys
text = open(sys.argv[1], "rb").read()
m = re.search(rb'"signature": "([0-9a-f]{128})"', text)
open(sys.argv[3], "wb").write(text[:m.start(1)] + b"0" * 128 + text[m.end(1):])
open(sys.argv[4], "wb").write(bytes.fromhex(m.group(1).decode()))
pub = open(sys.argv[2]).read().split()[1]
open(sys.argv[5], "wb").write(bytes.fromhex("302a300506032b6570032100" + pub))
PY
check "openssl verifies the manifest signature (zeroed-signature scheme)" \
  'openssl pkeyutl -verify -pubin -keyform DER -inkey "$T/pub.der" -rawin -in "$T/zeroed.json" -sigfile "$T/sig.bin" > /dev/null 2>&1'
pack 2.0.0 "$T/unsigned"
run verify --key "$T/ci.pub" "$T/unsigned"
check "verify refuses an unsigned release" 'has "the release is not signed"'
run verify --key "$T/other.pub" "$T/v2"
check "verify refuses another key (key id mismatch)" 'has "signed by key id" && has "not by the given key"'
run verify --key "$T/ci.pub" --product other "$T/v2"
check "verify refuses a release for the wrong product" 'has "release for product \"demo\", expected \"other\""'

tamper() {  # tamper DIR FILE OFFSET: copy DIR to $T/t and flip bit 0 of FILE at OFFSET
  rm -rf "$T/t" && cp -r "$1" "$T/t"
  python3 -c "import sys; p=sys.argv[1]; o=int(sys.argv[2]); b=bytearray(open(p,'rb').read()); b[o]^=1; open(p,'wb').write(b)" "$T/t/$2" "$3"
}
tamper "$T/v2" demo-2.0.0-B.img 4000
run verify --key "$T/ci.pub" "$T/t"
check "verify: one bit flipped in a payload is refused" 'has "demo-2.0.0-B.img: CRC-32 differs"'
tamper "$T/v2" demo-2.0.0-A.img 21
run verify --key "$T/ci.pub" "$T/t"
check "verify: one bit flipped in a header is refused" 'has "demo-2.0.0-A.img: CRC-32 differs"'
# A header re-signed by nobody: the version changed and every checksum fixed up, the signature kept.
python3 - "$T/v2" "$T/t2" << 'PY'
import hashlib, json, shutil, struct, sys, zlib
src, dst = sys.argv[1], sys.argv[2]
shutil.copytree(src, dst)
p = dst + "/demo-2.0.0-A.img"
b = bytearray(open(p, "rb").read())
b[24] ^= 1  # build number: inside the signed bytes
struct.pack_into("<I", b, 508, zlib.crc32(bytes(b[:508])))
open(p, "wb").write(b)
text = open(dst + "/manifest.json").read()
m = json.loads(text)
old = m["slots"]["A"]
text = text.replace(old["crc32"], "0x%08x" % zlib.crc32(bytes(b))).replace(old["sha256"], hashlib.sha256(bytes(b)).hexdigest())
open(dst + "/manifest.json", "w").write(text)
PY
run verify --key "$T/ci.pub" "$T/t2"
check "verify: a header altered with its checksums fixed up is refused" '[ $RC != 0 ] && (has "differs from the manifest" || has "signature does not verify")'
rm -rf "$T/t" && cp -r "$T/v2" "$T/t"
sed -i 's/"build": 0/"build": 1/' "$T/t/manifest.json"
run verify --key "$T/ci.pub" "$T/t"
check "verify: one bit flipped in the manifest is refused" 'has "differs from the manifest" || has "signature does not verify"'
rm -rf "$T/t" && cp -r "$T/v2" "$T/t"
sed -i 's/"created": "\(....\)/"created": "1999/' "$T/t/manifest.json"
run verify --key "$T/ci.pub" "$T/t"
check "verify: an altered manifest date fails the manifest signature" 'has "manifest.json: signature does not verify"'

# --- Release, end to end -------------------------------------------------------------------
run release --dir "$T/v2" --sign "$T/ci.key" $S3 --url-base "$NGINX_URL" $MQ --legacy-topic /firmware/demo
check "release succeeds (exit 0)" '[ $RC = 0 ]'
check "release uploads images, versioned manifest, channel pointer" \
  '[ -f "$(object fw/demo/2.0.0/demo-2.0.0-A.img)" ] && [ -f "$(object fw/demo/2.0.0/demo-2.0.0-B.img)" ] && [ -f "$(object fw/demo/2.0.0/manifest.json)" ] && [ -f "$(object fw/demo/stable/manifest.json)" ]'
check "release prints a summary with URLs and message ids" 'has "summary: 4 objects" && has "topic fota/demo/stable/release: message id"'
curl -sf "$NGINX_URL/fw/demo/2.0.0/demo-2.0.0-B.img" -o "$T/b-nginx.img"
check "image fetched back through nginx is byte-exact" 'cmp -s "$T/b-nginx.img" "$T/v2/demo-2.0.0-B.img"'
curl -sf -r 0-511 "$NGINX_URL/fw/demo/2.0.0/demo-2.0.0-B.img" -o "$T/hdr.bin"
check "nginx serves a Range (the header first)" 'cmp -s "$T/hdr.bin" <(head -c 512 "$T/v2/demo-2.0.0-B.img")'
retained fota/demo/stable/release > "$T/msg.json"
run verify --key "$T/ci.pub" "$T/msg.json"
check "the retained MQTT message verifies (images fetched from its URLs)" 'has "OK demo 2.0.0"'
check "the retained message is the uploaded manifest, byte for byte" 'cmp -s "$T/msg.json" "$(object fw/demo/stable/manifest.json)"'
retained /firmware/demo > "$T/legacy.json"
check "legacy message has the seed 000 shape {url, crc}" \
  'python3 -c "import json,sys; m=json.load(open(sys.argv[1])); assert sorted(m)==[\"crc\",\"url\"] and isinstance(m[\"crc\"],str) and m[\"url\"].endswith(\"demo-2.0.0-A.img\")" "$T/legacy.json"'
run verify --key "$T/ci.pub" "$NGINX_URL/fw/demo/2.0.0/"
check "verify a release by URL (nginx)" 'has "OK demo 2.0.0"'

run release --dir "$T/v2" --sign "$T/ci.key" $S3 --url-base "$NGINX_URL" $MQ
check "re-running a release is idempotent (objects unchanged)" 'has "unchanged fw/demo/2.0.0/demo-2.0.0-A.img" && has "summary: 4 objects, 0 bytes"'

run release --dir "$T/v2" --sign "$T/ci.key" $S3 --channel presigned --presign 600 --json
check "release with presigned URLs, --json summary" 'grep -q "\"event\":\"summary\"" "$T/out"'
URL_B=$(python3 -c "import json,sys; [print(json.loads(l)['urls']['B']) for l in open(sys.argv[1]) if '\"summary\"' in l]" "$T/out")
curl -sf "$URL_B" -o "$T/b-presigned.img"
check "image fetched back through its presigned URL is byte-exact" 'cmp -s "$T/b-presigned.img" "$T/v2/demo-2.0.0-B.img"'
curl -s -o /dev/null -w "%{http_code}" "${URL_B/demo-2.0.0-B.img/demo-2.0.0-A.img}" > "$T/code"
check "a presigned URL does not open another object" '[ "$(cat "$T/code")" = 403 ]'

AWS_SHARED_CREDENTIALS_FILE="$T/aws-credentials"
printf '[default]\naws_access_key_id = nobody\naws_secret_access_key = x\n[fota-ci]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' > "$AWS_SHARED_CREDENTIALS_FILE"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE="$AWS_SHARED_CREDENTIALS_FILE" \
  "$FOTA" release --dir "$T/v2" --sign "$T/ci.key" $S3 --channel profile --profile fota-ci > "$T/out" 2>&1
check "credentials from the shared credentials file and a profile" 'has "summary: 4 objects"'

# --- Versions and promotion -------------------------------------------------------------------
pack 1.0.0 "$T/v1" --sign "$T/ci.key"
run release --dir "$T/v1" --sign "$T/ci.key" $S3 $MQ
check "an older version is refused on the channel" 'has "version 1.0.0 build 0 is older than 2.0.0 build 0 which channel stable holds"'
check "... and nothing of it was uploaded" '[ ! -e "$(object fw/demo/1.0.0/manifest.json)" ]'
"$FOTA" pack --app-a "$T/a3.bin" --app-b "$T/b3.bin" --version 2.0.0 --product demo --name demo --out "$T/v2b" --sign "$T/ci.key" > /dev/null
run release --dir "$T/v2b" --sign "$T/ci.key" $S3 $MQ
check "the same version with other images is refused" 'has "is not newer than 2.0.0 build 0" && has "--allow-same-version"'
run release --dir "$T/v1" --sign "$T/ci.key" $S3 --channel beta $MQ
check "release to channel beta" '[ $RC = 0 ] && grep -q "\"1.0.0\"" "$(object fw/demo/beta/manifest.json)"'
run release --dir "$T/v1" --sign "$T/ci.key" $S3 --channel stable --force
check "--force moves a channel back" '[ $RC = 0 ] && grep -q "\"1.0.0\"" "$(object fw/demo/stable/manifest.json)"'
pack 3.0.0 "$T/v3" --sign "$T/ci.key"
run release --dir "$T/v3" --sign "$T/ci.key" $S3 --channel beta $MQ
run promote --product demo --from beta --to stable 3.0.0 --key "$T/ci.pub" $S3 $MQ
check "promote beta -> stable" 'has "promoted demo 3.0.0 from beta to stable"'
check "promote copies the same signed bytes" 'cmp -s "$(object fw/demo/beta/manifest.json)" "$(object fw/demo/stable/manifest.json)"'
retained fota/demo/stable/release > "$T/stable.json"
check "promote publishes the release on the new channel" 'cmp -s "$T/stable.json" "$(object fw/demo/beta/manifest.json)"'
run promote --product demo --from beta --to stable 2.0.0 --key "$T/ci.pub" $S3
check "promote refuses a version the source channel does not hold" 'has "channel beta does not hold demo 2.0.0"'

# --- Bad input: nothing uploaded, nothing published ---------------------------------------------
nothing_for() {  # nothing_for CHANNEL: no pointer object and no retained message
  [ ! -e "$(object fw/demo/$1/manifest.json)" ] && [ -z "$(retained "fota/demo/$1/release")" ]
}
pack 4.0.0 "$T/v4" --sign "$T/ci.key"
AWS_SECRET_ACCESS_KEY=wrong "$FOTA" release --dir "$T/v4" --sign "$T/ci.key" $S3 --channel bad1 $MQ > "$T/out" 2>&1
check "wrong secret key: 403 SignatureDoesNotMatch named" 'has "read fw/demo/bad1/manifest.json: 403 SignatureDoesNotMatch"'
check "wrong secret key: nothing half-published" 'nothing_for bad1 && [ ! -e "$(object fw/demo/4.0.0/demo-4.0.0-A.img)" ]'
run release --dir "$T/v4" --sign "$T/ci.key" --endpoint "$S3_ENDPOINT" --bucket nope --channel bad2 $MQ
check "missing bucket is named" 'has "bucket \"nope\" does not exist"'
DEAD_PORT=$(free_port)
run release --dir "$T/v4" --sign "$T/ci.key" --endpoint "http://127.0.0.1:$DEAD_PORT" --bucket fota --channel bad3 $MQ
check "unreachable endpoint is named" "has \"127.0.0.1:$DEAD_PORT\" && has \"onnect\""
check "unreachable endpoint: nothing published" 'nothing_for bad3'
run release --dir "$T/v4" --sign "$T/ci.key" $S3 --channel bad4 --mqtt "$MQTTS_URL" --mqtt-ca "$MQTT_CA" --mqtt-user ci --mqtt-password wrong
check "broker refusing the password is named" 'has "connection refused"'
check "broker refusing the password: nothing uploaded" 'nothing_for bad4 && [ ! -e "$(object fw/demo/4.0.0/demo-4.0.0-A.img)" ]'
run release --dir "$T/v4" --sign "$T/ci.key" $S3 --channel bad5 --mqtt "$MQTTS_URL" --mqtt-ca "$MQTT_OTHER_CA" --mqtt-user ci --mqtt-password s3cret
check "TLS CA that does not match is named" 'has "cannot connect" && (has "certificate verify failed" || has "TLS")'
check "TLS CA mismatch: nothing uploaded" 'nothing_for bad5'
printf 's3cret\n' > "$T/mqtt.pw"
printf 'wrong\n' > "$T/wrong.pw"
MQS="--mqtt $MQTTS_URL --mqtt-ca $MQTT_CA --mqtt-user ci"
run release --dir "$T/v4" --sign "$T/ci.key" $S3 --channel tls $MQS --mqtt-password-file "$T/mqtt.pw" --mqtt-v5
check "release over mqtts with a password file and MQTT 5" 'has "published fota/demo/tls/release"'
run release --dir "$T/v4" --sign "$T/ci.key" $S3 --channel bad9 $MQS --mqtt-password-file "$T/no-such.pw"
check "an unreadable password file is named" '[ $RC != 0 ] && has "--mqtt-password-file: password file $T/no-such.pw: cannot be read"'
check "unreadable password file: nothing published" 'nothing_for bad9'
# fota status takes the same broker flags (and the agent configuration's names).
run status $MQS --mqtt-password-file "$T/mqtt.pw" --product demo --json --wait 0.2
check "status over mqtts with a password file" '[ $RC = 0 ]'
run status --broker "$MQTTS_URL" --ca-file "$MQTT_CA" --username ci --password-file "$T/wrong.pw" --product demo --wait 0.2
check "status: the broker refusing the password is named" '[ $RC != 0 ] && has "connection refused"'
FOTA_MQTT_URL="$MQTTS_URL" FOTA_MQTT_CA="$MQTT_CA" FOTA_MQTT_USER=ci FOTA_MQTT_PASSWORD=s3cret "$FOTA" status --product demo --json --wait 0.2 > "$T/out" 2>&1
RC=$?
check "status takes the broker from the environment" '[ $RC = 0 ]'
# --config: the agent configuration's [broker] (password file, CA), flags winning field by field.
cat > "$T/agent.toml" << TOML
state_dir = "$T/state"
[broker]
url = "$MQTTS_URL"
username = "ci"
password_file = "$T/mqtt.pw"
ca_file = "$MQTT_CA"
[release]
product = "demo"
public_keys = ["$(printf '0%.0s' $(seq 64))"]
allowed_url_prefixes = ["http://127.0.0.1/"]
[[device]]
port = "$T/tty"
TOML
run status --config "$T/agent.toml" --json --wait 0.2
check "status --config takes the file's broker, password file and CA" '[ $RC = 0 ]'
run status --config "$T/agent.toml" --mqtt-password-file "$T/wrong.pw" --json --wait 0.2
check "status --config: a flag wins over the file's field" '[ $RC != 0 ] && has "connection refused"'
run release --dir "$T/v2" --key "$T/other.pub" $S3 --channel bad6
check "key id mismatch on release" 'has "signed by key id"'
run release --dir "$T/v2" --sign "$T/ci.key" --product other $S3 --channel bad7
check "an image for the wrong product is refused" 'has "release for product \"demo\", not \"other\""'
run release --dir "$T/v2" --sign "$T/open.key" $S3 --channel bad8
check "release refuses a private key readable by others" 'has "readable by others"'
check "bad inputs published nothing" 'nothing_for bad6 && nothing_for bad7 && nothing_for bad8'

# --- Packing and releasing in one step (--app-a/--app-b/--version instead of --dir) ----------
ONE="--app-a $APP_A --app-b $APP_B --product demo --name demo"
mkdir -p "$T/tmp"
TMPDIR="$T/tmp" "$FOTA" release $ONE --version 6.0.0 --sign "$T/ci.key" $S3 --channel onestep $MQ > "$T/out" 2>&1
RC=$?
check "one step: packed, uploaded and published" '[ $RC = 0 ] && has "published fota/demo/onestep/release" && grep -q "\"6.0.0\"" "$(object fw/demo/onestep/manifest.json)"'
pack 6.0.0 "$T/v6" --sign "$T/ci.key"
check "one step: the images are those fota pack makes" 'cmp -s "$T/v6/demo-6.0.0-A.img" "$(object fw/demo/6.0.0/demo-6.0.0-A.img)" && cmp -s "$T/v6/demo-6.0.0-B.img" "$(object fw/demo/6.0.0/demo-6.0.0-B.img)"'
check "one step: its scratch directory is gone" '[ -z "$(ls -A "$T/tmp")" ]'
run release $ONE --version 6.0.1 $S3 --channel bad10 $MQ
check "one step without --sign is refused" '[ $RC != 0 ] && has "fota release: error: pack: packing here signs the release: give --sign NAME.key"'
run release $ONE --version 6.0.1 --dir "$T/v6" --sign "$T/ci.key" $S3 --channel bad11 $MQ
check "--dir with --app-a is refused" '[ $RC != 0 ] && has "give --dir DIR or --app-a/--app-b/--version, not both"'
run release --app-a "$APP_A" --version 6.0.1 --sign "$T/ci.key" $S3 --channel bad12 $MQ
check "--app-a without --app-b is refused" '[ $RC != 0 ] && has "--app-a, --app-b and --version go together"'
run release --app-a "$APP_A" --app-b "$APP_A" --version 6.0.1 --sign "$T/ci.key" $S3 --channel bad13 $MQ
check "a packing error is named (the same file for both slots)" '[ $RC != 0 ] && has "--app-a and --app-b are the same file"'
run release $S3 --channel bad14 $MQ
check "neither --dir nor --app-a is refused" '[ $RC != 0 ] && has "give --dir DIR (fota pack --out) or --app-a/--app-b/--version"'
check "one-step refusals published nothing" 'nothing_for bad10 && nothing_for bad11 && nothing_for bad12 && nothing_for bad13 && nothing_for bad14 && [ ! -e "$(object fw/demo/6.0.1/manifest.json)" ]'

# Interrupted upload: the S3 server dies when image B arrives.
server_kill "$S3_PID"
S3RVER_DIE_ON=demo-5.0.0-B.img start_s3 fota
S3="--endpoint $S3_ENDPOINT --bucket fota --prefix fw"
pack 5.0.0 "$T/v5" --sign "$T/ci.key"
run release --dir "$T/v5" --sign "$T/ci.key" $S3 --channel cut $MQ
check "interrupted upload fails naming the object" 'has "upload fw/demo/5.0.0/demo-5.0.0-B.img"'
check "interrupted upload: no manifest, no MQTT message" '[ ! -e "$(object fw/demo/5.0.0/manifest.json)" ] && nothing_for cut'

harness_cleanup_and_exit() {
  echo "$fails failure(s)"
  [ "$fails" = 0 ]
}
harness_cleanup_and_exit
