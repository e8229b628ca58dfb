// Depthwise QConv through the runtime engine: at O2/O3 on a machine with AVX-512 VNNI it
// runs on edgeq's own kernel (kernels/int8/dwconv.h), bit for bit equal to the qops.h
// arithmetic; O1, reference kernels and a forced oneDNN implementation keep oneDNN.
#include <gtest/gtest.h>

#include <cstring>

#include "kernels/int8/dwconv.h"
#include "runtime/executable.h"
#include "tests/runtime/exe_testing.h"

namespace edgeq::runtime {
namespace {

using namespace testing;  // NOLINT

ConvSpec depthwise(int64_t c, int64_t hw, int64_t k, int64_t stride, int64_t pad_begin, int64_t pad_end, int32_t zx,
                   int32_t zy) {
  ConvSpec s;
  s.C = s.O = s.group = c;
  s.H = s.W = hw;
  s.kh = s.kw = k;
  s.sh = s.sw = stride;
  s.pt = s.pl = pad_begin;
  s.pb = s.pr = pad_end;
  s.zx = zx;
  s.zy = zy;
  return s;
}

// Runs one depthwise conv; returns the kernel name and expects every output byte equal to
// reference_conv.
std::string run_case(const ConvSpec& s, int level, const ExecutableOptions& opts) {
  const ConvData d = make_conv_data(s, 5);
  ProgramBuilder b;
  const int x = b.act("x", {s.N, s.C, s.H, s.W}, Layout::kNHWC, d.x);
  const int y = add_conv(b, s, d, x, Layout::kNHWC, "dw");
  auto exe = Executable::create(b.finish({x}, {y}, level), opts);
  EXPECT_TRUE(exe.ok()) << exe.status().message();
  if (!exe.ok()) return {};
  auto inst = Instance::create(*exe);
  EXPECT_TRUE(inst.ok()) << inst.status().message();
  if (!inst.ok()) return {};
  const std::string kernel = (*exe)->kernel_names()[0];
  for (uint32_t seed : {3u, 4u}) {
    const std::vector<uint8_t> xin = random_u8(static_cast<size_t>(s.N * s.C * s.H * s.W), seed);
    const std::vector<uint8_t> xp = to_physical(xin, {s.N, s.C, s.H, s.W}, Layout::kNHWC);
    std::memcpy((*inst)->input(0), xp.data(), xp.size());
    EXPECT_TRUE((*inst)->run().ok());
    const std::vector<uint8_t> want = reference_conv(s, d, xin);
    std::vector<uint8_t> got(want.size());
    std::memcpy(got.data(), (*inst)->output(0), got.size());
    got = to_logical(got, {s.N, s.O, s.OH(), s.OW()}, Layout::kNHWC);
    int mismatches = 0;
    for (size_t i = 0; i < want.size(); ++i) mismatches += want[i] != got[i];
    EXPECT_EQ(mismatches, 0) << "of " << want.size() << " with C " << s.C << " " << s.H << "x" << s.W << " k" << s.kh
                             << " s" << s.sh << " zx " << s.zx << " zy " << s.zy << "; kernel " << kernel;
  }
  return kernel;
}

TEST(DepthwiseConv, EdgeqKernelAtO2AndO3) {
  const bool vnni = kernels::int8::DwConv::host_supported();
  const std::vector<ConvSpec> specs = {
      depthwise(32, 28, 3, 1, 1, 1, 0, 0),     depthwise(96, 23, 3, 2, 0, 1, 7, 128),
      depthwise(144, 14, 5, 2, 1, 2, 128, 3),  depthwise(240, 9, 5, 1, 2, 2, 0, 200),
      depthwise(20, 5, 3, 1, 1, 1, 255, 255),  depthwise(1152, 7, 5, 1, 2, 2, 1, 1),
      depthwise(72, 1, 3, 2, 1, 1, 40, 0),
  };
  for (int level : {2, 3})
    for (const ConvSpec& s : specs) {
      const std::string k = run_case(s, level, {});
      if (vnni) EXPECT_NE(k.find("edgeq dwconv avx512_vnni"), std::string::npos) << k;
      else EXPECT_NE(k.find("onednn"), std::string::npos) << k;
    }
}

TEST(DepthwiseConv, OneDnnWhenAskedFor) {
  const ConvSpec s = depthwise(40, 12, 3, 1, 1, 1, 9, 4);
  EXPECT_NE(run_case(s, 1, {}).find("onednn"), std::string::npos);
  ExecutableOptions reference;
  reference.reference_kernels = true;
  EXPECT_NE(run_case(s, 3, reference).find("onednn"), std::string::npos);
  ExecutableOptions forced;
  forced.conv_impl = "jit_int8";
  EXPECT_NE(run_case(s, 3, forced).find("onednn"), std::string::npos);
}

TEST(DepthwiseConv, ShapesTheKernelDoesNotTakeStayOnOneDnn) {
  ConvSpec dilated = depthwise(32, 12, 3, 1, 2, 2, 0, 0);
  dilated.dh = dilated.dw = 2;
  EXPECT_NE(run_case(dilated, 3, {}).find("onednn"), std::string::npos);
  const ConvSpec k7 = depthwise(16, 12, 7, 1, 3, 3, 0, 0);
  EXPECT_NE(run_case(k7, 3, {}).find("onednn"), std::string::npos);
}

}  // namespace
}  // namespace edgeq::runtime
