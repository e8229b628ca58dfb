// ChannelShuffle (concat on C, channel shuffle, split on C) against a plain reference on
// random data: NHWC and plain layouts, fast and reference kernels, with and without
// requantizing inputs, several groups and channel ranges.
#include <gtest/gtest.h>

#include <cstring>

#include "format/bin.h"
#include "runtime/executable.h"
#include "tests/runtime/exe_testing.h"

namespace edgeq::runtime {
namespace {

using namespace testing;  // NOLINT
namespace i8 = kernels::int8;

struct ShuffleCase {
  std::string name;
  std::vector<int64_t> in_channels;   // one per input
  std::vector<int64_t> out_channels;  // one per output
  std::vector<int64_t> starts;        // one per output
  int64_t group = 2;
  int64_t N = 1, H = 5, W = 7;
  bool requantize = false;  // input 1 has params other than the outputs'
};

struct Param {
  ShuffleCase c;
  Layout layout;
  bool reference;
};

class ShuffleTest : public ::testing::TestWithParam<Param> {};

TEST_P(ShuffleTest, MatchesPlainReference) {
  const ShuffleCase& c = GetParam().c;
  const Layout l = GetParam().layout;
  const QParam qy{0.05f, 10}, qother{0.03f, 128};
  ProgramBuilder pb;
  std::vector<int> ins, outs;
  std::vector<QParam> qin;
  for (size_t i = 0; i < c.in_channels.size(); ++i) {
    qin.push_back(c.requantize && i == 1 ? qother : qy);
    ins.push_back(pb.act("x" + std::to_string(i), {c.N, c.in_channels[i], c.H, c.W}, l, qin.back()));
  }
  for (size_t k = 0; k < c.out_channels.size(); ++k)
    outs.push_back(pb.act("y" + std::to_string(k), {c.N, c.out_channels[k], c.H, c.W}, l, qy));
  Attributes a;
  a.set("group", c.group);
  a.set("channel_starts", c.starts);
  pb.op("ChannelShuffle", ins, outs, a);
  format::Program prog = pb.finish(ins, outs);
  ASSERT_TRUE(format::validate(prog).ok()) << format::validate(prog).message();
  ExecutableOptions opts;
  opts.reference_kernels = GetParam().reference;
  auto exe = Executable::create(std::move(prog), opts);
  ASSERT_TRUE(exe.ok()) << exe.status().message();
  auto inst = Instance::create(*exe);
  ASSERT_TRUE(inst.ok()) << inst.status().message();

  // Inputs in logical order; the reference concatenates (requantizing) in logical order.
  const int64_t HW = c.H * c.W;
  int64_t C = 0;
  for (int64_t ci : c.in_channels) C += ci;
  std::vector<uint8_t> cat(static_cast<size_t>(c.N * C * HW));
  int64_t first = 0;
  for (size_t i = 0; i < ins.size(); ++i) {
    const int64_t Ci = c.in_channels[i];
    const std::vector<uint8_t> x = random_u8(static_cast<size_t>(c.N * Ci * HW), 100 + static_cast<uint32_t>(i));
    const std::vector<int64_t> shape = {c.N, Ci, c.H, c.W};
    const std::vector<uint8_t> ph = to_physical(x, shape, l);
    std::memcpy((*inst)->input(static_cast<int>(i)), ph.data(), ph.size());
    const i8::Table t = i8::requant_table(qin[i], qy);
    for (int64_t n = 0; n < c.N; ++n)
      for (int64_t ch = 0; ch < Ci; ++ch)
        for (int64_t p = 0; p < HW; ++p) {
          const uint8_t v = x[static_cast<size_t>((n * Ci + ch) * HW + p)];
          cat[static_cast<size_t>((n * C + first + ch) * HW + p)] = qin[i].scale == qy.scale && qin[i].zero_point == qy.zero_point ? v : t[v];
        }
    first += Ci;
  }
  ASSERT_TRUE((*inst)->run().ok());
  // Reshape [N, g, C/g, H, W] → Transpose (0, 2, 1, 3, 4) → Reshape [N, C, H, W], then slices.
  const int64_t g = c.group, cg = C / g;
  std::vector<uint8_t> shuffled(cat.size());
  for (int64_t n = 0; n < c.N; ++n)
    for (int64_t i = 0; i < cg; ++i)
      for (int64_t j = 0; j < g; ++j)
        for (int64_t p = 0; p < HW; ++p)
          shuffled[static_cast<size_t>((n * C + i * g + j) * HW + p)] = cat[static_cast<size_t>((n * C + j * cg + i) * HW + p)];
  for (size_t k = 0; k < outs.size(); ++k) {
    const int64_t Ck = c.out_channels[k];
    const std::vector<int64_t> shape = {c.N, Ck, c.H, c.W};
    std::vector<uint8_t> got(static_cast<size_t>(c.N * Ck * HW));
    std::memcpy(got.data(), (*inst)->output(static_cast<int>(k)), got.size());
    got = to_logical(got, shape, l);
    for (int64_t n = 0; n < c.N; ++n)
      for (int64_t ch = 0; ch < Ck; ++ch)
        for (int64_t p = 0; p < HW; ++p)
          ASSERT_EQ(got[static_cast<size_t>((n * Ck + ch) * HW + p)],
                    shuffled[static_cast<size_t>((n * C + c.starts[k] + ch) * HW + p)])
              << "output " << k << " n " << n << " c " << ch << " pixel " << p;
  }
}

std::vector<Param> params() {
  const std::vector<ShuffleCase> cases = {
      // ShuffleNet's stride-1 unit: concat of two halves, shuffle, chunk in two.
      {"ConcatShuffleChunk", {58, 58}, {58, 58}, {0, 58}, 2, 1, 6, 5, false},
      {"ConcatShuffleChunkRequant", {116, 116}, {116, 116}, {0, 116}, 2, 1, 3, 4, true},
      // Long runs (more than 32 pairs per pixel) and a batch of two.
      {"WideBatch", {96, 96}, {192}, {0}, 2, 2, 3, 3, true},
      // One input, one output (no Concat or Slice around the shuffle).
      {"ShuffleOnly", {24}, {24}, {0}, 2, 1, 4, 4, false},
      // A group other than 2, unequal inputs, odd output ranges.
      {"Group3UnequalInputs", {5, 13}, {7, 4, 7}, {0, 7, 11}, 3, 1, 3, 2, true},
      {"Group4PartialOutputs", {16}, {6}, {5}, 4, 1, 2, 3, false},
      // Group 1: a Slice or Split on C.
      {"Group1Slice", {10}, {4}, {3}, 1, 1, 3, 5, false},
      {"Group1Split", {12}, {5, 7}, {0, 5}, 1, 2, 2, 3, false},
      {"Group1AcrossInputsRequant", {6, 5}, {4, 7}, {0, 4}, 1, 1, 3, 3, true},
  };
  std::vector<Param> ps;
  for (const auto& c : cases)
    for (Layout l : {Layout::kNHWC, Layout::kPlain})
      for (bool ref : {false, true}) ps.push_back({c, l, ref});
  return ps;
}

INSTANTIATE_TEST_SUITE_P(Runtime, ShuffleTest, ::testing::ValuesIn(params()),
                         [](const ::testing::TestParamInfo<Param>& i) {
                           return i.param.c.name + (i.param.layout == Layout::kNHWC ? "Nhwc" : "Plain") +
                                  (i.param.reference ? "Reference" : "Fast");
                         });

TEST(ChannelShuffle, ValidateRejectsAGroupThatDoesNotDivide) {
  ProgramBuilder pb;
  const int x = pb.act("x", {1, 6, 2, 2}, Layout::kNHWC, {0.1f, 0});
  const int y = pb.act("y", {1, 6, 2, 2}, Layout::kNHWC, {0.1f, 0});
  Attributes a;
  a.set("group", int64_t{4});
  a.set("channel_starts", std::vector<int64_t>{0});
  pb.op("ChannelShuffle", {x}, {y}, a);
  const format::Program p = pb.finish({x}, {y});
  EXPECT_FALSE(format::validate(p).ok());
}

}  // namespace
}  // namespace edgeq::runtime
