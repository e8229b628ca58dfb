#include "kernels/onednn/common.h"

#include <omp.h>

#include <unordered_map>

namespace edgeq::kernels::onednn {

dnnl::engine& engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

void sync_threads() {
  const int want = num_threads();
  if (want > 0 && omp_get_max_threads() != want) omp_set_num_threads(want);
}

dnnl::memory::dims to_dims(const Dims& d) { return dnnl::memory::dims(d.begin(), d.end()); }

dnnl::memory::desc plain_desc(const Dims& shape) {
  Dims s = shape.empty() ? Dims{1} : shape;
  dnnl::memory::dims strides(s.size(), 1);
  for (size_t i = s.size() - 1; i-- > 0;) strides[i] = strides[i + 1] * s[i + 1];
  return dnnl::memory::desc(to_dims(s), dnnl::memory::data_type::f32, strides);
}

Status execute(const KernelContext& ctx, dnnl::primitive& prim, const std::unordered_map<int, dnnl::memory>& args) {
  try {
    prim.execute(stream(), args);
    stream().wait();
  } catch (const dnnl::error& e) {
    return ctx.error(std::string("oneDNN failed to execute: ") + e.what());
  }
  return {};
}

}  // namespace edgeq::kernels::onednn
