#!/usr/bin/python3
"""edgeq's int8 runtime next to ONNX Runtime, in the same run, on the model zoo.

    /usr/bin/python3 bench/runtime_bench.py [--build build] [--models resnet50,mobilenet_v2]
                                            [--repeats 3] [--frames 200]

For each model (build/models/<m>_op13.onnx, made by scripts/export_models.py):
  1. `edgeq makertbin --fast-perf` into a temporary folder → <prefix>.bin and
     <prefix>_quantized_model.onnx (the QDQ model ONNX Runtime runs in int8);
  2. --repeats rounds, each measuring in turn (interleaved, so load from other processes
     hits every engine alike; medians over the rounds are reported):
       edgeq latency  `edgeq_model_exec perf --core_id 1 --thread_num 1` (median frame)
       ORT latency    int8 (QDQ) and fp32, 1 intra-op thread, sequential execution
                      (both pinned to one CPU with taskset, the same for both engines)
       edgeq FPS      `edgeq_model_exec perf --core_id 0 --thread_num 8`
       ORT FPS        int8 and fp32, one session per core in its own worker_thread
  3. GOP/s = 2 × MACs (from `edgeq checker --json`) / latency, and % of one core's int8
     peak measured by build/bin/edgeq_vnni_peak (AVX-512 VNNI vpdpbusd loop, best of the
     rounds: noise only lowers a peak).
Prints a table (ratios < 1 mean edgeq is faster for latency; FPS ratio > 1 means edgeq
has the higher frame rate) and writes bench/results/latest.json.
Needs: edgeq, edgeq_model_exec and edgeq_vnni_peak built in --build; bench/node's npm
packages (cd bench/node && npm ci).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0",
       "efficientnet_lite0", "shufflenet_v2_x1_0", "squeezenet1_1", "regnet_x_400mf"]
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
    places = [os.path.join(ROOT, "bench", "node", "node_modules")]
    places += [p for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    for place in places:
        try:
            with open(os.path.join(place, "onnxruntime-node", "package.json")) as f:
                return json.load(f)["version"]
        except (OSError, KeyError, ValueError):
            continue
    return "unknown"


def run(cmd, env=None, what=None):
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"runtime_bench: {what or ' '.join(cmd[:2])} failed:\n{proc.stderr.strip()[-2000:]}")
    return proc.stdout


def run_json(cmd, env=None, what=None):
    out = run(cmd, env, what)
    # The last line that parses as JSON (progress lines go to stderr, but be lenient).
    text = out.strip()
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(text.splitlines()[-1])


def online_cpus():
    return len(os.sched_getaffinity(0))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"), help="build folder")
    parser.add_argument("--models", default=",".join(ZOO), help="comma-separated zoo model names")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (medians are reported)")
    parser.add_argument("--frames", type=int, default=200, help="frames per edgeq perf run")
    parser.add_argument("--run-seconds", type=float, default=4.0,
                        help="fewer frames than --frames for a model whose run would last longer")
    parser.add_argument("--ort-runs", type=int, default=30, help="timed ORT runs per latency measurement")
    parser.add_argument("--fps-threads", type=int, default=8, help="edgeq perf --thread_num for FPS")
    parser.add_argument("--latency-cpu", type=int, default=None,
                        help="CPU every latency run is pinned to (default: the first this process may use)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder of converted models")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.json"))
    args = parser.parse_args()

    binaries = {name: os.path.join(args.build, "bin", name) for name in ("edgeq", "edgeq_model_exec", "edgeq_vnni_peak")}
    for name, path in binaries.items():
        if not os.path.exists(path):
            sys.exit(f"runtime_bench: {path} is missing; build it with cmake --build {args.build} --target {name}")
    models = [m for m in args.models.split(",") if m]
    unknown = [m for m in models if m not in ZOO]
    if unknown:
        sys.exit(f"runtime_bench: unknown model(s) {', '.join(unknown)}; the zoo has {', '.join(ZOO)}")
    models_dir = os.path.join(args.build, "models")
    missing = [m for m in models if not os.path.exists(os.path.join(models_dir, f"{m}_op{OPSET}.onnx"))]
    if missing:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_models.py"), "--out", models_dir,
                        "--models", ",".join(missing)], check=True)

    cores = online_cpus()
    # Latency runs of both engines (and the peak loop) share one CPU, so a busy neighbour
    # on the other CPU cannot favour one engine.
    lat_cpu = str(args.latency_cpu if args.latency_cpu is not None else sorted(os.sched_getaffinity(0))[0])
    pin = ["taskset", "-c", lat_cpu]
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    node_env = dict(env)
    ort_script = os.path.join(ROOT, "bench", "node", "ort_bench.js")
    exe = binaries["edgeq_model_exec"]
    work = tempfile.mkdtemp(prefix="edgeq_runtime_bench_")

    # Convert every model first (conversion is not what is measured).
    prepared = []
    for name in models:
        onnx = os.path.join(models_dir, f"{name}_op{OPSET}.onnx")
        out_dir = os.path.join(work, name)
        t0 = datetime.datetime.now()
        run([binaries["edgeq"], "makertbin", "--fast-perf", "--model", onnx, "--model-type", "onnx", "--march", "host",
             "--output-dir", out_dir], env, f"edgeq makertbin {name}")
        convert_s = (datetime.datetime.now() - t0).total_seconds()
        bins = [f for f in os.listdir(out_dir) if f.endswith(".bin")]
        quantized = [f for f in os.listdir(out_dir) if f.endswith("_quantized_model.onnx")]
        if len(bins) != 1 or len(quantized) != 1:
            sys.exit(f"runtime_bench: makertbin wrote no single .bin / quantized model in {out_dir}")
        checker = run_json([binaries["edgeq"], "checker", "--model", onnx, "--model-type", "onnx", "--march", "host",
                            "--json"], env, f"edgeq checker {name}")
        prepared.append({"model": name, "onnx": onnx, "bin": os.path.join(out_dir, bins[0]),
                         "quantized": os.path.join(out_dir, quantized[0]),
                         "input": os.path.join(models_dir, f"{name}_input.npy"),
                         "macs": int(checker["totals"]["macs"]), "convert_s": convert_s})
        print(f"converted {name} in {convert_s:.1f} s", file=sys.stderr)

    # Frames per edgeq run: --frames, fewer for a slow model (a model with float CPU
    # segments can take seconds per frame) so that one run lasts about --run-seconds.
    for p in prepared:
        probe = run_json(pin + [exe, "perf", "--model_file", p["bin"], "--core_id", "1", "--thread_num", "1",
                                "--frame_count", "3", "--json"], env, f"edgeq perf probe {p['model']}")
        ms = max(probe["result"]["min_latency_ms"], 1e-3)
        p["frames"] = int(max(8, min(args.frames, args.run_seconds * 1000.0 / ms)))
        if p["frames"] < args.frames:
            print(f"{p['model']}: {ms:.1f} ms per frame, {p['frames']} frames per run", file=sys.stderr)

    peaks = []
    samples = {p["model"]: {k: [] for k in ("edgeq_ms", "edgeq_avg_ms", "edgeq_min_ms", "ort_int8_ms", "ort_fp32_ms",
                                            "ort_int8_min_ms", "ort_fp32_min_ms", "edgeq_fps", "ort_int8_fps",
                                            "ort_fp32_fps")} for p in prepared}
    for r in range(args.repeats):
        peaks.append(run_json(pin + [binaries["edgeq_vnni_peak"], "--seconds", "1"], env)["gops"])
        for p in prepared:
            s = samples[p["model"]]
            lat = run_json(pin + [exe, "perf", "--model_file", p["bin"], "--core_id", "1", "--thread_num", "1",
                            "--frame_count", str(p["frames"]), "--json"], env, f"edgeq perf {p['model']}")
            s["edgeq_ms"].append(lat["result"]["p50_latency_ms"])
            s["edgeq_avg_ms"].append(lat["result"]["avg_latency_ms"])
            s["edgeq_min_ms"].append(lat["result"]["min_latency_ms"])
            for kind, model in (("int8", p["quantized"]), ("fp32", p["onnx"])):
                o = run_json(pin + ["node", ort_script, "latency", "--model", model, "--input", p["input"],
                              "--runs", str(args.ort_runs), "--warmup", "5"], node_env, f"ORT {kind} {p['model']}")
                s[f"ort_{kind}_ms"].append(o["median_ms"])
                s[f"ort_{kind}_min_ms"].append(o["min_ms"])
            fps = run_json([exe, "perf", "--model_file", p["bin"], "--core_id", "0", "--thread_num",
                            str(args.fps_threads), "--frame_count", str(max(args.fps_threads, 2 * p["frames"])), "--json"], env,
                           f"edgeq perf FPS {p['model']}")
            s["edgeq_fps"].append(fps["result"]["fps"])
            # ORT: one session per core, each running a share of the frames on 1 thread.
            per_worker = max(8, args.frames // max(1, cores))
            for kind, model in (("int8", p["quantized"]), ("fp32", p["onnx"])):
                o = run_json(["node", ort_script, "throughput", "--model", model, "--input", p["input"],
                              "--workers", str(cores), "--frames", str(per_worker)], node_env,
                             f"ORT {kind} FPS {p['model']}")
                s[f"ort_{kind}_fps"].append(o["fps"])
            print(f"round {r + 1}/{args.repeats} {p['model']}: edgeq {lat['result']['p50_latency_ms']:.2f} ms, "
                  f"ORT int8 {s['ort_int8_ms'][-1]:.2f} ms, fp32 {s['ort_fp32_ms'][-1]:.2f} ms, "
                  f"edgeq {s['edgeq_fps'][-1]:.1f} FPS", file=sys.stderr)

    peak = max(peaks)
    rows = []
    for p in prepared:
        s = samples[p["model"]]
        med = {k: statistics.median(v) for k, v in s.items()}
        gops = 2.0 * p["macs"] / (med["edgeq_ms"] / 1000.0) / 1e9
        rows.append({
            "model": p["model"], "gmacs": p["macs"] / 1e9, "convert_s": p["convert_s"],
            **{k: round(v, 4) for k, v in med.items()},
            "edgeq_vs_ort_int8": med["edgeq_ms"] / med["ort_int8_ms"],
            "edgeq_vs_ort_fp32": med["edgeq_ms"] / med["ort_fp32_ms"],
            "edgeq_vs_ort_int8_of_minimums": min(s["edgeq_min_ms"]) / min(s["ort_int8_min_ms"]),
            "edgeq_vs_ort_fp32_of_minimums": min(s["edgeq_min_ms"]) / min(s["ort_fp32_min_ms"]),
            "fps_vs_ort_int8": med["edgeq_fps"] / med["ort_int8_fps"],
            "fps_vs_ort_fp32": med["edgeq_fps"] / med["ort_fp32_fps"],
            "fps_vs_1thread": med["edgeq_fps"] / (1000.0 / med["edgeq_avg_ms"]),
            "gops": gops, "peak_fraction": gops / peak,
            "samples": s,
        })

    head = (f"{'model':<20}{'edgeq ms':>9}{'ORT i8':>8}{'ORT f32':>8}{'e/i8':>6}{'e/f32':>6}{'GOP/s':>7}{'%peak':>6}"
            f"{'e FPS':>8}{'i8 FPS':>8}{'f32 FPS':>8}{'FPS/i8':>7}{'2c/1t':>6}")
    print(f"\nedgeq int8 runtime vs ONNX Runtime {ort_version()} — {cpu_name()}, {cores} CPUs; "
          f"int8 peak {peak:.0f} GOP/s per core; medians of {args.repeats} rounds")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['model']:<20}{r['edgeq_ms']:>9.2f}{r['ort_int8_ms']:>8.2f}{r['ort_fp32_ms']:>8.2f}"
              f"{r['edgeq_vs_ort_int8']:>6.2f}{r['edgeq_vs_ort_fp32']:>6.2f}{r['gops']:>7.0f}{100 * r['peak_fraction']:>5.0f}%"
              f"{r['edgeq_fps']:>8.1f}{r['ort_int8_fps']:>8.1f}{r['ort_fp32_fps']:>8.1f}{r['fps_vs_ort_int8']:>7.2f}"
              f"{r['fps_vs_1thread']:>6.2f}")
    print("least disturbed runs (minimum latency of each engine): " + ", ".join(
        f"{r['model']} e/i8 {r['edgeq_vs_ort_int8_of_minimums']:.2f} e/f32 {r['edgeq_vs_ort_fp32_of_minimums']:.2f}"
        for r in rows))
    print("e/i8, e/f32: edgeq latency / ORT latency (lower is better); FPS/i8: edgeq FPS / ORT int8 FPS; "
          "2c/1t: edgeq FPS with all cores / its 1-thread rate")

    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu_name(), "cpus": cores, "onnxruntime_node": ort_version(),
        "repeats": args.repeats, "frames": args.frames, "frames_per_model": {p["model"]: p["frames"] for p in prepared}, "ort_runs": args.ort_runs, "fps_threads": args.fps_threads,
        "vnni_peak_gops": peak, "vnni_peak_samples": peaks,
        "latency_cpu": int(lat_cpu),
        "method": "edgeq latency: median frame of `edgeq_model_exec perf --core_id 1 --thread_num 1`; "
                  "ORT latency: median of --ort-runs runs, 1 intra-op thread, sequential, graph optimization all; "
                  "both latency runs pinned to latency_cpu with taskset; "
                  "edgeq FPS: `perf --core_id 0 --thread_num 8`; ORT FPS: one session per CPU in its own "
                  "worker_thread; medians over interleaved rounds",
        "models": rows,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {args.out}", file=sys.stderr)
    if args.keep:
        print(f"converted models kept in {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
