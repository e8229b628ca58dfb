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

# ctest runs two tests at once on a 2-core machine: OpenMP threads that spin while
# waiting would starve the other test, so they sleep instead.
export OMP_WAIT_POLICY=PASSIVE

(cd build-runtime && ctest --output-on-failure -j "$(nproc)")

echo "== runtime tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
# The board side (base, kernels, format, runtime) built with -fsanitize=address,undefined;
# every test labelled `runtime` runs there. UBSan findings abort (no recovery), so any
# finding fails the run. oneDNN is Debian's uninstrumented library: ASan checks our
# code's accesses around it, and its JIT kernels run as usual.
# -O1 -g1 (line tables for the reports) compiles in about half the time of -O2 -g, and
# the tests still run in seconds.
asan_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
           -DEDGEQ_RUNTIME_ONLY=ON -DEDGEQ_SANITIZE=address,undefined
           -DCMAKE_CXX_FLAGS=-fno-sanitize-recover=all)
if command -v ccache >/dev/null 2>&1; then
  asan_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if [ ! -f build-asan/build.ninja ]; then
  cmake -S . -B build-asan -G Ninja "${asan_args[@]}"
fi
cmake --build build-asan -j "$(nproc)"
(
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  cd build-asan && ctest -L runtime --output-on-failure -j "$(nproc)"
)

echo "== full test suite =="
# edgeq_model_exec of the full build links only the runtime too.
if [ -f build/bin/edgeq_model_exec ]; then
  scripts/check_runtime_deps.sh build bin/edgeq_model_exec
fi
mkdir -p build/reports
cd build
ctest --output-on-failure -j "$(nproc)"
