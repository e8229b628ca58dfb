// Float vs quantized comparison: runs the float graph and the QDQ graph on the same
// inputs in the interpreter and measures how close the quantized results are.
//
//   EDGEQ_ASSIGN_OR_RETURN(auto ref, converter::run_outputs(float_graph, samples));
//   EDGEQ_ASSIGN_OR_RETURN(double cos, converter::mean_output_cosine(qdq, samples, ref));
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"
#include "quant/calibration.h"

namespace edgeq::converter {

struct Distances {
  double cosine = 0.0;     // 1 when both tensors are all zero
  double l1 = 0.0;         // mean |a - b|
  double l2 = 0.0;         // sqrt(mean (a - b)^2)
  double chebyshev = 0.0;  // max |a - b|
};
// Compares two tensors of the same element count (any dtype; compared as float).
Distances distances(const Tensor& a, const Tensor& b);

using Outputs = std::map<std::string, Tensor>;

// The graph outputs for each sample.
StatusOr<std::vector<Outputs>> run_outputs(const ir::Graph& graph, const std::vector<quant::Feeds>& samples);

// Cosine of every graph output of `qdq` against `reference`, averaged over outputs and samples.
StatusOr<double> mean_output_cosine(const ir::Graph& qdq, const std::vector<quant::Feeds>& samples,
                                    const std::vector<Outputs>& reference);

struct Evaluation {
  // Per value of the float graph that a QDQ node also produces: mean cosine over samples,
  // measured after the value's QuantizeLinear/DequantizeLinear pair when it has one.
  std::map<std::string, double> value_cosine;
  std::map<std::string, Distances> outputs;  // per graph output, averaged (chebyshev: max)
};

StatusOr<Evaluation> evaluate(const ir::Graph& float_graph, const ir::Graph& qdq,
                              const std::vector<quant::Feeds>& samples);

// The value a QDQ graph's consumers see for `value`: the output of the DequantizeLinear
// fed by `value`'s QuantizeLinear, or `value` itself when it is not requantized.
std::string dequantized_name(const ir::Graph& qdq, const std::string& value);

}  // namespace edgeq::converter
