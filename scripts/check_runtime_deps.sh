#!/usr/bin/env bash
# Fails if a runtime-side binary or library links a converter dependency (libonnx,
# protobuf, yaml-cpp).
#   scripts/check_runtime_deps.sh [DIR]             every file in DIR/bin and DIR/lib
#                                                   (a -DEDGEQ_RUNTIME_ONLY=ON tree)
#   scripts/check_runtime_deps.sh DIR FILE...       only these files under DIR, e.g.
#                                                   build bin/edgeq_model_exec (full tree)
set -euo pipefail
dir=${1:-build-runtime}
shift || true
if [ $# -gt 0 ]; then
  files=()
  for f in "$@"; do
    if [ ! -f "$dir/$f" ]; then echo "runtime build: $dir/$f does not exist"; exit 1; fi
    files+=("$dir/$f")
  done
else
  files=("$dir"/bin/* "$dir"/lib/*)
fi
bad=0
checked=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  checked=$((checked + 1))
  if [[ "$f" == *.a ]]; then
    syms=$(nm -C --undefined-only "$f" 2>/dev/null | grep -E "onnx::|google::protobuf|YAML::" || true)
  else
    syms=$( (ldd "$f" 2>/dev/null || true) | grep -E "libonnx|libprotobuf|libyaml-cpp" || true)
  fi
  if [ -n "$syms" ]; then
    echo "runtime build: $f depends on a converter library:"; echo "$syms" | head -5; bad=1
  fi
done
[ $bad -eq 0 ] && echo "runtime build: $checked files in $dir, no libonnx / protobuf / yaml-cpp dependency"
exit $bad
