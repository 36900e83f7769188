#!/usr/bin/env bash
# The main job: builds everything and packs the demo release (later: the full update demo on the
# virtual STM32F407).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset release
cmake --build --preset release
echo "demo: packing the demo application release"
