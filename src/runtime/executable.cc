#include "runtime/executable.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "runtime/op_kernel.h"

namespace edgeq::runtime {
namespace {

using detail::BindContext;
using detail::BoundOp;
using detail::BuildContext;
using detail::OpKernel;

const dnnl::engine& cpu_engine() {
  static const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

Status check_program(const format::Program& p) {
  const int64_t n = static_cast<int64_t>(p.tensors.size());
  for (const format::TensorDesc& t : p.tensors) {
    if (t.is_constant) {
      if (static_cast<int64_t>(t.data.size()) != t.nbytes())
        return invalid_argument("constant tensor '" + t.name + "' has " + std::to_string(t.data.size()) +
                                " bytes for " + std::to_string(t.nbytes()) + " expected");
    } else if (t.arena_offset < 0 || t.arena_offset + t.nbytes() > p.arena_bytes) {
      return invalid_argument("tensor '" + t.name + "' lies outside the arena of " + std::to_string(p.arena_bytes) +
                              " bytes");
    }
  }
  for (const format::Op& op : p.ops) {
    for (int32_t t : op.inputs)
      if (t < -1 || t >= n) return invalid_argument("op '" + op.name + "' has an input tensor index out of range");
    for (int32_t t : op.outputs) {
      if (t < 0 || t >= n) return invalid_argument("op '" + op.name + "' has an output tensor index out of range");
      if (p.tensors[static_cast<size_t>(t)].is_constant)
        return invalid_argument("op '" + op.name + "' writes into constant tensor '" +
                                p.tensors[static_cast<size_t>(t)].name + "'");
    }
  }
  for (const auto* list : {&p.inputs, &p.outputs})
    for (const format::IoDesc& io : *list) {
      if (io.tensor < 0 || io.tensor >= n) return invalid_argument("a model input/output names no tensor");
      if (p.tensors[static_cast<size_t>(io.tensor)].is_constant)
        return invalid_argument("model input/output '" + p.tensors[static_cast<size_t>(io.tensor)].name +
                                "' is a constant");
    }
  for (const format::Segment& s : p.segments)
    if (s.first_op < 0 || s.num_ops < 0 || s.first_op + s.num_ops > static_cast<int32_t>(p.ops.size()))
      return invalid_argument("a segment covers ops outside the program");
  return {};
}

class ExecutableImpl final : public Executable {
 public:
  format::Program program_;
  std::vector<std::unique_ptr<OpKernel>> kernels_;
  size_t scratchpad_bytes_ = 0;

  const format::Program& program() const override { return program_; }
  size_t input_bytes(int i) const override {
    return static_cast<size_t>(program_.tensors[static_cast<size_t>(program_.inputs[static_cast<size_t>(i)].tensor)].nbytes());
  }
  size_t output_bytes(int i) const override {
    return static_cast<size_t>(program_.tensors[static_cast<size_t>(program_.outputs[static_cast<size_t>(i)].tensor)].nbytes());
  }
  std::vector<std::string> kernel_names() const override {
    std::vector<std::string> names;
    names.reserve(kernels_.size());
    for (size_t i = 0; i < kernels_.size(); ++i)
      names.push_back(program_.ops[i].type + ": " + kernels_[i]->describe());
    return names;
  }
};

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};

void* aligned_bytes(size_t n) {
  const size_t rounded = ((n == 0 ? 1 : n) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  if (p) std::memset(p, 0, rounded);
  return p;
}

class InstanceImpl final : public Instance {
 public:
  explicit InstanceImpl(std::shared_ptr<const ExecutableImpl> exe)
      : exe_(std::move(exe)), stream_(cpu_engine()) {}

  Status init() {
    const format::Program& p = exe_->program_;
    arena_.reset(static_cast<uint8_t*>(aligned_bytes(static_cast<size_t>(p.arena_bytes))));
    scratch_.reset(aligned_bytes(exe_->scratchpad_bytes_));
    if (!arena_ || !scratch_) return internal_error("cannot allocate the instance's activation arena");
    BindContext ctx{p, arena_.get(), cpu_engine(), stream_, scratch_.get()};
    bound_.reserve(exe_->kernels_.size());
    for (size_t i = 0; i < exe_->kernels_.size(); ++i) {
      auto b = exe_->kernels_[i]->bind(ctx);
      if (!b.ok()) return b.status();
      bound_.push_back(std::move(b).value());
    }
    return {};
  }

  void* input(int i) override {
    const format::Program& p = exe_->program_;
    return arena_.get() + p.tensors[static_cast<size_t>(p.inputs[static_cast<size_t>(i)].tensor)].arena_offset;
  }
  const void* output(int i) const override {
    const format::Program& p = exe_->program_;
    return arena_.get() + p.tensors[static_cast<size_t>(p.outputs[static_cast<size_t>(i)].tensor)].arena_offset;
  }

  Status run(FrameProfile* profile) override {
    if (!profile) {
      for (auto& b : bound_) EDGEQ_RETURN_IF_ERROR(b->run());
      return {};
    }
    using clock = std::chrono::steady_clock;
    profile->op_ms.assign(bound_.size(), 0.0);
    for (size_t i = 0; i < bound_.size(); ++i) {
      const auto t0 = clock::now();
      EDGEQ_RETURN_IF_ERROR(bound_[i]->run());
      profile->op_ms[i] = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    }
    return {};
  }

 private:
  std::shared_ptr<const ExecutableImpl> exe_;
  dnnl::stream stream_;
  std::unique_ptr<uint8_t, AlignedFree> arena_;
  std::unique_ptr<void, AlignedFree> scratch_;
  std::vector<std::unique_ptr<BoundOp>> bound_;
};

}  // namespace

StatusOr<std::shared_ptr<const Executable>> Executable::create(format::Program program,
                                                               const ExecutableOptions& options) {
  EDGEQ_RETURN_IF_ERROR(check_program(program));
  auto exe = std::make_shared<ExecutableImpl>();
  exe->program_ = std::move(program);
  const format::Program& p = exe->program_;
  std::vector<bool> on_cpu(p.ops.size(), false);
  for (const format::Segment& s : p.segments)
    if (s.placement == format::Placement::kCpu)
      for (int32_t i = s.first_op; i < s.first_op + s.num_ops; ++i) on_cpu[static_cast<size_t>(i)] = true;
  BuildContext ctx{p, cpu_engine(), p.options.optimize_level, options.reference_kernels, options.conv_impl,
                   options.residual_table};
  // oneDNN fixes a primitive's work split for the thread count it is created with; a
  // frame runs on core_num threads (the scheduler sets that), so build for that count.
  struct ThreadGuard {
    int saved = omp_get_max_threads();
    explicit ThreadGuard(int n) { omp_set_num_threads(n); }
    ~ThreadGuard() { omp_set_num_threads(saved); }
  } threads(std::max(1, p.options.core_num));
  try {
    for (size_t i = 0; i < p.ops.size(); ++i) {
      auto k = detail::make_kernel(ctx, p.ops[i], on_cpu[i]);
      if (!k.ok()) return k.status();
      exe->scratchpad_bytes_ = std::max(exe->scratchpad_bytes_, (*k)->scratchpad_bytes());
      exe->kernels_.push_back(std::move(k).value());
    }
  } catch (const dnnl::error& e) {
    return internal_error(std::string("oneDNN could not build a primitive: ") + e.what());
  }
  return std::shared_ptr<const Executable>(std::move(exe));
}

StatusOr<std::unique_ptr<Instance>> Instance::create(std::shared_ptr<const Executable> executable) {
  if (!executable) return invalid_argument("Instance::create needs an executable");
  auto impl = std::dynamic_pointer_cast<const ExecutableImpl>(executable);
  if (!impl) return invalid_argument("Instance::create needs an executable made by Executable::create");
  auto inst = std::make_unique<InstanceImpl>(std::move(impl));
  try {
    EDGEQ_RETURN_IF_ERROR(inst->init());
  } catch (const dnnl::error& e) {
    return internal_error(std::string("oneDNN could not bind a primitive: ") + e.what());
  }
  return std::unique_ptr<Instance>(std::move(inst));
}

}  // namespace edgeq::runtime
