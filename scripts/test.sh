#!/usr/bin/env bash
# The whole test suite: setup (installs and builds if needed), a runtime-only build that
# must link without libonnx/protobuf, then every test. Reports land in build/reports/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== runtime-only build (no libonnx, no protobuf) =="
if [ ! -f build-runtime/build.ninja ]; then
  cmake -S . -B build-runtime -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGEQ_RUNTIME_ONLY=ON
fi
cmake --build build-runtime -j "$(nproc)"
scripts/check_runtime_deps.sh build-runtime
(cd build-runtime && ctest --output-on-failure -j "$(nproc)")

# ctest runs two tests at once on a 2-core machine: OpenMP threads that spin while
# waiting would starve the other test, so they sleep instead.
export OMP_WAIT_POLICY=PASSIVE

echo "== full test suite =="
mkdir -p build/reports
cd build
ctest --output-on-failure -j "$(nproc)"
