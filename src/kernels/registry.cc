#include <omp.h>

#include <algorithm>
#include <array>

#include "kernels/kernel.h"

// Kernels are declared weak here so that a build with an op's kernel still missing links
// and reports the op as unsupported (and `missing_kernels()` lists it) instead of failing
// to link. The kernel library is linked whole, so every defined kernel is found.
namespace edgeq::kernels {
namespace ref {
#define EDGEQ_WEAK_REF(op, file) __attribute__((weak)) Status run_##op(KernelContext& ctx);
EDGEQ_REF_OPS(EDGEQ_WEAK_REF)
#undef EDGEQ_WEAK_REF
}  // namespace ref
namespace onednn {
#define EDGEQ_WEAK_FAST(op) __attribute__((weak)) Status run_##op(KernelContext& ctx);
EDGEQ_FAST_OPS(EDGEQ_WEAK_FAST)
#undef EDGEQ_WEAK_FAST
}  // namespace onednn

namespace {

struct OpEntry {
  std::string_view name;
  KernelFn reference;
};

struct FastEntry {
  std::string_view name;
  KernelFn fast;
};

#define EDGEQ_REF_ENTRY(op, file) OpEntry{#op, &ref::run_##op},
constexpr OpEntry kOps[] = {EDGEQ_REF_OPS(EDGEQ_REF_ENTRY)};
#undef EDGEQ_REF_ENTRY

#define EDGEQ_FAST_ENTRY(op) FastEntry{#op, &onednn::run_##op},
constexpr FastEntry kFastOps[] = {EDGEQ_FAST_OPS(EDGEQ_FAST_ENTRY)};
#undef EDGEQ_FAST_ENTRY

#define EDGEQ_NAME(op, file) std::string_view(#op),
constexpr std::string_view kOpNames[] = {EDGEQ_REF_OPS(EDGEQ_NAME)};
#undef EDGEQ_NAME

#define EDGEQ_INTERNAL_NAME(op) std::string_view(#op),
constexpr std::string_view kInternalOps[] = {EDGEQ_INTERNAL_OPS(EDGEQ_INTERNAL_NAME)};
#undef EDGEQ_INTERNAL_NAME

int g_num_threads = 0;

}  // namespace

Status KernelContext::error(const std::string& message) const {
  return invalid_argument("node '" + std::string(node_name) + "' (" + std::string(op_type) + "): " + message);
}

Status KernelContext::unsupported(const std::string& message) const {
  return edgeq::unsupported("node '" + std::string(node_name) + "' (" + std::string(op_type) + "): " + message);
}

KernelFn find_kernel(std::string_view op_type, Backend backend) {
  if (backend == Backend::kFast) {
    for (const FastEntry& e : kFastOps)
      if (e.name == op_type && e.fast) return e.fast;
  }
  for (const OpEntry& e : kOps)
    if (e.name == op_type) return e.reference;
  return nullptr;
}

bool has_fast_kernel(std::string_view op_type) {
  return std::any_of(std::begin(kFastOps), std::end(kFastOps),
                     [&](const FastEntry& e) { return e.name == op_type && e.fast; });
}

std::string_view op_domain(std::string_view op_type) {
  for (std::string_view op : kInternalOps)
    if (op == op_type) return "edgeq";
  return "";
}

bool is_supported(std::string_view domain, std::string_view op_type) {
  if (domain == "ai.onnx") domain = "";
  return find_kernel(op_type, Backend::kReference) != nullptr && op_domain(op_type) == domain;
}

std::span<const std::string_view> op_types() { return kOpNames; }

std::vector<std::string_view> missing_kernels() {
  std::vector<std::string_view> missing;
  for (const OpEntry& e : kOps)
    if (!e.reference) missing.push_back(e.name);
  for (const FastEntry& e : kFastOps)
    if (!e.fast) missing.push_back(e.name);
  return missing;
}

Status run_kernel(std::string_view op_type, const Attributes& attrs, int64_t opset,
                  std::span<const Tensor* const> inputs, size_t num_outputs, std::vector<Tensor>* outputs,
                  Backend backend, std::vector<bool> wanted, std::string_view node_name) {
  KernelFn fn = find_kernel(op_type, backend);
  if (!fn) return edgeq::unsupported("op " + std::string(op_type) + " has no kernel in edgeq");
  outputs->assign(num_outputs, Tensor());
  std::unique_ptr<KernelState> state;
  KernelContext ctx{op_type, node_name, attrs, opset, inputs, *outputs, std::move(wanted), state};
  return fn(ctx);
}

void set_num_threads(int n) {
  g_num_threads = n;
  omp_set_num_threads(n > 0 ? n : omp_get_num_procs());
}

int num_threads() { return g_num_threads > 0 ? g_num_threads : omp_get_max_threads(); }

}  // namespace edgeq::kernels
