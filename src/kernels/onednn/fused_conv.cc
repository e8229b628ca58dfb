// oneDNN FusedConv: the conv primitive of conv.cc with the residual add as a sum post-op
// and the activation as eltwise post-ops, so the output is written once.
#include <algorithm>
#include <string>

#include "kernels/kernel.h"
#include "kernels/onednn/conv.h"
#include "kernels/ref/fused_activation.h"

namespace edgeq::kernels::onednn {

namespace {

using dnnl::algorithm;

// Appends the activation's eltwise post-ops; false if it has no oneDNN form here.
void append_activation(const ref::FusedActivation& act, dnnl::post_ops& ops) {
  switch (act.kind) {
    case ref::FusedActivation::kNone: break;
    case ref::FusedActivation::kRelu: ops.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f); break;
    case ref::FusedActivation::kLeakyRelu: ops.append_eltwise(1.0f, algorithm::eltwise_relu, act.a, 0.0f); break;
    case ref::FusedActivation::kClip: ops.append_eltwise(1.0f, algorithm::eltwise_clip_v2, act.a, act.b); break;
    case ref::FusedActivation::kHardSwish: ops.append_eltwise(1.0f, algorithm::eltwise_hardswish, 0.0f, 0.0f); break;
    case ref::FusedActivation::kSigmoid: ops.append_eltwise(1.0f, algorithm::eltwise_logistic, 0.0f, 0.0f); break;
    case ref::FusedActivation::kTanh: ops.append_eltwise(1.0f, algorithm::eltwise_tanh, 0.0f, 0.0f); break;
    case ref::FusedActivation::kHardSigmoid:  // oneDNN 2.6 has no hardsigmoid: clip(alpha*x + beta, 0, 1)
      ops.append_eltwise(1.0f, algorithm::eltwise_linear, act.a, act.b);
      ops.append_eltwise(1.0f, algorithm::eltwise_clip_v2, 0.0f, 1.0f);
      break;
  }
}

}  // namespace

Status run_FusedConv(KernelContext& ctx) {
  ref::FusedActivation act;
  EDGEQ_RETURN_IF_ERROR(ref::parse_fused_activation(ctx, &act));
  ConvPostOps post;
  post.z = ctx.input(3);
  if (post.z) post.ops.append_sum(1.0f);
  append_activation(act, post.ops);
  post.key = std::string(post.z ? "sum," : "") + std::to_string(act.kind) + "," + std::to_string(act.a) + "," +
             std::to_string(act.b);
  post.epilogue = [act](float* y, const float* z, int64_t n) {
    constexpr int64_t kChunk = 16384;  // floats per task: 64 KiB, cache-sized
    const int64_t parts = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (parts > 1)
    for (int64_t p = 0; p < parts; ++p) {
      const int64_t begin = p * kChunk, count = std::min(kChunk, n - begin);
      ref::apply_fused_epilogue<float>(y + begin, z ? z + begin : nullptr, count, act);
    }
  };
  return run_conv_with_post_ops(ctx, post);
}

}  // namespace edgeq::kernels::onednn
