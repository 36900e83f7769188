#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs everything this project needs on Debian 12: host compilers, the ARM cross toolchain,
# libraries, test servers (apt) and @20minutes/s3rver (npm, pinned in package-lock.json).
# Idempotent and fast when everything is there; works as root or through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  cmake ninja-build clang libclang-rt-14-dev lld clang-format
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
  libunicorn-dev libcurl4-openssl-dev libmosquitto-dev libmosquittopp-dev libsodium-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libgpiod-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  mosquitto mosquitto-clients stm32flash socat qemu-system-arm nginx-light pv curl openssl
  libtomlplusplus-dev gdb-multiarch gcc-xtensa-lx106 time libcjson-dev
)

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: apt packages present"
fi

# Node.js and npm come with the machine image (Debian's npm conflicts with it: never apt-get it).
if ! command -v npm >/dev/null; then
  echo "setup: npm not found; install Node.js >= 20 (@20minutes/s3rver is needed by the end-to-end tests)" >&2
  exit 1
fi
if [ ! -f node_modules/@20minutes/s3rver/package.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci (@20minutes/s3rver)"
  npm ci --no-audit --no-fund --loglevel=error
else
  echo "setup: npm packages present"
fi
