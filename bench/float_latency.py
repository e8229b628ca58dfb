#!/usr/bin/python3
"""Float latency of edgeq's interpreter next to ONNX Runtime fp32, in the same run.

    /usr/bin/python3 bench/float_latency.py [--build build] [--runs 30] [--warmup 5]

For each model (ResNet-50 and MobileNetV2, opset 13, from scripts/export_models.py) both
engines run one frame at a time on one thread (edgeq: kernels::set_num_threads(1) and
OMP_NUM_THREADS=1; ORT: intra/inter-op threads 1, graph optimization 'all'), with the same
warm-up and number of timed runs, alternating engine by engine over --rounds rounds so
that load from other processes hits both alike; the median over all timed runs is
reported (and the minimum, the least disturbed run), with edgeq's time per op type. Prints a table with the ratio
edgeq/ORT (lower is better for edgeq) and writes bench/results/float_latency.json.
Needs: the edgeq_bench_interp target built in --build, and bench/node's npm packages.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["resnet50", "mobilenet_v2"]
OPSET = 13


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def ort_version():
    path = os.path.join(ROOT, "bench", "node", "node_modules", "onnxruntime-node", "package.json")
    try:
        with open(path) as f:
            return json.load(f)["version"]
    except (OSError, KeyError, ValueError):
        return "unknown"


def run_json(cmd, env):
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"float_latency: {' '.join(cmd[:2])} failed:\n{proc.stderr.strip()}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"), help="build folder")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the two engines")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "float_latency.json"))
    args = parser.parse_args()

    bench_bin = os.path.join(args.build, "bin", "edgeq_bench_interp")
    if not os.path.exists(bench_bin):
        sys.exit(f"float_latency: {bench_bin} is missing; build it with "
                 f"ninja -C {args.build} edgeq_bench_interp")
    models_dir = os.path.join(args.build, "models")
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_models.py"), "--out",
                    models_dir, "--models", ",".join(MODELS)], check=True)

    env = dict(os.environ, OMP_NUM_THREADS="1")
    ort_script = os.path.join(ROOT, "bench", "node", "ort_run_npy.js")
    results = []
    for name in MODELS:
        model = os.path.join(models_dir, f"{name}_op{OPSET}.onnx")
        data = os.path.join(models_dir, f"{name}_input.npy")
        per_round = max(1, args.runs // args.rounds)
        common = ["--warmup", str(args.warmup), "--runs", str(per_round), "--threads", "1"]
        edgeq_times, opt_times, ort_times = [], [], []
        for _ in range(args.rounds):
            edgeq_times += run_json([bench_bin, "--model", model, "--input", data] + common, env)["times_ms"]
            opt_times += run_json([bench_bin, "--model", model, "--input", data, "--optimize"] + common,
                                  env)["times_ms"]
            ort_times += run_json(["node", ort_script, "--model", model, "--input", f"input={data}"] + common,
                                  env)["times_ms"]
        # A separate profiled run (the per-node callback adds a little overhead): where edgeq's
        # time goes, by op type.
        ops = run_json([bench_bin, "--model", model, "--input", data, "--profile", "--optimize"] + common,
                       env)["ops"]
        results.append({
            "model": f"{name}_op{OPSET}",
            "edgeq_median_ms": round(statistics.median(edgeq_times), 3),
            "edgeq_min_ms": round(min(edgeq_times), 3),
            "edgeq_optimized_median_ms": round(statistics.median(opt_times), 3),
            "ort_median_ms": round(statistics.median(ort_times), 3),
            "ort_min_ms": round(min(ort_times), 3),
            "ratio_edgeq_over_ort": round(statistics.median(edgeq_times) / statistics.median(ort_times), 3),
            "ratio_of_minimums": round(min(edgeq_times) / min(ort_times), 3),
            "ratio_optimized_over_ort": round(statistics.median(opt_times) / statistics.median(ort_times), 3),
            "runs_per_engine": len(edgeq_times),
            "edgeq_ms_by_op": {op: round(ms, 3) for op, ms in sorted(ops.items(), key=lambda kv: -kv[1])},
        })

    print(f"{'model (median ms)':<20} {'edgeq':>9} {'edgeq opt':>10} {'ORT':>9} {'edgeq/ORT':>10} "
          f"{'opt/ORT':>8}")
    for r in results:
        print(f"{r['model']:<20} {r['edgeq_median_ms']:>9.2f} {r['edgeq_optimized_median_ms']:>10.2f} "
              f"{r['ort_median_ms']:>9.2f} {r['ratio_edgeq_over_ort']:>10.2f} "
              f"{r['ratio_optimized_over_ort']:>8.2f}")

    report = {
        "benchmark": "float_latency",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu_name(),
        "threads": 1,
        "warmup": args.warmup,
        "runs": args.runs,
        "rounds": args.rounds,
        "statistic": "median latency of one frame, ms; 'optimized' runs edgeq's pass pipeline first",
        "onnxruntime": f"onnxruntime-node {ort_version()}, graphOptimizationLevel=all, intra/inter-op threads 1",
        "results": results,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + ".tmp", "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    os.replace(args.out + ".tmp", args.out)
    print(f"float_latency: wrote {args.out}")


if __name__ == "__main__":
    main()
