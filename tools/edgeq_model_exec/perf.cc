// `edgeq_model_exec perf`: T threads submit frames (synchronous runs) to one core or to
// any idle core until K frames are done (or for --perf_time minutes), then the running
// condition and the latency / FPS result block.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "tools/edgeq_model_exec/common.h"
#include "tools/edgeq_model_exec/tensors.h"

namespace edgeq::model_exec {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank > 0 ? rank - 1 : 0)];
}

struct Result {
  int64_t frames = 0;
  double run_time_ms = 0, total_ms = 0, avg = 0, min = 0, max = 0, p50 = 0, p90 = 0, p99 = 0, fps = 0;
};

Result summarize(std::vector<double> lat, double run_time_ms) {
  Result r;
  std::sort(lat.begin(), lat.end());
  r.frames = static_cast<int64_t>(lat.size());
  r.run_time_ms = run_time_ms;
  for (double v : lat) r.total_ms += v;
  if (!lat.empty()) {
    r.avg = r.total_ms / lat.size();
    r.min = lat.front();
    r.max = lat.back();
    r.p50 = percentile(lat, 50);
    r.p90 = percentile(lat, 90);
    r.p99 = percentile(lat, 99);
  }
  r.fps = run_time_ms > 0 ? r.frames * 1000.0 / run_time_ms : 0;
  return r;
}

}  // namespace

int run_perf(const PerfFlags& f) {
  const std::string cmd = "perf";
  if (f.thread_num < 1) return fail(cmd, "--thread_num must be at least 1, got " + std::to_string(f.thread_num) + ".", f.json);
  if (f.perf_time_min < 0) return fail(cmd, "--perf_time must be positive (minutes).", f.json);
  if (f.perf_time_min == 0 && f.frame_count < 1)
    return fail(cmd, "--frame_count must be at least 1, got " + std::to_string(f.frame_count) + ".", f.json);
  if (f.core_id < 0) return fail(cmd, "--core_id must be 0 (any idle core) or a core number, got " + std::to_string(f.core_id) + ".", f.json);
  auto model = load_model(cmd, f.model_file, f.model_name, f.json);
  if (!model) return kExitBadInput;
  const int cores = model->num_cores();
  if (f.core_id > cores)
    return fail(cmd, "--core_id " + std::to_string(f.core_id) + " is out of range: this machine runs the model on " +
                         std::to_string(cores) + " core(s); use 0 (any idle core) or 1.." + std::to_string(cores) + ".",
                f.json);

  // Inputs: shared by every thread (runs only read them). Random with a fixed seed unless given.
  const int n_in = model->num_inputs(), n_out = model->num_outputs();
  if (!f.input_files.empty() && static_cast<int>(f.input_files.size()) != n_in)
    return fail(cmd, "The model has " + std::to_string(n_in) + " input(s), but --input_file names " +
                         std::to_string(f.input_files.size()) + " file(s).", f.json);
  std::vector<std::vector<uint8_t>> inputs(n_in);
  for (int i = 0; i < n_in; ++i) {
    edgeq_tensor_desc d = model->input_desc(i);
    if (f.input_files.empty()) {
      inputs[i] = random_input(d, 1234 + static_cast<uint32_t>(i));
    } else {
      auto r = load_input(f.input_files[i], d);
      if (!r.ok()) return fail(cmd, r.status().message(), f.json);
      inputs[i] = std::move(r).value();
    }
  }
  std::vector<edgeq_buffer> in_bufs;
  for (auto& v : inputs) in_bufs.push_back({v.data(), v.size()});
  auto make_outputs = [&](std::vector<std::vector<uint8_t>>& store) {
    std::vector<edgeq_buffer> b;
    store.resize(n_out);
    for (int i = 0; i < n_out; ++i) {
      store[i].resize(model->output_desc(i).bytes);
      b.push_back({store[i].data(), store[i].size()});
    }
    return b;
  };

  // Warm-up: one frame on every core this run uses (first-frame costs are not measured).
  {
    std::vector<std::vector<uint8_t>> store;
    auto out = make_outputs(store);
    for (int k = 1; k <= cores; ++k) {
      if (f.core_id != 0 && k != f.core_id) continue;
      api::Status s = model->run(in_bufs, out, k);
      if (!s) return fail(cmd, s.message, f.json, kExitRunFailed);
    }
  }
  if (!f.profile_path.empty()) {
    if (api::Status s = model->set_profiling(true); !s) return fail(cmd, s.message, f.json, kExitRunFailed);
  }

  const bool timed = f.perf_time_min > 0;
  const double limit_ms = f.perf_time_min * 60000.0;
  std::atomic<int64_t> next{0}, done{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::string error;
  std::vector<std::vector<double>> lat(f.thread_num);
  std::string of_total;  // "/K" after the frame count in the progress line
  if (!timed) {
    of_total = "/";
    of_total += std::to_string(f.frame_count);
  }
  const Clock::time_point t0 = Clock::now();
  auto worker = [&](int t) {
    std::vector<std::vector<uint8_t>> store;
    auto out = make_outputs(store);
    for (;;) {
      if (failed.load()) return;
      if (timed) {
        if (ms_since(t0) >= limit_ms) return;
      } else if (next.fetch_add(1) >= f.frame_count) {
        return;
      }
      const Clock::time_point s0 = Clock::now();
      api::Status s = model->run(in_bufs, out, f.core_id);
      const double ms = ms_since(s0);
      if (!s) {
        std::lock_guard<std::mutex> l(mu);
        if (!failed.exchange(true)) error = s.message;
        return;
      }
      lat[t].push_back(ms);
      const int64_t n = done.fetch_add(1) + 1;
      if (n % 200 == 0) {
        const double el = ms_since(t0);
        std::lock_guard<std::mutex> l(mu);
        std::fprintf(stderr, "perf: %lld%s frames done, %.1f s, %.1f FPS\n", static_cast<long long>(n),
                     of_total.c_str(), el / 1000.0, n * 1000.0 / el);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < f.thread_num; ++t) threads.emplace_back(worker, t);
  for (auto& th : threads) th.join();
  const double run_ms = ms_since(t0);
  if (failed) return fail(cmd, error, f.json, kExitRunFailed);

  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  Result r = summarize(std::move(all), run_ms);

  if (!f.profile_path.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(f.profile_path, ec);
    const std::string file = (std::filesystem::path(f.profile_path) / "profiler.json").string();
    std::ofstream os(file);
    auto prof = nlohmann::json::parse(model->profile_json(), nullptr, false);
    if (!os || prof.is_discarded()) return fail(cmd, "Cannot write the profile to '" + file + "'.", f.json, kExitBadInput);
    os << prof.dump(2) << "\n";
    if (!f.json) std::cerr << "perf: profile written to " << file << "\n";
  }

  if (f.json) {
    nlohmann::json j;
    j["model_file"] = f.model_file;
    j["running_condition"] = {{"thread_num", f.thread_num}, {"frame_count", r.frames}, {"core_id", f.core_id},
                              {"num_cores", cores}, {"run_time_ms", r.run_time_ms}};
    j["result"] = {{"frame_total_latency_ms", r.total_ms}, {"avg_latency_ms", r.avg}, {"min_latency_ms", r.min},
                   {"max_latency_ms", r.max}, {"p50_latency_ms", r.p50}, {"p90_latency_ms", r.p90},
                   {"p99_latency_ms", r.p99}, {"fps", r.fps}};
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("Running condition:\n");
  std::printf("  Thread number is: %d\n", f.thread_num);
  std::printf("  Frame count   is: %lld\n", static_cast<long long>(r.frames));
  std::printf("  Core id       is: %d (%s; %d core(s))\n", f.core_id, f.core_id == 0 ? "any idle core" : "pinned", cores);
  std::printf("  Program run time: %.3f ms\n", r.run_time_ms);
  std::printf("Perf result:\n");
  std::printf("  Frame totally latency is: %.3f ms\n", r.total_ms);
  std::printf("  Average    latency    is: %.3f ms\n", r.avg);
  std::printf("  Min        latency    is: %.3f ms\n", r.min);
  std::printf("  Max        latency    is: %.3f ms\n", r.max);
  std::printf("  P50        latency    is: %.3f ms\n", r.p50);
  std::printf("  P90        latency    is: %.3f ms\n", r.p90);
  std::printf("  P99        latency    is: %.3f ms\n", r.p99);
  std::printf("  Frame      rate       is: %.3f FPS\n", r.fps);
  return 0;
}

}  // namespace edgeq::model_exec
