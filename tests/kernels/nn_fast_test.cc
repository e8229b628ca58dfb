// oneDNN nn kernels against the reference kernels on random shapes and attributes.
// Each case prints its seed on failure; rerun one case by fixing that seed.
#include <gtest/gtest.h>

#include "kernels/kernel.h"
#include "tests/kernels/nn_test_util.h"

namespace edgeq::kernels {
namespace {

using testing::all_close;
using testing::NodeRun;
using testing::random_tensor;

int64_t pick(std::mt19937& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

const char* const kAutoPads[] = {"NOTSET", "NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};

// Runs `op` with both backends on the same node attributes, twice each (the second run
// reuses the oneDNN state), and compares.
void expect_backends_agree(NodeRun& node, std::vector<const Tensor*> inputs, size_t outputs_to_check = 1) {
  NodeRun ref_node(node.op, node.outputs.size());
  ref_node.attrs = node.attrs;
  ref_node.wanted = node.wanted;
  Status rs = ref_node.run(find_kernel(node.op, Backend::kReference), inputs);
  if (!rs.ok()) {  // a random case may be invalid: then both backends must say so
    EXPECT_EQ(rs.code(), StatusCode::kInvalidArgument) << rs.to_string();
    EXPECT_EQ(node.run(find_kernel(node.op, Backend::kFast), inputs).code(), rs.code());
    return;
  }
  for (int pass = 0; pass < 2; ++pass) {
    Status fs = node.run(find_kernel(node.op, Backend::kFast), inputs);
    ASSERT_TRUE(fs.ok()) << fs.to_string();
    for (size_t i = 0; i < outputs_to_check; ++i) EXPECT_TRUE(all_close(node.out(i), ref_node.out(i))) << "pass " << pass;
  }
}

TEST(FastConv, MatchesReferenceOnRandomCases) {
  for (uint32_t seed = 0; seed < 100; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const int64_t k = seed % 5 == 0 ? pick(rng, 1, 3) : 2;  // mostly 2-D
    const int64_t kind = pick(rng, 0, 2);                   // 0 plain, 1 grouped, 2 depthwise
    const int64_t group = kind == 0 ? 1 : kind == 1 ? pick(rng, 2, 3) : pick(rng, 2, 8);
    const int64_t cg = kind == 2 ? 1 : pick(rng, 1, 8), mg = kind == 2 ? pick(rng, 1, 2) : pick(rng, 1, 8);
    NodeRun node("Conv");
    Dims kernel, strides, dilations, pads(2 * k);
    Dims x_shape{pick(rng, 1, 2), cg * group}, w_shape{mg * group, cg};
    for (int64_t i = 0; i < k; ++i) {
      kernel.push_back(pick(rng, 1, 3));
      strides.push_back(pick(rng, 1, 2));
      dilations.push_back(pick(rng, 1, 2));
      pads[i] = pick(rng, 0, kernel.back() - 1);
      pads[i + k] = pick(rng, 0, kernel.back() - 1);
      x_shape.push_back(pick(rng, (kernel.back() - 1) * dilations.back() + 1, 12));
      w_shape.push_back(kernel.back());
    }
    const std::string auto_pad = kAutoPads[pick(rng, 0, 5)];
    node.attrs.set("strides", strides);
    node.attrs.set("dilations", dilations);
    node.attrs.set("group", group);
    if (auto_pad == "NOTSET") node.attrs.set("pads", pads);
    else node.attrs.set("auto_pad", auto_pad);
    if (pick(rng, 0, 1)) node.attrs.set("kernel_shape", kernel);
    Tensor x = random_tensor(rng, x_shape), w = random_tensor(rng, w_shape), b = random_tensor(rng, {w_shape[0]});
    if (pick(rng, 0, 1)) expect_backends_agree(node, {&x, &w, &b});
    else expect_backends_agree(node, {&x, &w});
    // A new input shape and new weights on the same node rebuild the oneDNN state.
    x_shape[0] += 1;
    Tensor x2 = random_tensor(rng, x_shape), w2 = random_tensor(rng, w_shape);
    expect_backends_agree(node, {&x2, &w2});
  }
}

// Depthwise convs with rows of >= 16 outputs take the direct NCHW kernel; cover its
// strides, dilations, pads, kernel sizes and row tails.
TEST(FastConv, DepthwiseWidePlanesMatchReference) {
  for (uint32_t seed = 0; seed < 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const int64_t c = pick(rng, 2, 6), kh = pick(rng, 1, 5), kw = pick(rng, 1, 5);
    const int64_t sh = pick(rng, 1, 3), sw = pick(rng, 1, 3), dh = pick(rng, 1, 2), dw = pick(rng, 1, 2);
    NodeRun node("Conv");
    node.attrs.set("group", c);
    node.attrs.set("strides", Dims{sh, sw});
    node.attrs.set("dilations", Dims{dh, dw});
    node.attrs.set("pads", Dims{pick(rng, 0, kh - 1), pick(rng, 0, kw - 1), pick(rng, 0, kh - 1), pick(rng, 0, kw - 1)});
    Tensor x = random_tensor(rng, {pick(rng, 1, 2), c, pick(rng, kh * dh, 20), pick(rng, 16 * sw + kw * dw, 70)});
    Tensor w = random_tensor(rng, {c, 1, kh, kw}), b = random_tensor(rng, {c});
    if (seed % 2) expect_backends_agree(node, {&x, &w, &b});
    else expect_backends_agree(node, {&x, &w});
  }
}

TEST(FastConvTranspose, MatchesReferenceOnRandomCases) {
  for (uint32_t seed = 0; seed < 100; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const int64_t k = seed % 5 == 0 ? pick(rng, 1, 3) : 2;
    const int64_t group = pick(rng, 0, 2) == 0 ? pick(rng, 2, 3) : 1;
    const int64_t cg = pick(rng, 1, 6), mg = pick(rng, 1, 6);
    NodeRun node("ConvTranspose");
    Dims strides, dilations, pads(2 * k), out_pad, out_shape;
    Dims x_shape{pick(rng, 1, 2), cg * group}, w_shape{cg * group, mg};
    for (int64_t i = 0; i < k; ++i) {
      const int64_t kk = pick(rng, 1, 4);
      strides.push_back(pick(rng, 1, 3));
      dilations.push_back(pick(rng, 1, 2));
      pads[i] = pick(rng, 0, kk - 1);
      pads[i + k] = pick(rng, 0, kk - 1);
      out_pad.push_back(pick(rng, 0, std::max(strides.back(), dilations.back()) - 1));
      x_shape.push_back(pick(rng, 1, 8));
      w_shape.push_back(kk);
      out_shape.push_back(strides.back() * (x_shape.back() - 1) + (kk - 1) * dilations.back() + 1 - pick(rng, 0, 2));
    }
    node.attrs.set("strides", strides);
    node.attrs.set("dilations", dilations);
    node.attrs.set("group", group);
    const int64_t mode = pick(rng, 0, 3);
    if (mode == 0) node.attrs.set("pads", pads);
    if (mode == 1) node.attrs.set("output_padding", out_pad), node.attrs.set("pads", pads);
    if (mode == 2) node.attrs.set("output_shape", out_shape);
    if (mode == 3) node.attrs.set("auto_pad", std::string(pick(rng, 0, 1) ? "SAME_UPPER" : "SAME_LOWER"));
    Tensor x = random_tensor(rng, x_shape), w = random_tensor(rng, w_shape);
    Tensor b = random_tensor(rng, {mg * group});
    if (pick(rng, 0, 1)) expect_backends_agree(node, {&x, &w, &b});
    else expect_backends_agree(node, {&x, &w});
  }
}

TEST(FastGemm, MatchesReferenceOnRandomCases) {
  for (uint32_t seed = 0; seed < 60; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const int64_t m = pick(rng, 1, 40), n = pick(rng, 1, 40), k = pick(rng, 1, 70);
    const bool ta = pick(rng, 0, 1), tb = pick(rng, 0, 1);
    NodeRun node("Gemm");
    node.attrs.set("transA", int64_t{ta});
    node.attrs.set("transB", int64_t{tb});
    if (pick(rng, 0, 1)) node.attrs.set("alpha", 0.5f + static_cast<float>(pick(rng, 0, 4)));
    if (pick(rng, 0, 1)) node.attrs.set("beta", static_cast<float>(pick(rng, 0, 3)) - 1.0f);
    Tensor a = random_tensor(rng, ta ? Dims{k, m} : Dims{m, k});
    Tensor b = random_tensor(rng, tb ? Dims{n, k} : Dims{k, n});
    const Dims c_shapes[] = {{}, {n}, {1, n}, {m, 1}, {m, n}, {1}};
    const int64_t ci = pick(rng, -1, 5);
    if (ci < 0) {
      expect_backends_agree(node, {&a, &b});
    } else {
      Tensor c = random_tensor(rng, c_shapes[ci]);
      expect_backends_agree(node, {&a, &b, &c});
    }
  }
}

TEST(FastMatMul, MatchesReferenceOnRandomCases) {
  for (uint32_t seed = 0; seed < 60; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const int64_t m = pick(rng, 1, 20), n = pick(rng, 1, 20), k = pick(rng, 1, 40);
    Dims a_shape{m, k}, b_shape{k, n};
    const int64_t form = pick(rng, 0, 4);
    if (form == 1) a_shape = {k};                                      // 1-D A
    if (form == 2) b_shape = {k};                                      // 1-D B
    if (form == 3) a_shape.insert(a_shape.begin(), {pick(rng, 1, 3), 2});  // batched A, 2-D B
    if (form == 4) {                                                   // broadcast batches
      a_shape.insert(a_shape.begin(), {pick(rng, 1, 3), 1});
      b_shape.insert(b_shape.begin(), pick(rng, 1, 4));
    }
    NodeRun node("MatMul");
    Tensor a = random_tensor(rng, a_shape), b = random_tensor(rng, b_shape);
    expect_backends_agree(node, {&a, &b});
  }
}

// The packed right operand is refreshed when a new B tensor of the same shape arrives.
TEST(FastMatMul, NewRightOperandIsRepacked) {
  std::mt19937 rng(7);
  NodeRun node("MatMul");
  for (int i = 0; i < 3; ++i) {
    Tensor a = random_tensor(rng, {3, 5}), b = random_tensor(rng, {5, 4});
    expect_backends_agree(node, {&a, &b});
  }
  NodeRun gemm("Gemm");
  gemm.attrs.set("transB", int64_t{1});
  for (int i = 0; i < 3; ++i) {
    Tensor a = random_tensor(rng, {2, 6}), b = random_tensor(rng, {3, 6}), c = random_tensor(rng, {3});
    expect_backends_agree(gemm, {&a, &b, &c});
  }
}

TEST(FastPool, MatchesReferenceOnRandomCases) {
  for (uint32_t seed = 0; seed < 120; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const bool max = seed % 2 == 0;
    const int64_t k = seed % 5 == 0 ? pick(rng, 1, 3) : 2;
    NodeRun node(max ? "MaxPool" : "AveragePool");
    Dims kernel, strides, dilations, pads(2 * k), x_shape{pick(rng, 1, 2), pick(rng, 1, 5)};
    for (int64_t i = 0; i < k; ++i) {
      kernel.push_back(pick(rng, 1, 4));
      strides.push_back(pick(rng, 1, 3));
      dilations.push_back(max ? pick(rng, 1, 2) : 1);
      pads[i] = pick(rng, 0, kernel.back() - 1);
      pads[i + k] = pick(rng, 0, kernel.back() - 1);
      x_shape.push_back(pick(rng, (kernel.back() - 1) * dilations.back() + 1, 11));
    }
    node.attrs.set("kernel_shape", kernel);
    node.attrs.set("strides", strides);
    if (max && pick(rng, 0, 1)) node.attrs.set("dilations", dilations);
    const std::string auto_pad = kAutoPads[pick(rng, 0, 5)];
    if (auto_pad == "NOTSET") node.attrs.set("pads", pads);
    else node.attrs.set("auto_pad", auto_pad);
    node.attrs.set("ceil_mode", pick(rng, 0, 1));
    if (!max) node.attrs.set("count_include_pad", pick(rng, 0, 1));
    Tensor x = random_tensor(rng, x_shape);
    expect_backends_agree(node, {&x});
  }
}

TEST(FastGlobalPool, MatchesReference) {
  for (uint32_t seed = 0; seed < 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    Dims shape{pick(rng, 1, 2), pick(rng, 1, 16)};
    const int64_t spatial = pick(rng, 1, 3);
    for (int64_t i = 0; i < spatial; ++i) shape.push_back(pick(rng, 1, 9));
    Tensor x = random_tensor(rng, shape);
    NodeRun avg("GlobalAveragePool"), mx("GlobalMaxPool");
    expect_backends_agree(avg, {&x});
    expect_backends_agree(mx, {&x});
  }
}

// Every op with a fast kernel is covered by a test above.
TEST(FastKernels, AllPresent) {
  EXPECT_TRUE(has_fast_kernel("Conv") && has_fast_kernel("ConvTranspose") && has_fast_kernel("Gemm") &&
              has_fast_kernel("MatMul") && has_fast_kernel("MaxPool") && has_fast_kernel("AveragePool") &&
              has_fast_kernel("GlobalAveragePool") && has_fast_kernel("GlobalMaxPool"));
}

}  // namespace
}  // namespace edgeq::kernels
