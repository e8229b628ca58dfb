// `edgeq makertbin`: float ONNX model → optimized graph → calibration → int8 QDQ graph →
// compiled program (`<prefix>.bin`), with the intermediate ONNX files, the partition
// report (`<prefix>_subgraphs.html/.json`), a similarity report and a log, in one folder.
//
//   converter::MakertbinOptions opts;
//   opts.model_path = "resnet18.onnx";
//   opts.fast_perf = true;                          // random calibration data, method max
//   EDGEQ_ASSIGN_OR_RETURN(converter::MakertbinResult r, converter::run_makertbin(opts));
//   std::cout << converter::to_table(r);            // or converter::to_json(r).dump(2)
//
// The output folder is written all at once: everything goes to a fresh sibling folder
// that replaces the old one only when the run has succeeded (see output_folder.h).
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "base/tensor.h"
#include "compiler/compiler.h"

namespace edgeq::converter {

inline constexpr const char* kEdgeqVersion = "0.1.0";
inline constexpr const char* kLogFileName = "edgeq_makertbin.log";

struct MakertbinOptions {
  std::string model_path;
  std::string model_type = "onnx";
  std::string march = "host";
  std::map<std::string, Dims> input_shapes;  // --input-shape
  std::string output_dir = "model_output";
  std::string output_prefix;                  // default: the model file's stem
  bool fast_perf = false;                     // random calibration data, method max
  std::string cal_data_dir;                   // --cal-data-dir (ignored with fast_perf)
  std::string calibration_method = "default"; // max | percentile | kl | mse | default
  double max_percentile = 0.99995;
  int max_calibration_samples = 100;
  std::vector<std::string> dump_after;        // --dump-after PASS (or "all")
  std::string optimize_level;                 // --optimize-level O0..O3; "" = O3 (what fast-perf uses)
  int core_num = 1;                           // --core-num: cores one frame's layers spread over
  std::string command_line;                   // recorded in the log
  // Where progress and messages go while running (default std::cout); everything written
  // here also goes to the log file.
  std::ostream* console = nullptr;
};

struct NodeSimilarity {
  std::string name;
  std::string op_type;
  std::string placement;         // "accelerator" | "cpu" | "-"
  std::string placement_reason;
  std::string output;            // the value compared
  double cosine = -2.0;          // float vs quantized, averaged over samples; -2 = not compared
  bool has_quant = false;
  float scale = 0.0f;            // of the output's quantization (per-tensor)
  int32_t zero_point = 0;
  float threshold = 0.0f;        // max |real| the output's quantization can represent
  std::string dtype;             // "u8", "f32" (output kept in float)
};

struct OutputSimilarity {
  std::string name;
  double cosine = 0.0;     // cosine similarity of the flattened tensors
  double l1 = 0.0;         // mean |a - b|
  double l2 = 0.0;         // sqrt(mean (a - b)^2)
  double chebyshev = 0.0;  // max |a - b|
};

struct MethodScore {
  std::string method;
  double cosine = 0.0;  // mean over outputs and samples
};

struct StageTime {
  std::string stage;
  double seconds = 0.0;
};

struct MakertbinResult {
  std::string model_path;
  std::string output_dir;   // the final folder
  std::string prefix;
  std::vector<std::string> files;  // names inside output_dir
  bool fast_perf = false;
  int calibration_samples = 0;
  int evaluation_samples = 0;      // the first calibration samples, used for the similarity figures
  std::string calibration_method;  // the method used for the quantized model
  std::vector<MethodScore> method_scores;  // each method tried (default), or the one used
  std::vector<NodeSimilarity> nodes;
  std::vector<OutputSimilarity> outputs;
  std::map<std::string, int> placement_counts;  // "accelerator" → n
  std::vector<StageTime> timings;
  double total_seconds = 0.0;
  // The compiled program.
  int optimize_level = 3;
  int core_num = 1;
  std::string isa;
  compiler::Summary compile;
  std::string bin_file;     // name inside output_dir
  int64_t bin_bytes = 0;
};

// Checks the options, then runs every stage. Errors are one sentence; on error the
// previous content of the output folder (if any) is left as it was.
StatusOr<MakertbinResult> run_makertbin(const MakertbinOptions& options);

// The report printed after a run: per-node table, per-output table, timings.
std::string to_table(const MakertbinResult& result);
nlohmann::json to_json(const MakertbinResult& result);

}  // namespace edgeq::converter
