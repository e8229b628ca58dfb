#!/usr/bin/env bash
# Installs every package edgeq's build, tests, model export and benchmarks need (Debian
# 12 packages and the pinned npm packages of bench/node), then configures and builds a
# Release build into build/ (binaries in build/bin/). Safe to run again: it installs only
# what is missing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libdnnl-dev ocl-icd-opencl-dev                    # kernels (oneDNN; its CMake config wants OpenCL)
  libonnx-dev libprotobuf-dev protobuf-compiler     # ONNX frontend
  libflatbuffers-dev flatbuffers-compiler           # the .bin model file
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev   # configs, command lines, JSON
  libgtest-dev libgmock-dev                         # tests
  graphviz                                          # pictures (edgeq perf)
  chromium                                          # headless check of edgeq perf's HTML report
  libonnx-testdata                                  # ONNX operator conformance tests
  python3 python3-numpy python3-onnx python3-torch python3-torchvision  # test model export
  dataset-fashion-mnist                             # real data for accuracy tests
)
# Node.js runs ONNX Runtime (onnxruntime-node) for cross-checks and benchmarks; a machine
# may already have its own Node.js (with npm), which conflicts with Debian's npm package.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime for Node.js carries its CPU library in the npm package; its install script
# would also fetch optional GPU files, which we skip.
if [ ! -f bench/node/node_modules/onnxruntime-node/package.json ]; then
  echo "setup: installing bench/node npm packages"
  (cd bench/node && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund)
fi

BUILD_DIR=${EDGEQ_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
echo "setup: built into $BUILD_DIR/ (binaries in $BUILD_DIR/bin/)"
