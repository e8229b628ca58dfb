#include "pass_testing.h"

namespace edgeq::passes {
namespace {

using testing::run_pass;

TEST(RemoveIdentity, RemovesIdentityAndInferenceDropoutKeepingOutputNames) {
  const std::string after = run_pass(remove_identity, R"(
graph g opset=13
  input %x: f32[2,3]
  init %f: bool[] = [0]
  %a = Relu(%x) name=relu : f32[2,3]
  %b = Identity(%a) name=id0 : f32[2,3]
  %c, % = Dropout(%b, none, %f) {ratio=0.3} name=drop0 : f32[2,3] ?
  %e = Sigmoid(%c) name=sig : f32[2,3]
  %d = Identity(%c) name=id1 : f32[2,3]
  output %d
  output %e
)");
  // %d is a graph output, so the Relu takes its name instead of the Identity going away
  // with it.
  EXPECT_EQ(after,
            "graph g opset=13\n"
            "  input %x: f32[2,3]\n"
            "  init %f: bool[]\n"
            "  %d = Relu(%x) name=relu : f32[2,3]\n"
            "  %e = Sigmoid(%d) name=sig : f32[2,3]\n"
            "  output %d\n"
            "  output %e\n");
}

TEST(RemoveIdentity, OldDropoutWithUnusedMask) {
  EXPECT_EQ(run_pass(remove_identity, R"(
graph g opset=11
  input %x: f32[4]
  %a, %m = Dropout(%x) {ratio=0.1} name=drop : f32[4] bool[4]
  %y = Relu(%a) name=relu : f32[4]
  output %y
)"),
            "graph g opset=11\n"
            "  input %x: f32[4]\n"
            "  %y = Relu(%x) name=relu : f32[4]\n"
            "  output %y\n");
}

TEST(RemoveIdentity, KeepsTrainingDropoutUsedMaskAndInputToOutputIdentity) {
  const std::string text =
      "graph g opset=13\n"
      "  input %x: f32[4]\n"
      "  init %t: bool[]\n"
      "  %a, %m = Dropout(%x) name=drop_mask : f32[4] bool[4]\n"
      "  %b, % = Dropout(%a, none, %t) name=drop_train : f32[4] ?\n"
      "  %y = Identity(%x) name=id_io : f32[4]\n"
      "  output %b\n"
      "  output %m\n"
      "  output %y\n";
  std::string with_training = text;
  with_training.replace(with_training.find("init %t: bool[]"), 15, "init %t: bool[] = [1]");
  // Training-mode Dropout is random, so only the structure is compared.
  EXPECT_EQ(run_pass(remove_identity, with_training, /*check_numerics=*/false), text);
}

}  // namespace
}  // namespace edgeq::passes
