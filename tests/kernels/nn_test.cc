// Reference nn kernels against small hand-computed cases, and error handling of both the
// reference and the oneDNN kernels.
#include <gtest/gtest.h>

#include "kernels/kernel.h"
#include "tests/kernels/nn_test_util.h"

namespace edgeq::kernels {
namespace {

using testing::all_close;
using testing::f32;
using testing::NodeRun;

const Tensor kX3x3 = f32({1, 1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8});

TEST(RefConv, PaddedOnesKernel) {
  NodeRun n("Conv");
  n.attrs.set("pads", Dims{1, 1, 1, 1});
  Tensor w = f32({1, 1, 2, 2}, {1, 1, 1, 1});
  Tensor b = f32({1}, {0.5f});
  ASSERT_TRUE(n.run(ref::run_Conv, {&kX3x3, &w, &b}).ok());
  // 4x4 output: sums of 2x2 windows of the zero-padded input, plus 0.5.
  EXPECT_TRUE(all_close(n.out(), f32({1, 1, 4, 4}, {0.5f, 1.5f, 3.5f, 2.5f, 3.5f, 8.5f, 12.5f, 7.5f,
                                                    9.5f, 20.5f, 24.5f, 13.5f, 6.5f, 13.5f, 15.5f, 8.5f})));
}

TEST(RefConv, StridedDilatedGroupedAndSame) {
  NodeRun n("Conv");
  n.attrs.set("strides", Dims{2, 2});
  n.attrs.set("dilations", Dims{2, 2});
  n.attrs.set("group", int64_t{2});
  Tensor x(DType::kFloat32, {1, 2, 5, 5});
  for (int64_t i = 0; i < 50; ++i) x.data<float>()[i] = static_cast<float>(i);
  Tensor w = f32({2, 1, 2, 2}, {1, 0, 0, 1, 0, 1, 1, 0});
  ASSERT_TRUE(n.run(ref::run_Conv, {&x, &w}).ok());
  // Channel 0 taps (0,0)+(2,2); channel 1 taps (0,2)+(2,0); out 2x2 at stride 2.
  EXPECT_TRUE(all_close(n.out(), f32({1, 2, 2, 2}, {12, 16, 32, 36, 62, 66, 82, 86})));

  NodeRun same("Conv");
  same.attrs.set("auto_pad", std::string("SAME_LOWER"));
  same.attrs.set("strides", Dims{2});
  Tensor x1 = f32({1, 1, 4}, {1, 2, 3, 4});
  Tensor w1 = f32({1, 1, 3}, {1, 1, 1});
  ASSERT_TRUE(same.run(ref::run_Conv, {&x1, &w1}).ok());
  // total pad 1, SAME_LOWER puts it at the start: windows [-1..1], [1..3].
  EXPECT_TRUE(all_close(same.out(), f32({1, 1, 2}, {3, 9})));
}

TEST(RefConvTranspose, OnnxAutopadSameAndOutputShape) {
  Tensor w(DType::kFloat32, {1, 2, 3, 3});
  for (float& v : w.span<float>()) v = 1;
  NodeRun same("ConvTranspose");
  same.attrs.set("auto_pad", std::string("SAME_UPPER"));
  same.attrs.set("strides", Dims{2, 2});
  ASSERT_TRUE(same.run(ref::run_ConvTranspose, {&kX3x3, &w}).ok());
  ASSERT_EQ(same.out().shape(), (Dims{1, 2, 6, 6}));
  const std::vector<float> row2 = {3, 3, 8, 5, 12, 7};  // from the ONNX spec example
  for (int j = 0; j < 6; ++j) EXPECT_EQ(same.out().data<float>()[2 * 6 + j], row2[j]);

  NodeRun shaped("ConvTranspose");
  shaped.attrs.set("strides", Dims{3, 2});
  shaped.attrs.set("output_shape", Dims{10, 8});
  ASSERT_TRUE(shaped.run(ref::run_ConvTranspose, {&kX3x3, &w}).ok());
  ASSERT_EQ(shaped.out().shape(), (Dims{1, 2, 10, 8}));
  const std::vector<float> row3 = {3, 3, 7, 4, 9, 5, 5, 0};
  for (int j = 0; j < 8; ++j) EXPECT_EQ(shaped.out().data<float>()[3 * 8 + j], row3[j]);
  for (int j = 0; j < 8; ++j) EXPECT_EQ(shaped.out().data<float>()[9 * 8 + j], 0.0f);
}

TEST(RefGemm, TransposesAlphaBetaAndBroadcastC) {
  NodeRun n("Gemm");
  n.attrs.set("transA", int64_t{1});
  n.attrs.set("alpha", 2.0f);
  n.attrs.set("beta", 0.5f);
  Tensor a = f32({2, 2}, {1, 2, 3, 4});  // A^T = [[1,3],[2,4]]
  Tensor b = f32({2, 3}, {1, 0, 1, 0, 1, 1});
  Tensor c = f32({3}, {10, 20, 30});
  ASSERT_TRUE(n.run(ref::run_Gemm, {&a, &b, &c}).ok());
  EXPECT_TRUE(all_close(n.out(), f32({2, 3}, {7, 16, 23, 9, 18, 27})));

  NodeRun i("Gemm");
  Tensor ai = Tensor::from_vector<int32_t>({1, 2}, {3, 4});
  Tensor bi = Tensor::from_vector<int32_t>({2, 1}, {5, 6});
  ASSERT_TRUE(i.run(ref::run_Gemm, {&ai, &bi}).ok());
  EXPECT_EQ(i.out().at_int(0), 39);
}

TEST(RefMatMul, PromotionAndBatchBroadcast) {
  NodeRun n("MatMul");
  Tensor v = f32({2}, {1, 2});
  Tensor m = f32({2, 2}, {1, 2, 3, 4});
  ASSERT_TRUE(n.run(ref::run_MatMul, {&v, &m}).ok());
  EXPECT_TRUE(all_close(n.out(), f32({2}, {7, 10})));
  ASSERT_TRUE(n.run(ref::run_MatMul, {&m, &v}).ok());
  EXPECT_TRUE(all_close(n.out(), f32({2}, {5, 11})));
  Tensor a = f32({2, 1, 1, 2}, {1, 1, 2, 2});
  Tensor b = f32({3, 2, 1}, {1, 0, 0, 1, 1, 1});
  ASSERT_TRUE(n.run(ref::run_MatMul, {&a, &b}).ok());
  EXPECT_TRUE(all_close(n.out(), f32({2, 3, 1, 1}, {1, 1, 2, 2, 2, 4})));
  Tensor i64 = Tensor::from_vector<int64_t>({1, 2}, {2, 3});
  Tensor j64 = Tensor::from_vector<int64_t>({2, 1}, {4, 5});
  ASSERT_TRUE(n.run(ref::run_MatMul, {&i64, &j64}).ok());
  EXPECT_EQ(n.out().at_int(0), 23);
}

TEST(RefMaxPool, IndicesStorageOrderAndCeil) {
  NodeRun n("MaxPool", 2);
  n.attrs.set("kernel_shape", Dims{2, 2});
  n.attrs.set("strides", Dims{2, 2});
  n.attrs.set("ceil_mode", int64_t{1});
  Tensor x = f32({1, 1, 3, 3}, {1, 9, 2, 3, 4, 8, 7, 5, 6});
  ASSERT_TRUE(n.run(ref::run_MaxPool, {&x}).ok());
  EXPECT_TRUE(all_close(n.out(0), f32({1, 1, 2, 2}, {9, 8, 7, 6})));
  EXPECT_EQ(n.out(1).dtype(), DType::kInt64);
  EXPECT_EQ(n.out(1).at_int(0), 1);
  EXPECT_EQ(n.out(1).at_int(1), 5);
  EXPECT_EQ(n.out(1).at_int(2), 6);
  n.attrs.set("storage_order", int64_t{1});
  ASSERT_TRUE(n.run(ref::run_MaxPool, {&x}).ok());
  EXPECT_EQ(n.out(1).at_int(0), 3);  // (h=0, w=1) column-major: h + w*H
  EXPECT_EQ(n.out(1).at_int(1), 7);  // (1, 2)

  NodeRun u("MaxPool");
  u.attrs.set("kernel_shape", Dims{2});
  Tensor xu = Tensor::from_vector<uint8_t>({1, 1, 3}, {5, 255, 1});
  ASSERT_TRUE(u.run(ref::run_MaxPool, {&xu}).ok());
  EXPECT_EQ(u.out().dtype(), DType::kUInt8);
  EXPECT_EQ(u.out().at_int(0), 255);
  EXPECT_EQ(u.out().at_int(1), 255);
}

TEST(RefAveragePool, CountIncludePad) {
  NodeRun n("AveragePool");
  n.attrs.set("kernel_shape", Dims{3, 3});
  n.attrs.set("pads", Dims{1, 1, 1, 1});
  ASSERT_TRUE(n.run(ref::run_AveragePool, {&kX3x3}).ok());
  EXPECT_NEAR(n.out().data<float>()[0], (0 + 1 + 3 + 4) / 4.0, 1e-6);
  EXPECT_NEAR(n.out().data<float>()[4], 4.0, 1e-6);
  n.attrs.set("count_include_pad", int64_t{1});
  ASSERT_TRUE(n.run(ref::run_AveragePool, {&kX3x3}).ok());
  EXPECT_NEAR(n.out().data<float>()[0], (0 + 1 + 3 + 4) / 9.0, 1e-6);
}

TEST(RefGlobalPoolAndLrn, Values) {
  NodeRun avg("GlobalAveragePool"), mx("GlobalMaxPool");
  Tensor x = f32({1, 2, 1, 1, 2}, {1, 3, -2, -4});
  ASSERT_TRUE(avg.run(ref::run_GlobalAveragePool, {&x}).ok());
  EXPECT_TRUE(all_close(avg.out(), f32({1, 2, 1, 1, 1}, {2, -3})));
  ASSERT_TRUE(mx.run(ref::run_GlobalMaxPool, {&x}).ok());
  EXPECT_TRUE(all_close(mx.out(), f32({1, 2, 1, 1, 1}, {3, -2})));

  NodeRun lrn("LRN");
  lrn.attrs.set("size", int64_t{3});
  lrn.attrs.set("alpha", 0.3f);
  lrn.attrs.set("beta", 0.5f);
  lrn.attrs.set("bias", 2.0f);
  Tensor c = f32({1, 3, 1, 1}, {1, 2, 3});
  ASSERT_TRUE(lrn.run(ref::run_LRN, {&c}).ok());
  // channel 0 sums channels 0..1: 1+4 = 5 -> 1 / sqrt(2 + 0.1*5)
  EXPECT_NEAR(lrn.out().data<float>()[0], 1 / std::sqrt(2.5), 1e-6);
  EXPECT_NEAR(lrn.out().data<float>()[1], 2 / std::sqrt(2 + 0.1 * 14), 1e-6);
  EXPECT_NEAR(lrn.out().data<float>()[2], 3 / std::sqrt(2 + 0.1 * 13), 1e-6);
}

// Each bad input gives an invalid-argument Status, from both backends, without crashing.
TEST(NnErrors, BadShapesAndAttributes) {
  for (Backend be : {Backend::kReference, Backend::kFast}) {
    SCOPED_TRACE(be == Backend::kFast ? "fast" : "reference");
    Tensor x(DType::kFloat32, {1, 3, 4, 4});
    Tensor w(DType::kFloat32, {4, 3, 3, 3});
    NodeRun conv("Conv");
    conv.attrs.set("group", int64_t{2});
    Status s = conv.run(find_kernel("Conv", be), {&x, &w});
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("group"), std::string::npos) << s.message();
    Tensor w2(DType::kFloat32, {4, 2, 3, 3});
    NodeRun conv2("Conv");
    EXPECT_EQ(conv2.run(find_kernel("Conv", be), {&x, &w2}).code(), StatusCode::kInvalidArgument);
    NodeRun conv3("Conv");
    conv3.attrs.set("pads", Dims{1, 1});
    EXPECT_EQ(conv3.run(find_kernel("Conv", be), {&x, &w}).code(), StatusCode::kInvalidArgument);
    NodeRun big("Conv");
    Tensor w5(DType::kFloat32, {4, 3, 5, 5});
    EXPECT_EQ(big.run(find_kernel("Conv", be), {&x, &w5}).code(), StatusCode::kInvalidArgument);
    Tensor bias(DType::kFloat32, {3});
    NodeRun conv4("Conv");
    EXPECT_EQ(conv4.run(find_kernel("Conv", be), {&x, &w, &bias}).code(), StatusCode::kInvalidArgument);

    NodeRun ct("ConvTranspose");
    EXPECT_EQ(ct.run(find_kernel("ConvTranspose", be), {&x, &w2}).code(), StatusCode::kInvalidArgument);

    Tensor a(DType::kFloat32, {2, 3}), b(DType::kFloat32, {4, 5});
    NodeRun gemm("Gemm"), mm("MatMul");
    EXPECT_EQ(gemm.run(find_kernel("Gemm", be), {&a, &b}).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(mm.run(find_kernel("MatMul", be), {&a, &b}).code(), StatusCode::kInvalidArgument);
    Tensor c(DType::kFloat32, {3, 5});
    Tensor b2(DType::kFloat32, {3, 5});
    NodeRun gemm2("Gemm");
    EXPECT_EQ(gemm2.run(find_kernel("Gemm", be), {&a, &b2, &c}).code(), StatusCode::kInvalidArgument);

    NodeRun pool("MaxPool"), avg("AveragePool"), gp("GlobalAveragePool");
    EXPECT_EQ(pool.run(find_kernel("MaxPool", be), {&x}).code(), StatusCode::kInvalidArgument);
    avg.attrs.set("kernel_shape", Dims{2, 2});
    avg.attrs.set("auto_pad", std::string("BOGUS"));
    EXPECT_EQ(avg.run(find_kernel("AveragePool", be), {&x}).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(gp.run(find_kernel("GlobalAveragePool", be), {&a}).code(), StatusCode::kInvalidArgument);
    NodeRun lrn("LRN");
    EXPECT_EQ(lrn.run(find_kernel("LRN", be), {&x}).code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace edgeq::kernels
