// Typed node attributes, shared by the IR (converter side) and the kernels (runtime side).
//
//   Attributes a;
//   a.set("axis", int64_t{1});
//   a.set("kernel_shape", std::vector<int64_t>{3, 3});
//   int64_t axis = a.get_int("axis", 0);
//   std::vector<int64_t> k = a.get_ints("kernel_shape");
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/tensor.h"

namespace edgeq {

using AttributeValue = std::variant<int64_t, float, std::string, std::vector<int64_t>,
                                    std::vector<float>, std::vector<std::string>, Tensor>;

class Attributes {
 public:
  void set(std::string name, AttributeValue value) { values_[std::move(name)] = std::move(value); }
  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }
  void erase(std::string_view name);
  const AttributeValue* find(std::string_view name) const;

  // Getters return the default when the attribute is absent. An int attribute read as a
  // float (or the reverse) is converted; any other type mismatch returns the default.
  int64_t get_int(std::string_view name, int64_t def = 0) const;
  float get_float(std::string_view name, float def = 0.0f) const;
  std::string get_string(std::string_view name, std::string def = {}) const;
  std::vector<int64_t> get_ints(std::string_view name, std::vector<int64_t> def = {}) const;
  std::vector<float> get_floats(std::string_view name, std::vector<float> def = {}) const;
  std::vector<std::string> get_strings(std::string_view name) const;
  const Tensor* get_tensor(std::string_view name) const;

  const std::map<std::string, AttributeValue, std::less<>>& all() const { return values_; }
  bool empty() const { return values_.empty(); }
  size_t size() const { return values_.size(); }

 private:
  std::map<std::string, AttributeValue, std::less<>> values_;
};

// "[3,3]", "1.5", "\"nearest\"", "tensor f32[2]" — for the text IR and messages.
std::string attribute_to_string(const AttributeValue& v);

}  // namespace edgeq
