#include "onnx/onnx_io.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "onnx/tensor_proto.h"
#include "tests/onnx/test_util.h"

namespace edgeq::onnx {
namespace {

using test::TempDir;
using TP = ::onnx::TensorProto;

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.nbytes() == b.nbytes() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

bool same_attribute(const AttributeValue& a, const AttributeValue& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, Tensor>) return same_bits(x, y);
        else if constexpr (std::is_same_v<T, float>) return std::memcmp(&x, &y, sizeof(float)) == 0;
        else return x == y;
      },
      a);
}

void expect_same_graph(const ir::Graph& a, const ir::Graph& b) {
  EXPECT_EQ(ir::to_text(a), ir::to_text(b));
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.outputs, b.outputs);
  EXPECT_EQ(a.opset_imports, b.opset_imports);
  EXPECT_EQ(a.ir_version, b.ir_version);
  EXPECT_EQ(a.metadata, b.metadata);
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const ir::Node& x = a.nodes[i];
    const ir::Node& y = b.nodes[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.op_type, y.op_type);
    EXPECT_EQ(x.inputs, y.inputs);
    EXPECT_EQ(x.outputs, y.outputs);
    ASSERT_EQ(x.attrs.size(), y.attrs.size()) << x.name;
    for (const auto& [name, value] : x.attrs.all()) {
      const AttributeValue* other = y.attrs.find(name);
      ASSERT_NE(other, nullptr) << name;
      EXPECT_TRUE(same_attribute(value, *other)) << x.name << "." << name;
    }
  }
  ASSERT_EQ(a.initializers.size(), b.initializers.size());
  for (const auto& [name, t] : a.initializers) {
    ASSERT_TRUE(b.initializers.count(name)) << name;
    EXPECT_TRUE(same_bits(t, b.initializers.at(name))) << name;
  }
  for (const auto& [name, v] : a.values) {
    const ir::ValueInfo* w = b.value_info(name);
    ASSERT_NE(w, nullptr) << name;
    EXPECT_EQ(v.dtype, w->dtype) << name;
    EXPECT_EQ(v.shape, w->shape) << name;
  }
}

TP tensor(const std::string& name, int32_t type, std::vector<int64_t> dims) {
  TP t;
  t.set_name(name);
  t.set_data_type(type);
  for (int64_t d : dims) t.add_dims(d);
  return t;
}

// A graph exercising every initializer storage form and every attribute type. The op is
// made up (the loader does not need to know it), so it also checks that unknown ops load.
::onnx::ModelProto storage_model() {
  ::onnx::ModelProto m = test::make_model(8, 13);
  auto* g = m.mutable_graph();
  test::set_value_info(g->add_input(), "x", TP::FLOAT, {"1", "4"});
  test::set_value_info(g->add_output(), "y", TP::FLOAT, {"1", "4"});

  TP f = tensor("f_float_data", TP::FLOAT, {4});
  for (float v : {1.5f, -0.0f, std::numeric_limits<float>::quiet_NaN(), 1e-40f}) f.add_float_data(v);
  *g->add_initializer() = f;
  TP raw = tensor("f_raw", TP::FLOAT, {2, 2});
  float raw_values[4] = {0.1f, -2.0f, 3.25f, std::numeric_limits<float>::infinity()};
  raw.set_raw_data(std::string(reinterpret_cast<const char*>(raw_values), sizeof(raw_values)));
  *g->add_initializer() = raw;
  TP i8 = tensor("i8", TP::INT8, {3});
  for (int v : {-128, 0, 127}) i8.add_int32_data(v);
  *g->add_initializer() = i8;
  TP u8 = tensor("u8", TP::UINT8, {2});
  for (int v : {0, 255}) u8.add_int32_data(v);
  *g->add_initializer() = u8;
  TP i16 = tensor("i16", TP::INT16, {1});
  i16.add_int32_data(-300);
  *g->add_initializer() = i16;
  TP f16 = tensor("f16", TP::FLOAT16, {2});
  f16.add_int32_data(0x3c00);  // 1.0
  f16.add_int32_data(0xc000);  // -2.0
  *g->add_initializer() = f16;
  TP b = tensor("b", TP::BOOL, {3});
  for (int v : {1, 0, 1}) b.add_int32_data(v);
  *g->add_initializer() = b;
  TP i64 = tensor("i64", TP::INT64, {2});
  i64.add_int64_data(std::numeric_limits<int64_t>::min());
  i64.add_int64_data(42);
  *g->add_initializer() = i64;
  TP f64 = tensor("f64", TP::DOUBLE, {1});
  f64.add_double_data(3.141592653589793);
  *g->add_initializer() = f64;
  TP u64 = tensor("u64", TP::UINT64, {1});
  u64.add_uint64_data(std::numeric_limits<uint64_t>::max());
  *g->add_initializer() = u64;
  TP u32 = tensor("u32", TP::UINT32, {1});
  u32.add_uint64_data(4000000000u);
  *g->add_initializer() = u32;
  *g->add_initializer() = tensor("empty", TP::FLOAT, {0, 3});
  TP scalar = tensor("scalar", TP::INT32, {});
  scalar.add_int32_data(-7);
  *g->add_initializer() = scalar;

  auto* n = test::add_node(g, "EdgeqTestOp", {"x", "f_raw", "", "i64"}, {"y", ""}, "all_attrs");
  auto add = [&](const std::string& name, ::onnx::AttributeProto::AttributeType type) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(type);
    return a;
  };
  add("i", ::onnx::AttributeProto::INT)->set_i(-5);
  add("f", ::onnx::AttributeProto::FLOAT)->set_f(0.25f);
  add("s", ::onnx::AttributeProto::STRING)->set_s("nearest");
  auto* ints = add("ints", ::onnx::AttributeProto::INTS);
  ints->add_ints(1);
  ints->add_ints(-1);
  auto* floats = add("floats", ::onnx::AttributeProto::FLOATS);
  floats->add_floats(0.5f);
  floats->add_floats(-1e30f);
  auto* strings = add("strings", ::onnx::AttributeProto::STRINGS);
  strings->add_strings("a");
  strings->add_strings("");
  add("empty_ints", ::onnx::AttributeProto::INTS);
  TP value = tensor("", TP::INT64, {2});
  value.add_int64_data(3);
  value.add_int64_data(4);
  *add("value", ::onnx::AttributeProto::TENSOR)->mutable_t() = value;
  test::add_node(g, "Relu", {"x"}, {"unused_relu"});  // unnamed: gets a generated name
  auto* meta = m.add_metadata_props();
  meta->set_key("author");
  meta->set_value("edgeq");
  return m;
}

TEST(OnnxLoad, ReadsEveryStorageFormAndAttributeType) {
  TempDir dir;
  test::write_file(dir.file("m.onnx"), test::serialize(storage_model()));
  auto g = load_model(dir.file("m.onnx"));
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_EQ(g->inputs, std::vector<std::string>{"x"});
  const auto& inits = g->initializers;
  const Tensor& f = inits.at("f_float_data");
  EXPECT_EQ(f.data<float>()[0], 1.5f);
  EXPECT_TRUE(std::signbit(f.data<float>()[1]));
  EXPECT_TRUE(std::isnan(f.data<float>()[2]));
  EXPECT_EQ(f.data<float>()[3], 1e-40f);
  EXPECT_EQ(inits.at("f_raw").shape(), (Dims{2, 2}));
  EXPECT_EQ(inits.at("f_raw").data<float>()[2], 3.25f);
  EXPECT_EQ(inits.at("i8").data<int8_t>()[0], -128);
  EXPECT_EQ(inits.at("u8").data<uint8_t>()[1], 255);
  EXPECT_EQ(inits.at("i16").data<int16_t>()[0], -300);
  EXPECT_EQ(inits.at("f16").dtype(), DType::kFloat16);
  EXPECT_EQ(inits.at("f16").at_double(1), -2.0);
  EXPECT_EQ(inits.at("b").data<bool>()[1], false);
  EXPECT_EQ(inits.at("b").data<bool>()[2], true);
  EXPECT_EQ(inits.at("i64").data<int64_t>()[0], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(inits.at("f64").data<double>()[0], 3.141592653589793);
  EXPECT_EQ(inits.at("u64").data<uint64_t>()[0], std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(inits.at("u32").data<uint32_t>()[0], 4000000000u);
  EXPECT_EQ(inits.at("empty").numel(), 0);
  EXPECT_EQ(inits.at("scalar").rank(), 0);
  EXPECT_EQ(inits.at("scalar").data<int32_t>()[0], -7);

  const ir::Node* node = nullptr;
  for (const auto& n : g->nodes)
    if (n.name == "all_attrs") node = &n;
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->inputs, (std::vector<std::string>{"x", "f_raw", "", "i64"}));
  EXPECT_EQ(node->outputs, (std::vector<std::string>{"y", ""}));
  EXPECT_EQ(node->attrs.get_int("i"), -5);
  EXPECT_EQ(node->attrs.get_float("f"), 0.25f);
  EXPECT_EQ(node->attrs.get_string("s"), "nearest");
  EXPECT_EQ(node->attrs.get_ints("ints"), (std::vector<int64_t>{1, -1}));
  EXPECT_EQ(node->attrs.get_floats("floats"), (std::vector<float>{0.5f, -1e30f}));
  EXPECT_EQ(node->attrs.get_strings("strings"), (std::vector<std::string>{"a", ""}));
  ASSERT_NE(node->attrs.find("empty_ints"), nullptr);
  EXPECT_TRUE(std::holds_alternative<std::vector<int64_t>>(*node->attrs.find("empty_ints")));
  ASSERT_NE(node->attrs.get_tensor("value"), nullptr);
  EXPECT_EQ(node->attrs.get_tensor("value")->at_int(1), 4);
  EXPECT_EQ(g->metadata.at("author"), "edgeq");
  bool relu_named = false;
  for (const auto& n : g->nodes) relu_named |= n.op_type == "Relu" && n.name == "Relu_1";
  EXPECT_TRUE(relu_named) << ir::to_text(*g);
}

TEST(OnnxLoad, RoundTripIsExact) {
  TempDir dir;
  test::write_file(dir.file("m.onnx"), test::serialize(storage_model()));
  auto g1 = load_model(dir.file("m.onnx"));
  ASSERT_TRUE(g1.ok()) << g1.status().to_string();
  ASSERT_TRUE(save_model(*g1, dir.file("copy.onnx")).ok());
  auto g2 = load_model(dir.file("copy.onnx"));
  ASSERT_TRUE(g2.ok()) << g2.status().to_string();
  expect_same_graph(*g1, *g2);
  // And once more from the serialized bytes: saving is deterministic.
  auto bytes2 = serialize_model(*g2);
  ASSERT_TRUE(bytes2.ok());
  EXPECT_EQ(*bytes2, test::read_file(dir.file("copy.onnx")));
}

TEST(OnnxLoad, OldModelsListInitializersAsInputs) {
  ::onnx::ModelProto m = test::make_model(3, 8);
  auto* g = m.mutable_graph();
  test::set_value_info(g->add_input(), "x", TP::FLOAT, {"2"});
  test::set_value_info(g->add_input(), "w", TP::FLOAT, {"2"});
  TP w = tensor("w", TP::FLOAT, {2});
  w.add_float_data(1);
  w.add_float_data(2);
  *g->add_initializer() = w;
  test::add_node(g, "Add", {"x", "w"}, {"y"});
  test::set_value_info(g->add_output(), "y", TP::FLOAT, {"2"});
  auto graph = load_model_from_bytes(test::serialize(m), ".");
  ASSERT_TRUE(graph.ok()) << graph.status().to_string();
  EXPECT_EQ(graph->inputs, std::vector<std::string>{"x"});
  EXPECT_TRUE(graph->is_initializer("w"));
  // Saved with IR 3, the initializer is listed as an input again, and reloads the same.
  auto bytes = serialize_model(*graph);
  ASSERT_TRUE(bytes.ok());
  ::onnx::ModelProto saved;
  ASSERT_TRUE(saved.ParseFromString(*bytes));
  EXPECT_EQ(saved.ir_version(), 3);
  EXPECT_EQ(saved.graph().input_size(), 2);
  auto again = load_model_from_bytes(*bytes, ".");
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  expect_same_graph(*graph, *again);
}

TEST(OnnxLoad, ExternalData) {
  TempDir dir;
  float values[6] = {1, 2, 3, 4, 5, 6};
  std::string blob(16, 'x');  // data starts at offset 16
  blob.append(reinterpret_cast<const char*>(values), sizeof(values));
  test::write_file(dir.file("weights.bin"), blob);
  auto make = [&](const std::string& location, const std::string& offset, const std::string& length) {
    ::onnx::ModelProto m = test::make_model();
    auto* g = m.mutable_graph();
    test::set_value_info(g->add_input(), "x", TP::FLOAT, {"2", "3"});
    TP w = tensor("w", TP::FLOAT, {2, 3});
    w.set_data_location(TP::EXTERNAL);
    auto kv = [&](const std::string& k, const std::string& v) {
      auto* e = w.add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    kv("location", location);
    kv("offset", offset);
    if (!length.empty()) kv("length", length);
    *g->add_initializer() = w;
    test::add_node(g, "Add", {"x", "w"}, {"y"});
    test::set_value_info(g->add_output(), "y", TP::FLOAT, {"2", "3"});
    test::write_file(dir.file("m.onnx"), test::serialize(m));
    return load_model(dir.file("m.onnx"));
  };
  auto ok = make("weights.bin", "16", "24");
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  const Tensor& w = ok->initializers.at("w");
  for (int i = 0; i < 6; ++i) EXPECT_EQ(w.data<float>()[i], values[i]);
  auto no_length = make("weights.bin", "16", "");
  EXPECT_TRUE(no_length.ok()) << no_length.status().to_string();

  auto escape = make("../weights.bin", "16", "24");
  ASSERT_FALSE(escape.ok());
  EXPECT_NE(escape.status().message().find("outside the model's folder"), std::string::npos) << escape.status().message();
  auto absolute = make(dir.file("weights.bin"), "16", "24");
  EXPECT_FALSE(absolute.ok());
  auto past_end = make("weights.bin", "32", "24");
  ASSERT_FALSE(past_end.ok());
  EXPECT_EQ(past_end.status().code(), StatusCode::kDataLoss) << past_end.status().message();
  auto missing = make("nothing.bin", "0", "24");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().message();
}

TEST(OnnxLoad, BadFiles) {
  TempDir dir;
  auto missing = load_model(dir.file("nope.onnx"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  std::string bytes = test::serialize(storage_model());
  test::write_file(dir.file("truncated.onnx"), bytes.substr(0, bytes.size() / 2));
  auto truncated = load_model(dir.file("truncated.onnx"));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(truncated.status().message().find("is not a valid ONNX model"), std::string::npos);

  test::write_file(dir.file("text.onnx"), "this is a text file, not a model\nsecond line\n");
  auto text = load_model(dir.file("text.onnx"));
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), StatusCode::kDataLoss) << text.status().message();

  test::write_file(dir.file("empty.onnx"), "");
  EXPECT_EQ(load_model(dir.file("empty.onnx")).status().code(), StatusCode::kDataLoss);
}

::onnx::ModelProto relu_model(int64_t ir_version, int64_t opset, std::vector<std::string> dims = {"1", "4"}) {
  ::onnx::ModelProto m = test::make_model(ir_version, opset);
  auto* g = m.mutable_graph();
  test::set_value_info(g->add_input(), "x", TP::FLOAT, dims);
  test::add_node(g, "Relu", {"x"}, {"y"}, "relu");
  test::set_value_info(g->add_output(), "y", TP::FLOAT, dims);
  return m;
}

void expect_unsupported(const ::onnx::ModelProto& m, const std::vector<std::string>& words) {
  auto g = load_model_from_bytes(test::serialize(m), ".");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kUnsupported) << g.status().message();
  for (const auto& w : words) EXPECT_NE(g.status().message().find(w), std::string::npos) << g.status().message();
}

TEST(OnnxLoad, RejectsUnsupportedConstructs) {
  expect_unsupported(relu_model(2, 13), {"IR version 2", "3 to 9"});
  expect_unsupported(relu_model(8, 6), {"opset 6", "7 to 18"});
  expect_unsupported(relu_model(8, 19), {"opset 19"});

  ::onnx::ModelProto with_if = relu_model(8, 13);
  auto* g = with_if.mutable_graph();
  test::set_value_info(g->add_input(), "cond", TP::BOOL, {});
  auto* n = test::add_node(g, "If", {"cond"}, {"z"}, "branch");
  auto* a = n->add_attribute();
  a->set_name("then_branch");
  a->set_type(::onnx::AttributeProto::GRAPH);
  *a->mutable_g() = relu_model(8, 13).graph();
  expect_unsupported(with_if, {"'branch'", "If", "control flow"});

  ::onnx::ModelProto custom = relu_model(8, 13);
  auto* c = test::add_node(custom.mutable_graph(), "FusedGelu", {"y"}, {"z"}, "gelu");
  c->set_domain("com.microsoft");
  auto* o = custom.add_opset_import();
  o->set_domain("com.microsoft");
  o->set_version(1);
  expect_unsupported(custom, {"'gelu'", "com.microsoft"});

  ::onnx::ModelProto sparse = relu_model(8, 13);
  sparse.mutable_graph()->add_sparse_initializer()->mutable_values()->set_name("s");
  expect_unsupported(sparse, {"sparse"});

  ::onnx::ModelProto strings = relu_model(8, 13);
  TP s = tensor("names", TP::STRING, {1});
  s.add_string_data("a");
  *strings.mutable_graph()->add_initializer() = s;
  expect_unsupported(strings, {"names", "strings"});
}

TEST(OnnxLoad, InputShapes) {
  std::string dynamic = test::serialize(relu_model(8, 13, {"batch", "3", "224", "224"}));
  auto no_shape = load_model_from_bytes(dynamic, ".");
  ASSERT_FALSE(no_shape.ok());
  EXPECT_EQ(no_shape.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(no_shape.status().message(),
            "input 'x' has a dynamic dimension 'batch' (shape [batch,3,224,224]); give its shape with "
            "--input-shape x:1x3x224x224");

  LoadOptions given;
  given.input_shapes["x"] = {2, 3, 224, 224};
  auto fixed = load_model_from_bytes(dynamic, ".", given);
  ASSERT_TRUE(fixed.ok()) << fixed.status().to_string();
  EXPECT_EQ(fixed->value_info("x")->shape, ir::make_shape({2, 3, 224, 224}));
  // Shape inference carries the fixed shape to the output.
  EXPECT_EQ(fixed->value_info("y")->shape, ir::make_shape({2, 3, 224, 224}));

  LoadOptions lenient;
  lenient.require_static_inputs = false;
  auto symbolic = load_model_from_bytes(dynamic, ".", lenient);
  ASSERT_TRUE(symbolic.ok());
  EXPECT_EQ((*symbolic->value_info("x")->shape)[0], ir::Dim(std::string("batch")));

  LoadOptions unknown;
  unknown.input_shapes["image"] = {1, 3, 224, 224};
  auto bad_name = load_model_from_bytes(dynamic, ".", unknown);
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_name.status().message().find("'image'"), std::string::npos);
  EXPECT_NE(bad_name.status().message().find("'x'"), std::string::npos);

  LoadOptions wrong_rank;
  wrong_rank.input_shapes["x"] = {3, 224, 224};
  auto bad_rank = load_model_from_bytes(dynamic, ".", wrong_rank);
  ASSERT_FALSE(bad_rank.ok());
  EXPECT_EQ(bad_rank.status().code(), StatusCode::kInvalidArgument);

  LoadOptions unnamed;
  unnamed.input_shapes[""] = {1, 3, 224, 224};
  EXPECT_TRUE(load_model_from_bytes(dynamic, ".", unnamed).ok());
}

TEST(OnnxLoad, ParseInputShape) {
  auto a = parse_input_shape("input:1x3x224x224");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "input");
  EXPECT_EQ(a->second, (Dims{1, 3, 224, 224}));
  auto b = parse_input_shape("ns:input:1,3,8,8");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->first, "ns:input");
  EXPECT_EQ(b->second, (Dims{1, 3, 8, 8}));
  auto c = parse_input_shape("1,3,224,224");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->first, "");
  EXPECT_EQ(c->second.size(), 4u);
  for (const char* bad : {"x:", "x:1x", "x:1xax3", ":1x2", "x:-1x3", "x:1x2,3", "x:1 x2", ""})
    EXPECT_EQ(parse_input_shape(bad).status().code(), StatusCode::kInvalidArgument) << bad;
}

TEST(OnnxLoad, TensorProtoFile) {
  TempDir dir;
  TP t = tensor("t", TP::INT64, {2});
  t.add_int64_data(5);
  t.add_int64_data(-6);
  test::write_file(dir.file("t.pb"), t.SerializeAsString());
  auto loaded = load_tensor_proto_file(dir.file("t.pb"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->at_int(1), -6);
  EXPECT_EQ(load_tensor_proto_file(dir.file("none.pb")).status().code(), StatusCode::kNotFound);
  // Bytes whose raw data does not match the shape.
  TP short_raw = tensor("s", TP::FLOAT, {4});
  short_raw.set_raw_data(std::string(8, '\0'));
  test::write_file(dir.file("s.pb"), short_raw.SerializeAsString());
  EXPECT_EQ(load_tensor_proto_file(dir.file("s.pb")).status().code(), StatusCode::kDataLoss);
  // A corrupted shape must be refused before anything is allocated.
  TP huge = tensor("h", TP::FLOAT, {int64_t{1} << 40, int64_t{1} << 30});
  huge.set_raw_data(std::string(8, '\0'));
  test::write_file(dir.file("h.pb"), huge.SerializeAsString());
  EXPECT_EQ(load_tensor_proto_file(dir.file("h.pb")).status().code(), StatusCode::kDataLoss);
  TP big = tensor("b", TP::FLOAT, {int64_t{1} << 40});
  test::write_file(dir.file("b.pb"), big.SerializeAsString());
  EXPECT_EQ(load_tensor_proto_file(dir.file("b.pb")).status().code(), StatusCode::kDataLoss);
}

// Corrupted models (random byte flips and cuts, fixed seed) give an error or a graph,
// never a crash.
TEST(OnnxLoad, CorruptedModelsDoNotCrash) {
  const std::string good = test::serialize(storage_model());
  uint32_t seed = 12345;
  auto next = [&]() { return seed = seed * 1664525u + 1013904223u; };
  int errors = 0;
  for (int i = 0; i < 300; ++i) {
    std::string bytes = good;
    int flips = 1 + static_cast<int>(next() % 8);
    for (int k = 0; k < flips; ++k) bytes[next() % bytes.size()] = static_cast<char>(next() & 0xff);
    if (i % 3 == 0) bytes.resize(next() % bytes.size());
    auto g = load_model_from_bytes(bytes, ".");
    if (!g.ok()) {
      ++errors;
      EXPECT_FALSE(g.status().message().empty());
    }
  }
  EXPECT_GT(errors, 100) << "seed 12345";
}

}  // namespace
}  // namespace edgeq::onnx

namespace edgeq::onnx {
namespace {

// load → save → load is the identity on every backend test model edgeq accepts.
TEST(OnnxLoad, RoundTripOfEveryBackendTestModel) {
  const test::fs::path root = "/usr/share/libonnx-testdata/data";
  ASSERT_TRUE(test::fs::exists(root)) << root << " is missing; run scripts/setup.sh";
  int checked = 0;
  for (const char* suite : {"node", "pytorch-converted", "pytorch-operator"}) {
    for (const auto& e : test::fs::directory_iterator(root / suite)) {
      LoadOptions options;
      options.require_static_inputs = false;
      auto g1 = load_model((e.path() / "model.onnx").string(), options);
      if (!g1.ok()) {
        EXPECT_EQ(g1.status().code(), StatusCode::kUnsupported) << e.path() << ": " << g1.status().message();
        continue;
      }
      SCOPED_TRACE(e.path().string());
      auto bytes = serialize_model(*g1);
      ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
      auto g2 = load_model_from_bytes(*bytes, e.path().string(), options);
      ASSERT_TRUE(g2.ok()) << g2.status().to_string();
      expect_same_graph(*g1, *g2);
      ++checked;
    }
  }
  EXPECT_GT(checked, 800);
}

}  // namespace
}  // namespace edgeq::onnx
