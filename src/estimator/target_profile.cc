#include "estimator/target_profile.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace edgeq::estimator {
namespace {

using nlohmann::json;

constexpr std::array<OpKind, kNumOpKinds> kAllKinds = {
    OpKind::kConv,         OpKind::kConvDepthwise, OpKind::kGemm,      OpKind::kElementwise,
    OpKind::kPool,         OpKind::kResize,        OpKind::kDataMovement, OpKind::kQuantize,
    OpKind::kLut,          OpKind::kGlobalPool,    OpKind::kCopy,      OpKind::kMul,
    OpKind::kDequantize,   OpKind::kCpuMatmul,    OpKind::kCpuElementwise, OpKind::kCpuDataMovement,
};

// The built-in `host` numbers: `edgeq perf --calibrate-target` on one AMD EPYC (Zen 4,
// AVX-512 VNNI) core with this runtime, rounded, curves smoothed to be monotonic. CPU ops
// run the float reference kernels, hence the low fp32 peak. A measured profile of the
// machine at hand replaces them.
constexpr const char* kBuiltinHost = R"json({
  "format": "edgeq-target-profile",
  "version": 1,
  "name": "host",
  "description": "built-in host numbers (not measured on this machine; run edgeq perf --calibrate-target)",
  "core_count": 1,
  "core": {
    "int8_macs_per_s": 2.2e11,
    "fp32_flops_per_s": 1.2e9,
    "memory_bandwidth_bytes_per_s": 1.8e10,
    "cache_bandwidth_bytes_per_s": 4.0e10,
    "l2_cache_bytes": 1048576
  },
  "shared_memory_bandwidth_bytes_per_s": 2.8e10,
  "multi_core_efficiency": 0.85,
  "overheads": {
    "accelerator_op_s": 5e-7,
    "cpu_op_s": 5e-7,
    "segment_switch_s": 2e-6,
    "frame_s": 3e-5
  },
  "efficiency": {
    "conv":              {"axis": "macs_per_output", "points": [[16, 0.5], [40, 0.68], [112, 0.8], [256, 0.92], [576, 0.97]]},
    "conv_depthwise":    {"axis": "macs_per_byte", "points": [[2, 0.05], [4.5, 0.1], [16, 0.2]]},
    "gemm":              {"axis": "macs_per_byte", "points": [[1, 0.3], [50, 0.95]]},
    "elementwise":       {"axis": "elements", "points": [[1024, 0.045], [16384, 0.028]]},
    "pool":              {"axis": "elements", "points": [[256, 0.25], [4096, 0.08], [262144, 0.04]]},
    "resize":            {"axis": "elements", "points": [[1024, 0.02], [1048576, 0.08]]},
    "data_movement":     {"axis": "elements", "points": [[1024, 0.004], [16384, 0.005]]},
    "quantize":          {"axis": "elements", "points": [[1024, 0.001], [262144, 0.001], [1048576, 0.0004]]},
    "lut":               {"axis": "elements", "points": [[1024, 0.1], [262144, 0.5]]},
    "global_pool":       {"axis": "elements", "points": [[64, 0.01], [1024, 0.03]]},
    "copy":              {"axis": "elements", "points": [[1024, 0.02], [262144, 0.05]]},
    "mul":               {"axis": "elements", "points": [[1024, 0.02], [262144, 0.025]]},
    "dequantize":        {"axis": "elements", "points": [[1024, 0.02], [262144, 0.03]]},
    "cpu_matmul":        {"axis": "macs_per_byte", "points": [[8, 0.6], [32, 0.3]]},
    "cpu_elementwise":   {"axis": "elements", "points": [[1024, 0.22], [262144, 0.2], [1048576, 0.055]]},
    "cpu_data_movement": {"axis": "elements", "points": [[16384, 1.0], [262144, 0.33], [1048576, 0.08]]}
  }
})json";

// Field readers: each failure is one sentence naming the field's path.
class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  Status error(const std::string& field, const std::string& what) const {
    return invalid_argument("target profile " + origin_ + ": " + field + " " + what + ".");
  }

  StatusOr<const json*> member(const json& obj, const std::string& path, const std::string& key,
                               json::value_t type) const {
    std::string field = path.empty() ? key : path + "." + key;
    auto it = obj.find(key);
    if (it == obj.end()) return error(field, "is missing");
    bool ok = type == json::value_t::number_float ? it->is_number() : it->type() == type;
    if (!ok) return error(field, std::string("must be ") + type_word(type) + ", got " + it->type_name());
    return &*it;
  }

  // A finite number; `positive` → > 0, else ≥ 0.
  StatusOr<double> number(const json& obj, const std::string& path, const std::string& key,
                          bool positive) const {
    EDGEQ_ASSIGN_OR_RETURN(const json* v, member(obj, path, key, json::value_t::number_float));
    double d = v->get<double>();
    std::string field = path.empty() ? key : path + "." + key;
    if (!std::isfinite(d)) return error(field, "must be a finite number");
    if (positive && d <= 0) return error(field, "must be positive, got " + format_number(d));
    if (!positive && d < 0) return error(field, "must not be negative, got " + format_number(d));
    return d;
  }

  StatusOr<std::string> string(const json& obj, const std::string& path, const std::string& key) const {
    EDGEQ_ASSIGN_OR_RETURN(const json* v, member(obj, path, key, json::value_t::string));
    return v->get<std::string>();
  }

  static std::string format_number(double d) {
    std::ostringstream s;
    s << d;
    return s.str();
  }

 private:
  static const char* type_word(json::value_t t) {
    switch (t) {
      case json::value_t::object: return "an object";
      case json::value_t::array: return "an array";
      case json::value_t::string: return "a string";
      default: return "a number";
    }
  }
  std::string origin_;
};

StatusOr<EfficiencyCurve> parse_curve(const Reader& r, const json& obj, const std::string& path) {
  EfficiencyCurve c;
  EDGEQ_ASSIGN_OR_RETURN(std::string axis, r.string(obj, path, "axis"));
  if (axis == "macs_per_byte") c.axis = CurveAxis::kMacsPerByte;
  else if (axis == "channels") c.axis = CurveAxis::kChannels;
  else if (axis == "elements") c.axis = CurveAxis::kElements;
  else if (axis == "macs_per_output") c.axis = CurveAxis::kMacsPerOutput;
  else return r.error(path + ".axis", "must be \"macs_per_byte\", \"macs_per_output\", \"channels\" or \"elements\", got \"" + axis + "\"");
  EDGEQ_ASSIGN_OR_RETURN(const json* pts, r.member(obj, path, "points", json::value_t::array));
  if (pts->empty()) return r.error(path + ".points", "must hold at least one [x, efficiency] pair");
  for (size_t i = 0; i < pts->size(); ++i) {
    const json& p = (*pts)[i];
    std::string field = path + ".points[" + std::to_string(i) + "]";
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
      return r.error(field, "must be a pair of numbers [x, efficiency]");
    double x = p[0].get<double>(), e = p[1].get<double>();
    if (!std::isfinite(x) || x <= 0) return r.error(field, "must have x > 0, got " + Reader::format_number(x));
    if (!std::isfinite(e) || e <= 0 || e > 1)
      return r.error(field, "must have an efficiency in (0, 1], got " + Reader::format_number(e));
    if (!c.points.empty() && x <= c.points.back().first)
      return r.error(field, "must have an x larger than the previous point's");
    c.points.emplace_back(x, e);
  }
  return c;
}

Status check_known_keys(const Reader& r, const json& obj, const std::string& path,
                        std::initializer_list<const char*> keys) {
  for (const auto& [k, v] : obj.items()) {
    if (std::find_if(keys.begin(), keys.end(), [&](const char* s) { return k == s; }) == keys.end())
      return r.error(path.empty() ? k : path + "." + k, "is not a known field (a misspelling?)");
  }
  return {};
}

}  // namespace

std::string_view op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::kConv: return "conv";
    case OpKind::kConvDepthwise: return "conv_depthwise";
    case OpKind::kGemm: return "gemm";
    case OpKind::kElementwise: return "elementwise";
    case OpKind::kPool: return "pool";
    case OpKind::kResize: return "resize";
    case OpKind::kDataMovement: return "data_movement";
    case OpKind::kQuantize: return "quantize";
    case OpKind::kLut: return "lut";
    case OpKind::kGlobalPool: return "global_pool";
    case OpKind::kCopy: return "copy";
    case OpKind::kMul: return "mul";
    case OpKind::kDequantize: return "dequantize";
    case OpKind::kCpuMatmul: return "cpu_matmul";
    case OpKind::kCpuElementwise: return "cpu_elementwise";
    case OpKind::kCpuDataMovement: return "cpu_data_movement";
  }
  return "?";
}

const std::array<OpKind, kNumOpKinds>& all_op_kinds() { return kAllKinds; }

OpKind fallback_kind(OpKind kind) {
  switch (kind) {
    case OpKind::kLut: return OpKind::kElementwise;
    case OpKind::kGlobalPool: return OpKind::kPool;
    case OpKind::kCopy: return OpKind::kDataMovement;
    case OpKind::kMul: return OpKind::kElementwise;
    case OpKind::kDequantize: return OpKind::kQuantize;
    default: return kind;
  }
}

std::string_view curve_axis_name(CurveAxis axis) {
  switch (axis) {
    case CurveAxis::kMacsPerByte: return "macs_per_byte";
    case CurveAxis::kChannels: return "channels";
    case CurveAxis::kElements: return "elements";
    case CurveAxis::kMacsPerOutput: return "macs_per_output";
  }
  return "?";
}

double EfficiencyCurve::at(double x) const {
  if (points.empty()) return 1.0;
  if (!(x > 0) || x <= points.front().first) return points.front().second;
  if (x >= points.back().first) return points.back().second;
  double lx = std::log2(x);
  for (size_t i = 1; i < points.size(); ++i) {
    if (x <= points[i].first) {
      double x0 = std::log2(points[i - 1].first), x1 = std::log2(points[i].first);
      double t = (lx - x0) / (x1 - x0);
      return points[i - 1].second + t * (points[i].second - points[i - 1].second);
    }
  }
  return points.back().second;
}

double TargetProfile::cold_op_overhead_at(double footprint_bytes) const {
  if (cold_op_overhead.empty()) return 0.0;
  // The same log-linear, clamped interpolation as the efficiency curves.
  return EfficiencyCurve{CurveAxis::kElements, cold_op_overhead}.at(footprint_bytes);
}

double TargetProfile::efficiency_for(OpKind kind, double macs_per_byte, double channels,
                                     double elements, double macs_per_output) const {
  const EfficiencyCurve& c = efficiency[static_cast<int>(kind)];
  switch (c.axis) {
    case CurveAxis::kMacsPerByte: return c.at(macs_per_byte);
    case CurveAxis::kChannels: return c.at(channels);
    case CurveAxis::kElements: return c.at(elements);
    case CurveAxis::kMacsPerOutput: return c.at(macs_per_output);
  }
  return 1.0;
}

StatusOr<TargetProfile> parse_profile(std::string_view json_text, const std::string& origin) {
  Reader r(origin);
  json doc = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return invalid_argument("target profile " + origin + " is not valid JSON.");
  if (!doc.is_object()) return invalid_argument("target profile " + origin + " must be a JSON object.");
  EDGEQ_RETURN_IF_ERROR(check_known_keys(r, doc, "",
      {"format", "version", "name", "description", "core_count", "core",
       "shared_memory_bandwidth_bytes_per_s", "multi_core_efficiency", "overheads",
       "efficiency", "calibration", "cold_op_overhead"}));
  EDGEQ_ASSIGN_OR_RETURN(std::string format, r.string(doc, "", "format"));
  if (format != "edgeq-target-profile") return r.error("format", "must be \"edgeq-target-profile\", got \"" + format + "\"");
  EDGEQ_ASSIGN_OR_RETURN(double version, r.number(doc, "", "version", true));
  if (version != 1) return r.error("version", "must be 1 (the version this edgeq reads), got " + Reader::format_number(version));

  TargetProfile p;
  p.source = origin;
  EDGEQ_ASSIGN_OR_RETURN(p.name, r.string(doc, "", "name"));
  if (p.name.empty()) return r.error("name", "must not be empty");
  EDGEQ_ASSIGN_OR_RETURN(p.description, r.string(doc, "", "description"));
  EDGEQ_ASSIGN_OR_RETURN(double cores, r.number(doc, "", "core_count", true));
  if (cores != std::floor(cores) || cores > 4096) return r.error("core_count", "must be a whole number from 1 to 4096, got " + Reader::format_number(cores));
  p.core_count = static_cast<int>(cores);

  EDGEQ_ASSIGN_OR_RETURN(const json* core, r.member(doc, "", "core", json::value_t::object));
  EDGEQ_RETURN_IF_ERROR(check_known_keys(r, *core, "core",
      {"int8_macs_per_s", "fp32_flops_per_s", "memory_bandwidth_bytes_per_s",
       "cache_bandwidth_bytes_per_s", "l2_cache_bytes"}));
  EDGEQ_ASSIGN_OR_RETURN(p.core.int8_macs_per_s, r.number(*core, "core", "int8_macs_per_s", true));
  EDGEQ_ASSIGN_OR_RETURN(p.core.fp32_flops_per_s, r.number(*core, "core", "fp32_flops_per_s", true));
  EDGEQ_ASSIGN_OR_RETURN(p.core.memory_bandwidth_bytes_per_s, r.number(*core, "core", "memory_bandwidth_bytes_per_s", true));
  EDGEQ_ASSIGN_OR_RETURN(p.core.cache_bandwidth_bytes_per_s, r.number(*core, "core", "cache_bandwidth_bytes_per_s", true));
  EDGEQ_ASSIGN_OR_RETURN(p.core.l2_cache_bytes, r.number(*core, "core", "l2_cache_bytes", false));

  EDGEQ_ASSIGN_OR_RETURN(p.shared_memory_bandwidth_bytes_per_s, r.number(doc, "", "shared_memory_bandwidth_bytes_per_s", true));
  EDGEQ_ASSIGN_OR_RETURN(p.multi_core_efficiency, r.number(doc, "", "multi_core_efficiency", true));
  if (p.multi_core_efficiency > 1) return r.error("multi_core_efficiency", "must be at most 1, got " + Reader::format_number(p.multi_core_efficiency));

  EDGEQ_ASSIGN_OR_RETURN(const json* ov, r.member(doc, "", "overheads", json::value_t::object));
  EDGEQ_RETURN_IF_ERROR(check_known_keys(r, *ov, "overheads", {"accelerator_op_s", "cpu_op_s", "segment_switch_s", "frame_s"}));
  EDGEQ_ASSIGN_OR_RETURN(p.accelerator_op_overhead_s, r.number(*ov, "overheads", "accelerator_op_s", false));
  EDGEQ_ASSIGN_OR_RETURN(p.cpu_op_overhead_s, r.number(*ov, "overheads", "cpu_op_s", false));
  EDGEQ_ASSIGN_OR_RETURN(p.segment_switch_overhead_s, r.number(*ov, "overheads", "segment_switch_s", false));
  EDGEQ_ASSIGN_OR_RETURN(p.frame_overhead_s, r.number(*ov, "overheads", "frame_s", false));

  EDGEQ_ASSIGN_OR_RETURN(const json* eff, r.member(doc, "", "efficiency", json::value_t::object));
  for (OpKind k : kAllKinds) {
    std::string key(op_kind_name(k));
    if (fallback_kind(k) != k && !eff->contains(key)) {
      // Kinds in fallback order come after the kind they fall back to.
      p.efficiency[static_cast<int>(k)] = p.efficiency[static_cast<int>(fallback_kind(k))];
      continue;
    }
    EDGEQ_ASSIGN_OR_RETURN(const json* c, r.member(*eff, "efficiency", key, json::value_t::object));
    EDGEQ_ASSIGN_OR_RETURN(p.efficiency[static_cast<int>(k)], parse_curve(r, *c, "efficiency." + key));
  }
  if (auto cal = doc.find("calibration"); cal != doc.end()) p.calibration_json = cal->dump();
  if (auto cold = doc.find("cold_op_overhead"); cold != doc.end()) {
    // Optional (profiles written before it existed have none): [[footprint_bytes, s], …].
    if (!cold->is_array()) return r.error("cold_op_overhead", std::string("must be an array, got ") + cold->type_name());
    for (size_t i = 0; i < cold->size(); ++i) {
      const json& pt = (*cold)[i];
      std::string field = "cold_op_overhead[" + std::to_string(i) + "]";
      if (!pt.is_array() || pt.size() != 2 || !pt[0].is_number() || !pt[1].is_number())
        return r.error(field, "must be a pair of numbers [footprint_bytes, seconds]");
      double x = pt[0].get<double>(), t = pt[1].get<double>();
      if (!std::isfinite(x) || x <= 0) return r.error(field, "must have a footprint > 0, got " + Reader::format_number(x));
      if (!std::isfinite(t) || t < 0) return r.error(field, "must not have a negative time, got " + Reader::format_number(t));
      if (!p.cold_op_overhead.empty() && x <= p.cold_op_overhead.back().first)
        return r.error(field, "must have a footprint larger than the previous point's");
      p.cold_op_overhead.emplace_back(x, t);
    }
  }
  for (const auto& [k, v] : eff->items()) {
    bool known = std::any_of(kAllKinds.begin(), kAllKinds.end(), [&](OpKind kind) { return op_kind_name(kind) == k; });
    if (!known) return r.error("efficiency." + k, "is not a known op kind (a misspelling?)");
  }
  return p;
}

StatusOr<TargetProfile> load_profile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return not_found("target profile " + path + " cannot be opened.");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_profile(ss.str(), path);
}

std::string profile_to_json(const TargetProfile& p) {
  json eff = json::object();
  for (OpKind k : kAllKinds) {
    const EfficiencyCurve& c = p.efficiency[static_cast<int>(k)];
    json pts = json::array();
    for (auto [x, e] : c.points) pts.push_back({x, e});
    eff[std::string(op_kind_name(k))] = {{"axis", std::string(curve_axis_name(c.axis))}, {"points", pts}};
  }
  json doc = {
      {"format", "edgeq-target-profile"},
      {"version", 1},
      {"name", p.name},
      {"description", p.description},
      {"core_count", p.core_count},
      {"core",
       {{"int8_macs_per_s", p.core.int8_macs_per_s},
        {"fp32_flops_per_s", p.core.fp32_flops_per_s},
        {"memory_bandwidth_bytes_per_s", p.core.memory_bandwidth_bytes_per_s},
        {"cache_bandwidth_bytes_per_s", p.core.cache_bandwidth_bytes_per_s},
        {"l2_cache_bytes", p.core.l2_cache_bytes}}},
      {"shared_memory_bandwidth_bytes_per_s", p.shared_memory_bandwidth_bytes_per_s},
      {"multi_core_efficiency", p.multi_core_efficiency},
      {"overheads",
       {{"accelerator_op_s", p.accelerator_op_overhead_s},
        {"cpu_op_s", p.cpu_op_overhead_s},
        {"segment_switch_s", p.segment_switch_overhead_s},
        {"frame_s", p.frame_overhead_s}}},
      {"efficiency", eff},
  };
  if (!p.cold_op_overhead.empty()) {
    json pts = json::array();
    for (auto [x, t] : p.cold_op_overhead) pts.push_back({x, t});
    doc["cold_op_overhead"] = pts;
  }
  if (!p.calibration_json.empty()) {
    json cal = json::parse(p.calibration_json, nullptr, /*allow_exceptions=*/false);
    if (!cal.is_discarded()) doc["calibration"] = cal;
  }
  return doc.dump(2) + "\n";
}

std::string default_host_profile_path() {
  namespace fs = std::filesystem;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return (fs::path(xdg) / "edgeq" / "host_profile.json").string();
  const char* home = std::getenv("HOME");
  return (fs::path(home && *home ? home : ".") / ".cache" / "edgeq" / "host_profile.json").string();
}

TargetProfile builtin_host_profile() {
  StatusOr<TargetProfile> p = parse_profile(kBuiltinHost, "built-in");
  // The built-in text is part of the program and covered by a test; it always parses.
  TargetProfile profile = p.ok() ? *p : TargetProfile{};
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (const char* env = std::getenv("EDGEQ_CORES"); env && std::atoi(env) > 0) cores = std::atoi(env);
  profile.core_count = std::max(cores, 1);
  return profile;
}

StatusOr<TargetProfile> resolve_profile(const std::string& path) {
  if (!path.empty()) return load_profile(path);
  std::string host = default_host_profile_path();
  std::error_code ec;
  if (std::filesystem::exists(host, ec)) return load_profile(host);
  return builtin_host_profile();
}

}  // namespace edgeq::estimator
