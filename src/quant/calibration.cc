// The calibrator: one interpreter pass over the samples feeds every float value's observer
// (graph inputs and node outputs); each requested method then reads its range from the
// same statistics. Histograms grow by exact rebinning (observer.h), so even the histogram
// methods need only the one pass.
#include "quant/calibration.h"

#include <unordered_map>

#include "exec/interpreter.h"
#include "quant/observer.h"

namespace edgeq::quant {
namespace {

constexpr int kMinHistogramBins = 256;  // the KL search needs more bins than u8 levels

bool is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64 || t == DType::kBFloat16;
}

class Observers {
 public:
  Observers(bool with_histogram, int bins) : with_histogram_(with_histogram), bins_(bins) {}

  // Integer and bool tensors carry no quantization range and are skipped.
  void observe(const std::string& name, const Tensor& t) {
    if (!is_float(t.dtype())) return;
    auto it = by_name_.find(name);
    if (it == by_name_.end()) {
      order_.push_back(name);
      it = by_name_.emplace(name, TensorObserver(with_histogram_, bins_)).first;
    }
    if (t.dtype() == DType::kFloat32) {
      it->second.observe(t.span<float>());
    } else {
      const Tensor f = t.to_float();
      it->second.observe(f.span<float>());
    }
  }

  RangeTable ranges(CalibrationMethod method, const CalibrationOptions& options) const {
    RangeTable table;
    for (const std::string& name : order_) table[name] = by_name_.at(name).range(method, options);
    return table;
  }

 private:
  bool with_histogram_;
  int bins_;
  std::vector<std::string> order_;
  std::unordered_map<std::string, TensorObserver> by_name_;
};

Status check_options(const CalibrationOptions& options, size_t samples) {
  if (samples == 0) return invalid_argument("Calibration needs at least one sample.");
  if (options.methods.empty()) return invalid_argument("No calibration method was requested.");
  if (!(options.max_percentile > 0.0 && options.max_percentile <= 1.0))
    return invalid_argument("max_percentile must be in (0, 1], got " + std::to_string(options.max_percentile) + ".");
  if (options.histogram_bins < kMinHistogramBins)
    return invalid_argument("histogram_bins must be at least " + std::to_string(kMinHistogramBins) + ", got " +
                            std::to_string(options.histogram_bins) + ".");
  return Status::ok_status();
}

}  // namespace

std::string_view method_name(CalibrationMethod m) {
  switch (m) {
    case CalibrationMethod::kMax: return "max";
    case CalibrationMethod::kPercentile: return "percentile";
    case CalibrationMethod::kKl: return "kl";
    case CalibrationMethod::kMse: return "mse";
  }
  return "?";
}

StatusOr<CalibrationMethod> parse_method(std::string_view name) {
  for (CalibrationMethod m : {CalibrationMethod::kMax, CalibrationMethod::kPercentile, CalibrationMethod::kKl,
                              CalibrationMethod::kMse}) {
    if (name == method_name(m)) return m;
  }
  return invalid_argument("Unknown calibration method '" + std::string(name) +
                          "'; expected one of max, percentile, kl, mse.");
}

StatusOr<Calibration> calibrate(const ir::Graph& graph, const std::vector<Feeds>& samples,
                                const CalibrationOptions& options) {
  EDGEQ_RETURN_IF_ERROR(check_options(options, samples.size()));
  bool with_histogram = false;
  for (CalibrationMethod m : options.methods) with_histogram |= m != CalibrationMethod::kMax;
  EDGEQ_ASSIGN_OR_RETURN(auto interpreter, exec::Interpreter::create(graph));

  Observers observers(with_histogram, options.histogram_bins);
  const int total = static_cast<int>(samples.size());
  for (int s = 0; s < total; ++s) {
    const Feeds& feeds = samples[static_cast<size_t>(s)];
    for (const std::string& input : graph.inputs) {
      auto it = feeds.find(input);
      if (it != feeds.end()) observers.observe(input, it->second);
    }
    std::map<std::string, Tensor> fetches;
    Status run = interpreter->run(feeds, &fetches, [&](const ir::Node& node, std::span<const Tensor> outputs) {
      for (size_t i = 0; i < outputs.size() && i < node.outputs.size(); ++i) {
        if (!node.outputs[i].empty()) observers.observe(node.outputs[i], outputs[i]);
      }
    });
    if (!run.ok()) {
      return Status(run.code(), "Calibration sample " + std::to_string(s + 1) + " of " + std::to_string(total) +
                                    " failed: " + run.message());
    }
    if (options.progress) options.progress(s + 1, total);
  }

  Calibration result;
  result.samples = total;
  for (CalibrationMethod m : options.methods) result.ranges[m] = observers.ranges(m, options);
  return result;
}

}  // namespace edgeq::quant
