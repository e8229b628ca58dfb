// Target profile files: the built-in and example profiles load, every field is checked,
// and each error is one sentence naming the field.
#include "estimator/target_profile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace {

using edgeq::estimator::CurveAxis;
using edgeq::estimator::EfficiencyCurve;
using edgeq::estimator::OpKind;
using edgeq::estimator::parse_profile;
using nlohmann::json;

json builtin_json() {
  return json::parse(edgeq::estimator::profile_to_json(edgeq::estimator::builtin_host_profile()));
}

// The error for `doc`, which must be refused.
std::string error_of(const json& doc) {
  auto p = parse_profile(doc.dump(), "t.json");
  EXPECT_FALSE(p.ok());
  return p.ok() ? std::string() : p.status().message();
}

void expect_one_sentence(const std::string& m, const std::string& must_contain) {
  EXPECT_NE(m.find("target profile t.json: "), std::string::npos) << m;
  EXPECT_NE(m.find(must_contain), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_EQ(m.back(), '.') << m;
}

TEST(TargetProfile, BuiltinHostIsValidAndRoundTrips) {
  auto host = edgeq::estimator::builtin_host_profile();
  EXPECT_EQ(host.name, "host");
  EXPECT_EQ(host.source, "built-in");
  EXPECT_GE(host.core_count, 1);
  EXPECT_GT(host.core.int8_macs_per_s, host.core.fp32_flops_per_s);
  for (const auto& c : host.efficiency) EXPECT_FALSE(c.points.empty());
  auto again = parse_profile(edgeq::estimator::profile_to_json(host), "again");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->core_count, host.core_count);
  EXPECT_DOUBLE_EQ(again->core.memory_bandwidth_bytes_per_s, host.core.memory_bandwidth_bytes_per_s);
  EXPECT_DOUBLE_EQ(again->efficiency_for(OpKind::kConv, 20, 64, 1000),
                   host.efficiency_for(OpKind::kConv, 20, 64, 1000));
}

TEST(TargetProfile, CoresFromEnvironment) {
  setenv("EDGEQ_CORES", "3", 1);
  EXPECT_EQ(edgeq::estimator::builtin_host_profile().core_count, 3);
  unsetenv("EDGEQ_CORES");
}

TEST(TargetProfile, DocumentedExampleLoads) {
  auto p = edgeq::estimator::load_profile(std::string(EDGEQ_SOURCE_DIR) + "/docs/estimator_example_profile.json");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_NE(p->name, "host");
  EXPECT_GE(p->core_count, 1);
}

TEST(TargetProfile, MissingFieldsAreNamed) {
  for (const char* path : {"/core_count", "/core/memory_bandwidth_bytes_per_s", "/core/int8_macs_per_s",
                           "/overheads/frame_s", "/efficiency/conv_depthwise", "/efficiency/gemm/points",
                           "/shared_memory_bandwidth_bytes_per_s", "/name"}) {
    json doc = builtin_json();
    json::json_pointer ptr(path);
    doc[ptr.parent_pointer()].erase(ptr.back());
    std::string field = std::string(path).substr(1);
    std::replace(field.begin(), field.end(), '/', '.');
    expect_one_sentence(error_of(doc), field + " is missing");
  }
}

// lut, global_pool and copy may be left out (profiles written before they existed): they
// then take the curve of elementwise, pool and data_movement; given, they are their own.
TEST(TargetProfile, NewerKindsFallBackWhenAbsent) {
  json doc = builtin_json();
  doc["efficiency"]["elementwise"] = {{"axis", "elements"}, {"points", {{1024, 0.3}}}};
  doc["efficiency"]["pool"] = {{"axis", "elements"}, {"points", {{1024, 0.2}}}};
  doc["efficiency"]["data_movement"] = {{"axis", "elements"}, {"points", {{1024, 0.1}}}};
  doc["efficiency"]["copy"] = {{"axis", "elements"}, {"points", {{1024, 0.7}}}};
  doc["efficiency"].erase("lut");
  doc["efficiency"].erase("global_pool");
  auto p = parse_profile(doc.dump(), "t.json");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_DOUBLE_EQ(p->efficiency_for(OpKind::kLut, 0, 0, 4096), 0.3);
  EXPECT_DOUBLE_EQ(p->efficiency_for(OpKind::kGlobalPool, 0, 0, 4096), 0.2);
  EXPECT_DOUBLE_EQ(p->efficiency_for(OpKind::kCopy, 0, 0, 4096), 0.7);
  // Written back, every kind is explicit.
  json again = json::parse(edgeq::estimator::profile_to_json(*p));
  EXPECT_TRUE(again["efficiency"].contains("lut"));
  EXPECT_TRUE(again["efficiency"].contains("global_pool"));
}

TEST(TargetProfile, ColdOpOverheadIsOptionalAndChecked) {
  json doc = builtin_json();
  doc["cold_op_overhead"] = json::array({json::array({1048576, 0.0}), json::array({8388608, 4e-6})});
  auto p = parse_profile(doc.dump(), "t.json");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_DOUBLE_EQ(p->cold_op_overhead_at(1e5), 0.0);
  EXPECT_NEAR(p->cold_op_overhead_at(2 * 1048576.0), 4e-6 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(p->cold_op_overhead_at(1e9), 4e-6);
  doc.erase("cold_op_overhead");
  p = parse_profile(doc.dump(), "t.json");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_DOUBLE_EQ(p->cold_op_overhead_at(1e9), 0.0);
  doc["cold_op_overhead"] = json::array({json::array({1048576, -1e-6})});
  expect_one_sentence(error_of(doc), "cold_op_overhead[0] must not have a negative time");
  doc["cold_op_overhead"] = json::array({json::array({2, 0.0}), json::array({1, 0.0})});
  expect_one_sentence(error_of(doc), "cold_op_overhead[1] must have a footprint larger");
}

TEST(TargetProfile, BadValuesAreNamed) {
  json doc = builtin_json();
  doc["core"]["memory_bandwidth_bytes_per_s"] = -1;
  expect_one_sentence(error_of(doc), "core.memory_bandwidth_bytes_per_s must be positive, got -1");

  doc = builtin_json();
  doc["shared_memory_bandwidth_bytes_per_s"] = -2.5e9;
  expect_one_sentence(error_of(doc), "shared_memory_bandwidth_bytes_per_s must be positive");

  doc = builtin_json();
  doc["overheads"]["cpu_op_s"] = -1e-6;
  expect_one_sentence(error_of(doc), "overheads.cpu_op_s must not be negative");

  doc = builtin_json();
  doc["core"]["fp32_flops_per_s"] = "fast";
  expect_one_sentence(error_of(doc), "core.fp32_flops_per_s must be a number, got string");

  doc = builtin_json();
  doc["core_count"] = 2.5;
  expect_one_sentence(error_of(doc), "core_count must be a whole number");

  doc = builtin_json();
  doc["multi_core_efficiency"] = 1.5;
  expect_one_sentence(error_of(doc), "multi_core_efficiency must be at most 1");

  doc = builtin_json();
  doc["efficiency"]["conv"]["points"] = json::array({json::array({8, 0.5}), json::array({4, 0.6})});
  expect_one_sentence(error_of(doc), "efficiency.conv.points[1] must have an x larger");

  doc = builtin_json();
  doc["efficiency"]["pool"]["points"][0][1] = 1.2;
  expect_one_sentence(error_of(doc), "efficiency.pool.points[0] must have an efficiency in (0, 1]");

  doc = builtin_json();
  doc["efficiency"]["gemm"]["axis"] = "flops";
  expect_one_sentence(error_of(doc), "efficiency.gemm.axis must be");

  doc = builtin_json();
  doc["efficiency"]["convv"] = doc["efficiency"]["conv"];
  expect_one_sentence(error_of(doc), "efficiency.convv is not a known op kind");

  doc = builtin_json();
  doc["core"]["l3_cache_bytes"] = 1;
  expect_one_sentence(error_of(doc), "core.l3_cache_bytes is not a known field");

  doc = builtin_json();
  doc["version"] = 2;
  expect_one_sentence(error_of(doc), "version must be 1");
}

TEST(TargetProfile, FileErrors) {
  auto missing = edgeq::estimator::load_profile("/nonexistent/profile.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "target profile /nonexistent/profile.json cannot be opened.");
  auto garbage = parse_profile("{ \"name\": ", "t.json");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().message(), "target profile t.json is not valid JSON.");
}

TEST(TargetProfile, ResolveOrder) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(EDGEQ_BINARY_DIR) / "test_estimator" / "xdg";
  fs::remove_all(dir);
  setenv("XDG_CACHE_HOME", dir.c_str(), 1);
  EXPECT_EQ(edgeq::estimator::default_host_profile_path(), (dir / "edgeq" / "host_profile.json").string());
  auto builtin = edgeq::estimator::resolve_profile("");
  ASSERT_TRUE(builtin.ok());
  EXPECT_EQ(builtin->source, "built-in");
  // A measured host profile, once written, is what `host` means.
  fs::create_directories(dir / "edgeq");
  auto measured = edgeq::estimator::builtin_host_profile();
  measured.description = "measured";
  { std::ofstream(dir / "edgeq" / "host_profile.json") << edgeq::estimator::profile_to_json(measured); }
  auto found = edgeq::estimator::resolve_profile("");
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(found->description, "measured");
  EXPECT_EQ(found->source, (dir / "edgeq" / "host_profile.json").string());
  unsetenv("XDG_CACHE_HOME");
}

TEST(EfficiencyCurve, LogLinearAndClamped) {
  EfficiencyCurve c;
  c.axis = CurveAxis::kMacsPerByte;
  c.points = {{2, 0.2}, {8, 0.6}};
  EXPECT_DOUBLE_EQ(c.at(0.5), 0.2);
  EXPECT_DOUBLE_EQ(c.at(2), 0.2);
  EXPECT_NEAR(c.at(4), 0.4, 1e-12);  // halfway in log2
  EXPECT_DOUBLE_EQ(c.at(8), 0.6);
  EXPECT_DOUBLE_EQ(c.at(1000), 0.6);
  EXPECT_DOUBLE_EQ(c.at(0), 0.2);
}

}  // namespace
