// `edgeq checker`: loads a model, checks every node against edgeq's op support, and
// reports per-node output shapes and totals (ops, parameters, MACs).
//
//   checker::CheckOptions opts;
//   opts.model_path = "resnet18.onnx";
//   EDGEQ_ASSIGN_OR_RETURN(checker::CheckReport r, checker::check_model(opts));
//   std::cout << checker::to_table(r);           // or checker::to_json(r).dump(2)
//   return r.convertible ? 0 : 1;
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "base/tensor.h"

namespace edgeq::checker {

struct CheckOptions {
  std::string model_path;
  std::string model_type = "onnx";
  std::string march = "host";
  std::map<std::string, Dims> input_shapes;
};

struct NodeReport {
  std::string name;
  std::string op_type;
  std::string domain;
  std::vector<std::string> output_shapes;  // "f32[1,64,112,112]" per output
  bool supported = true;
  std::string note;                         // why unsupported
  int64_t macs = 0;
};

struct IoReport {
  std::string name;
  std::string type;  // "f32[1,3,224,224]"
};

struct CheckReport {
  std::string model_path;
  int64_t ir_version = 0;
  int64_t opset = 0;
  std::string producer;
  std::vector<IoReport> inputs;
  std::vector<IoReport> outputs;
  std::vector<NodeReport> nodes;
  std::map<std::string, int> op_counts;
  int64_t parameters = 0;
  int64_t macs = 0;
  bool convertible = true;
  std::string problem;  // the sentence saying why not, when !convertible
};

// Fails (one sentence) when the file cannot be loaded at all; a model with unsupported
// ops loads and is reported with convertible == false.
StatusOr<CheckReport> check_model(const CheckOptions& options);

std::string to_table(const CheckReport& report);
nlohmann::json to_json(const CheckReport& report);

}  // namespace edgeq::checker
