// Calibration inputs: random ones for --fast-perf, or a folder of saved tensors.
#include <algorithm>
#include <cstring>
#include <optional>
#include <filesystem>
#include <fstream>
#include <random>
#include <system_error>

#include "base/npy.h"
#include "quant/calibration.h"

namespace edgeq::quant {
namespace {

namespace fs = std::filesystem;

struct InputSpec {
  std::string name;
  DType dtype = DType::kUndefined;
  std::optional<ir::Shape> shape;
};

StatusOr<std::vector<InputSpec>> input_specs(const ir::Graph& graph) {
  std::vector<InputSpec> specs;
  for (const std::string& name : graph.inputs) {
    const ir::ValueInfo* info = graph.value_info(name);
    if (info == nullptr || info->dtype == DType::kUndefined)
      return invalid_argument("Graph input '" + name + "' has no known dtype.");
    specs.push_back({name, info->dtype, info->shape});
  }
  if (specs.empty()) return invalid_argument("The model has no inputs to calibrate with.");
  return specs;
}

void fill_random(Tensor& t, std::mt19937& rng) {
  const int64_t n = t.numel();
  switch (t.dtype()) {
    case DType::kFloat32: {
      std::normal_distribution<float> normal(0.0f, 1.0f);
      float* p = t.data<float>();
      for (int64_t i = 0; i < n; ++i) p[i] = normal(rng);
      return;
    }
    case DType::kBool: {
      bool* p = t.data<bool>();
      for (int64_t i = 0; i < n; ++i) p[i] = (rng() & 1u) != 0;
      return;
    }
    default: break;
  }
  if (dtype_is_float(t.dtype())) {  // f16, f64, bf16: draw in f32 and convert
    Tensor f(DType::kFloat32, t.shape());
    fill_random(f, rng);
    for (int64_t i = 0; i < n; ++i) {
      const float v = f.data<float>()[i];
      if (t.dtype() == DType::kFloat64) t.data<double>()[i] = v;
      else if (t.dtype() == DType::kFloat16) t.data<uint16_t>()[i] = float_to_half(v);
      else t.data<uint16_t>()[i] = float_to_bfloat16(v);
    }
    return;
  }
  // Integers: small non-negative values, valid as indices into small tables too.
  std::uniform_int_distribution<int> small(0, 7);
  std::byte* bytes = static_cast<std::byte*>(t.raw());
  const size_t size = dtype_size(t.dtype());
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t v = static_cast<uint64_t>(small(rng));
    std::memcpy(bytes + static_cast<size_t>(i) * size, &v, size);  // little-endian low bytes
  }
}

std::string describe(const InputSpec& spec) {
  return std::string(dtype_name(spec.dtype)) + (spec.shape ? ir::shape_to_string(*spec.shape) : "[?]");
}

// Dims with leading 1s removed, so [1,3,8,8] and [3,8,8] compare equal.
Dims squeeze_leading(Dims d) {
  size_t k = 0;
  while (k + 1 < d.size() && d[k] == 1) ++k;
  return Dims(d.begin() + static_cast<std::ptrdiff_t>(k), d.end());
}

// Checks a loaded tensor against the input and returns it in the input's exact shape.
StatusOr<Tensor> conform(const Tensor& t, const InputSpec& spec, const fs::path& file) {
  std::string what = "Calibration file '";
  what += file.string();
  what += "' holds ";
  what += dtype_name(t.dtype());
  what += shape_to_string(t.shape());
  what += " but input '" + spec.name + "' expects " + describe(spec);
  if (t.dtype() != spec.dtype) {
    if (spec.dtype == DType::kFloat32) what += " (save it with .astype(numpy.float32))";
    return invalid_argument(what + ".");
  }
  if (!spec.shape) return t;
  const auto dims = ir::static_dims(*spec.shape);
  if (!dims) {  // symbolic dims accept any size; static ones must match
    bool ok = t.rank() == static_cast<int64_t>(spec.shape->size());
    for (size_t i = 0; ok && i < spec.shape->size(); ++i)
      ok = !(*spec.shape)[i].is_static() || (*spec.shape)[i].value == t.dim(static_cast<int64_t>(i));
    if (!ok) return invalid_argument(what + ".");
    return t;
  }
  if (t.shape() == *dims) return t;
  if (squeeze_leading(t.shape()) == squeeze_leading(*dims)) return t.reshaped(*dims);
  return invalid_argument(what + ".");
}

StatusOr<std::string> read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return io_error("Cannot read calibration file '" + file.string() + "'.");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return io_error("Cannot read calibration file '" + file.string() + "'.");
  return bytes;
}

StatusOr<Tensor> load_raw(const fs::path& file, const InputSpec& spec) {
  const auto dims = spec.shape ? ir::static_dims(*spec.shape) : std::nullopt;
  if (!dims)
    return invalid_argument("Raw calibration file '" + file.string() + "' needs a static shape for input '" +
                            spec.name + "' (" + describe(spec) + "); give --input-shape or use .npy.");
  EDGEQ_ASSIGN_OR_RETURN(std::string bytes, read_file(file));
  Tensor t(spec.dtype, *dims);
  if (bytes.size() != t.nbytes())
    return invalid_argument("Raw calibration file '" + file.string() + "' has " + std::to_string(bytes.size()) +
                            " bytes but input '" + spec.name + "' (" + describe(spec) + ") needs " +
                            std::to_string(t.nbytes()) + ".");
  std::memcpy(t.raw(), bytes.data(), bytes.size());
  return t;
}

bool is_tensor_file(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".npy" || ext == ".bin" || ext == ".raw";
}

StatusOr<Tensor> load_tensor_file(const fs::path& file, const InputSpec& spec) {
  if (file.extension() == ".npy") {
    EDGEQ_ASSIGN_OR_RETURN(std::string bytes, read_file(file));
    EDGEQ_ASSIGN_OR_RETURN(Tensor t, parse_npy(bytes, "calibration file '" + file.string() + "'"));
    return conform(t, spec, file);
  }
  return load_raw(file, spec);
}

// A sample sub-folder: <input>.npy (or .bin/.raw) per input. Characters that cannot be in
// a file name ('/', '\\', ':') may be written as '_'.
StatusOr<Feeds> load_sample_folder(const fs::path& folder, const std::vector<InputSpec>& specs) {
  Feeds feeds;
  for (const InputSpec& spec : specs) {
    std::string safe = spec.name;
    std::replace_if(safe.begin(), safe.end(), [](char c) { return c == '/' || c == '\\' || c == ':'; }, '_');
    std::optional<fs::path> found;
    for (const std::string& stem : {spec.name, safe}) {
      for (const char* ext : {".npy", ".bin", ".raw"}) {
        std::error_code ec;
        const fs::path p = folder / (stem + ext);
        if (stem.find('/') == std::string::npos && fs::is_regular_file(p, ec)) {
          found = p;
          break;
        }
      }
      if (found) break;
    }
    if (!found)
      return not_found("Calibration sample folder '" + folder.string() + "' has no file for input '" + spec.name +
                       "' (expected '" + safe + ".npy').");
    EDGEQ_ASSIGN_OR_RETURN(feeds[spec.name], load_tensor_file(*found, spec));
  }
  return feeds;
}

}  // namespace

StatusOr<std::vector<Feeds>> random_samples(const ir::Graph& graph, int count, uint32_t seed) {
  if (count <= 0) return invalid_argument("The number of random samples must be positive, got " +
                                          std::to_string(count) + ".");
  EDGEQ_ASSIGN_OR_RETURN(std::vector<InputSpec> specs, input_specs(graph));
  std::vector<std::pair<const InputSpec*, Dims>> shapes;
  for (const InputSpec& spec : specs) {
    const auto dims = spec.shape ? ir::static_dims(*spec.shape) : std::nullopt;
    if (!dims)
      return invalid_argument("Input '" + spec.name + "' has a dynamic shape " + describe(spec) +
                              "; give its shape with --input-shape.");
    shapes.emplace_back(&spec, *dims);
  }
  std::mt19937 rng(seed);
  std::vector<Feeds> samples(static_cast<size_t>(count));
  for (Feeds& feeds : samples) {
    for (const auto& [spec, dims] : shapes) {
      Tensor t(spec->dtype, dims);
      fill_random(t, rng);
      feeds[spec->name] = t;
    }
  }
  return samples;
}

StatusOr<std::vector<Feeds>> load_samples_dir(const ir::Graph& graph, const std::string& dir, int max_samples) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return not_found("Calibration data folder '" + dir + "' does not exist.");
  EDGEQ_ASSIGN_OR_RETURN(std::vector<InputSpec> specs, input_specs(graph));

  std::vector<fs::path> entries;  // sample files and sample sub-folders; hidden ones skipped
  fs::directory_iterator it(dir, ec), end;
  if (ec) return io_error("Cannot list calibration data folder '" + dir + "': " + ec.message() + ".");
  for (; it != end; it.increment(ec)) {
    if (ec) return io_error("Cannot list calibration data folder '" + dir + "': " + ec.message() + ".");
    const fs::path& p = it->path();
    if (p.filename().string().starts_with(".")) continue;
    if (it->is_directory(ec) || (it->is_regular_file(ec) && is_tensor_file(p))) entries.push_back(p);
  }
  if (entries.empty())
    return invalid_argument("Calibration data folder '" + dir +
                            "' holds no .npy/.bin/.raw files or sample sub-folders.");
  std::sort(entries.begin(), entries.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
  if (max_samples > 0 && entries.size() > static_cast<size_t>(max_samples)) entries.resize(static_cast<size_t>(max_samples));

  std::vector<Feeds> samples;
  samples.reserve(entries.size());
  for (const fs::path& p : entries) {
    if (fs::is_directory(p, ec)) {
      EDGEQ_ASSIGN_OR_RETURN(Feeds feeds, load_sample_folder(p, specs));
      samples.push_back(std::move(feeds));
      continue;
    }
    if (specs.size() != 1)
      return invalid_argument("Calibration file '" + p.string() + "' is a single tensor but the model has " +
                              std::to_string(specs.size()) +
                              " inputs; put each sample in a sub-folder with one <input name>.npy per input.");
    EDGEQ_ASSIGN_OR_RETURN(Tensor t, load_tensor_file(p, specs[0]));
    samples.push_back(Feeds{{specs[0].name, t}});
  }
  return samples;
}

}  // namespace edgeq::quant
