// `edgeq perf`: the static performance estimate of a compiled model (.bin): prints latency,
// FPS, DDR traffic and the costliest ops, writes <output-dir>/<prefix>/<prefix>.{html,json,svg,png}.
// `edgeq perf --calibrate-target` measures this machine's profile first.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace edgeq::tools {

struct PerfFlags {
  std::string model;                       // <prefix>.bin
  std::string output_dir = "perf_result";
  std::string target_profile;              // "" → measured host profile, else built-in host
  bool json = false;
  // Measure the host profile and write it (to target_profile, or the default location).
  bool calibrate_target = false;
  int calibration_runs = 15;
};

void add_perf(CLI::App& app, PerfFlags& flags);
// Returns the process exit code (0 ok, 2 bad input).
int run_perf_command(const PerfFlags& flags);

}  // namespace edgeq::tools
