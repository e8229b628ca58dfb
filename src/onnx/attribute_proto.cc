#include "onnx/attribute_proto.h"

#include "onnx/tensor_proto.h"

namespace edgeq::onnx {

namespace {

using AP = ::onnx::AttributeProto;

// Models written before IR v0.0.2 leave `type` unset; the filled field tells it.
AP::AttributeType effective_type(const AP& a) {
  if (a.type() != AP::UNDEFINED) return a.type();
  if (a.has_g() || a.graphs_size()) return a.has_g() ? AP::GRAPH : AP::GRAPHS;
  if (a.has_t()) return AP::TENSOR;
  if (a.has_sparse_tensor()) return AP::SPARSE_TENSOR;
  if (a.has_f()) return AP::FLOAT;
  if (a.has_i()) return AP::INT;
  if (a.has_s()) return AP::STRING;
  if (a.floats_size()) return AP::FLOATS;
  if (a.ints_size()) return AP::INTS;
  if (a.strings_size()) return AP::STRINGS;
  if (a.tensors_size()) return AP::TENSORS;
  return AP::UNDEFINED;
}

}  // namespace

StatusOr<AttributeValue> attribute_from_proto(const AP& a, const std::string& node_label,
                                              const std::string& base_dir) {
  const std::string what = node_label + " attribute '" + a.name() + "'";
  if (!a.ref_attr_name().empty())
    return unsupported(what + " refers to a function attribute, which edgeq does not support");
  switch (effective_type(a)) {
    case AP::INT: return AttributeValue(static_cast<int64_t>(a.i()));
    case AP::FLOAT: return AttributeValue(a.f());
    case AP::STRING: return AttributeValue(a.s());
    case AP::INTS: return AttributeValue(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    case AP::FLOATS: return AttributeValue(std::vector<float>(a.floats().begin(), a.floats().end()));
    case AP::STRINGS: return AttributeValue(std::vector<std::string>(a.strings().begin(), a.strings().end()));
    case AP::TENSOR: {
      auto t = tensor_from_proto(a.t(), base_dir);
      if (!t.ok()) return Status(t.status().code(), what + ": " + t.status().message());
      return AttributeValue(std::move(t).value());
    }
    case AP::GRAPH:
    case AP::GRAPHS:
      return unsupported(what + " is a subgraph; control flow (If/Loop/Scan) is not supported by edgeq");
    case AP::SPARSE_TENSOR:
    case AP::SPARSE_TENSORS:
      return unsupported(what + " is a sparse tensor, which edgeq does not support");
    case AP::TENSORS:
      return unsupported(what + " is a list of tensors, which edgeq does not support");
    case AP::TYPE_PROTO:
    case AP::TYPE_PROTOS:
      return unsupported(what + " is a type, which edgeq does not support");
    default:
      return invalid_argument(what + " has no value");
  }
}

AP attribute_to_proto(const std::string& name, const AttributeValue& value) {
  AP a;
  a.set_name(name);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          a.set_type(AP::INT);
          a.set_i(v);
        } else if constexpr (std::is_same_v<T, float>) {
          a.set_type(AP::FLOAT);
          a.set_f(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          a.set_type(AP::STRING);
          a.set_s(v);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          a.set_type(AP::INTS);
          for (int64_t x : v) a.add_ints(x);
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          a.set_type(AP::FLOATS);
          for (float x : v) a.add_floats(x);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          a.set_type(AP::STRINGS);
          for (const auto& x : v) a.add_strings(x);
        } else {
          a.set_type(AP::TENSOR);
          *a.mutable_t() = tensor_to_proto(v, "");
        }
      },
      value);
  return a;
}

}  // namespace edgeq::onnx
