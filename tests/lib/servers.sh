# SPDX-License-Identifier: Apache-2.0
# Test servers for shell tests, all on 127.0.0.1 with free ports: Mosquitto (plain; TLS with a
# test CA made by openssl; password file), the SigV4-checking S3 server (@20minutes/s3rver) and
# nginx (Range, ETag; serves a directory or the S3 server's objects). Every server started here
# is stopped at exit by harness_cleanup (tests/lib/harness.sh), which servers_init installs as
# the EXIT trap: also when a test fails.
#
#   source tests/lib/servers.sh
#   servers_init "$T"                    # T: the test's temporary directory (made world-readable)
#   start_s3 fota                        # S3_ENDPOINT S3_PORT S3_DIR; AWS_* = S3RVER/S3RVER
#   start_mosquitto                      # MQTT_URL MQTT_PORT (anonymous)
#   start_mosquitto --tls --user u:pw    # MQTTS_URL MQTTS_PORT MQTT_CA MQTT_CLIENT_CERT/_KEY
#   start_nginx --s3 fota                # NGINX_URL: GET $NGINX_URL/<key> serves bucket objects
#   start_nginx DIR                      # NGINX_URL serves DIR
#
# Readiness is a condition polled with a bounded timeout (never a fixed sleep).
# tests/lib/with_servers.sh runs any command (e.g. a GoogleTest binary) with these variables.

SERVERS_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SERVERS_REPO_DIR="$(cd "$SERVERS_LIB_DIR/../.." && pwd)"
SERVER_PIDS=()
# Bounded polling (wait_for) and the clean-up at exit come from the test harness.
declare -F harness_cleanup > /dev/null || . "$SERVERS_LIB_DIR/harness.sh"

# A port that was free a moment ago (the kernel's choice).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

port_open() { (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }

servers_init() {
  SERVERS_DIR="$1/servers"
  mkdir -p "$SERVERS_DIR"
  # Mosquitto and nginx workers run as nobody when we are root: they must read these files.
  chmod 755 "$1" "$SERVERS_DIR"
  # harness_cleanup stops the servers (and whatever else the test started) and removes $T.
  trap harness_cleanup EXIT
  trap 'exit 130' INT TERM
}

# Stops every server started by this harness (SIGTERM, then SIGKILL after 5 s).
servers_stop() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2> /dev/null; done
  for pid in "${SERVER_PIDS[@]}"; do
    wait_for "! kill -0 $pid 2>/dev/null" 5 || kill -9 "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
  done
  SERVER_PIDS=()
  if [ -n "${SERVERS_CLEANUP_DIR:-}" ] && [ -z "${KEEP:-}" ]; then rm -rf "$SERVERS_CLEANUP_DIR"; fi
}

# server_forget PID: a server that is gone is no longer stopped at exit (its pid may be reused).
server_forget() {
  local p kept=()
  for p in "${SERVER_PIDS[@]}"; do [ "$p" != "$1" ] && kept+=("$p"); done
  SERVER_PIDS=("${kept[@]}")
}

# Stops one server by pid (e.g. to interrupt an upload).
server_kill() {
  kill -9 "$1" 2> /dev/null
  wait "$1" 2> /dev/null
  server_forget "$1"
}

# restart_mosquitto: the plain broker of start_mosquitto stopped, then started again with the
# same configuration (the same port, MQTT_URL); its output appended to mosquitto.restarts.
# Returns once the new broker listens (false when it did not start within 10 s).
restart_mosquitto() {
  local old=$MQTT_PID
  kill "$old"
  wait_for "! kill -0 $old 2> /dev/null" 10 || kill -9 "$old" 2> /dev/null
  wait "$old" 2> /dev/null
  server_forget "$old"
  ( as_nobody mosquitto -c "$SERVERS_DIR/mosquitto.conf" >> "$SERVERS_DIR/mosquitto.restarts" 2>&1 ) &
  MQTT_PID=$!
  SERVER_PIDS+=("$MQTT_PID")
  wait_for "port_open $MQTT_PORT || ! kill -0 $MQTT_PID 2>/dev/null" 10 && kill -0 "$MQTT_PID" 2> /dev/null
}

# Runs in a background subshell: exec, so that $! is the server's own pid.
as_nobody() {
  if [ "$(id -u)" = 0 ]; then
    exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
  else
    exec "$@"
  fi
}

# Test PKI: a CA, a server certificate for 127.0.0.1/localhost, a client certificate.
servers_make_certs() {
  local d="$SERVERS_DIR/pki"
  [ -f "$d/ca.crt" ] && return 0
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=fota test CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2> /dev/null || return 1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/server.key" \
    -out "$d/server.csr" 2> /dev/null || return 1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/server.ext" -out "$d/server.crt" 2> /dev/null || return 1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=fota-client" -keyout "$d/client.key" \
    -out "$d/client.csr" 2> /dev/null || return 1
  openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -out "$d/client.crt" 2> /dev/null || return 1
  # A second, unrelated CA: a client trusting it must refuse the broker.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
    -keyout "$d/other-ca.key" -out "$d/other-ca.crt" 2> /dev/null || return 1
  chmod 644 "$d"/*
  MQTT_CA="$d/ca.crt"
  MQTT_OTHER_CA="$d/other-ca.crt"
  MQTT_CLIENT_CERT="$d/client.crt"
  MQTT_CLIENT_KEY="$d/client.key"
}

# start_mosquitto [--tls] [--user NAME:PASSWORD]: anonymous plain listener, or a TLS listener
# (with --user: password file, no anonymous access).
start_mosquitto() {
  local tls="" user=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --tls) tls=1 ;;
      --user) user="$2"; shift ;;
      *) echo "start_mosquitto: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  local name="mosquitto${tls:+-tls}" port
  port=$(free_port)
  local conf="$SERVERS_DIR/$name.conf"
  {
    echo "persistence false"
    echo "log_dest file $SERVERS_DIR/$name.log"
    echo "listener $port 127.0.0.1"
    if [ -n "$user" ]; then
      mosquitto_passwd -c -b "$SERVERS_DIR/$name.passwd" "${user%%:*}" "${user#*:}" || return 1
      chmod 644 "$SERVERS_DIR/$name.passwd"
      echo "allow_anonymous false"
      echo "password_file $SERVERS_DIR/$name.passwd"
    else
      echo "allow_anonymous true"
    fi
    if [ -n "$tls" ]; then
      servers_make_certs || { echo "start_mosquitto: openssl failed" >&2; return 1; }
      echo "cafile $SERVERS_DIR/pki/ca.crt"
      echo "certfile $SERVERS_DIR/pki/server.crt"
      echo "keyfile $SERVERS_DIR/pki/server.key"
      echo "require_certificate false"
    fi
  } > "$conf"
  touch "$SERVERS_DIR/$name.log" && chmod 666 "$SERVERS_DIR/$name.log"
  as_nobody mosquitto -c "$conf" > "$SERVERS_DIR/$name.out" 2>&1 &
  local pid=$!
  SERVER_PIDS+=("$pid")
  if ! wait_for "port_open $port || ! kill -0 $pid 2>/dev/null" 10 || ! kill -0 "$pid" 2> /dev/null; then
    echo "mosquitto did not start:" >&2
    cat "$SERVERS_DIR/$name.out" "$SERVERS_DIR/$name.log" >&2
    return 1
  fi
  if [ -n "$tls" ]; then
    MQTTS_PORT=$port MQTTS_URL="mqtts://127.0.0.1:$port" MQTTS_PID=$pid
  else
    MQTT_PORT=$port MQTT_URL="mqtt://127.0.0.1:$port" MQTT_PID=$pid
  fi
}

# start_s3 [BUCKET...]: the S3 server with these buckets; credentials S3RVER/S3RVER.
start_s3() {
  S3_DIR="$SERVERS_DIR/s3"
  mkdir -p "$S3_DIR"
  chmod 755 "$S3_DIR"
  local ready="$SERVERS_DIR/s3.port"
  rm -f "$ready"
  node "$SERVERS_LIB_DIR/s3rver.js" "$S3_DIR" "$ready" "$@" > "$SERVERS_DIR/s3.out" 2>&1 &
  S3_PID=$!
  SERVER_PIDS+=("$S3_PID")
  if ! wait_for "[ -s '$ready' ] || ! kill -0 $S3_PID 2>/dev/null" 20 || [ ! -s "$ready" ]; then
    echo "s3rver did not start (run npm ci in $SERVERS_REPO_DIR):" >&2
    cat "$SERVERS_DIR/s3.out" >&2
    return 1
  fi
  S3_PORT=$(cat "$ready")
  S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  S3_VHOST_ENDPOINT="http://s3.localhost:$S3_PORT"  # <bucket>.s3.localhost resolves to 127.0.0.1
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
  unset AWS_SESSION_TOKEN AWS_PROFILE
}

# start_nginx DIR | --s3 BUCKET: static files with Range and ETag. With --s3, GET /<key> serves
# the object <key> of BUCKET from the running S3 server's store.
start_nginx() {
  local root location
  if [ "$1" = "--s3" ]; then
    root="$S3_DIR/$2"
    mkdir -p "$root"
    location='try_files $uri._S3rver_object =404;'
  else
    root="$(cd "$1" && pwd)"
    location='try_files $uri =404;'
  fi
  local d="$SERVERS_DIR/nginx" port
  mkdir -p "$d/tmp"
  port=$(free_port)
  cat > "$d/nginx.conf" << CONF
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
$([ "$(id -u)" = 0 ] && echo "user nobody nogroup;")
events { worker_connections 64; }
http {
  access_log $d/access.log;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$port;
    root $root;
    location / { $location }
  }
}
CONF
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" > "$d/out.log" 2>&1 &
  NGINX_PID=$!
  SERVER_PIDS+=("$NGINX_PID")
  if ! wait_for "port_open $port || ! kill -0 $NGINX_PID 2>/dev/null" 10 || ! kill -0 "$NGINX_PID" 2> /dev/null; then
    echo "nginx did not start:" >&2
    cat "$d/out.log" "$d/error.log" >&2
    return 1
  fi
  NGINX_PORT=$port
  NGINX_URL="http://127.0.0.1:$port"
}
