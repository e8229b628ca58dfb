#include "exec/interpreter.h"

#include <gtest/gtest.h>

#include "exec/annotate.h"

namespace edgeq::exec {
namespace {

// y = Relu(x @ w + b), z = Neg(y); w and b are initializers.
ir::Graph small_mlp() {
  ir::Graph g;
  g.name = "mlp";
  g.opset_imports[""] = 13;
  g.add_input("x", DType::kFloat32, {ir::Dim(1), ir::Dim(2)});
  g.add_initializer("w", Tensor::from_vector<float>({2, 2}, {1, -1, 2, 3}));
  g.add_initializer("b", Tensor::from_vector<float>({2}, {0.5f, -10}));
  g.add_node("MatMul", {"x", "w"}, {"m"}, "mm");
  g.add_node("Add", {"m", "b"}, {"a"}, "add");
  g.add_node("Relu", {"a"}, {"y"}, "relu");
  g.add_node("Neg", {"y"}, {"z"}, "neg");
  g.outputs = {"y", "z"};
  return g;
}

TEST(Interpreter, RunsAndReturnsEveryOutput) {
  auto interp = Interpreter::create(small_mlp());
  ASSERT_TRUE(interp.ok()) << interp.status().message();
  std::map<std::string, Tensor> out;
  ASSERT_TRUE((*interp)->run({{"x", Tensor::from_vector<float>({1, 2}, {1, 2})}}, &out).ok());
  // x@w = [1*1+2*2, 1*-1+2*3] = [5, 5]; + b = [5.5, -5]; relu = [5.5, 0]
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FLOAT_EQ(out["y"].data<float>()[0], 5.5f);
  EXPECT_FLOAT_EQ(out["y"].data<float>()[1], 0.0f);
  EXPECT_FLOAT_EQ(out["z"].data<float>()[0], -5.5f);
}

TEST(Interpreter, CallbackSeesEveryNodeInOrder) {
  auto interp = Interpreter::create(small_mlp());
  ASSERT_TRUE(interp.ok());
  std::vector<std::string> seen;
  std::map<std::string, Tensor> out;
  ASSERT_TRUE((*interp)
                  ->run({{"x", Tensor::from_vector<float>({1, 2}, {1, 2})}}, &out,
                        [&](const ir::Node& n, std::span<const Tensor> outs) {
                          seen.push_back(n.name);
                          EXPECT_EQ(outs.size(), 1u);
                        })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"mm", "add", "relu", "neg"}));
}

TEST(Interpreter, RejectsWrongFeeds) {
  auto interp = Interpreter::create(small_mlp());
  ASSERT_TRUE(interp.ok());
  std::map<std::string, Tensor> out;
  Status missing = (*interp)->run({}, &out);
  EXPECT_NE(missing.message().find("input 'x' was not given"), std::string::npos) << missing.message();
  Status shape = (*interp)->run({{"x", Tensor(DType::kFloat32, {1, 3})}}, &out);
  EXPECT_NE(shape.message().find("must have shape [1,2]"), std::string::npos) << shape.message();
  Status dtype = (*interp)->run({{"x", Tensor(DType::kInt64, {1, 2})}}, &out);
  EXPECT_NE(dtype.message().find("must be f32"), std::string::npos) << dtype.message();
}

TEST(Interpreter, UnsupportedOpNamesTheNode) {
  ir::Graph g = small_mlp();
  g.add_node("NonMaxSuppression", {"z"}, {"s"}, "nms0");
  EXPECT_EQ(unsupported_nodes(g).size(), 1u);
  auto interp = Interpreter::create(g);
  ASSERT_FALSE(interp.ok());
  EXPECT_EQ(interp.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(interp.status().message().find("NonMaxSuppression (node 'nms0')"), std::string::npos);

  ir::Graph custom = small_mlp();
  custom.nodes[3].domain = "com.example";
  EXPECT_FALSE(Interpreter::create(custom).ok());
}

TEST(Interpreter, KernelErrorsPropagate) {
  ir::Graph g = small_mlp();
  g.initializers["b"] = Tensor::from_vector<float>({3}, {1, 2, 3});  // cannot broadcast with [1,2]
  auto interp = Interpreter::create(g);
  ASSERT_TRUE(interp.ok());
  std::map<std::string, Tensor> out;
  Status s = (*interp)->run({{"x", Tensor(DType::kFloat32, {1, 2})}}, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("add"), std::string::npos) << s.message();
}

TEST(Annotate, RecordsShapesOfEveryValue) {
  ir::Graph g = small_mlp();
  ASSERT_TRUE(annotate_shapes_by_running(g).ok());
  for (const char* v : {"m", "a", "y", "z"}) {
    const ir::ValueInfo* info = g.value_info(v);
    ASSERT_NE(info, nullptr) << v;
    EXPECT_EQ(info->dtype, DType::kFloat32);
    EXPECT_EQ(ir::shape_to_string(*info->shape), "[1,2]") << v;
  }
}

}  // namespace
}  // namespace edgeq::exec
