// The ONNX backend operator tests (Debian libonnx-testdata) run through edgeq's loader and
// float interpreter. Every test whose ops edgeq supports must pass; tests that use an op or
// construct edgeq refuses are counted as unsupported, with the reason.
//
//   EDGEQ_CONFORMANCE_FILTER='^test_(relu|add)' build/bin/edgeq_onnx_tests --gtest_filter='*Conformance*'
//
// Writes <build>/reports/onnx_conformance.json (unfiltered run) or
// onnx_conformance_filtered.json (filtered run).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "exec/interpreter.h"
#include "onnx/onnx_io.h"
#include "onnx/tensor_proto.h"

namespace edgeq::onnx {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDataRoot = "/usr/share/libonnx-testdata/data";
constexpr const char* kSuites[] = {"node", "pytorch-converted", "pytorch-operator"};

// The project's bar: |got - expected| <= kAtol + kRtol * |expected|. ONNX's own runner
// (onnx/backend/test/loader) uses rtol=1e-3, atol=1e-7 for every one of these tests; we are
// stricter and use no per-test exceptions.
constexpr double kAtol = 1e-4, kRtol = 1e-4;

struct Outcome {
  enum Kind { kPassed, kFailed, kUnsupported } kind = kPassed;
  std::string reason;
};

Outcome failed(std::string r) { return {Outcome::kFailed, std::move(r)}; }
Outcome unsupported_outcome(std::string r) { return {Outcome::kUnsupported, std::move(r)}; }

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

StatusOr<NamedTensor> read_pb(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) return data_loss(file.string() + " is not a TensorProto");
  EDGEQ_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(proto, file.parent_path().string()));
  return NamedTensor{proto.name(), std::move(t)};
}

// input_0.pb, input_1.pb, ... in index order.
std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  for (int k = 0;; ++k) {
    fs::path f = dir / (prefix + "_" + std::to_string(k) + ".pb");
    if (!fs::exists(f)) break;
    files.push_back(f);
  }
  return files;
}

std::string value_string(const Tensor& t, int64_t i) {
  std::ostringstream s;
  if (dtype_is_float(t.dtype())) s.precision(9), s << t.at_double(i);
  else if (t.dtype() == DType::kUInt64) s << t.data<uint64_t>()[i];
  else s << t.at_int(i);
  return s.str();
}

// "" when `got` matches `expected`, else the first difference.
std::string compare(const Tensor& got, const Tensor& expected) {
  if (got.dtype() != expected.dtype())
    return "dtype " + std::string(dtype_name(got.dtype())) + ", expected " + std::string(dtype_name(expected.dtype()));
  if (got.shape() != expected.shape())
    return "shape " + shape_to_string(got.shape()) + ", expected " + shape_to_string(expected.shape());
  const bool is_float = dtype_is_float(got.dtype());
  for (int64_t i = 0; i < got.numel(); ++i) {
    bool ok;
    if (is_float) {
      double g = got.at_double(i), e = expected.at_double(i);
      if (std::isnan(e) || std::isnan(g)) ok = std::isnan(e) && std::isnan(g);
      else if (std::isinf(e) || std::isinf(g)) ok = g == e;
      else ok = std::abs(g - e) <= kAtol + kRtol * std::abs(e);
    } else if (got.dtype() == DType::kUInt64) {
      ok = got.data<uint64_t>()[i] == expected.data<uint64_t>()[i];
    } else {
      ok = got.at_int(i) == expected.at_int(i);
    }
    if (!ok)
      return "element " + std::to_string(i) + " of " + std::to_string(got.numel()) + " is " + value_string(got, i) +
             ", expected " + value_string(expected, i);
  }
  return "";
}

// numpy has no bfloat16, so ONNX's generator stores bfloat16 test data as uint16 bit
// patterns; take them as the bf16 the graph declares.
Tensor as_declared(const ir::Graph& g, const std::string& value, Tensor t) {
  const ir::ValueInfo* info = g.value_info(value);
  if (!info || info->dtype != DType::kBFloat16 || t.dtype() != DType::kUInt16) return t;
  Tensor bf(DType::kBFloat16, t.shape());
  if (t.nbytes()) std::memcpy(bf.raw(), t.raw(), t.nbytes());
  return bf;
}

// Feeds for one data set: the K-th file to the K-th graph input, or by the proto's name
// when the counts differ.
StatusOr<std::map<std::string, Tensor>> read_feeds(const ir::Graph& g, const fs::path& set_dir) {
  std::vector<NamedTensor> given;
  for (const auto& f : numbered_files(set_dir, "input")) {
    EDGEQ_ASSIGN_OR_RETURN(NamedTensor t, read_pb(f));
    given.push_back(std::move(t));
  }
  std::map<std::string, Tensor> feeds;
  if (given.size() == g.inputs.size()) {
    for (size_t k = 0; k < given.size(); ++k) feeds[g.inputs[k]] = as_declared(g, g.inputs[k], given[k].tensor);
    return feeds;
  }
  for (const auto& t : given) {
    if (std::find(g.inputs.begin(), g.inputs.end(), t.name) == g.inputs.end())
      return invalid_argument("input file for '" + t.name + "' matches no graph input");
    feeds[t.name] = as_declared(g, t.name, t.tensor);
  }
  return feeds;
}

// Some ONNX 1.12 test models declare an input shape their own data does not have (e.g.
// test_castlike_*: 'like' is declared [3,4] but fed [1]). ONNX's runner feeds the data
// without checking, so we take the data's shape, and rebuild the interpreter for it.
bool adopt_feed_shapes(ir::Graph& g, const std::map<std::string, Tensor>& feeds) {
  bool changed = false;
  for (const auto& [name, t] : feeds) {
    ir::ValueInfo* info = g.values.count(name) ? &g.values[name] : nullptr;
    if (!info || !info->shape) continue;
    bool match = info->shape->size() == t.shape().size();
    for (size_t i = 0; match && i < t.shape().size(); ++i)
      match = !(*info->shape)[i].is_static() || (*info->shape)[i].value == t.shape()[i];
    if (!match) {
      info->shape = ir::make_shape(t.shape());
      changed = true;
    }
  }
  return changed;
}

Outcome create_interpreter(const ir::Graph& g, std::unique_ptr<exec::Interpreter>* interp) {
  auto created = exec::Interpreter::create(g);
  if (!created.ok()) {
    if (created.status().code() == StatusCode::kUnsupported) return unsupported_outcome(created.status().message());
    return failed("interpreter: " + created.status().to_string());
  }
  *interp = std::move(created).value();
  return {};
}

Outcome run_data_set(ir::Graph& g, std::unique_ptr<exec::Interpreter>* interp, const fs::path& set_dir) {
  auto feeds = read_feeds(g, set_dir);
  if (!feeds.ok()) return failed(set_dir.filename().string() + ": " + feeds.status().message());
  if (adopt_feed_shapes(g, *feeds) || !*interp) {
    Outcome o = create_interpreter(g, interp);
    if (o.kind != Outcome::kPassed) return o;
  }
  std::map<std::string, Tensor> fetches;
  Status st;
  try {
    st = (*interp)->run(*feeds, &fetches);
  } catch (const std::exception& e) {
    st = internal_error(std::string("exception: ") + e.what());
  }
  if (st.code() == StatusCode::kUnsupported) return unsupported_outcome(st.message());
  if (!st.ok()) return failed(set_dir.filename().string() + ": " + st.to_string());
  auto expected = numbered_files(set_dir, "output");
  if (expected.size() != g.outputs.size())
    return failed(set_dir.filename().string() + ": " + std::to_string(expected.size()) + " expected outputs but the graph has " +
                  std::to_string(g.outputs.size()));
  for (size_t k = 0; k < expected.size(); ++k) {
    auto want = read_pb(expected[k]);
    if (!want.ok()) return failed(expected[k].string() + ": " + want.status().message());
    auto got = fetches.find(g.outputs[k]);
    if (got == fetches.end()) return failed("output '" + g.outputs[k] + "' was not produced");
    std::string diff = compare(got->second, as_declared(g, g.outputs[k], want->tensor));
    if (!diff.empty())
      return failed(set_dir.filename().string() + " output " + std::to_string(k) + " ('" + g.outputs[k] + "'): " + diff);
  }
  return {};
}

Outcome run_test(const fs::path& dir) {
  LoadOptions options;
  options.infer_shapes = true;
  options.require_static_inputs = false;
  auto graph = load_model((dir / "model.onnx").string(), options);
  if (!graph.ok()) {
    if (graph.status().code() == StatusCode::kUnsupported) return unsupported_outcome(graph.status().message());
    return failed("load: " + graph.status().to_string());
  }
  auto missing = exec::unsupported_nodes(*graph);
  if (!missing.empty()) {
    std::set<std::string> ops;
    for (const auto& n : missing) ops.insert(n.domain.empty() ? n.op_type : n.domain + "." + n.op_type);
    std::string list;
    for (const auto& op : ops) list += (list.empty() ? "" : ", ") + op;
    return unsupported_outcome("no kernel for " + list);
  }
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return failed("no test_data_set_* folder");
  std::unique_ptr<exec::Interpreter> interp;
  for (const auto& s : sets) {
    Outcome o = run_data_set(*graph, &interp, s);
    if (o.kind != Outcome::kPassed) return o;
  }
  return {};
}

fs::path report_dir() {
  const char* env = std::getenv("EDGEQ_BINARY_DIR");
  return fs::path(env && *env ? env : EDGEQ_BINARY_DIR) / "reports";
}

TEST(Conformance, OnnxBackendNodeTests) {
  if (!fs::exists(kDataRoot)) FAIL() << kDataRoot << " is missing; run scripts/setup.sh (package libonnx-testdata)";
  const char* filter_env = std::getenv("EDGEQ_CONFORMANCE_FILTER");
  const bool filtered = filter_env && *filter_env;
  std::regex filter(filtered ? filter_env : ".*");

  std::vector<fs::path> dirs;
  for (const char* suite : kSuites) {
    fs::path root = fs::path(kDataRoot) / suite;
    if (!fs::exists(root)) continue;
    for (const auto& e : fs::directory_iterator(root))
      if (e.is_directory() && std::regex_search(e.path().filename().string(), filter)) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());

  auto start = std::chrono::steady_clock::now();
  nlohmann::json failures = nlohmann::json::array(), unsupported_tests = nlohmann::json::array();
  int passed = 0;
  for (const auto& dir : dirs) {
    std::string name = dir.parent_path().filename().string() + "/" + dir.filename().string();
    Outcome o = run_test(dir);
    if (o.kind == Outcome::kPassed) ++passed;
    else if (o.kind == Outcome::kFailed) {
      failures.push_back({{"test", name}, {"reason", o.reason}});
      std::cout << "FAILED " << name << ": " << o.reason.substr(0, 400) << "\n";
    } else {
      unsupported_tests.push_back({{"test", name}, {"reason", o.reason}});
      if (filtered) std::cout << "unsupported " << name << ": " << o.reason.substr(0, 300) << "\n";
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int n_failed = static_cast<int>(failures.size()), n_unsupported = static_cast<int>(unsupported_tests.size());
  nlohmann::json report = {{"passed", passed},
                           {"failed", n_failed},
                           {"unsupported", n_unsupported},
                           {"filter", filtered ? filter_env : ""},
                           {"seconds", seconds},
                           {"failures", failures},
                           {"unsupported_tests", unsupported_tests}};
  fs::create_directories(report_dir());
  fs::path out = report_dir() / (filtered ? "onnx_conformance_filtered.json" : "onnx_conformance.json");
  std::ofstream(out) << report.dump(1) << "\n";
  std::cout << "ONNX conformance: " << passed << " passed, " << n_failed << " failed, " << n_unsupported
            << " unsupported of " << dirs.size() << " tests in " << seconds << " s (report: " << out.string() << ")\n";

  EXPECT_EQ(n_failed, 0) << "see " << out.string();
  if (!filtered) {
    EXPECT_GE(passed, 450);
  }
}

}  // namespace
}  // namespace edgeq::onnx
