#!/usr/bin/env bash
# Fails if anything built in the runtime-only tree links a converter dependency.
set -euo pipefail
dir=${1:-build-runtime}
bad=0
for f in "$dir"/bin/* "$dir"/lib/*; do
  [ -f "$f" ] || continue
  if [[ "$f" == *.a ]]; then
    syms=$(nm -C --undefined-only "$f" 2>/dev/null | grep -E "onnx::|google::protobuf|YAML::" || true)
  else
    syms=$( (ldd "$f" 2>/dev/null || true) | grep -E "libonnx|libprotobuf|libyaml-cpp" || true)
  fi
  if [ -n "$syms" ]; then
    echo "runtime build: $f depends on a converter library:"; echo "$syms" | head -5; bad=1
  fi
done
[ $bad -eq 0 ] && echo "runtime build: no libonnx / protobuf / yaml-cpp dependency"
exit $bad
