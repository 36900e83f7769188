#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a command with test servers started on 127.0.0.1, and stops them afterwards (whatever the
# command's outcome). For GoogleTest binaries and other programs that cannot source servers.sh.
#
#   with_servers.sh [--s3 BUCKET] [--mqtt] [--mqtts USER:PASSWORD] [--nginx-s3 BUCKET] [--nginx]
#                   -- CMD...
#
# The command sees: S3_ENDPOINT S3_VHOST_ENDPOINT S3_DIR AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
# AWS_REGION, MQTT_URL, MQTTS_URL MQTT_CA MQTT_OTHER_CA MQTT_CLIENT_CERT MQTT_CLIENT_KEY,
# NGINX_URL (with --nginx: serving the directory NGINX_ROOT, empty at the start), and SERVERS_DIR. Exit status: the command's (or 3 when a server did not start).
set -u
source "$(dirname "$0")/servers.sh"
T=$(mktemp -d /tmp/fota-servers.XXXXXX)
SERVERS_CLEANUP_DIR="$T"
servers_init "$T"
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    --s3) start_s3 "$2" || exit 3; shift ;;
    --mqtt) start_mosquitto || exit 3 ;;
    --mqtts) start_mosquitto --tls --user "$2" || exit 3; shift ;;
    --nginx-s3) start_nginx --s3 "$2" || exit 3; shift ;;
    --nginx) NGINX_ROOT="$T/www" && mkdir -p "$NGINX_ROOT" && { start_nginx "$NGINX_ROOT" || exit 3; } ;;
    *) echo "with_servers.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "${1:-}" = "--" ] && shift
export S3_ENDPOINT="${S3_ENDPOINT:-}" S3_VHOST_ENDPOINT="${S3_VHOST_ENDPOINT:-}" S3_DIR="${S3_DIR:-}"
export MQTT_URL="${MQTT_URL:-}" MQTTS_URL="${MQTTS_URL:-}" MQTT_CA="${MQTT_CA:-}"
export MQTT_OTHER_CA="${MQTT_OTHER_CA:-}" MQTT_CLIENT_CERT="${MQTT_CLIENT_CERT:-}"
export MQTT_CLIENT_KEY="${MQTT_CLIENT_KEY:-}" NGINX_URL="${NGINX_URL:-}" SERVERS_DIR
export NGINX_ROOT="${NGINX_ROOT:-}"
"$@"
