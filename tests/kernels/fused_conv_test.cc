// FusedConv: the reference equals Conv → Add → activation run node by node; the oneDNN
// kernel (post-ops, or the direct depthwise kernel plus epilogue) matches the reference on
// random shapes, with and without Z, for every activation. Gelu against known values.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/kernel.h"
#include "tests/kernels/nn_test_util.h"

namespace edgeq::kernels {
namespace {

using testing::all_close;
using testing::f32;
using testing::NodeRun;
using testing::random_tensor;

int64_t pick(std::mt19937& rng, int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); }

struct Act {
  const char* name;
  std::vector<float> params;
};

const Act kActs[] = {{"", {}},           {"Relu", {}},           {"Clip", {0.0f, 6.0f}}, {"Clip", {-0.5f, 0.25f}},
                     {"LeakyRelu", {0.1f}}, {"HardSwish", {}},   {"Sigmoid", {}},        {"Tanh", {}},
                     {"HardSigmoid", {0.2f, 0.5f}}, {"HardSigmoid", {1.0f / 6, 0.5f}}};

// Sets the activation attributes and the matching standalone node (empty op for none).
NodeRun activation_node(const Act& act) {
  NodeRun n(act.name);
  if (std::string(act.name) == "LeakyRelu") n.attrs.set("alpha", act.params[0]);
  if (std::string(act.name) == "HardSigmoid") {
    n.attrs.set("alpha", act.params[0]);
    n.attrs.set("beta", act.params[1]);
  }
  return n;
}

Status run_unfused(const Attributes& conv_attrs, const Act& act, std::vector<const Tensor*> in, const Tensor* z,
                   Tensor* y) {
  NodeRun conv("Conv");
  conv.attrs = conv_attrs;
  EDGEQ_RETURN_IF_ERROR(conv.run(find_kernel("Conv", Backend::kReference), in));
  Tensor cur = conv.out();
  if (z) {
    NodeRun add("Add");
    EDGEQ_RETURN_IF_ERROR(add.run(find_kernel("Add", Backend::kReference), {&cur, z}));
    cur = add.out();
  }
  if (act.name[0]) {
    NodeRun a = activation_node(act);
    std::vector<const Tensor*> a_in{&cur};
    Tensor lo, hi;
    if (std::string(act.name) == "Clip") {  // opset 18 (NodeRun): bounds as inputs
      lo = Tensor::scalar<float>(act.params[0]);
      hi = Tensor::scalar<float>(act.params[1]);
      a_in = {&cur, &lo, &hi};
    }
    EDGEQ_RETURN_IF_ERROR(a.run(find_kernel(act.name, Backend::kReference), a_in));
    cur = a.out();
  }
  *y = cur;
  return {};
}

TEST(FusedConv, RegisteredInEdgeqDomain) {
  EXPECT_EQ(op_domain("FusedConv"), "edgeq");
  EXPECT_TRUE(has_fast_kernel("FusedConv"));
  EXPECT_NE(find_kernel("Gelu", Backend::kReference), nullptr);
}

TEST(FusedConv, FastMatchesReferenceAndUnfusedNodes) {
  int cases = 0;
  for (uint32_t seed = 0; seed < 120; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const int64_t kind = pick(rng, 0, 2);  // 0 plain, 1 grouped, 2 depthwise
    const int64_t group = kind == 0 ? 1 : kind == 1 ? pick(rng, 2, 3) : pick(rng, 2, 16);
    const int64_t cg = kind == 2 ? 1 : pick(rng, 1, 8), mg = kind == 2 ? 1 : pick(rng, 1, 8);
    const int64_t k = pick(rng, 1, 3), s = pick(rng, 1, 2), p = pick(rng, 0, k - 1);
    // Some wide planes so the depthwise cases take the direct NCHW kernel.
    const int64_t h = pick(rng, k, 12), w = seed % 3 == 0 ? pick(rng, 24, 40) : pick(rng, k, 12);
    Attributes attrs;
    attrs.set("strides", Dims{s, s});
    attrs.set("pads", Dims{p, p, p, p});
    attrs.set("group", group);
    const Act& act = kActs[seed % std::size(kActs)];
    Tensor x = random_tensor(rng, {pick(rng, 1, 2), cg * group, h, w}, -3.0f, 3.0f);
    Tensor wt = random_tensor(rng, {mg * group, cg, k, k}), b = random_tensor(rng, {mg * group});
    const bool with_z = pick(rng, 0, 1), with_b = pick(rng, 0, 3) != 0;
    NodeRun conv("Conv");
    conv.attrs = attrs;
    std::vector<const Tensor*> in{&x, &wt};
    if (with_b) in.push_back(&b);
    ASSERT_TRUE(conv.run(find_kernel("Conv", Backend::kReference), in).ok());
    Tensor z = random_tensor(rng, conv.out().shape(), -2.0f, 2.0f);
    Tensor unfused;
    ASSERT_TRUE(run_unfused(attrs, act, in, with_z ? &z : nullptr, &unfused).ok());

    NodeRun fused("FusedConv");
    fused.attrs = attrs;
    fused.attrs.set("activation", std::string(act.name));
    if (!act.params.empty()) fused.attrs.set("activation_params", act.params);
    std::vector<const Tensor*> fin = in;
    if (with_z) {
      if (!with_b) fin.push_back(nullptr);
      fin.push_back(&z);
    }
    ASSERT_TRUE(fused.run(find_kernel("FusedConv", Backend::kReference), fin).ok());
    EXPECT_TRUE(all_close(fused.out(), unfused, 0, 0)) << "reference vs unfused nodes, act " << act.name;
    Tensor ref_out = fused.out();
    for (int pass = 0; pass < 2; ++pass) {  // the second run reuses the oneDNN state
      Status st = fused.run(find_kernel("FusedConv", Backend::kFast), fin);
      ASSERT_TRUE(st.ok()) << st.to_string();
      EXPECT_TRUE(all_close(fused.out(), ref_out, 1e-4, 1e-4)) << "fast vs reference, act " << act.name
                                                                << (with_z ? " with Z" : "") << " pass " << pass;
    }
    ++cases;
  }
  EXPECT_EQ(cases, 120);
}

TEST(FusedConv, BadActivationAndZShapeAreErrors) {
  std::mt19937 rng(7);
  Tensor x = random_tensor(rng, {1, 2, 5, 5}), w = random_tensor(rng, {3, 2, 3, 3});
  Tensor z = random_tensor(rng, {1, 3, 4, 4});
  for (Backend be : {Backend::kReference, Backend::kFast}) {
    NodeRun n("FusedConv");
    n.attrs.set("activation", std::string("Swish"));
    EXPECT_EQ(n.run(find_kernel("FusedConv", be), {&x, &w}).code(), StatusCode::kInvalidArgument);
    NodeRun m("FusedConv");
    EXPECT_EQ(m.run(find_kernel("FusedConv", be), {&x, &w, nullptr, &z}).code(), StatusCode::kInvalidArgument);
  }
}

TEST(Gelu, ExactAndTanhForms) {
  Tensor x = f32({5}, {-3.0f, -1.0f, 0.0f, 0.5f, 2.0f});
  NodeRun exact("Gelu");
  ASSERT_TRUE(exact.run(find_kernel("Gelu", Backend::kReference), {&x}).ok());
  // Values of x * Phi(x).
  EXPECT_TRUE(all_close(exact.out(), f32({5}, {-0.00404969f, -0.15865526f, 0.0f, 0.34573123f, 1.95449974f}), 1e-6, 1e-7));
  NodeRun tanh_form("Gelu");
  tanh_form.attrs.set("approximate", std::string("tanh"));
  ASSERT_TRUE(tanh_form.run(find_kernel("Gelu", Backend::kReference), {&x}).ok());
  EXPECT_TRUE(all_close(tanh_form.out(), f32({5}, {-0.00363739f, -0.15880801f, 0.0f, 0.34571401f, 1.95459769f}), 1e-6, 1e-7));
  NodeRun bad("Gelu");
  bad.attrs.set("approximate", std::string("fast"));
  EXPECT_EQ(bad.run(find_kernel("Gelu", Backend::kReference), {&x}).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgeq::kernels
