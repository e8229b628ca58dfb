// Tensor: a dtype, a shape and a reference-counted, 64-byte aligned buffer.
// Copies share the buffer (cheap, like a view); clone() makes a deep copy.
// Kernels write only into tensors they allocated themselves.
//
//   Tensor t(DType::kFloat32, {1, 3, 224, 224});    // zero-filled
//   float* p = t.data<float>();
//   Tensor r = t.reshaped({1, 3 * 224 * 224});      // shares t's buffer
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/dtype.h"

namespace edgeq {

using Dims = std::vector<int64_t>;

// Number of elements of a shape (1 for a scalar); -1 if a dim is negative.
int64_t shape_numel(std::span<const int64_t> dims);
// "[1,3,224,224]"
std::string shape_to_string(std::span<const int64_t> dims);
// Row-major strides in elements.
Dims shape_strides(std::span<const int64_t> dims);

class Tensor {
 public:
  Tensor() = default;
  // Allocates a zero-filled buffer.
  Tensor(DType dtype, Dims shape);

  template <typename T>
  static Tensor from_vector(Dims shape, const std::vector<T>& values) {
    Tensor t(DTypeOf<T>::value, std::move(shape));
    T* p = t.data<T>();
    for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.numel(); ++i) p[i] = values[i];
    return t;
  }
  template <typename T>
  static Tensor scalar(T v) { return from_vector<T>({}, {v}); }

  bool defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Dims& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  void* raw() { return buffer_.get(); }
  const void* raw() const { return buffer_.get(); }
  template <typename T> T* data() { return static_cast<T*>(raw()); }
  template <typename T> const T* data() const { return static_cast<const T*>(raw()); }
  template <typename T> std::span<T> span() { return {data<T>(), static_cast<size_t>(numel())}; }
  template <typename T> std::span<const T> span() const { return {data<T>(), static_cast<size_t>(numel())}; }

  // Same buffer, new shape; numel must match.
  Tensor reshaped(Dims shape) const;
  Tensor clone() const;
  // True if both tensors use one buffer.
  bool shares_buffer(const Tensor& other) const { return buffer_ == other.buffer_; }
  // Element i converted to double / int64 (any numeric dtype); for tests and small shape tensors.
  double at_double(int64_t i) const;
  int64_t at_int(int64_t i) const;
  // Whole tensor converted to f32 (new tensor; same tensor if already f32).
  Tensor to_float() const;

 private:
  DType dtype_ = DType::kUndefined;
  Dims shape_;
  std::shared_ptr<std::byte> buffer_;
};

}  // namespace edgeq
