// Classify one image with a compiled edgeq model, using only the public C++ API
// (include/edgeq/runtime.hpp). Copy this file to start your own application.
//
//   edgeq_example_classify model_output/resnet50.bin                 # random input
//   edgeq_example_classify model_output/resnet50.bin image.npy       # a [1,3,H,W] array
//
// The .npy may hold float32 values in the float model's NCHW form (they are quantized
// with the input's scale and zero point and laid out as the model wants), or uint8 values
// already in the model's memory layout. The program prints the top-5 classes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "edgeq/runtime.hpp"

namespace {

// A minimal .npy reader: little-endian float32 ('<f4') or uint8 ('|u1'), C order.
struct Array {
  std::string descr;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

bool read_npy(const std::string& path, Array* a, std::string* error) {
  std::ifstream f(path, std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0) {
    *error = path + " is not a .npy file";
    return false;
  }
  const size_t len_bytes = b[6] == 1 ? 2 : 4;
  size_t header_len = static_cast<uint8_t>(b[8]) | (static_cast<uint8_t>(b[9]) << 8);
  if (len_bytes == 4) header_len |= (static_cast<size_t>(static_cast<uint8_t>(b[10])) << 16) |
                                    (static_cast<size_t>(static_cast<uint8_t>(b[11])) << 24);
  const size_t start = 8 + len_bytes;
  if (b.size() < start + header_len) {
    *error = path + " is truncated";
    return false;
  }
  std::string h(b.data() + start, header_len);
  if (h.find("'<f4'") != std::string::npos) a->descr = "f4";
  else if (h.find("'|u1'") != std::string::npos) a->descr = "u1";
  else {
    *error = path + " must hold float32 or uint8 values";
    return false;
  }
  if (h.find("'fortran_order': True") != std::string::npos) {
    *error = path + " is in Fortran order";
    return false;
  }
  size_t p = h.find('(', h.find("'shape'")), q = h.find(')', p);
  std::string dims = h.substr(p + 1, q - p - 1);
  for (size_t i = 0; i < dims.size();) {
    size_t j = dims.find(',', i);
    std::string d = dims.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (d.find_first_of("0123456789") != std::string::npos) a->shape.push_back(std::stoll(d));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  a->data.assign(b.begin() + static_cast<std::ptrdiff_t>(start + header_len), b.end());
  return true;
}

// Float [N,C,H,W] (or any plain shape) → the model's input bytes.
bool prepare_input(const Array& a, const edgeq_tensor_desc& in, std::vector<uint8_t>* out, std::string* error) {
  int64_t numel = 1;
  for (int i = 0; i < in.ndim; ++i) numel *= in.dims[i];
  if (a.shape != std::vector<int64_t>(in.dims, in.dims + in.ndim) && !(a.descr == "u1" && a.data.size() == in.bytes)) {
    *error = "the image array has the wrong shape for input '" + std::string(in.name) + "'";
    return false;
  }
  if (a.descr == "u1") {  // already in the model's form
    *out = a.data;
    out->resize(in.bytes);
    return true;
  }
  std::vector<float> x(static_cast<size_t>(numel));
  std::memcpy(x.data(), a.data.data(), std::min(a.data.size(), x.size() * 4));
  // Quantize in the array's own (logical) order, then lay the bytes out as the model wants.
  std::vector<uint8_t> logical(in.bytes, 0);
  if (in.dtype == EDGEQ_DTYPE_FLOAT32) {
    std::memcpy(logical.data(), x.data(), in.bytes);
  } else {
    for (int64_t i = 0; i < numel; ++i) {
      float q = std::nearbyint(x[i] / in.scale) + static_cast<float>(in.zero_point);
      logical[i] = static_cast<uint8_t>(std::min(255.f, std::max(0.f, q)));
    }
  }
  out->assign(in.bytes, 0);
  if (edgeq::api::Status st = edgeq::api::convert_layout(in, logical.data(), out->data(), /*to_model=*/true); !st) {
    *error = st.message;
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s model.bin [image.npy]\n", argv[0]);
    return 2;
  }
  auto model = edgeq::api::Model::load(argv[1]);
  if (!model) {
    std::fprintf(stderr, "error: %s\n", model.error().message.c_str());
    return 2;
  }
  const edgeq_tensor_desc in = model->input_desc(0), out = model->output_desc(0);
  std::vector<uint8_t> input(in.bytes), output(out.bytes);
  if (argc == 3) {
    Array a;
    std::string error;
    if (!read_npy(argv[2], &a, &error) || !prepare_input(a, in, &input, &error)) {
      std::fprintf(stderr, "error: %s.\n", error.c_str());
      return 2;
    }
  } else {
    std::mt19937 rng(0);
    for (auto& b : input) b = static_cast<uint8_t>(rng() >> 24);
  }
  edgeq::api::Status st = model->run({{input.data(), input.size()}}, {{output.data(), output.size()}});
  if (!st) {
    std::fprintf(stderr, "error: %s\n", st.message.c_str());
    return 1;
  }
  // Scores as real numbers: dequantize a u8 output, read a float one as is.
  std::vector<float> scores;
  if (out.dtype == EDGEQ_DTYPE_FLOAT32) {
    scores.resize(out.bytes / 4);
    std::memcpy(scores.data(), output.data(), out.bytes);
  } else {
    for (uint8_t q : output) scores.push_back(out.has_quant ? out.scale * (static_cast<float>(q) - out.zero_point) : q);
  }
  std::vector<size_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  const size_t k = std::min<size_t>(5, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  std::printf("top-%zu of output '%s':\n", k, out.name);
  for (size_t i = 0; i < k; ++i) std::printf("  class %4zu  score %.4f\n", idx[i], scores[idx[i]]);
  return 0;
}
