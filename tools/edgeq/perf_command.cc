#include "tools/edgeq/perf_command.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "estimator/calibrate/host_calibration.h"
#include "estimator/estimate.h"
#include "estimator/report.h"
#include "estimator/target_profile.h"
#include "format/bin.h"

namespace edgeq::tools {
namespace {

constexpr int kExitBadInput = 2;

int fail(const Status& s, bool json) {
  if (json) std::cout << nlohmann::json{{"error", s.message()}}.dump(2) << "\n";
  std::cerr << "edgeq perf: error: " << s.message() << "\n";
  return kExitBadInput;
}

}  // namespace

void add_perf(CLI::App& app, PerfFlags& f) {
  CLI::App* c = app.add_subcommand(
      "perf", "Estimate a compiled model's latency, FPS and per-op cost without running it");
  c->add_option("model", f.model, "Compiled model file (<prefix>.bin)");
  c->add_option("--output-dir", f.output_dir, "Write <prefix>/<prefix>.{html,json,svg,png} here")
      ->capture_default_str();
  c->add_option("--target-profile", f.target_profile,
                "Target profile (JSON); default: " + estimator::default_host_profile_path() +
                    " when it exists, else built-in host numbers");
  c->add_flag("--json", f.json, "Print the estimate as JSON on stdout");
  c->add_flag("--calibrate-target", f.calibrate_target,
              "Measure this machine's profile with the runtime's kernels and write it to --target-profile "
              "(default: " + estimator::default_host_profile_path() + "); then estimate the model, if given");
  c->add_option("--calibration-runs", f.calibration_runs, "Timed runs per calibration benchmark")
      ->capture_default_str();
}

namespace {

Status calibrate(const PerfFlags& f) {
  estimator::CalibrationOptions opt;
  opt.runs = std::max(f.calibration_runs, 1);
  opt.progress = [](const std::string& line) { std::cerr << line << "\n"; };
  std::cerr << "edgeq perf: measuring the host profile (the runtime's kernels over a grid of shapes)\n";
  EDGEQ_ASSIGN_OR_RETURN(estimator::TargetProfile p, estimator::calibrate_host(opt));
  std::string path = f.target_profile.empty() ? estimator::default_host_profile_path() : f.target_profile;
  std::error_code ec;
  if (auto dir = std::filesystem::path(path).parent_path(); !dir.empty())
    std::filesystem::create_directories(dir, ec);
  std::ofstream out(path, std::ios::binary);
  out << estimator::profile_to_json(p);
  out.close();
  if (!out) return io_error("cannot write the target profile " + path + ".");
  std::cerr << "edgeq perf: wrote the host profile " << path << "\n";
  return {};
}

}  // namespace

int run_perf_command(const PerfFlags& f) {
  if (f.calibrate_target) {
    if (Status s = calibrate(f); !s.ok()) return fail(s, f.json);
    if (f.model.empty()) return 0;
  } else if (f.model.empty()) {
    return fail(invalid_argument("no model given: edgeq perf <model.bin> (or --calibrate-target)."), f.json);
  }
  StatusOr<estimator::TargetProfile> profile = estimator::resolve_profile(f.target_profile);
  if (!profile.ok()) return fail(profile.status(), f.json);
  format::ReadOptions ro;
  ro.host_isa = "";  // any ISA: the estimate reads the model, it never runs it
  ro.marches = {"host"};
  StatusOr<format::Program> program = format::read_bin(f.model, ro);
  if (!program.ok()) return fail(program.status(), f.json);
  StatusOr<estimator::Estimate> est = estimator::estimate(*program, *profile);
  if (!est.ok()) return fail(est.status(), f.json);
  std::string prefix = std::filesystem::path(f.model).stem().string();
  StatusOr<estimator::ReportFiles> files = estimator::write_report(*program, *est, f.output_dir, prefix);
  if (!files.ok()) return fail(files.status(), f.json);
  if (f.json) {
    nlohmann::json j = estimator::to_json(*est);
    j["files"] = {{"html", files->html}, {"json", files->json}, {"svg", files->svg}, {"png", files->png}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << estimator::summary_text(*est);
    std::cout << "report: " << files->html << " (+ .json, .svg, .png)\n";
  }
  return 0;
}

}  // namespace edgeq::tools
