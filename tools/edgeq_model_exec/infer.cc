// `edgeq_model_exec infer`: one frame on real inputs; writes every output raw and as
// dequantized float, prints a summary (top-5 for a classifier-like output).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "base/npy.h"
#include "tools/edgeq_model_exec/common.h"
#include "tools/edgeq_model_exec/tensors.h"

namespace edgeq::model_exec {
namespace {

std::string file_stem(const std::string& name) {
  std::string s;
  for (char c : name) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return s.empty() ? "output" : s;
}

bool write_text(const Tensor& t, const std::string& path) {
  std::ofstream os(path);
  for (int64_t i = 0; i < t.numel(); ++i) os << t.at_double(i) << "\n";
  return static_cast<bool>(os);
}

bool write_raw(const Tensor& t, const std::string& path) {
  std::ofstream os(path, std::ios::binary);
  os.write(static_cast<const char*>(t.raw()), static_cast<std::streamsize>(t.nbytes()));
  return static_cast<bool>(os);
}

// A classifier-like output: one axis with more than one element, the others 1.
bool classifier_like(const Dims& d) {
  int big = 0;
  for (int64_t v : d) big += v > 1;
  return big == 1;
}

}  // namespace

int run_infer(const InferFlags& f) {
  const std::string cmd = "infer";
  if (f.dump_format != "bin" && f.dump_format != "txt")
    return fail(cmd, "--dump_format must be bin or txt, got '" + f.dump_format + "'.", f.json);
  auto model = load_model(cmd, f.model_file, f.model_name, f.json);
  if (!model) return kExitBadInput;
  const int n_in = model->num_inputs(), n_out = model->num_outputs();
  if (static_cast<int>(f.input_files.size()) != n_in)
    return fail(cmd, "The model has " + std::to_string(n_in) + " input(s), but --input_file names " +
                         std::to_string(f.input_files.size()) + " file(s).", f.json);
  if (f.core_id < 0 || f.core_id > model->num_cores())
    return fail(cmd, "--core_id " + std::to_string(f.core_id) + " is out of range: use 0 (any idle core) or 1.." +
                         std::to_string(model->num_cores()) + ".", f.json);
  std::vector<std::vector<uint8_t>> inputs(n_in), outputs(n_out);
  std::vector<edgeq_buffer> in_bufs, out_bufs;
  for (int i = 0; i < n_in; ++i) {
    auto r = load_input(f.input_files[i], model->input_desc(i));
    if (!r.ok()) return fail(cmd, r.status().message(), f.json);
    inputs[i] = std::move(r).value();
    in_bufs.push_back({inputs[i].data(), inputs[i].size()});
  }
  for (int i = 0; i < n_out; ++i) {
    outputs[i].resize(model->output_desc(i).bytes);
    out_bufs.push_back({outputs[i].data(), outputs[i].size()});
  }
  if (api::Status s = model->run(in_bufs, out_bufs, f.core_id); !s) return fail(cmd, s.message, f.json, kExitRunFailed);

  const std::filesystem::path dir = f.dump_path.empty() ? std::filesystem::path(".") : std::filesystem::path(f.dump_path);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  nlohmann::json report = nlohmann::json::array();
  for (int i = 0; i < n_out; ++i) {
    edgeq_tensor_desc d = model->output_desc(i);
    Tensor raw = raw_tensor(d, outputs[i]);
    Tensor real = float_tensor(d, outputs[i]);
    const std::string stem = (dir / file_stem(d.name)).string();
    std::vector<std::string> files = {stem + ".npy", stem + "_float.npy"};
    Status st = save_npy(raw, files[0]);
    if (st.ok()) st = save_npy(real, files[1]);
    if (st.ok() && f.enable_dump) {
      const std::string ext = "." + f.dump_format;
      files.push_back(stem + ext);
      files.push_back(stem + "_float" + ext);
      bool ok = f.dump_format == "bin" ? write_raw(raw, files[2]) && write_raw(real, files[3])
                                       : write_text(raw, files[2]) && write_text(real, files[3]);
      if (!ok) st = io_error("Cannot write '" + files[2] + "'.");
    }
    if (!st.ok()) return fail(cmd, st.message(), f.json);
    nlohmann::json o = {{"name", d.name}, {"shape", real.shape()}, {"dtype", std::string(dtype_name(raw.dtype()))},
                        {"description", describe(d)}, {"files", files}};
    if (classifier_like(real.shape()) && real.numel() > 1) {
      std::vector<int64_t> idx(static_cast<size_t>(real.numel()));
      std::iota(idx.begin(), idx.end(), 0);
      const float* p = real.data<float>();
      const size_t k = std::min<size_t>(5, idx.size());
      std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int64_t a, int64_t b) {
        return p[a] > p[b] || (p[a] == p[b] && a < b);
      });
      nlohmann::json top = nlohmann::json::array();
      for (size_t j = 0; j < k; ++j) top.push_back({{"index", idx[j]}, {"value", p[idx[j]]}});
      o["top5"] = top;
    }
    report.push_back(o);
  }
  if (f.json) {
    std::cout << nlohmann::json{{"model_file", f.model_file}, {"outputs", report}}.dump(2) << "\n";
    return 0;
  }
  for (const auto& o : report) {
    std::printf("Output '%s': %s\n", o["name"].get<std::string>().c_str(), o["description"].get<std::string>().c_str());
    if (o.contains("top5")) {
      std::printf("  top-5 (index: dequantized value):");
      for (const auto& t : o["top5"]) std::printf("  %lld: %.5g", static_cast<long long>(t["index"].get<int64_t>()), t["value"].get<double>());
      std::printf("\n");
    }
    std::printf("  written:");
    for (const auto& file : o["files"]) std::printf(" %s", file.get<std::string>().c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace edgeq::model_exec
