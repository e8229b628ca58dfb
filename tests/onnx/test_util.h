// Helpers for the ONNX tests: a temp folder, .npy files (the format bench/node/run_ort.js
// reads and writes), building ModelProtos, and running a model in ONNX Runtime.
#pragma once

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/tensor.h"

namespace edgeq::onnx::test {

namespace fs = std::filesystem;

// A fresh folder under the build tree, removed at scope end.
class TempDir {
 public:
  TempDir() {
    fs::path base = fs::path(EDGEQ_BINARY_DIR) / "tmp";
    fs::create_directories(base);
    std::string tmpl = (base / "onnx_test_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// ---- .npy (version 1.0, little-endian, C order) -------------------------------------

inline const std::map<DType, std::string>& npy_descrs() {
  static const std::map<DType, std::string> m = {
      {DType::kFloat32, "<f4"}, {DType::kFloat64, "<f8"}, {DType::kFloat16, "<f2"}, {DType::kInt8, "|i1"},
      {DType::kUInt8, "|u1"},   {DType::kInt16, "<i2"},   {DType::kUInt16, "<u2"},  {DType::kInt32, "<i4"},
      {DType::kUInt32, "<u4"},  {DType::kInt64, "<i8"},   {DType::kUInt64, "<u8"},  {DType::kBool, "|b1"}};
  return m;
}

inline void write_npy(const std::string& path, const Tensor& t) {
  std::string shape = "(";
  for (size_t i = 0; i < t.shape().size(); ++i) shape += std::to_string(t.shape()[i]) + (t.shape().size() == 1 ? "," : i + 1 < t.shape().size() ? ", " : "");
  shape += ")";
  std::string header = "{'descr': '" + npy_descrs().at(t.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  bytes.append(static_cast<const char*>(t.raw()), t.nbytes());
  write_file(path, bytes);
}

// Reads a .npy file written by write_npy or run_ort.js; undefined tensor on a bad file.
inline Tensor read_npy(const std::string& path) {
  std::string bytes = read_file(path);
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) return {};
  size_t header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
  std::string header = bytes.substr(10, header_len);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']+)'"))) return {};
  std::string descr = m[1];
  DType dtype = DType::kUndefined;
  for (const auto& [d, s] : npy_descrs())
    if (s == descr) dtype = d;
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)"))) return {};
  Dims dims;
  std::string shape_text = m[1];
  std::regex num("\\d+");
  for (auto it = std::sregex_iterator(shape_text.begin(), shape_text.end(), num); it != std::sregex_iterator(); ++it)
    dims.push_back(std::stoll(it->str()));
  if (dtype == DType::kUndefined) return {};
  Tensor t(dtype, dims);
  size_t start = 10 + header_len;
  if (bytes.size() - start != t.nbytes()) return {};
  std::memcpy(t.raw(), bytes.data() + start, t.nbytes());
  return t;
}

// ---- ONNX Runtime ---------------------------------------------------------------------

inline fs::path ort_runner_dir() { return fs::path(EDGEQ_SOURCE_DIR) / "bench" / "node"; }

inline bool ort_available() { return fs::exists(ort_runner_dir() / "node_modules" / "onnxruntime-node" / "package.json"); }

// Runs `model` in ONNX Runtime with `inputs` (session input order); fills `outputs` in the
// session's output order. Returns "" on success, else the reason (ORT's message).
inline std::string run_in_ort(const std::string& model, const std::vector<Tensor>& inputs, const fs::path& work_dir,
                              std::vector<Tensor>* outputs) {
  if (!ort_available())
    return "bench/node/node_modules is missing; run scripts/setup.sh to install ONNX Runtime for node";
  std::string list;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string f = (work_dir / ("ort_in" + std::to_string(i) + ".npy")).string();
    write_npy(f, inputs[i]);
    list += (i ? "," : "") + f;
  }
  if (list.empty()) list = "-";
  std::string prefix = (work_dir / "ort_out_").string();
  std::string log = (work_dir / "ort_log.txt").string();
  std::string cmd = "node '" + (ort_runner_dir() / "run_ort.js").string() + "' '" + model + "' '" + list + "' '" +
                    prefix + "' > '" + log + "' 2>&1";
  int rc = std::system(cmd.c_str());
  if (rc != 0) return "run_ort.js failed: " + read_file(log);
  nlohmann::json j = nlohmann::json::parse(read_file(prefix + "outputs.json"), nullptr, false);
  if (j.is_discarded()) return "run_ort.js wrote no valid outputs.json";
  outputs->clear();
  for (const auto& o : j["outputs"]) outputs->push_back(read_npy(o["file"].get<std::string>()));
  return "";
}

// ---- ModelProto building --------------------------------------------------------------

inline void set_value_info(::onnx::ValueInfoProto* v, const std::string& name, int32_t elem,
                           const std::vector<std::string>& dims) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem);
  auto* shape = tt->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (!d.empty() && std::isdigit(static_cast<unsigned char>(d[0]))) dim->set_dim_value(std::stoll(d));
    else dim->set_dim_param(d);
  }
}

// A model skeleton with the given versions and an empty graph named "test".
inline ::onnx::ModelProto make_model(int64_t ir_version = 8, int64_t opset = 13) {
  ::onnx::ModelProto m;
  m.set_ir_version(ir_version);
  m.set_producer_name("edgeq-test");
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  m.mutable_graph()->set_name("test");
  return m;
}

inline ::onnx::NodeProto* add_node(::onnx::GraphProto* g, const std::string& op, const std::vector<std::string>& in,
                                   const std::vector<std::string>& out, const std::string& name = "") {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& s : in) n->add_input(s);
  for (const auto& s : out) n->add_output(s);
  return n;
}

inline std::string serialize(const ::onnx::ModelProto& m) {
  std::string s;
  m.SerializeToString(&s);
  return s;
}

}  // namespace edgeq::onnx::test
