// Status and StatusOr: errors are values.
//
//   StatusOr<Tensor> t = load_npy(path);
//   if (!t.ok()) return t.status();
//   EDGEQ_RETURN_IF_ERROR(check_shape(*t));
//   EDGEQ_ASSIGN_OR_RETURN(Tensor u, load_npy(other));
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace edgeq {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,  // bad flag, bad shape, bad attribute
  kNotFound = 2,         // missing file, missing tensor
  kUnsupported = 3,      // op / dtype / construct not supported
  kDataLoss = 4,         // truncated or corrupted file
  kInternal = 5,         // a bug in edgeq
  kIo = 6,               // read / write failure
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status data_loss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status io_error(std::string m) { return {StatusCode::kIo, std::move(m)}; }

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT
  StatusOr(T value) : value_(std::move(value)) {}                                 // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T&& operator*() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace edgeq

#define EDGEQ_CONCAT_INNER(a, b) a##b
#define EDGEQ_CONCAT(a, b) EDGEQ_CONCAT_INNER(a, b)

#define EDGEQ_RETURN_IF_ERROR(expr)                  \
  do {                                               \
    ::edgeq::Status edgeq_status_ = (expr);          \
    if (!edgeq_status_.ok()) return edgeq_status_;   \
  } while (0)

#define EDGEQ_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

#define EDGEQ_ASSIGN_OR_RETURN(lhs, expr) \
  EDGEQ_ASSIGN_OR_RETURN_IMPL(EDGEQ_CONCAT(edgeq_statusor_, __LINE__), lhs, expr)
