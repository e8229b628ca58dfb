// --input-shape parsing: "name:1x3x224x224", "name:1,3,224,224", or just "1x3x224x224"
// (empty name: the model's only input). Names may contain ':', so the dims follow the
// last ':'.
#include <charconv>

#include "onnx/onnx_io.h"

namespace edgeq::onnx {

StatusOr<std::pair<std::string, Dims>> parse_input_shape(std::string_view flag) {
  const std::string quoted = "'" + std::string(flag) + "'";
  const std::string expected = "; expected name:1x3x224x224 or name:1,3,224,224";
  size_t colon = flag.rfind(':');
  std::string name = colon == std::string_view::npos ? std::string() : std::string(flag.substr(0, colon));
  std::string_view dims_text = colon == std::string_view::npos ? flag : flag.substr(colon + 1);
  if (colon != std::string_view::npos && name.empty())
    return invalid_argument("input shape " + quoted + " has an empty input name" + expected);
  if (dims_text.empty()) return invalid_argument("input shape " + quoted + " gives no dimensions" + expected);
  const char sep = dims_text.find(',') != std::string_view::npos ? ',' : 'x';
  Dims dims;
  size_t pos = 0;
  while (true) {
    size_t end = dims_text.find(sep, pos);
    std::string_view part = dims_text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    int64_t v = -1;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || v < 0)
      return invalid_argument("input shape " + quoted + " has a bad dimension '" + std::string(part) +
                              "' (dimensions are non-negative integers)" + expected);
    dims.push_back(v);
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return std::make_pair(std::move(name), std::move(dims));
}

}  // namespace edgeq::onnx
