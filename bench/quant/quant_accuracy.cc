// Zoo accuracy proxy for one model (run by bench/quant_accuracy.py): calibrate the optimized
// graph on random N(0,1) inputs (seed A), quantize with each method, and measure the output
// cosine similarity to float on other random inputs (seed B). Prints one JSON object.
//
//   edgeq_bench_quant --model build/models/resnet18_op13.onnx --cal-samples 32 --eval-samples 16
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "converter/similarity.h"
#include "converter/stages.h"
#include "onnx/onnx_io.h"
#include "passes/pass.h"
#include "quant/calibration.h"
#include "quant/quantize.h"

namespace {

using namespace edgeq;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Status run(const std::string& model, int cal_samples, uint32_t cal_seed, int eval_samples, uint32_t eval_seed,
           nlohmann::json* out) {
  auto t0 = std::chrono::steady_clock::now();
  EDGEQ_ASSIGN_OR_RETURN(ir::Graph graph, onnx::load_model(model));
  EDGEQ_RETURN_IF_ERROR(passes::run_pipeline(graph, {}));
  EDGEQ_ASSIGN_OR_RETURN(ir::Graph float_graph, converter::expanded_float_graph(graph));
  EDGEQ_ASSIGN_OR_RETURN(auto cal, quant::random_samples(float_graph, cal_samples, cal_seed));
  EDGEQ_ASSIGN_OR_RETURN(auto eval, quant::random_samples(float_graph, eval_samples, eval_seed));
  quant::CalibrationOptions copts;
  copts.methods = {quant::CalibrationMethod::kMax, quant::CalibrationMethod::kPercentile,
                   quant::CalibrationMethod::kKl, quant::CalibrationMethod::kMse};
  EDGEQ_ASSIGN_OR_RETURN(quant::Calibration calibration, quant::calibrate(float_graph, cal, copts));
  EDGEQ_ASSIGN_OR_RETURN(auto reference, converter::run_outputs(float_graph, eval));
  quant::QuantizeOptions qopts;
  EDGEQ_RETURN_IF_ERROR(quant::annotate_placement(float_graph, qopts));
  (*out)["model"] = model;
  for (auto m : copts.methods) {
    EDGEQ_ASSIGN_OR_RETURN(ir::Graph qdq, quant::quantize(float_graph, calibration.ranges.at(m), qopts));
    EDGEQ_ASSIGN_OR_RETURN(double cos, converter::mean_output_cosine(qdq, eval, reference));
    (*out)["cosine"][std::string(quant::method_name(m))] = cos;
  }
  (*out)["seconds"] = seconds_since(t0);
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Quantization accuracy proxy on one model: output cosine to float per calibration method"};
  std::string model;
  int cal_samples = 32, eval_samples = 16;
  uint32_t cal_seed = 1001, eval_seed = 2002;
  app.add_option("--model", model, "Float model (ONNX)")->required();
  app.add_option("--cal-samples", cal_samples)->capture_default_str();
  app.add_option("--cal-seed", cal_seed)->capture_default_str();
  app.add_option("--eval-samples", eval_samples)->capture_default_str();
  app.add_option("--eval-seed", eval_seed)->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  nlohmann::json out;
  edgeq::Status s = run(model, cal_samples, cal_seed, eval_samples, eval_seed, &out);
  if (!s.ok()) {
    std::cerr << "edgeq_bench_quant: error: " << s.message() << "\n";
    return 1;
  }
  std::cout << out.dump() << "\n";
  return 0;
}
