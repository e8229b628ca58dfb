#include "pass_testing.h"

namespace edgeq::passes {
namespace {

using testing::run_pass;

TEST(CancelTransposeReshape, PairsCancelMergeAndNoOpsGo) {
  // r3's shape copies a dim of r1's output (the 0), so reading x directly needs the
  // static shape spelled out.
  const std::string after = run_pass(cancel_transpose_reshape, R"(
graph g opset=13
  input %x: f32[2,3,4]
  init %s1: i64[2] = [6, 4]
  init %s2: i64[3] = [2, 0, -1]
  init %s3: i64[2] = [1, 24]
  %t1 = Transpose(%x) {perm=[1,0,2]} name=t1 : f32[3,2,4]
  %t2 = Transpose(%t1) {perm=[1,0,2]} name=t2 : f32[2,3,4]
  %r1 = Reshape(%t2, %s1) name=r1 : f32[6,4]
  %r3 = Reshape(%r1, %s2) name=r3 : f32[2,4,3]
  %t3 = Transpose(%r3) {perm=[2,0,1]} name=t3 : f32[3,2,4]
  %t4 = Transpose(%t3) {perm=[0,2,1]} name=t4 : f32[3,4,2]
  %i = Transpose(%t4) {perm=[0,1,2]} name=ident : f32[3,4,2]
  %f = Flatten(%i) {axis=0} name=flat : f32[1,24]
  %q = Reshape(%f, %s3) name=same : f32[1,24]
  output %q
)");
  EXPECT_EQ(after,
            "graph g opset=13\n"
            "  input %x: f32[2,3,4]\n"
            "  init %r3_shape: i64[3]\n"
            "  %r3 = Reshape(%x, %r3_shape) name=r3 : f32[2,4,3]\n"
            "  %t4 = Transpose(%r3) {perm=[2,1,0]} name=t4 : f32[3,4,2]\n"
            "  %q = Flatten(%t4) {axis=0} name=flat : f32[1,24]\n"
            "  output %q\n");
}

TEST(CancelTransposeReshape, SqueezeUnsqueezeToTheSameShapeAndDefaultPerm) {
  EXPECT_EQ(run_pass(cancel_transpose_reshape, R"(
graph g opset=13
  input %x: f32[2,1,3]
  init %ax: i64[1] = [1]
  %a = Squeeze(%x, %ax) name=sq : f32[2,3]
  %b = Unsqueeze(%a, %ax) name=unsq : f32[2,1,3]
  %c = Transpose(%b) name=rev : f32[3,1,2]
  %d = Transpose(%c) name=rev2 : f32[2,1,3]
  %y = Relu(%d) name=relu : f32[2,1,3]
  output %y
)"),
            "graph g opset=13\n"
            "  input %x: f32[2,1,3]\n"
            "  %y = Relu(%x) name=relu : f32[2,1,3]\n"
            "  output %y\n");
}

TEST(CancelTransposeReshape, KeepsTransposeReadByOthersAndUnknownShapes) {
  const std::string text =
      "graph g opset=13\n"
      "  input %x: f32[2,3]\n"
      "  init %s: i64[1]\n"
      "  %t1 = Transpose(%x) {perm=[1,0]} name=t1 : f32[3,2]\n"
      "  %r = Reshape(%t1, %s) name=r : f32[*]\n"
      "  %u = Reshape(%r, %s) name=u : ?\n"
      "  output %t1\n"
      "  output %u\n";
  std::string with_values = text;
  with_values.replace(with_values.find("init %s: i64[1]"), 15, "init %s: i64[1] = [6]");
  EXPECT_EQ(run_pass(cancel_transpose_reshape, with_values), text);
}

}  // namespace
}  // namespace edgeq::passes
