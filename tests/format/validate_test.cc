// validate(): each structural rule, with the message that names the culprit.
#include <gtest/gtest.h>

#include <functional>
#include <limits>

#include "format/bin.h"
#include "programs.h"

namespace edgeq::format {
namespace {

using test::contains;

// Applies `mutate` to the full test program and expects validate() to fail with a
// message containing `want`.
void expect_invalid(const std::function<void(Program&)>& mutate, const std::string& want) {
  Program p = test::full_program();
  mutate(p);
  Status s = validate(p);
  ASSERT_FALSE(s.ok()) << "expected: " << want;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(contains(s.message(), want)) << s.message();
  EXPECT_EQ(s.message().back(), '.') << s.message();
  // The reader says the same thing about a file holding it.
  StatusOr<std::vector<uint8_t>> bytes = testing::serialize_unvalidated(p);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  StatusOr<Program> r = parse_bin(*bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.status().message(), "The model buffer is invalid: ")) << r.status().message();
}

TEST(Validate, FullProgramIsValid) {
  Status s = validate(test::full_program());
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST(Validate, TensorIndices) {
  expect_invalid([](Program& p) { p.ops[0].inputs[1] = 5; }, "Op 0 'conv' (QConv) input 1 is tensor 5, outside the 5 tensors");
  expect_invalid([](Program& p) { p.ops[0].inputs[1] = -2; }, "input 1 is tensor -2");
  expect_invalid([](Program& p) { p.ops[0].outputs[0] = -1; }, "output 0 is tensor -1");
  expect_invalid([](Program& p) { p.ops[0].outputs[0] = 1; }, "writes its output 0 into constant tensor 1 'conv.weight'");
  expect_invalid([](Program& p) { p.inputs[0].tensor = 17; }, "Input 0 'input' refers to tensor 17");
  expect_invalid([](Program& p) { p.outputs[0].tensor = -1; }, "Output 0 'logits' refers to tensor -1");
  expect_invalid([](Program& p) { p.outputs[0].tensor = 2; }, "Output 0 'logits' refers to constant tensor 2 'conv.bias'");
}

TEST(Validate, Shapes) {
  expect_invalid([](Program& p) { p.tensors[4].shape[2] = -4; }, "Tensor 4 'z' has a negative dimension in its shape");
  expect_invalid([](Program& p) { p.tensors[4].shape = {1 << 30, 1 << 30, 1 << 30}; }, "Tensor 4 'z' is too large");
  expect_invalid([](Program& p) { p.tensors[4].shape = {std::numeric_limits<int64_t>::max(), 2}; },
                 "overflows a 64-bit byte count");
  expect_invalid([](Program& p) { p.tensors[0].shape = {1, 48}; }, "Tensor 0 'x' has layout NHWC but a 2-D shape");
  expect_invalid([](Program& p) { p.tensors[4].dtype = DType::kUndefined; }, "Tensor 4 'z' has dtype undef");
  expect_invalid([](Program& p) { p.tensors[4].dtype = DType::kString; }, "Tensor 4 'z' has dtype");
}

TEST(Validate, ConstantBytes) {
  expect_invalid([](Program& p) { p.tensors[1].data.pop_back(); },
                 "Tensor 1 'conv.weight' holds 5 bytes of constant data, but i8[2,3,1,1] needs 6");
  expect_invalid([](Program& p) { p.tensors[2].dtype = DType::kInt64; }, "conv.bias' holds 8 bytes of constant data, but i64[2] needs 16");
  expect_invalid([](Program& p) { p.tensors[1].arena_offset = 0; }, "is a constant but has arena offset 0");
  expect_invalid([](Program& p) { p.tensors[3].data = {1}; }, "Tensor 3 'y' is not a constant but carries 1 bytes");
}

// The full program with its QConv turned into a ChannelShuffle of x (3 channels) into y
// (2 channels, from shuffled channel 1), then `mutate`.
void shuffle_program(Program& p) {
  Op& op = p.ops[0];
  op.type = "ChannelShuffle";
  op.inputs = {0};
  op.attrs = {};
  op.attrs.set("group", int64_t{3});
  op.attrs.set("channel_starts", std::vector<int64_t>{1});
}

TEST(Validate, ChannelShuffle) {
  Program p = test::full_program();
  shuffle_program(p);
  Status s = validate(p);
  EXPECT_TRUE(s.ok()) << s.message();
  expect_invalid([](Program& q) { shuffle_program(q); q.ops[0].attrs.set("group", int64_t{2}); },
                 "Op 0 'conv' (ChannelShuffle) has group 2, which does not divide its 3 channels");
  expect_invalid([](Program& q) { shuffle_program(q); q.ops[0].attrs.set("channel_starts", std::vector<int64_t>{2}); },
                 "output 0 takes channels 2..4, outside the 3 channels");
  expect_invalid([](Program& q) { shuffle_program(q); q.ops[0].attrs.set("channel_starts", std::vector<int64_t>{}); },
                 "has 0 channel_starts for 1 outputs");
  expect_invalid([](Program& q) { shuffle_program(q); q.tensors[3].shape = {1, 2, 2, 8}; },
                 "needs [N, C, H, W] inputs and outputs of one N, H and W");
}

TEST(Validate, ArenaRanges) {
  // y is u8[1,2,4,4] = 32 bytes at 64; z is f32[1,2,4,4] = 128 bytes at 128; arena 256.
  expect_invalid([](Program& p) { p.arena_bytes = 255; },
                 "Tensor 4 'z' (f32[1,2,4,4], 128 bytes) at arena offset 128 does not fit in the arena of 255 bytes");
  expect_invalid([](Program& p) { p.tensors[3].arena_offset = -1; }, "Tensor 3 'y' (u8[1,2,4,4], 32 bytes) at arena offset -1");
  expect_invalid([](Program& p) { p.tensors[3].arena_offset = std::numeric_limits<int64_t>::max() - 8; },
                 "does not fit in the arena of 256 bytes");
  expect_invalid([](Program& p) { p.arena_bytes = -1; }, "The arena size is negative");
}

TEST(Validate, Quantization) {
  expect_invalid([](Program& p) { p.tensors[1].quant->scale.push_back(1.0f); }, "has 3 scales but 2 zero points");
  expect_invalid([](Program& p) {
    p.tensors[1].quant->scale.push_back(1.0f);
    p.tensors[1].quant->zero_point.push_back(0);
  }, "Tensor 1 'conv.weight' has 3 quantization scales, but axis 0 of i8[2,3,1,1] has 2");
  expect_invalid([](Program& p) { p.tensors[0].quant->scale = {1.0f, 2.0f}; p.tensors[0].quant->zero_point = {0, 0}; },
                 "a per-tensor quantization has 1");
  expect_invalid([](Program& p) { p.tensors[1].quant->axis = 4; }, "has quantization axis 4, outside -1..3");
  expect_invalid([](Program& p) { p.tensors[0].quant->scale = {0.0f}; }, "a scale must be finite and positive");
  expect_invalid([](Program& p) { p.tensors[0].quant->scale = {std::numeric_limits<float>::quiet_NaN()}; },
                 "a scale must be finite and positive");
  expect_invalid([](Program& p) { p.tensors[0].quant->zero_point = {256}; }, "has zero point 256, outside the range of u8");
  expect_invalid([](Program& p) { p.tensors[1].quant->zero_point = {0, -129}; }, "outside the range of i8");
}

TEST(Validate, Segments) {
  expect_invalid([](Program& p) { p.segments[1].first_op = 2; },
                 "Segment 1 starts at op 2, but the segments before it end at op 1 (segments must be contiguous)");
  expect_invalid([](Program& p) { p.segments[0].first_op = 1; }, "Segment 0 starts at op 1");
  expect_invalid([](Program& p) { p.segments.pop_back(); }, "The segments cover ops 0..1 but the program has 2 ops");
  expect_invalid([](Program& p) { p.segments[1].num_ops = 2; }, "Segment 1 ends at op 3, past the 2 ops");
  expect_invalid([](Program& p) { p.segments = {{Placement::kCpu, 0, 0}, {Placement::kCpu, 0, 2}}; },
                 "Segment 0 has 0 ops");
  expect_invalid([](Program& p) { p.segments.clear(); }, "The segments cover ops 0..0 but the program has 2 ops");
}

TEST(Validate, OpsAndOptions) {
  expect_invalid([](Program& p) { p.ops[1].name = "conv"; }, "Op 1 'conv' has the same name as an earlier op");
  expect_invalid([](Program& p) { p.ops[1].type.clear(); }, "Op 1 'dequantize_y' has no type");
  expect_invalid([](Program& p) { p.options.march.clear(); }, "The compile options name no march");
  expect_invalid([](Program& p) { p.options.optimize_level = 4; }, "The optimize level is 4, outside 0..3");
  expect_invalid([](Program& p) { p.options.core_num = 0; }, "The core number is 0");
}

// A QConv with a folded residual add: input 3 like the output, the conv result's params.
TEST(Validate, ResidualConv) {
  auto with_residual = [](Program& p) {
    TensorDesc r = p.tensors[3];
    r.name = "r";
    r.arena_offset = 192;
    p.tensors.push_back(r);
    p.ops[0].inputs.push_back(5);
    p.ops[0].attrs.set("conv_scale", 0.05f);
    p.ops[0].attrs.set("conv_zero_point", int64_t{7});
  };
  Program ok = test::full_program();
  with_residual(ok);
  EXPECT_TRUE(validate(ok).ok()) << validate(ok).message();
  ok.tensors[5].arena_offset = ok.tensors[3].arena_offset;  // in place
  EXPECT_TRUE(validate(ok).ok()) << validate(ok).message();
  expect_invalid([&](Program& p) { with_residual(p); p.ops[0].inputs.push_back(5); },
                 "Op 0 'conv' (QConv) has 5 inputs; a QConv with a residual has x, w, b (or -1), residual and one output");
  expect_invalid([&](Program& p) { with_residual(p); p.tensors[5].shape = {1, 2, 2, 8}; },
                 "has residual 'r' (u8[1,2,2,8]");
  expect_invalid([&](Program& p) { with_residual(p); p.tensors[5].layout = Layout::kPlain; }, "has residual 'r'");
  expect_invalid([&](Program& p) { with_residual(p); p.ops[0].inputs[3] = 1; }, "has residual 'conv.weight'");
  expect_invalid([&](Program& p) { with_residual(p); p.ops[0].attrs.erase("conv_scale"); },
                 "has a residual but no valid conv_scale");
  expect_invalid([&](Program& p) { with_residual(p); p.ops[0].attrs.set("conv_zero_point", int64_t{256}); },
                 "no valid conv_scale (> 0) and conv_zero_point (0..255)");
}

TEST(Validate, OptionalInputsAndScalars) {
  Program p = test::full_program();
  p.ops[0].inputs[2] = -1;  // bias absent
  p.tensors[4].shape = {};  // a scalar: 4 bytes
  EXPECT_TRUE(validate(p).ok()) << validate(p).message();
  p.tensors[4].shape = {0, 5};  // empty tensor: 0 bytes, still in the arena
  EXPECT_TRUE(validate(p).ok()) << validate(p).message();
}

}  // namespace
}  // namespace edgeq::format
