#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/npy.h"
#include "quant/calibration.h"

namespace edgeq::quant {
namespace {

namespace fs = std::filesystem;

ir::Graph one_input_graph() {
  ir::Graph g;
  g.opset_imports[""] = 13;
  g.add_input("image", DType::kFloat32, {ir::Dim(1), ir::Dim(3), ir::Dim(4), ir::Dim(4)});
  g.add_node("Relu", {"image"}, {"y"}, "relu");
  g.outputs = {"y"};
  return g;
}

ir::Graph two_input_graph() {
  ir::Graph g;
  g.opset_imports[""] = 13;
  g.add_input("a", DType::kFloat32, {ir::Dim(2), ir::Dim(3)});
  g.add_input("ids", DType::kInt64, {ir::Dim(4)});
  g.add_node("Relu", {"a"}, {"y"}, "relu");
  g.outputs = {"y"};
  return g;
}

// A fresh, empty folder under the build tree for one test.
fs::path scratch(const std::string& name) {
  fs::path dir = fs::path(EDGEQ_BINARY_DIR) / "quant_scratch" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Tensor filled(DType dtype, Dims shape, float value) {
  Tensor t(dtype, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (dtype == DType::kFloat32) t.data<float>()[i] = value;
    if (dtype == DType::kFloat64) t.data<double>()[i] = value;
    if (dtype == DType::kInt64) t.data<int64_t>()[i] = static_cast<int64_t>(value);
  }
  return t;
}

void write_bytes(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

std::string message_of(const StatusOr<std::vector<Feeds>>& r) { return r.ok() ? "ok" : r.status().message(); }

TEST(RandomSamples, ShapesDtypesAndFixedSeed) {
  auto a = random_samples(two_input_graph(), 3, 5);
  auto b = random_samples(two_input_graph(), 3, 5);
  auto c = random_samples(two_input_graph(), 3, 6);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << message_of(a);
  ASSERT_EQ(a->size(), 3u);
  const Tensor& x = (*a)[0].at("a");
  EXPECT_EQ(x.dtype(), DType::kFloat32);
  EXPECT_EQ(x.shape(), (Dims{2, 3}));
  const Tensor& ids = (*a)[0].at("ids");
  EXPECT_EQ(ids.dtype(), DType::kInt64);
  for (int64_t i = 0; i < ids.numel(); ++i) {
    EXPECT_GE(ids.data<int64_t>()[i], 0);
    EXPECT_LT(ids.data<int64_t>()[i], 8);
  }
  EXPECT_EQ(std::memcmp(x.raw(), (*b)[0].at("a").raw(), x.nbytes()), 0);
  EXPECT_NE(std::memcmp(x.raw(), (*c)[0].at("a").raw(), x.nbytes()), 0);
  EXPECT_NE(std::memcmp(x.raw(), (*a)[1].at("a").raw(), x.nbytes()), 0);  // samples differ
}

TEST(RandomSamples, FloatsAreStandardNormal) {
  ir::Graph g = one_input_graph();
  auto s = random_samples(g, 200, 1);  // 200 * 48 values
  ASSERT_TRUE(s.ok());
  double sum = 0, sq = 0;
  int64_t n = 0;
  for (const Feeds& f : *s)
    for (float v : f.at("image").span<float>()) {
      sum += v;
      sq += double(v) * v;
      ++n;
    }
  const double mean = sum / n;
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_NEAR(std::sqrt(sq / n - mean * mean), 1.0, 0.05);
}

TEST(RandomSamples, DynamicShapeIsAnError) {
  ir::Graph g;
  g.add_input("x", DType::kFloat32, {ir::Dim("batch"), ir::Dim(3)});
  auto s = random_samples(g, 1, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("'x' has a dynamic shape"), std::string::npos) << s.status().message();
}

TEST(LoadSamplesDir, NpyAndRawFilesInNameOrder) {
  fs::path dir = scratch("single");
  ASSERT_TRUE(save_npy(filled(DType::kFloat32, {1, 3, 4, 4}, 2), (dir / "b.npy").string()).ok());
  ASSERT_TRUE(save_npy(filled(DType::kFloat32, {3, 4, 4}, 1), (dir / "a.npy").string()).ok());  // no batch dim
  Tensor raw = filled(DType::kFloat32, {1, 3, 4, 4}, 3);
  write_bytes(dir / "c.bin", std::string(static_cast<const char*>(raw.raw()), raw.nbytes()));
  write_bytes(dir / "notes.txt", "ignored");
  auto s = load_samples_dir(one_input_graph(), dir.string(), 100);
  ASSERT_TRUE(s.ok()) << message_of(s);
  ASSERT_EQ(s->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const Tensor& t = (*s)[i].at("image");
    EXPECT_EQ(t.shape(), (Dims{1, 3, 4, 4}));
    EXPECT_EQ(t.data<float>()[47], float(i + 1));
  }
  auto limited = load_samples_dir(one_input_graph(), dir.string(), 2);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 2u);
}

TEST(LoadSamplesDir, SubFolderPerSampleForSeveralInputs) {
  fs::path dir = scratch("multi");
  for (int i = 0; i < 2; ++i) {
    fs::path sample = dir / ("sample" + std::to_string(i));
    fs::create_directories(sample);
    ASSERT_TRUE(save_npy(filled(DType::kFloat32, {2, 3}, float(i)), (sample / "a.npy").string()).ok());
    ASSERT_TRUE(save_npy(filled(DType::kInt64, {4}, float(i + 5)), (sample / "ids.npy").string()).ok());
  }
  auto s = load_samples_dir(two_input_graph(), dir.string(), 0);
  ASSERT_TRUE(s.ok()) << message_of(s);
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[1].at("a").data<float>()[5], 1.0f);
  EXPECT_EQ((*s)[1].at("ids").data<int64_t>()[3], 6);

  fs::remove(dir / "sample1" / "ids.npy");
  auto missing = load_samples_dir(two_input_graph(), dir.string(), 0);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no file for input 'ids'"), std::string::npos) << message_of(missing);
}

TEST(LoadSamplesDir, ClearErrors) {
  auto nowhere = load_samples_dir(one_input_graph(), "/nonexistent/calib", 10);
  ASSERT_FALSE(nowhere.ok());
  EXPECT_NE(message_of(nowhere).find("does not exist"), std::string::npos);

  fs::path empty = scratch("empty");
  write_bytes(empty / "readme.txt", "x");
  auto none = load_samples_dir(one_input_graph(), empty.string(), 10);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(message_of(none).find("holds no .npy/.bin/.raw files"), std::string::npos) << message_of(none);

  fs::path shape = scratch("shape");
  ASSERT_TRUE(save_npy(filled(DType::kFloat32, {1, 3, 5, 5}, 0), (shape / "x.npy").string()).ok());
  auto bad_shape = load_samples_dir(one_input_graph(), shape.string(), 10);
  ASSERT_FALSE(bad_shape.ok());
  EXPECT_NE(message_of(bad_shape).find("x.npy' holds f32[1,3,5,5] but input 'image' expects f32[1,3,4,4]"),
            std::string::npos)
      << message_of(bad_shape);

  fs::path dtype = scratch("dtype");
  ASSERT_TRUE(save_npy(filled(DType::kFloat64, {1, 3, 4, 4}, 0), (dtype / "x.npy").string()).ok());
  auto bad_dtype = load_samples_dir(one_input_graph(), dtype.string(), 10);
  ASSERT_FALSE(bad_dtype.ok());
  EXPECT_NE(message_of(bad_dtype).find("holds f64[1,3,4,4]"), std::string::npos) << message_of(bad_dtype);
  EXPECT_NE(message_of(bad_dtype).find("astype"), std::string::npos);

  fs::path raw = scratch("raw");
  write_bytes(raw / "x.raw", std::string(10, '\0'));
  auto bad_raw = load_samples_dir(one_input_graph(), raw.string(), 10);
  ASSERT_FALSE(bad_raw.ok());
  EXPECT_NE(message_of(bad_raw).find("has 10 bytes but input 'image' (f32[1,3,4,4]) needs 192"), std::string::npos)
      << message_of(bad_raw);

  fs::path corrupt = scratch("corrupt");
  write_bytes(corrupt / "x.npy", "not a numpy file");
  auto bad_npy = load_samples_dir(one_input_graph(), corrupt.string(), 10);
  ASSERT_FALSE(bad_npy.ok());
  EXPECT_NE(message_of(bad_npy).find("x.npy"), std::string::npos) << message_of(bad_npy);

  fs::path multi = scratch("flat_multi");
  ASSERT_TRUE(save_npy(filled(DType::kFloat32, {2, 3}, 0), (multi / "x.npy").string()).ok());
  auto flat = load_samples_dir(two_input_graph(), multi.string(), 10);
  ASSERT_FALSE(flat.ok());
  EXPECT_NE(message_of(flat).find("has 2 inputs"), std::string::npos) << message_of(flat);
}

}  // namespace
}  // namespace edgeq::quant
