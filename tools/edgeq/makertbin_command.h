// `edgeq makertbin`: flags → converter::run_makertbin, report on stdout.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace edgeq::tools {

struct MakertbinFlags {
  std::string model;
  std::string model_type = "onnx";
  std::string march = "host";
  std::vector<std::string> input_shapes;
  std::string output_dir = "model_output";
  std::string output_prefix;
  bool fast_perf = false;
  std::string cal_data_dir;
  std::string calibration_method = "default";
  double max_percentile = 0.99995;
  std::vector<std::string> dump_after;
  std::string optimize_level;
  int core_num = 1;
  bool json = false;
  std::string command_line;
};

void add_makertbin(CLI::App& app, MakertbinFlags& flags);
// Returns the process exit code (0 ok, 1 internal failure, 2 bad input).
int run_makertbin_command(const MakertbinFlags& flags);

}  // namespace edgeq::tools
