#include <sstream>

#include "pass_testing.h"

namespace edgeq::passes {
namespace {

const char kSmall[] = R"(
graph g opset=13
  input %x: f32[1,2,4,4]
  init %w: f32[3,2,1,1] = [1, -2, 0.5, 3, -1, 2]
  init %gamma: f32[3] = [1, 2, -0.5]
  init %beta: f32[3] = [0.1, -0.2, 0.3]
  init %mean: f32[3] = [0.5, -1, 2]
  init %var: f32[3] = [1, 4, 0.25]
  init %shape: i64[2] = [1, -1]
  %i = Identity(%x) name=id : f32[1,2,4,4]
  %c = Conv(%i, %w) {kernel_shape=[1,1]} name=conv : f32[1,3,4,4]
  %b = BatchNormalization(%c, %gamma, %beta, %mean, %var) name=bn : f32[1,3,4,4]
  %s = Shape(%b) name=shape_of : i64[4]
  %r = Reshape(%b, %shape) name=flatten : f32[1,48]
  %y = Identity(%r) name=out_id : f32[1,48]
  output %y
)";

TEST(Pipeline, EveryPassIsImplemented) {
  std::vector<std::string_view> missing = missing_passes();
  std::string names;
  for (auto m : missing) names += std::string(m) + " ";
  EXPECT_TRUE(missing.empty()) << "passes without an implementation: " << names;
}

TEST(Pipeline, UnknownPassNamesAreErrors) {
  ir::Graph g = testing::parse(kSmall);
  PassContext ctx;
  ctx.disabled.insert("fold_constantz");
  Status s = run_pipeline(g, ctx);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("fold_constantz"), std::string::npos) << s.message();

  PassContext dump;
  dump.dump_after = {"no_such_pass"};
  s = run_pipeline(g, dump);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("no_such_pass"), std::string::npos) << s.message();
}

TEST(Pipeline, DumpAfterPrintsTheGraphAfterThatPass) {
  ir::Graph g = testing::parse(kSmall);
  std::ostringstream out;
  PassContext ctx;
  ctx.dump_after = {"remove_identity"};
  ctx.dump = &out;
  ASSERT_TRUE(run_pipeline(g, ctx).ok());
  const std::string text = out.str();
  ASSERT_EQ(text.rfind("// after remove_identity\ngraph g opset=13\n", 0), 0u) << text;
  EXPECT_NE(text.find("%c = Conv(%x, %w)"), std::string::npos) << text;       // Identity gone
  EXPECT_NE(text.find("BatchNormalization"), std::string::npos) << text;      // not yet folded
  EXPECT_EQ(text.find("// after", 1), std::string::npos) << "only one dump expected:\n" << text;

  // The dump is parseable text IR.
  StatusOr<ir::Graph> parsed = ir::parse_text(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status().to_string();
}

TEST(Pipeline, OptimizesASmallGraphAndKeepsItsNumbers) {
  ir::Graph g = testing::parse(kSmall);
  ir::Graph original = g;
  ASSERT_TRUE(run_pipeline(g, {}).ok());
  for (const ir::Node& n : g.nodes) {
    EXPECT_NE(n.op_type, "Identity");
    EXPECT_NE(n.op_type, "BatchNormalization");
    EXPECT_NE(n.op_type, "Shape");
  }
  EXPECT_EQ(g.outputs, std::vector<std::string>{"y"});
  EXPECT_EQ(g.initializers.count("gamma"), 0u);
  testing::expect_same_outputs(original, g);
}

TEST(Pipeline, DisabledPassIsSkipped) {
  ir::Graph g = testing::parse(kSmall);
  PassContext ctx;
  ctx.disabled = {"fold_batch_norm"};
  ASSERT_TRUE(run_pipeline(g, ctx).ok());
  int bn = 0;
  for (const ir::Node& n : g.nodes) bn += n.op_type == "BatchNormalization";
  EXPECT_EQ(bn, 1);
}

}  // namespace
}  // namespace edgeq::passes
