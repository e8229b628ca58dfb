// edgeq runtime, C++ wrapper: RAII over include/edgeq/runtime.h, header-only, no
// exceptions (every call returns a Status or a Result<T> you check). Namespace edgeq::api.
//
//   #include <edgeq/runtime.hpp>
//
//   auto model = edgeq::api::Model::load("model_output/resnet50.bin");
//   if (!model) { std::cerr << model.error().message << "\n"; return 1; }
//   edgeq_tensor_desc in = model->input_desc(0), out = model->output_desc(0);
//   std::vector<uint8_t> image(in.bytes), logits(out.bytes);
//   edgeq::api::Status st = model->run({{image.data(), image.size()}}, {{logits.data(), logits.size()}});
//   if (!st) { std::cerr << st.message << "\n"; return 1; }
//
//   // Asynchronous: keep the buffers alive until wait() returns.
//   auto task = model->run_async({{image.data(), image.size()}}, {{logits.data(), logits.size()}}, /*core_id=*/2);
//   if (task) st = task->wait();
//
// A Model is movable, not copyable; it may be shared by threads (run/run_async are
// thread-safe). A Task must be waited for (or dropped, which leaves the frame running).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "edgeq/runtime.h"

namespace edgeq::api {

struct Status {
  edgeq_status code = EDGEQ_OK;
  std::string message;
  bool ok() const { return code == EDGEQ_OK; }
  explicit operator bool() const { return ok(); }
  // The calling thread's last error, for a code a C call just returned.
  static Status from(edgeq_status code) {
    if (code == EDGEQ_OK) return {};
    return {code, edgeq_last_error()};
  }
};

// A value or the Status saying why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT
  Result(Status error) : v_(std::move(error)) {}    // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const Status& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

class Task {
 public:
  Task() = default;
  explicit Task(edgeq_task* t) : t_(t) {}
  Task(Task&& o) noexcept : t_(std::exchange(o.t_, nullptr)) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      reset();
      t_ = std::exchange(o.t_, nullptr);
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  // timeout_ms < 0: wait forever. EDGEQ_ERROR_TIMEOUT leaves the task waitable again.
  Status wait(int32_t timeout_ms = -1) {
    if (!t_) return {EDGEQ_ERROR_INVALID_ARGUMENT, "The task is empty."};
    return Status::from(edgeq_task_wait(t_, timeout_ms));
  }
  edgeq_task* get() const { return t_; }

 private:
  void reset() {
    if (t_) edgeq_task_release(t_);
    t_ = nullptr;
  }
  edgeq_task* t_ = nullptr;
};

class Model {
 public:
  // num_cores 0: EDGEQ_CORES or the online CPUs (divided by the model's core_num).
  static Result<Model> load(const std::string& path, int32_t num_cores = 0) {
    edgeq_load_options o{num_cores};
    edgeq_model* m = nullptr;
    edgeq_status s = edgeq_model_load(path.c_str(), &o, &m);
    if (s != EDGEQ_OK) return Status::from(s);
    return Model(m);
  }
  static Result<Model> load_from_memory(const void* data, size_t bytes, int32_t num_cores = 0) {
    edgeq_load_options o{num_cores};
    edgeq_model* m = nullptr;
    edgeq_status s = edgeq_model_load_from_memory(data, bytes, &o, &m);
    if (s != EDGEQ_OK) return Status::from(s);
    return Model(m);
  }

  Model(Model&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
  Model& operator=(Model&& o) noexcept {
    if (this != &o) {
      if (m_) edgeq_model_release(m_);
      m_ = std::exchange(o.m_, nullptr);
    }
    return *this;
  }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  ~Model() {
    if (m_) edgeq_model_release(m_);
  }

  int32_t num_inputs() const { return edgeq_model_num_inputs(m_); }
  int32_t num_outputs() const { return edgeq_model_num_outputs(m_); }
  int32_t num_cores() const { return edgeq_model_num_cores(m_); }
  // Index must be in range (checked by the caller); a bad one gives a zeroed desc.
  edgeq_tensor_desc input_desc(int32_t i) const {
    edgeq_tensor_desc d{};
    edgeq_model_input_desc(m_, i, &d);
    return d;
  }
  edgeq_tensor_desc output_desc(int32_t i) const {
    edgeq_tensor_desc d{};
    edgeq_model_output_desc(m_, i, &d);
    return d;
  }
  std::string info_json() const {
    const char* j = edgeq_model_info_json(m_);
    return j ? j : "";
  }

  // core_id 0: any idle core; k: core k (1-based).
  Status run(const std::vector<edgeq_buffer>& inputs, std::vector<edgeq_buffer> outputs, int32_t core_id = 0) {
    edgeq_run_options o = EDGEQ_RUN_OPTIONS_INIT;
    o.core_id = core_id;
    return Status::from(edgeq_run(m_, inputs.data(), static_cast<int32_t>(inputs.size()), outputs.data(),
                                  static_cast<int32_t>(outputs.size()), &o));
  }
  Result<Task> run_async(const std::vector<edgeq_buffer>& inputs, std::vector<edgeq_buffer> outputs,
                         int32_t core_id = 0) {
    edgeq_run_options o = EDGEQ_RUN_OPTIONS_INIT;
    o.core_id = core_id;
    edgeq_task* t = nullptr;
    edgeq_status s = edgeq_run_async(m_, inputs.data(), static_cast<int32_t>(inputs.size()), outputs.data(),
                                     static_cast<int32_t>(outputs.size()), &o, &t);
    if (s != EDGEQ_OK) return Status::from(s);
    return Task(t);
  }

  Status set_profiling(bool enabled) { return Status::from(edgeq_model_set_profiling(m_, enabled ? 1 : 0)); }
  std::string profile_json() {
    const char* j = edgeq_model_profile_json(m_);
    return j ? j : "";
  }

  edgeq_model* get() const { return m_; }

 private:
  explicit Model(edgeq_model* m) : m_(m) {}
  edgeq_model* m_ = nullptr;
};

// Lays a tensor held in logical (N, C, H, W) order out as the model keeps it (to_model),
// or back; see edgeq_convert_layout.
inline Status convert_layout(const edgeq_tensor_desc& desc, const void* src, void* dst, bool to_model) {
  return Status::from(edgeq_convert_layout(&desc, src, dst, to_model ? 1 : 0));
}

}  // namespace edgeq::api
