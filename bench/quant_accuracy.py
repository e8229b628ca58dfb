#!/usr/bin/python3
"""Quantization accuracy proxy on the model zoo, and the time of `edgeq makertbin --fast-perf`.

    /usr/bin/python3 bench/quant_accuracy.py [--build build] [--models resnet18,...]

The zoo has random weights, so top-1 means nothing; instead each model (opset 13) is
calibrated on random N(0,1) inputs (seed A, 32 samples) and its quantized output is
compared with float on other random inputs from the same distribution (seed B, 16
samples): mean output cosine similarity per calibration method (edgeq_bench_quant does one
model). Target: >= 0.98 with the best method on every model. Then `edgeq makertbin
--fast-perf` is timed end to end on EfficientNet-Lite0 (target < 10 s; best of --runs).
Prints a table and writes bench/results/quant_accuracy.json.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0",
          "efficientnet_lite0", "shufflenet_v2_x1_0", "squeezenet1_1", "regnet_x_400mf"]
METHODS = ["max", "percentile", "kl", "mse"]
TARGET_COSINE = 0.98
TARGET_SECONDS = 10.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--cal-samples", type=int, default=32)
    ap.add_argument("--eval-samples", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3, help="makertbin timing runs (best is reported)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "quant_accuracy.json"))
    args = ap.parse_args()
    runner = os.path.join(args.build, "bin", "edgeq_bench_quant")
    edgeq = os.path.join(args.build, "bin", "edgeq")
    models_dir = os.path.join(args.build, "models")

    rows = []
    for name in args.models.split(","):
        model = os.path.join(models_dir, f"{name}_op13.onnx")
        p = subprocess.run([runner, "--model", model, "--cal-samples", str(args.cal_samples),
                            "--eval-samples", str(args.eval_samples)], capture_output=True, text=True)
        if p.returncode != 0:
            rows.append({"model": name, "error": p.stderr.strip()})
            print(f"{name:20s} error: {p.stderr.strip()}", flush=True)
            continue
        r = json.loads(p.stdout)
        cos = r["cosine"]
        best = max(cos, key=cos.get)
        rows.append({"model": name, "cosine": cos, "best_method": best, "best_cosine": cos[best],
                     "meets_target": cos[best] >= TARGET_COSINE, "seconds": r["seconds"]})
        print(f"{name:20s} " + " ".join(f"{m} {cos[m]:.5f}" for m in METHODS) + f"  best {best}", flush=True)

    times = []
    el0 = os.path.join(models_dir, "efficientnet_lite0_op13.onnx")
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            t0 = time.time()
            p = subprocess.run([edgeq, "makertbin", "--fast-perf", "--model", el0, "--model-type", "onnx",
                                "--march", "host", "--output-dir", os.path.join(tmp, "out"), "--json"],
                               capture_output=True, text=True)
            elapsed = time.time() - t0
            if p.returncode != 0:
                print(f"makertbin failed: {p.stderr.strip()}")
                break
            times.append({"seconds": elapsed, "stages": json.loads(p.stdout).get("timings", {})})

    print()
    header = f"{'model':20s}" + "".join(f"{m:>12s}" for m in METHODS) + f"{'best':>12s}  target {TARGET_COSINE}"
    print(header)
    print("-" * len(header))
    for r in rows:
        if "error" in r:
            print(f"{r['model']:20s} error")
            continue
        print(f"{r['model']:20s}" + "".join(f"{r['cosine'][m]:12.5f}" for m in METHODS) +
              f"{r['best_method']:>12s}  {'ok' if r['meets_target'] else 'MISSED'}")
    best_time = min((t["seconds"] for t in times), default=None)
    if best_time is not None:
        print(f"\nedgeq makertbin --fast-perf efficientnet_lite0: best of {len(times)} runs {best_time:.2f} s "
              f"(target < {TARGET_SECONDS:.0f} s: {'ok' if best_time < TARGET_SECONDS else 'MISSED'})")
        print("  stages of that run: " + ", ".join(f"{k} {v:.2f} s" for k, v in
                                                    min(times, key=lambda t: t["seconds"])["stages"].items()))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"date": datetime.datetime.now().isoformat(timespec="seconds"),
                   "cal_samples": args.cal_samples, "eval_samples": args.eval_samples,
                   "target_cosine": TARGET_COSINE, "models": rows,
                   "makertbin_fast_perf_efficientnet_lite0": {"runs": times, "best_seconds": best_time,
                                                              "target_seconds": TARGET_SECONDS},
                   "load_average": os.getloadavg()}, f, indent=1)
    print(f"wrote {args.out}")
    return 0 if rows and all(r.get("meets_target") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
