#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sets up the machine, builds host tools + firmware (host preset: Debug, ASan/UBSan), and runs
# every test: unit, fuzz smoke, vstm32 with the real ARM binaries, peers (stm32flash, QEMU), e2e.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset host
cmake --build --preset host
ctest --preset host "$@"
