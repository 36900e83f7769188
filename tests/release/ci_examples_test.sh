#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the shell steps of examples/ci/Jenkinsfile and .github/workflows/release.yml, as written,
# with their environment pointed at local servers (S3 server, Mosquitto with a password, nginx in
# front of the bucket): the examples cannot rot. The secrets are a key made here and the test
# servers' credentials; the firmware tree is the one the build made (its build step re-runs
# cmake on it).
# usage: ci_examples_test.sh FOTA FIRMWARE_DIR
set -u
FOTA="$1"
FIRMWARE="$2"
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$(cd "$HERE/../.." && pwd)"
T=$(mktemp -d /tmp/fota-ci-test.XXXXXX)
SERVERS_CLEANUP_DIR="$T"
source "$HERE/../lib/harness.sh"
source "$HERE/../lib/servers.sh"
servers_init "$T"
start_s3 releases && start_mosquitto --tls --user jenkins:pw && start_nginx --s3 releases || exit 1

"$FOTA" keygen --out "$T/release" > /dev/null || exit 1
export PATH="$(dirname "$FOTA"):$PATH"
# What the CI systems provide, pointed at the local servers.
common_env() {
  export FIRMWARE_DIR="$FIRMWARE" FOTA_PUBLIC_KEY="$T/release.pub"
  export FOTA_S3_ENDPOINT="$S3_ENDPOINT" FOTA_S3_BUCKET=releases FOTA_S3_PREFIX=fota AWS_REGION=us-east-1
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
  export FOTA_URL_BASE="$NGINX_URL" FOTA_MQTT_URL="$MQTTS_URL" FOTA_MQTT_CA="$MQTT_CA"
  export FOTA_MQTT_USER=jenkins FOTA_MQTT_PASSWORD=pw PRODUCT=stm32f407-demo
}

# run_steps NAME DIR: each extracted step in a clean shell (bash -e, as both CI systems do).
run_steps() {
  local step ok=0
  for step in "$2"/*.sh; do
    echo "--- $1: $(basename "$step")"
    (cd "$SRC" && bash -e "$step") > "$T/$1-$(basename "$step").log" 2>&1 || {
      echo "step failed:"
      tail -20 "$T/$1-$(basename "$step").log"
      ok=1
      break
    }
  done
  return $ok
}
sub() { mosquitto_sub -h 127.0.0.1 -p "$MQTTS_PORT" --cafile "$MQTT_CA" -u jenkins -P pw -t "$1" -C 1 -W 2 -N 2> /dev/null; }

# Jenkins: parameters VERSION/CHANNEL, BUILD_NUMBER, the secret file credential.
python3 "$HERE/extract_ci_steps.py" jenkins "$SRC/examples/ci/Jenkinsfile" "$T/jenkins" > /dev/null
check "Jenkinsfile has its three shell steps" '[ "$(ls "$T/jenkins" | wc -l)" = 3 ]'
cp "$T/release.key" "$T/jenkins-secret-file" && chmod 600 "$T/jenkins-secret-file"
(
  common_env
  export VERSION=2.0.0 CHANNEL=beta BUILD_NUMBER=41 RELEASE_DIR="$T/jenkins-out"
  export FOTA_SIGNING_KEY="$T/jenkins-secret-file"
  run_steps jenkins "$T/jenkins"
)
check "Jenkinsfile steps run against the local servers" '[ $? = 0 ]'
check "Jenkins: release uploaded to the bucket" '[ -f "$S3_DIR/releases/fota/stm32f407-demo/beta/manifest.json._S3rver_object" ]'
sub fota/stm32f407-demo/beta/release > "$T/jenkins-msg.json"
check "Jenkins: retained release message verifies" '"$FOTA" verify --key "$T/release.pub" "$T/jenkins-msg.json" > /dev/null 2>&1'
check "Jenkins: build number 41 in the manifest" 'grep -q "\"build\": 41" "$T/jenkins-msg.json"'

# GitHub Actions: a tag v2.1.0, run number, the key as a secret string.
python3 "$HERE/extract_ci_steps.py" github "$SRC/.github/workflows/release.yml" "$T/github" > /dev/null
check "release.yml has its build, pack and release steps" '[ "$(ls "$T/github" | wc -l)" = 3 ]'
mkdir -p "$T/runner"
(
  common_env
  export CHANNEL=beta GITHUB_REF_NAME=v2.1.0 BUILD_NUMBER=7 RUNNER_TEMP="$T/runner" RELEASE_DIR="$T/github-out"
  export FOTA_SIGNING_KEY_TEXT="$(cat "$T/release.key")"
  run_steps github "$T/github"
)
check "release.yml steps run against the local servers" '[ $? = 0 ]'
sub fota/stm32f407-demo/beta/release > "$T/github-msg.json"
check "GitHub: the channel now holds 2.1.0, verified" 'grep -q "\"version\": \"2.1.0\"" "$T/github-msg.json" && "$FOTA" verify --key "$T/release.pub" "$T/github-msg.json" > /dev/null 2>&1'
check "GitHub: the key written from the secret was removed" '[ ! -e "$T/runner/fota-signing.key" ]'
echo "$fails failure(s)"
[ "$fails" = 0 ]
