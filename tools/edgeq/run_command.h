// `edgeq run`: runs a float model in edgeq's interpreter and prints its outputs (a QDQ
// model optionally with the int8 simulation, --int8-sim).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace edgeq::tools {

struct RunFlags {
  std::string model;
  std::string model_type = "onnx";
  std::vector<std::string> input_shapes;  // name:1x3x224x224
  std::vector<std::string> inputs;        // name=file.npy (or file.npy for a single input)
  std::string output_dir;                 // writes <output>.npy when set
  int top = 5;
  int threads = 0;
  bool json = false;
  // QDQ model: run the groups ONNX Runtime fuses (DQ → Conv/Add/... → Q) with the int8
  // reference kernels (exec::InterpreterOptions::int8_simulation).
  bool int8_sim = false;
};

// Returns the process exit code (0 ok, 2 bad input).
int run_model_command(const RunFlags& flags);

}  // namespace edgeq::tools
