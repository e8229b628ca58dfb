#!/usr/bin/env bash
# The main job on the built-in default model (EfficientNet-Lite0, random weights):
# installs what is missing, builds, exports the model, checks it, runs it in float, and
# converts it with `makertbin --fast-perf` (optimized, calibrated and int8 ONNX files).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

MODELS=build/models
/usr/bin/python3 scripts/export_models.py --out "$MODELS" --models efficientnet_lite0 --opsets 11
MODEL="$MODELS/efficientnet_lite0_op11.onnx"

echo
echo "== edgeq checker =="
build/bin/edgeq checker --model "$MODEL" --model-type onnx --march host

echo
echo "== float inference (edgeq run) =="
build/bin/edgeq run --model "$MODEL" --input "input=$MODELS/efficientnet_lite0_input.npy" --top 5

echo
echo "== edgeq makertbin --fast-perf =="
build/bin/edgeq makertbin --fast-perf --model "$MODEL" --model-type onnx --march host --output-dir model_output
