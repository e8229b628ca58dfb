#include "base/attributes.h"

#include <sstream>

namespace edgeq {

void Attributes::erase(std::string_view name) {
  auto it = values_.find(name);
  if (it != values_.end()) values_.erase(it);
}

const AttributeValue* Attributes::find(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

int64_t Attributes::get_int(std::string_view name, int64_t def) const {
  const AttributeValue* v = find(name);
  if (!v) return def;
  if (auto* i = std::get_if<int64_t>(v)) return *i;
  if (auto* f = std::get_if<float>(v)) return static_cast<int64_t>(*f);
  return def;
}

float Attributes::get_float(std::string_view name, float def) const {
  const AttributeValue* v = find(name);
  if (!v) return def;
  if (auto* f = std::get_if<float>(v)) return *f;
  if (auto* i = std::get_if<int64_t>(v)) return static_cast<float>(*i);
  return def;
}

std::string Attributes::get_string(std::string_view name, std::string def) const {
  const AttributeValue* v = find(name);
  if (auto* s = v ? std::get_if<std::string>(v) : nullptr) return *s;
  return def;
}

std::vector<int64_t> Attributes::get_ints(std::string_view name, std::vector<int64_t> def) const {
  const AttributeValue* v = find(name);
  if (auto* s = v ? std::get_if<std::vector<int64_t>>(v) : nullptr) return *s;
  return def;
}

std::vector<float> Attributes::get_floats(std::string_view name, std::vector<float> def) const {
  const AttributeValue* v = find(name);
  if (!v) return def;
  if (auto* s = std::get_if<std::vector<float>>(v)) return *s;
  if (auto* s = std::get_if<std::vector<int64_t>>(v)) return std::vector<float>(s->begin(), s->end());
  return def;
}

std::vector<std::string> Attributes::get_strings(std::string_view name) const {
  const AttributeValue* v = find(name);
  if (auto* s = v ? std::get_if<std::vector<std::string>>(v) : nullptr) return *s;
  return {};
}

const Tensor* Attributes::get_tensor(std::string_view name) const {
  const AttributeValue* v = find(name);
  return v ? std::get_if<Tensor>(v) : nullptr;
}

std::string attribute_to_string(const AttributeValue& v) {
  std::ostringstream os;
  std::visit(
      [&os](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, float>) {
          os << x;
        } else if constexpr (std::is_same_v<T, std::string>) {
          os << '"' << x << '"';
        } else if constexpr (std::is_same_v<T, Tensor>) {
          os << "tensor " << dtype_name(x.dtype()) << shape_to_string(x.shape());
        } else {
          os << '[';
          for (size_t i = 0; i < x.size(); ++i) {
            if (i) os << ',';
            if constexpr (std::is_same_v<T, std::vector<std::string>>) os << '"' << x[i] << '"';
            else os << x[i];
          }
          os << ']';
        }
      },
      v);
  return os.str();
}

}  // namespace edgeq
