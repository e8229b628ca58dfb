#!/usr/bin/env python3
"""How far `edgeq perf` (static estimate) is from `edgeq_model_exec perf` (measurement).

For every zoo model: `edgeq makertbin --fast-perf`, then
  - estimated 1-thread latency and all-core FPS (`edgeq perf --json`),
  - measured median latency on one core (`edgeq_model_exec perf --core_id 1 --thread_num 1`,
    median of the per-round p50s) and FPS with all cores busy (`--core_id 0 --thread_num 8`),
  - per-op estimated time next to the per-op average of `--profile_path`, with the
    Spearman rank correlation.
The measurement rounds go over all models in turn (a burst of other work then lands on
one round of each model, not on all rounds of one). Prints the errors and writes
bench/results/estimator.json. Nothing else of yours should run meanwhile; the host's other
tenants still move the measurement by 10-20% within minutes, hence five rounds by default.

  python3 bench/estimator_accuracy.py [--calibrate] [--models resnet50,mobilenet_v2] [--repeats 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0",
          "efficientnet_lite0", "shufflenet_v2_x1_0", "squeezenet1_1", "regnet_x_400mf"]


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2.0
        i = j + 1
    return r


def spearman(a, b):
    if len(a) < 3:
        return float("nan")
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.fmean(ra), statistics.fmean(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va > 0 and vb > 0 else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "estimator.json"))
    ap.add_argument("--calibrate", action="store_true",
                    help="measure the host profile first (edgeq perf --calibrate-target)")
    a = ap.parse_args()
    edgeq = os.path.join(a.build, "bin", "edgeq")
    exe = os.path.join(a.build, "bin", "edgeq_model_exec")
    if a.calibrate:
        print("calibrating the host profile ...", file=sys.stderr)
        subprocess.run([edgeq, "perf", "--calibrate-target"], check=True, capture_output=True)
    rows = []
    models = a.models.split(",")
    with tempfile.TemporaryDirectory(prefix="edgeq_est_") as tmp:
        bins, ests = {}, {}
        for m in models:
            onnx = os.path.join(a.build, "models", m + "_op13.onnx")
            out = os.path.join(tmp, m)
            subprocess.run([edgeq, "makertbin", "--fast-perf", "--model", onnx, "--model-type", "onnx",
                            "--march", "host", "--output-dir", out], check=True, capture_output=True)
            bins[m] = os.path.join(out, m + "_op13.bin")
            ests[m] = run_json([edgeq, "perf", bins[m], "--json", "--output-dir", os.path.join(tmp, "perf")])
        # Rounds over all models, so that a burst of other work on the machine lands on one
        # round of every model rather than on every round of one.
        lat = {m: [] for m in models}
        fps = {m: [] for m in models}
        per_op = {m: {} for m in models}
        for r in range(a.repeats):
            for m in models:
                prof = os.path.join(tmp, "prof_%s_%d" % (m, r))
                j = run_json([exe, "perf", "--model_file", bins[m], "--core_id", "1", "--thread_num", "1",
                              "--frame_count", str(a.frames), "--json", "--profile_path", prof])
                lat[m].append(j["result"]["p50_latency_ms"])
                for op in json.load(open(os.path.join(prof, "profiler.json")))["ops"]:
                    per_op[m].setdefault(op["index"], []).append(op["avg_ms"])
                j = run_json([exe, "perf", "--model_file", bins[m], "--core_id", "0", "--thread_num", "8",
                              "--frame_count", str(a.frames * 2), "--json"])
                fps[m].append(j["result"]["fps"])
                print("round %d/%d %s: measured %.3f ms, %.1f FPS" % (r + 1, a.repeats, m, lat[m][-1], fps[m][-1]),
                      file=sys.stderr)
        for m in models:
            est = ests[m]
            s = est["summary"]
            est_ops = {op["index"]: op["time_ms"] for op in est["ops"]}
            idx = sorted(set(est_ops) & set(per_op[m]))
            meas_ops = [statistics.median(per_op[m][i]) for i in idx]
            row = {
                "model": m,
                "estimated_latency_ms": s["latency_ms"],
                "measured_latency_ms": statistics.median(lat[m]),
                "measured_latency_ms_each_round": lat[m],
                "estimated_fps": s["fps"],
                "measured_fps": statistics.median(fps[m]),
                "measured_fps_each_round": fps[m],
                "per_op_spearman": spearman([est_ops[i] for i in idx], meas_ops),
                "ops": len(idx),
                "footprint_mib": s["footprint_bytes"] / 2**20,
            }
            row["latency_error"] = row["estimated_latency_ms"] / row["measured_latency_ms"] - 1
            row["fps_error"] = row["estimated_fps"] / row["measured_fps"] - 1
            rows.append(row)
    print("%-20s %9s %9s %7s %9s %9s %7s %8s %8s" % ("model", "est ms", "meas ms", "err", "est FPS", "meas FPS",
                                                     "err", "spearman", "fp MiB"))
    for r in rows:
        print("%-20s %9.3f %9.3f %+6.1f%% %9.1f %9.1f %+6.1f%% %8.3f %8.1f" % (
            r["model"], r["estimated_latency_ms"], r["measured_latency_ms"], 100 * r["latency_error"],
            r["estimated_fps"], r["measured_fps"], 100 * r["fps_error"], r["per_op_spearman"],
            r["footprint_mib"]))
    within = lambda key, tol: sum(abs(r[key]) <= tol for r in rows)
    print("latency within ±15%%: %d/%d, ±10%%: %d/%d; FPS within ±15%%: %d/%d, ±10%%: %d/%d" % (
        within("latency_error", .15), len(rows), within("latency_error", .10), len(rows),
        within("fps_error", .15), len(rows), within("fps_error", .10), len(rows)))
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump({"models": rows, "repeats": a.repeats, "frames": a.frames}, f, indent=2)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
