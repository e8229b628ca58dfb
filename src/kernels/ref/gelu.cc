// Gelu (ONNX opset 20): approximate="none" is x * 0.5 * (1 + erf(x / sqrt(2))),
// approximate="tanh" is x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
// Computed in double so f32 results are correctly rounded up to the last bit of erf/tanh.
#include <cmath>

#include "kernels/kernel.h"
#include "kernels/ref/elementwise.h"

namespace edgeq::kernels::ref {

Status run_Gelu(KernelContext& ctx) {
  return run_with_half_as_float(ctx, [](KernelContext& c) -> Status {
    const std::string approximate = c.attrs.get_string("approximate", "none");
    if (approximate == "none")
      return float_unary(c, [](auto v) {
        const double d = static_cast<double>(v);
        return static_cast<decltype(v)>(0.5 * d * (1.0 + std::erf(d * M_SQRT1_2)));
      });
    if (approximate == "tanh")
      return float_unary(c, [](auto v) {
        const double d = static_cast<double>(v);
        const double k = std::sqrt(2.0 / M_PI);
        return static_cast<decltype(v)>(0.5 * d * (1.0 + std::tanh(k * (d + 0.044715 * d * d * d))));
      });
    return c.error("approximate must be 'none' or 'tanh', got '" + approximate + "'");
  });
}

}  // namespace edgeq::kernels::ref
