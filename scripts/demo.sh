#!/usr/bin/env bash
# The main job on the built-in default model (EfficientNet-Lite0, random weights):
# installs what is missing, builds, exports the model, checks it, runs it in float,
# converts it with `makertbin --fast-perf` (int8 model.bin and the ONNX artifacts),
# estimates its speed (`edgeq perf`: report with the graph picture) and measures it on
# the int8 runtime (`edgeq_model_exec perf`: latency on one core, FPS on all cores).
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

BIN=model_output/efficientnet_lite0_op11.bin

echo
echo "== edgeq perf (static estimate) =="
build/bin/edgeq perf "$BIN" --output-dir perf_result

echo
echo "== edgeq_model_exec model_info =="
build/bin/edgeq_model_exec model_info --model_file "$BIN"

echo
echo "== edgeq_model_exec perf: latency (one thread, core 1) =="
build/bin/edgeq_model_exec perf --model_file "$BIN" --core_id 1 --thread_num 1 --frame_count 1000

echo
echo "== edgeq_model_exec perf: FPS (any core, 8 threads) =="
build/bin/edgeq_model_exec perf --model_file "$BIN" --core_id 0 --thread_num 8 --frame_count 1000
