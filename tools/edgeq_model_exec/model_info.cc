// `edgeq_model_exec model_info`: inputs/outputs, segments, arena, load time, build info.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tools/edgeq_model_exec/common.h"
#include "tools/edgeq_model_exec/tensors.h"

namespace edgeq::model_exec {
namespace {

void print_io(const char* what, const edgeq_tensor_desc& d, const nlohmann::json& j) {
  std::printf("  %s '%s': %s\n", what, d.name, describe(d).c_str());
  if (j.contains("source_name") && !j["source_name"].get<std::string>().empty())
    std::printf("      float model name: %s\n", j["source_name"].get<std::string>().c_str());
  std::printf("      bytes: %zu; removed ops: %s\n", d.bytes, d.removed_ops && *d.removed_ops ? d.removed_ops : "none");
}

}  // namespace

int run_model_info(const ModelInfoFlags& f) {
  const std::string cmd = "model_info";
  auto model = load_model(cmd, f.model_file, f.model_name, f.json);
  if (!model) return kExitBadInput;
  nlohmann::json info = nlohmann::json::parse(model->info_json(), nullptr, false);
  if (info.is_discarded()) return fail(cmd, "The runtime returned an unreadable model description.", f.json, kExitRunFailed);
  if (f.json) {
    if (!f.verbose) info.erase("kernels");
    std::cout << info.dump(2) << "\n";
    return 0;
  }
  const auto& o = info["options"];
  std::printf("Model '%s' (%s)\n", info["name"].get<std::string>().c_str(), f.model_file.c_str());
  std::printf("Build: toolchain %s, format version %d, march %s, isa %s, optimize level O%d, core_num %d, %s, calibration %s\n",
              info["toolchain"].get<std::string>().c_str(), info["format_version"].get<int>(),
              o["march"].get<std::string>().c_str(), o["isa"].get<std::string>().c_str(), o["optimize_level"].get<int>(),
              o["core_num"].get<int>(), o["fast_perf"].get<bool>() ? "fast-perf" : "normal",
              o["calibration_method"].get<std::string>().c_str());
  std::printf("Runtime: %s, host isa %s, %d core(s)\n", info["runtime_version"].get<std::string>().c_str(),
              info["host_isa"].get<std::string>().c_str(), model->num_cores());
  std::printf("Inputs:\n");
  for (int i = 0; i < model->num_inputs(); ++i) print_io("input", model->input_desc(i), info["inputs"][i]);
  std::printf("Outputs:\n");
  for (int i = 0; i < model->num_outputs(); ++i) print_io("output", model->output_desc(i), info["outputs"][i]);
  std::printf("Segments (%d ops):\n", info["num_ops"].get<int>());
  for (const auto& s : info["segments"]) {
    std::string counts;
    for (const auto& [type, n] : s["op_counts"].items()) counts += (counts.empty() ? "" : ", ") + type + " " + std::to_string(n.get<int>());
    std::printf("  #%d %-11s ops %d..%d (%d): %s\n", s["index"].get<int>(), s["placement"].get<std::string>().c_str(),
                s["first_op"].get<int>(), s["first_op"].get<int>() + s["num_ops"].get<int>() - 1, s["num_ops"].get<int>(),
                counts.c_str());
  }
  std::printf("Arena: %lld bytes per core (%.2f MiB)\n", static_cast<long long>(info["arena_bytes"].get<int64_t>()),
              info["arena_bytes"].get<double>() / (1024.0 * 1024.0));
  std::printf("Load time: %.3f ms\n", info["load_time_ms"].get<double>());
  if (!info["metadata"].empty()) {
    std::printf("Metadata:\n");
    for (const auto& [k, v] : info["metadata"].items()) {
      std::string text = v.get<std::string>();
      if (text.size() > 120 && !f.verbose) text = text.substr(0, 117) + "...";
      std::printf("  %s: %s\n", k.c_str(), text.c_str());
    }
  }
  if (f.verbose) {
    std::printf("Kernels:\n");
    for (const auto& k : info["kernels"]) std::printf("  %s\n", k.get<std::string>().c_str());
  }
  return 0;
}

}  // namespace edgeq::model_exec
