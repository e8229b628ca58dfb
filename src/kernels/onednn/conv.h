// The oneDNN conv with post-ops, for FusedConv (onednn/fused_conv.cc):
//
//   ConvPostOps post;
//   post.z = z;                        // optional: added before the eltwise ops
//   post.ops.append_sum(1.0f);         // must come first when z is set
//   post.ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
//   post.key = "sum,relu";             // the primitive is rebuilt when the key changes
//   post.epilogue = ...;               // same math in plain C++, for the direct depthwise path
//   return run_conv_with_post_ops(ctx, post);
//
// Configurations oneDNN refuses (and non-f32 dtypes) run ref::run_FusedConv instead.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <functional>
#include <string>

#include "kernels/kernel.h"

namespace edgeq::kernels::onednn {

struct ConvPostOps {
  dnnl::post_ops ops;
  std::string key;
  const Tensor* z = nullptr;
  std::function<void(float* y, const float* z, int64_t n)> epilogue;  // y = act(y + z), z may be null
};

Status run_conv_with_post_ops(KernelContext& ctx, const ConvPostOps& post);

}  // namespace edgeq::kernels::onednn
