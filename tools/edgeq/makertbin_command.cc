#include "tools/edgeq/makertbin_command.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "converter/makertbin.h"
#include "estimator/estimate.h"
#include "estimator/target_profile.h"
#include "format/bin.h"
#include "onnx/onnx_io.h"

namespace edgeq::tools {

namespace {

// The static estimate of the compiled model (what `edgeq perf` computes), as the vendor
// tool prints at the end of a conversion. Never fails the conversion: a missing profile
// or an unreadable file just leaves the estimate out, with the reason.
nlohmann::json estimate_of(const converter::MakertbinResult& r, std::string* line) {
  const std::string bin = r.output_dir + "/" + r.prefix + ".bin";
  auto program = format::read_bin(bin, format::ReadOptions{.host_isa = "", .marches = {}});
  if (!program.ok()) {
    *line = "estimated performance: not available (" + program.status().message() + ")";
    return {{"error", program.status().message()}};
  }
  auto profile = estimator::resolve_profile("");
  if (!profile.ok()) {
    *line = "estimated performance: not available (" + profile.status().message() + ")";
    return {{"error", profile.status().message()}};
  }
  auto e = estimator::estimate(*program, *profile);
  if (!e.ok()) {
    *line = "estimated performance: not available (" + e.status().message() + ")";
    return {{"error", e.status().message()}};
  }
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "estimated performance (target %s, %d core%s): latency %.3f ms per frame, %.1f FPS with all cores "
                "busy; details: edgeq perf %s",
                profile->name.c_str(), e->core_count, e->core_count == 1 ? "" : "s", e->latency_s * 1e3, e->fps,
                bin.c_str());
  *line = buf;
  return {{"target", profile->name}, {"latency_ms", e->latency_s * 1e3}, {"fps", e->fps}, {"cores", e->core_count}};
}

}  // namespace

void add_makertbin(CLI::App& app, MakertbinFlags& f) {
  CLI::App* c = app.add_subcommand("makertbin", "Optimize, calibrate, quantize and compile a model: <prefix>.bin, the ONNX artifacts and reports");
  c->add_option("--model", f.model, "Float model file (ONNX)");
  c->add_option("--model-type", f.model_type, "Model type: onnx")->capture_default_str();
  c->add_option("--march", f.march, "Target architecture: host")->capture_default_str();
  c->add_option("--input-shape", f.input_shapes, "Fix an input's shape, name:1x3x224x224 (repeat per input)");
  c->add_option("--output-dir", f.output_dir, "Output folder (replaced as a whole at the end)")->capture_default_str();
  c->add_option("--output-model-file-prefix", f.output_prefix, "Prefix of the output files (default: the model's name)");
  c->add_flag("--fast-perf", f.fast_perf, "Random calibration data, method max: a model for speed evaluation only");
  c->add_option("--cal-data-dir", f.cal_data_dir, "Folder of calibration samples (.npy, one per sample, or one folder per sample)");
  c->add_option("--calibration-method", f.calibration_method, "max | percentile | kl | mse | default (try all, keep the best)")
      ->capture_default_str();
  c->add_option("--max-percentile", f.max_percentile, "Percentile for the percentile method")->capture_default_str();
  c->add_option("--dump-after", f.dump_after, "Print the graph after this pass (repeat, or 'all')");
  c->add_option("--optimize-level", f.optimize_level,
                "O0 (plain layouts, no memory reuse) .. O3 (NHWC, reuse, aliasing, prepacked weights; default, as --fast-perf)");
  c->add_option("--core-num", f.core_num, "Cores one frame's layers are spread over at run time")->capture_default_str();
  c->add_flag("--json", f.json, "Print a JSON summary on stdout (progress goes to stderr)");
}

int run_makertbin_command(const MakertbinFlags& f) {
  converter::MakertbinOptions o;
  o.model_path = f.model;
  o.model_type = f.model_type;
  o.march = f.march;
  o.output_dir = f.output_dir;
  o.output_prefix = f.output_prefix;
  o.fast_perf = f.fast_perf;
  o.cal_data_dir = f.cal_data_dir;
  o.calibration_method = f.calibration_method;
  o.max_percentile = f.max_percentile;
  o.dump_after = f.dump_after;
  o.optimize_level = f.optimize_level;
  o.core_num = f.core_num;
  o.command_line = f.command_line;
  o.console = f.json ? &std::cerr : &std::cout;
  for (const auto& flag : f.input_shapes) {
    auto parsed = onnx::parse_input_shape(flag);
    if (!parsed.ok()) {
      std::cerr << "edgeq makertbin: error: " << parsed.status().message() << "\n";
      return 2;
    }
    o.input_shapes[parsed->first] = parsed->second;
  }
  auto result = converter::run_makertbin(o);
  if (!result.ok()) {
    if (f.json) std::cout << nlohmann::json{{"error", result.status().message()}}.dump(2) << "\n";
    std::cerr << "edgeq makertbin: error: " << result.status().message() << "\n";
    return result.status().code() == StatusCode::kInternal ? 1 : 2;
  }
  std::string estimate_line;
  nlohmann::json estimate = estimate_of(*result, &estimate_line);
  if (f.json) {
    nlohmann::json j = converter::to_json(*result);
    j["estimate"] = estimate;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "\n" << converter::to_table(*result);
    std::cout << estimate_line << "\n";
    std::cout << "output folder: " << result->output_dir << "\n";
  }
  return 0;
}

}  // namespace edgeq::tools
