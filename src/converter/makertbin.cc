#include "converter/makertbin.h"

#include <oneapi/dnnl/dnnl.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "compiler/compiler.h"
#include "converter/output_folder.h"
#include "converter/similarity.h"
#include "converter/stages.h"
#include "format/bin.h"
#include "ir/expand.h"
#include "kernels/isa.h"
#include "onnx/onnx_io.h"
#include "passes/pass.h"
#include "quant/calibration.h"
#include "quant/quantize.h"


namespace edgeq::converter {

namespace fs = std::filesystem;

namespace {

constexpr uint32_t kFastPerfSeed = 1;
constexpr int kFastPerfSamples = 8;
// Samples the float-vs-quantized comparison runs on (the first ones of the calibration set):
// few in fast-perf, where the run is about speed; enough to rank the methods otherwise.
constexpr int kFastPerfEvalSamples = 2;
constexpr int kEvalSamples = 16;

const quant::CalibrationMethod kAllMethods[] = {quant::CalibrationMethod::kMax, quant::CalibrationMethod::kPercentile,
                                                quant::CalibrationMethod::kKl, quant::CalibrationMethod::kMse};

const char* method_text(quant::CalibrationMethod m) {
  switch (m) {
    case quant::CalibrationMethod::kMax: return "max";
    case quant::CalibrationMethod::kPercentile: return "percentile";
    case quant::CalibrationMethod::kKl: return "kl";
    case quant::CalibrationMethod::kMse: return "mse";
  }
  return "?";
}

// Everything the run prints goes to the console and into the log kept for the folder.
class Log {
 public:
  explicit Log(std::ostream* console) : console_(console ? *console : std::cout) {}
  void line(const std::string& text) {
    console_ << text << "\n" << std::flush;
    text_ << text << "\n";
  }
  void log_only(const std::string& text) { text_ << text << "\n"; }
  std::string text() const { return text_.str(); }

 private:
  std::ostream& console_;
  std::ostringstream text_;
};

class Stopwatch {
 public:
  double lap() {
    auto now = std::chrono::steady_clock::now();
    double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }
  double total() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

Status check_options(const MakertbinOptions& o) {
  if (o.model_type == "caffe")
    return unsupported("--model-type caffe is not supported yet; convert the model to ONNX and use --model-type onnx");
  if (o.model_type != "onnx") return invalid_argument("unknown --model-type '" + o.model_type + "'; use onnx");
  if (o.march != "host")
    return invalid_argument("unknown --march '" + o.march + "'; the only target so far is host (this machine's CPU)");
  if (o.model_path.empty()) return invalid_argument("no model given; pass --model FILE");
  if (!o.fast_perf && o.cal_data_dir.empty())
    return invalid_argument("makertbin needs calibration data: pass --cal-data-dir DIR, or --fast-perf to use random data for a speed-only model");
  if (o.max_percentile <= 0.0 || o.max_percentile > 1.0)
    return invalid_argument("--max-percentile must be in (0, 1], e.g. 0.99995");
  if (!o.optimize_level.empty() && o.optimize_level != "O0" && o.optimize_level != "O1" && o.optimize_level != "O2" &&
      o.optimize_level != "O3")
    return invalid_argument("unknown --optimize-level '" + o.optimize_level + "'; use O0, O1, O2 or O3");
  if (o.core_num < 1 || o.core_num > 64)
    return invalid_argument("--core-num " + std::to_string(o.core_num) + " is out of range; use 1 to 64");
  if (o.calibration_method != "default" && o.calibration_method != "max" && o.calibration_method != "percentile" &&
      o.calibration_method != "kl" && o.calibration_method != "mse")
    return invalid_argument("unknown --calibration-method '" + o.calibration_method +
                            "'; use max, percentile, kl, mse or default");
  return {};
}

}  // namespace

StatusOr<ir::Graph> expanded_float_graph(const ir::Graph& optimized) {
  ir::Graph g = optimized;
  EDGEQ_RETURN_IF_ERROR(ir::expand_internal_ops(g));
  return g;
}

namespace {

std::vector<quant::CalibrationMethod> methods_to_try(const MakertbinOptions& o) {
  if (o.fast_perf) return {quant::CalibrationMethod::kMax};
  for (auto m : kAllMethods)
    if (o.calibration_method == method_text(m)) return {m};
  return {std::begin(kAllMethods), std::end(kAllMethods)};
}

void fill_node_table(const ir::Graph& qdq, const ir::Graph& float_graph, const Evaluation& ev,
                     MakertbinResult& r) {
  for (const auto& n : qdq.nodes) {
    if (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear") continue;
    NodeSimilarity row;
    row.name = n.name;
    row.op_type = n.domain.empty() ? n.op_type : n.domain + "." + n.op_type;
    row.placement = std::string(ir::placement_name(n.placement));
    row.placement_reason = n.placement_reason;
    row.output = n.outputs.empty() ? "" : n.outputs[0];
    std::string dq = dequantized_name(qdq, row.output);
    if (auto it = ev.value_cosine.find(row.output); it != ev.value_cosine.end()) row.cosine = it->second;
    else if (auto it2 = ev.value_cosine.find(dq); it2 != ev.value_cosine.end()) row.cosine = it2->second;
    const ir::ValueInfo* info = qdq.value_info(row.output);
    const ir::ValueInfo* dq_info = qdq.value_info(dq);
    const ir::QuantParams* qp = info && info->quant ? &*info->quant : dq_info && dq_info->quant ? &*dq_info->quant : nullptr;
    if (qp && !qp->scale.empty()) {
      row.has_quant = true;
      row.scale = qp->scale[0];
      row.zero_point = qp->zero_point.empty() ? 0 : qp->zero_point[0];
      int qmax = qp->dtype == DType::kInt8 ? 127 : 255;
      int qmin = qp->dtype == DType::kInt8 ? -128 : 0;
      row.threshold = row.scale * static_cast<float>(std::max(qmax - row.zero_point, row.zero_point - qmin));
      row.dtype = std::string(dtype_name(qp->dtype));
    } else {
      const ir::ValueInfo* fi = float_graph.value_info(row.output);
      row.dtype = info ? std::string(dtype_name(info->dtype)) : fi ? std::string(dtype_name(fi->dtype)) : "?";
    }
    r.placement_counts[row.placement]++;
    r.nodes.push_back(std::move(row));
  }
}

struct Artifacts {
  StagedFolder* folder;
  MakertbinResult* result;
  Status save(const ir::Graph& g, const std::string& suffix) {
    std::string name = result->prefix + suffix;
    EDGEQ_RETURN_IF_ERROR(onnx::save_model(g, folder->file(name)));
    result->files.push_back(name);
    return {};
  }
};

// Calibration samples: random for fast-perf, else the --cal-data-dir folder.
StatusOr<std::vector<quant::Feeds>> calibration_samples(const ir::Graph& g, const MakertbinOptions& o, Log& log) {
  if (o.fast_perf) {
    log.line("WARNING fast-perf: calibration uses random data; the model is for speed evaluation only, not for accuracy");
    return quant::random_samples(g, kFastPerfSamples, kFastPerfSeed);
  }
  EDGEQ_ASSIGN_OR_RETURN(auto samples, quant::load_samples_dir(g, o.cal_data_dir, o.max_calibration_samples));
  if (samples.empty()) return invalid_argument("--cal-data-dir " + o.cal_data_dir + " holds no calibration samples");
  return samples;
}

std::function<void(int, int)> progress_printer(Log& log) {
  auto start = std::chrono::steady_clock::now();
  return [&log, start, last = -1](int done, int total) mutable {
    int step = total <= 10 ? 1 : total / 10;
    if (done != total && done % step != 0) return;
    if (done == last) return;
    last = done;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    log.line("calibration: " + std::to_string(done) + "/" + std::to_string(total) + " samples, " + fmt("%.1f s", s));
  };
}

std::string size_text(int64_t b) {
  if (b >= (1 << 20)) return fmt("%.2f MiB", static_cast<double>(b) / (1 << 20));
  if (b >= 1024) return fmt("%.1f KiB", static_cast<double>(b) / 1024);
  return std::to_string(b) + " B";
}

// The quantized graph → <prefix>.bin and the partition report.
Status compile_stage(const MakertbinOptions& o, const ir::Graph& qdq, StagedFolder& folder, Log& log,
                     MakertbinResult& r) {
  format::CompileOptions co;
  co.march = o.march;
  co.isa = kernels::host_isa();
  co.optimize_level = o.optimize_level.empty() ? 3 : o.optimize_level[1] - '0';
  co.core_num = o.core_num;
  co.fast_perf = o.fast_perf;
  co.calibration_method = r.calibration_method;
  if (o.fast_perf && co.optimize_level != 3)
    log.line("note: --optimize-level " + o.optimize_level + " given with --fast-perf (which otherwise compiles at O3)");
  EDGEQ_ASSIGN_OR_RETURN(format::Program program, compiler::compile(qdq, co));
  program.toolchain_version = kEdgeqVersion;
  program.model_name = r.prefix;
  program.metadata["source_model"] = fs::path(o.model_path).filename().string();
  program.metadata["calibration"] = r.calibration_method + " on " + std::to_string(r.calibration_samples) +
                                    (o.fast_perf ? " random samples (fast-perf)" : " samples");

  r.optimize_level = co.optimize_level;
  r.core_num = co.core_num;
  r.isa = co.isa;
  r.compile = compiler::summarize(program);
  r.bin_file = r.prefix + ".bin";
  const fs::path bin_path = folder.file(r.bin_file);
  EDGEQ_RETURN_IF_ERROR(format::write_bin(program, bin_path.string()));
  std::error_code ec;
  r.bin_bytes = static_cast<int64_t>(fs::file_size(bin_path, ec));
  r.files.push_back(r.bin_file);

  const nlohmann::json report = compiler::subgraphs_json(qdq, program);
  for (const auto& [suffix, text] : {std::pair<std::string, std::string>{"_subgraphs.json", report.dump(1)},
                                     std::pair<std::string, std::string>{"_subgraphs.html", compiler::subgraphs_html(report)}}) {
    const std::string name = r.prefix + suffix;
    std::ofstream out(folder.file(name), std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.good()) return io_error("cannot write " + name + " into " + folder.staging().string());
    r.files.push_back(name);
  }
  log.line("compiled (O" + std::to_string(co.optimize_level) + ", core_num " + std::to_string(co.core_num) + ", isa " +
           co.isa + "): " + compiler::summary_line(r.compile));
  log.line("model file: " + r.bin_file + " (" + size_text(r.bin_bytes) + ")");
  return {};
}

StatusOr<MakertbinResult> run_stages(const MakertbinOptions& o, StagedFolder& folder, Log& log) {
  MakertbinResult r;
  r.model_path = o.model_path;
  r.output_dir = folder.final_path().string();
  r.fast_perf = o.fast_perf;
  r.prefix = o.output_prefix.empty() ? fs::path(o.model_path).stem().string() : o.output_prefix;
  Artifacts art{&folder, &r};
  Stopwatch clock;
  auto stage_done = [&](const std::string& stage) {
    double s = clock.lap();
    r.timings.push_back({stage, s});
    log.log_only("stage " + stage + ": " + fmt("%.3f s", s));
  };

  onnx::LoadOptions load;
  load.input_shapes = o.input_shapes;
  EDGEQ_ASSIGN_OR_RETURN(ir::Graph original, onnx::load_model(o.model_path, load));
  log.line("model: " + o.model_path + " (" + std::to_string(original.nodes.size()) + " nodes, opset " +
           std::to_string(original.opset()) + ")");
  EDGEQ_RETURN_IF_ERROR(art.save(original, "_original_float_model.onnx"));
  stage_done("load");

  ir::Graph optimized = original;
  passes::PassContext pctx;
  pctx.dump_after = o.dump_after;
  EDGEQ_RETURN_IF_ERROR(passes::run_pipeline(optimized, pctx));
  for (auto missing : passes::missing_passes())
    log.line("warning: pass " + std::string(missing) + " is not in this build");
  log.line("optimized: " + std::to_string(original.nodes.size()) + " → " + std::to_string(optimized.nodes.size()) +
           " nodes");
  EDGEQ_RETURN_IF_ERROR(art.save(optimized, "_optimized_float_model.onnx"));
  stage_done("optimize");

  EDGEQ_ASSIGN_OR_RETURN(ir::Graph float_graph, expanded_float_graph(optimized));
  EDGEQ_ASSIGN_OR_RETURN(auto samples, calibration_samples(float_graph, o, log));
  r.calibration_samples = static_cast<int>(samples.size());
  quant::CalibrationOptions copts;
  copts.methods = methods_to_try(o);
  copts.max_percentile = o.max_percentile;
  copts.progress = progress_printer(log);
  EDGEQ_ASSIGN_OR_RETURN(quant::Calibration cal, quant::calibrate(float_graph, samples, copts));
  stage_done("calibrate");

  const size_t eval_count = std::min<size_t>(samples.size(), o.fast_perf ? kFastPerfEvalSamples : kEvalSamples);
  const std::vector<quant::Feeds> eval_samples(samples.begin(), samples.begin() + static_cast<long>(eval_count));
  r.evaluation_samples = static_cast<int>(eval_count);
  quant::QuantizeOptions qopts;
  // Quantization works on standard ONNX ops: the expanded graph, whose value names the
  // calibration ranges use. The saved optimized model is expanded the same way on export.
  EDGEQ_RETURN_IF_ERROR(quant::annotate_placement(float_graph, qopts));
  // With several methods, quantize with each and keep the best output cosine to float.
  quant::CalibrationMethod chosen = copts.methods.front();
  std::optional<ir::Graph> qdq;
  if (copts.methods.size() > 1) {
    EDGEQ_ASSIGN_OR_RETURN(auto reference, run_outputs(float_graph, eval_samples));
    double best = -2.0;
    for (auto m : copts.methods) {
      EDGEQ_ASSIGN_OR_RETURN(ir::Graph candidate, quant::quantize(float_graph, cal.ranges.at(m), qopts));
      EDGEQ_ASSIGN_OR_RETURN(double cos, mean_output_cosine(candidate, eval_samples, reference));
      r.method_scores.push_back({method_text(m), cos});
      log.line(std::string("calibration method ") + method_text(m) + ": output cosine " + fmt("%.6f", cos));
      if (cos > best) {
        best = cos;
        chosen = m;
        qdq = std::move(candidate);
      }
    }
    log.line(std::string("calibration method chosen: ") + method_text(chosen));
  } else {
    EDGEQ_ASSIGN_OR_RETURN(ir::Graph g, quant::quantize(float_graph, cal.ranges.at(chosen), qopts));
    qdq = std::move(g);
  }
  r.calibration_method = method_text(chosen);
  const quant::RangeTable& ranges = cal.ranges.at(chosen);
  EDGEQ_ASSIGN_OR_RETURN(ir::Graph calibrated, quant::attach_calibration(float_graph, ranges));
  calibrated.metadata["edgeq_calibration_method"] = r.calibration_method;
  EDGEQ_RETURN_IF_ERROR(art.save(calibrated, "_calibrated_model.onnx"));
  qdq->metadata["edgeq_calibration_method"] = r.calibration_method;
  EDGEQ_RETURN_IF_ERROR(art.save(*qdq, "_quantized_model.onnx"));
  stage_done("quantize");

  EDGEQ_ASSIGN_OR_RETURN(Evaluation ev, evaluate(float_graph, *qdq, eval_samples));
  fill_node_table(*qdq, float_graph, ev, r);
  for (const auto& name : qdq->outputs) {
    auto it = ev.outputs.find(name);
    if (it == ev.outputs.end()) continue;
    r.outputs.push_back({name, it->second.cosine, it->second.l1, it->second.l2, it->second.chebyshev});
  }
  if (r.method_scores.empty()) {
    double sum = 0;
    for (const auto& out : r.outputs) sum += out.cosine;
    r.method_scores.push_back({r.calibration_method, r.outputs.empty() ? 0.0 : sum / r.outputs.size()});
  }
  stage_done("evaluate");

  EDGEQ_RETURN_IF_ERROR(compile_stage(o, *qdq, folder, log, r));
  stage_done("compile");
  r.total_seconds = clock.total();
  return r;
}

std::string header_lines(const MakertbinOptions& o) {
  std::string s = "edgeq makertbin " + std::string(kEdgeqVersion);
  const dnnl_version_t* v = dnnl_version();
  s += " (oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
       ", compiler " + __VERSION__ + ")";
  if (!o.command_line.empty()) s += "\ncommand: " + o.command_line;
  return s;
}

}  // namespace

StatusOr<MakertbinResult> run_makertbin(const MakertbinOptions& options) {
  EDGEQ_RETURN_IF_ERROR(check_options(options));
  if (!fs::exists(options.model_path)) return not_found("model file " + options.model_path + " does not exist");
  EDGEQ_ASSIGN_OR_RETURN(auto folder, StagedFolder::create(options.output_dir));
  Log log(options.console);
  log.log_only(header_lines(options));
  EDGEQ_ASSIGN_OR_RETURN(MakertbinResult r, run_stages(options, *folder, log));
  std::string report = to_table(r);
  log.log_only(report);
  {
    std::ofstream out(folder->file(kLogFileName), std::ios::binary | std::ios::trunc);
    out << log.text();
    out << "output folder: " << r.output_dir << "\n";
    if (!out.good()) return io_error("cannot write the log into " + folder->staging().string());
  }
  r.files.push_back(kLogFileName);
  EDGEQ_RETURN_IF_ERROR(folder->commit());
  return r;
}

}  // namespace edgeq::converter
