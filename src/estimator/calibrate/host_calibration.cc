#include "estimator/calibrate/host_calibration.h"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "estimator/estimate.h"
#include "estimator/op_counts.h"
#include "format/program.h"
#include "runtime/executable.h"
#include "runtime/scheduler.h"

namespace edgeq::estimator {
namespace {

using format::Layout;
using format::Placement;

// One-op (or few-op) programs with plausible quantization parameters and filled weights.
class Bench {
 public:
  format::Program p;

  int act(std::vector<int64_t> shape, DType dtype = DType::kUInt8) {
    format::TensorDesc d;
    d.name = "t" + std::to_string(p.tensors.size());
    d.dtype = dtype;
    d.shape = std::move(shape);
    d.layout = d.shape.size() == 4 && dtype == DType::kUInt8 ? Layout::kNHWC : Layout::kPlain;
    if (dtype == DType::kUInt8) d.quant = format::Quant{{0.05f}, {128}, -1};
    d.arena_offset = end_;
    end_ += (d.nbytes() + 63) / 64 * 64;
    p.tensors.push_back(std::move(d));
    return static_cast<int>(p.tensors.size()) - 1;
  }
  int constant(std::vector<int64_t> shape, DType dtype, std::optional<format::Quant> q = std::nullopt) {
    format::TensorDesc d;
    d.name = "c" + std::to_string(p.tensors.size());
    d.dtype = dtype;
    d.shape = std::move(shape);
    d.is_constant = true;
    d.quant = std::move(q);
    d.data.resize(static_cast<size_t>(d.nbytes()));
    uint32_t s = 12345;
    for (auto& b : d.data) b = static_cast<uint8_t>((s = s * 1664525u + 1013904223u) >> 27);  // small values
    p.tensors.push_back(std::move(d));
    return static_cast<int>(p.tensors.size()) - 1;
  }
  void op(const std::string& type, std::vector<int32_t> in, std::vector<int32_t> out, Attributes a = {},
          Placement placement = Placement::kAccelerator) {
    format::Op o;
    o.name = type + "_" + std::to_string(p.ops.size());
    o.type = type;
    o.inputs = std::move(in);
    o.outputs = std::move(out);
    o.attrs = std::move(a);
    p.ops.push_back(std::move(o));
    if (p.segments.empty() || p.segments.back().placement != placement)
      p.segments.push_back({placement, static_cast<int32_t>(p.ops.size() - 1), 0});
    ++p.segments.back().num_ops;
  }
  format::Program finish(int in, int out) {
    p.inputs.push_back({in, p.tensors[in].name, {}});
    p.outputs.push_back({out, p.tensors[out].name, {}});
    p.arena_bytes = end_;
    p.options.optimize_level = 3;
    p.model_name = "calibration";
    return p;
  }

 private:
  int64_t end_ = 0;
};

// A square k×k QConv's attributes, "same" padding.
Attributes conv_attrs(int64_t k, int64_t stride, int64_t group) {
  Attributes a;
  a.set("strides", std::vector<int64_t>{stride, stride});
  a.set("dilations", std::vector<int64_t>{1, 1});
  a.set("pads", std::vector<int64_t>{k / 2, k / 2, k / 2, k / 2});
  a.set("group", group);
  a.set("kernel_shape", std::vector<int64_t>{k, k});
  return a;
}

format::Program conv_program(int64_t c, int64_t o, int64_t hw, int64_t k, int64_t group, int64_t stride = 1) {
  Bench b;
  int x = b.act({1, c, hw, hw});
  format::Quant wq{std::vector<float>(o, 0.004f), std::vector<int32_t>(o, 0), 0};
  int w = b.constant({o, c / group, k, k}, DType::kInt8, wq);
  int bias = b.constant({o}, DType::kInt32);
  const int64_t ohw = (hw + 2 * (k / 2) - k) / stride + 1;
  int y = b.act({1, o, ohw, ohw});
  b.p.tensors[y].quant = format::Quant{{0.5f}, {0}, -1};
  b.op("QConv", {x, w, bias}, {y}, conv_attrs(k, stride, group));
  return b.finish(x, y);
}

format::Program gemm_program(int64_t m, int64_t k, int64_t n) {
  Bench b;
  int x = b.act({m, k});
  format::Quant wq{std::vector<float>(n, 0.004f), std::vector<int32_t>(n, 0), 0};
  int w = b.constant({n, k}, DType::kInt8, wq);
  int bias = b.constant({n}, DType::kInt32);
  int y = b.act({m, n});
  b.op("QGemm", {x, w, bias}, {y});
  return b.finish(x, y);
}

format::Program unary_program(const std::string& type, int64_t c, int64_t hw, DType in_t, DType out_t,
                              Placement placement = Placement::kAccelerator, Attributes a = {}) {
  Bench b;
  int x = b.act({1, c, hw, hw}, in_t);
  std::vector<int64_t> out_shape = {1, c, hw, hw};
  if (type == "QGlobalAveragePool") out_shape = {1, c, 1, 1};
  if (type == "MaxPool") out_shape = {1, c, hw / 2, hw / 2};
  if (type == "Transpose") out_shape = {1, hw, hw, c};
  if (type == "MaxPool" && a.get_ints("kernel_shape") == std::vector<int64_t>{3, 3})
    out_shape = {1, c, (hw - 1) / 2 + 1, (hw - 1) / 2 + 1};  // 3x3, stride 2, pads 1
  if (type == "QConcat") out_shape = {1, 2 * c, hw, hw};
  int y = b.act(out_shape, out_t);
  std::vector<int32_t> in = {x};
  if (type == "QAdd") in.push_back(b.act({1, c, hw, hw}, in_t));
  if (type == "QMul") in.push_back(b.act({1, c, 1, 1}, in_t));  // the SE block's broadcast scale
  if (type == "QMul same") in.push_back(b.act({1, c, hw, hw}, in_t));  // x · sigmoid(x)
  if (type == "QLut") in.push_back(b.constant({256}, DType::kUInt8));
  if (type == "QConcat") {
    // The second input's params differ from the output's: its bytes go through a table.
    in.push_back(b.act({1, c, hw, hw}, in_t));
    b.p.tensors[in.back()].quant = format::Quant{{0.03f}, {100}, -1};
  }
  if (type == "Reorder") b.p.tensors[y].layout = Layout::kPlain;
  if (type == "Quantize" || type == "Dequantize") b.p.tensors[y].layout = b.p.tensors[x].layout;
  b.op(type == "QMul same" ? "QMul" : type, in, {y}, a, placement);
  return b.finish(x, y);
}

format::Program cpu_conv_program(int64_t c, int64_t o, int64_t hw, int64_t k) {
  Bench b;
  int x = b.act({1, c, hw, hw}, DType::kFloat32);
  int w = b.constant({o, c, k, k}, DType::kFloat32);
  int y = b.act({1, o, hw, hw}, DType::kFloat32);
  Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{k, k});
  a.set("pads", std::vector<int64_t>{k / 2, k / 2, k / 2, k / 2});
  b.op("Conv", {x, w}, {y}, a, Placement::kCpu);
  return b.finish(x, y);
}

struct Sample {
  std::string what;
  OpKind kind;
  OpCounts counts;
  double op_s = 0;     // median op time (runtime profile; of all ops of the program)
  double frame_s = 0;  // median Instance::run wall time
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// The sample of median op time among repeated measurements of one program (not empty).
Sample median_sample(std::vector<Sample> v) {
  std::sort(v.begin(), v.end(), [](const Sample& a, const Sample& b) { return a.op_s < b.op_s; });
  return v[v.size() / 2];
}

// Bytes that push an op's weights, code and buffers out of the core's private caches and
// through the shared one, as the rest of a model's frame does between two runs of the
// same op: read and written, so the caches hold dirty lines of other data as they do
// after the previous ops.
class CacheFlusher {
 public:
  explicit CacheFlusher(double bytes) : buf_(static_cast<size_t>(bytes)) {}
  void flush() {
    for (size_t i = 0; i < buf_.size(); i += 64) buf_[i] = static_cast<uint8_t>(buf_[i] + 1);
  }

 private:
  std::vector<uint8_t> buf_;
};

// Median op time of `prog`'s frames. With `flusher`, each frame runs as an op runs inside a
// model: the private caches were just filled with other data, and the input was just
// written (by the op that produced it).
StatusOr<Sample> measure(const format::Program& prog, const CalibrationOptions& opt, CacheFlusher* flusher = nullptr) {
  EDGEQ_ASSIGN_OR_RETURN(auto exe, runtime::Executable::create(prog));
  EDGEQ_ASSIGN_OR_RETURN(auto inst, runtime::Instance::create(exe));
  std::memset(inst->input(0), 128, exe->input_bytes(0));
  std::vector<double> op_s, frame_s;
  for (int r = 0; r < opt.warmup + opt.runs; ++r) {
    if (flusher) {
      flusher->flush();
      std::memset(inst->input(0), 128, exe->input_bytes(0));
    }
    runtime::FrameProfile fp;
    auto t0 = std::chrono::steady_clock::now();
    EDGEQ_RETURN_IF_ERROR(inst->run(&fp));
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r < opt.warmup) continue;
    double sum = 0;
    for (double ms : fp.op_ms) sum += ms * 1e-3;
    op_s.push_back(sum);
    frame_s.push_back(wall);
  }
  Sample s;
  s.counts = count_op(prog, 0, prog.segments[0].placement);
  s.kind = s.counts.kind;
  s.op_s = median(op_s);
  s.frame_s = median(frame_s);
  return s;
}

// Aggregate bytes/s of `threads` instances of `prog` running at once, one thread each.
StatusOr<double> parallel_bandwidth(const format::Program& prog, int threads, int runs) {
  EDGEQ_ASSIGN_OR_RETURN(auto exe, runtime::Executable::create(prog));
  std::vector<std::unique_ptr<runtime::Instance>> inst;
  for (int i = 0; i < threads; ++i) {
    EDGEQ_ASSIGN_OR_RETURN(auto in, runtime::Instance::create(exe));
    std::memset(in->input(0), 128, exe->input_bytes(0));
    inst.push_back(std::move(in));
  }
  // Every thread warms its instance up, then all start timing together.
  std::barrier start(threads + 1);
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&, i] {
      omp_set_num_threads(1);
      for (int r = 0; r < 3; ++r) (void)inst[i]->run();
      start.arrive_and_wait();
      for (int r = 0; r < runs; ++r) (void)inst[i]->run();
    });
  start.arrive_and_wait();
  auto t0 = std::chrono::steady_clock::now();
  for (auto& t : pool) t.join();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double bytes = static_cast<double>(count_op(prog, 0, Placement::kAccelerator).bytes());
  return bytes * threads * runs / s;
}

// The size of cpu0's cache at sysfs `index` (2: L2, 3: L3), else sysconf's `name`, else
// `fallback`.
double cache_bytes(int index, int name, double fallback) {
  std::ifstream f("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/size");
  std::string s;
  if (f >> s && !s.empty()) {
    double v = std::atof(s.c_str());
    if (s.back() == 'K') v *= 1024;
    if (s.back() == 'M') v *= 1024 * 1024;
    if (v > 0) return v;
  }
  long v = sysconf(name);
  return v > 0 ? static_cast<double>(v) : fallback;
}

double l2_cache_bytes() { return cache_bytes(2, _SC_LEVEL2_CACHE_SIZE, 1 << 20); }

// What the rest of a frame passes through the caches between two runs of one op: more
// than the core's L2 holds, and half the shared L3, whose other half the other cores'
// work (and other programs) keep. Against whole networks on a host whose 32 MiB L3 other
// tenants share, twice the L2 (4 MiB) put the mobile models 10-25% below their measured
// latency whenever the host was busy; half the L3 (16 MiB) about halved those errors and
// left the compute-bound models where they were; the whole L3 put MobileNetV3-Small 60%
// above.
double flush_bytes() {
  return std::max(2 * l2_cache_bytes(), cache_bytes(3, _SC_LEVEL3_CACHE_SIZE, 0) / 2);
}

// Efficiency points of one kind: the fraction of `peak` each sample reached, on the
// kind's axis, after the per-op overhead. Equal x are averaged; at least one point.
std::vector<std::pair<double, double>> fit_curve(const std::vector<Sample>& samples, OpKind kind, CurveAxis axis,
                                                 double peak, double overhead) {
  std::map<double, std::vector<double>> by_x;
  for (const Sample& s : samples) {
    if (s.kind != kind || s.counts.work <= 0) continue;
    double bytes = static_cast<double>(s.counts.bytes());
    // One-pixel convs (squeeze-and-excitation) move their weights and do little else: the
    // memory term and the op overhead cost them, not the conv curve.
    if (axis == CurveAxis::kMacsPerOutput && s.counts.output_elements <= s.counts.channels) continue;
    double x = axis == CurveAxis::kMacsPerByte ? (s.counts.macs > 0 ? s.counts.macs : s.counts.work) / bytes
             : axis == CurveAxis::kMacsPerOutput ? static_cast<double>(s.counts.macs) / static_cast<double>(s.counts.output_elements)
             : axis == CurveAxis::kChannels ? static_cast<double>(s.counts.channels)
                                            : static_cast<double>(s.counts.output_elements);
    double t = std::max(s.op_s - overhead, s.op_s * 0.05);
    double eff = std::clamp(s.counts.work / (peak * t), 1e-4, 1.0);
    by_x[std::max(x, 1e-6)].push_back(eff);
  }
  std::vector<std::pair<double, double>> pts;
  for (auto& [x, v] : by_x) pts.emplace_back(x, median(v));
  return pts;
}

struct Case {
  std::string what;
  format::Program prog;
};

// The grid: dense, depthwise and 1x1 convs at two sizes, FC layers, then each other kind
// over 1K..1M elements, a CPU conv, and the two tiniest ops (the per-op overheads).
std::vector<Case> benchmark_cases(bool quick) {
  std::vector<Case> cases;
  for (int64_t hw : quick ? std::vector<int64_t>{28} : std::vector<int64_t>{56, 14}) {
    for (int64_t c : quick ? std::vector<int64_t>{32, 128} : std::vector<int64_t>{16, 64, 256}) {
      cases.push_back({"QConv 1x1 " + std::to_string(c), conv_program(c, c, hw, 1, 1)});
      cases.push_back({"QConv 3x3 " + std::to_string(c), conv_program(c, c, hw, 3, 1)});
    }
  }
  // The 1x1 convs of inverted-residual blocks: few channels expanded six-fold (many
  // outputs per MAC), and the projections back.
  struct Pw { int64_t c, o, hw; };
  for (const Pw& pw : quick ? std::vector<Pw>{{24, 144, 28}, {144, 24, 28}}
                            : std::vector<Pw>{{16, 96, 112}, {24, 144, 56}, {40, 240, 28}, {80, 480, 14}, {112, 672, 14},
                                              {192, 1152, 7}, {144, 24, 56}, {240, 40, 28}, {480, 80, 14}, {1152, 192, 7}})
    cases.push_back({"QConv 1x1 " + std::to_string(pw.c) + "->" + std::to_string(pw.o) + " " + std::to_string(pw.hw) + "x" +
                         std::to_string(pw.hw),
                     conv_program(pw.c, pw.o, pw.hw, 1, 1)});
  // Stems: three input channels, stride 2.
  if (!quick) {
    cases.push_back({"QConv stem 3x3/2 3->32 224x224", conv_program(3, 32, 224, 3, 1, 2)});
    cases.push_back({"QConv stem 7x7/2 3->64 224x224", conv_program(3, 64, 224, 7, 1, 2)});
  }
  // Depthwise layers as the mobile models have them: 3x3 and 5x5, stride 1 and 2, from
  // few wide-image channels to many small-image ones.
  struct Dw { int64_t c, hw, k, s; };
  const std::vector<Dw> dws = quick ? std::vector<Dw>{{32, 56, 3, 1}, {144, 28, 5, 2}, {672, 14, 3, 1}}
                                    : std::vector<Dw>{{32, 112, 3, 1}, {96, 112, 3, 2}, {144, 56, 3, 1}, {144, 56, 5, 2},
                                                      {240, 28, 5, 1}, {240, 28, 3, 2}, {480, 14, 3, 1}, {672, 14, 5, 1},
                                                      {672, 14, 5, 2}, {1152, 7, 5, 1}, {1152, 7, 3, 1}, {16, 14, 3, 1}};
  for (const Dw& d : dws)
    cases.push_back({"QConv dw" + std::to_string(d.k) + "x" + std::to_string(d.k) + "/" + std::to_string(d.s) + " " +
                         std::to_string(d.c) + "x" + std::to_string(d.hw),
                     conv_program(d.c, d.c, d.hw, d.k, d.c, d.s)});
  // The 1x1 convs of squeeze-and-excitation blocks: one pixel, weight-bound.
  for (auto [c, o] : quick ? std::vector<std::pair<int64_t, int64_t>>{{96, 24}, {24, 96}}
                           : std::vector<std::pair<int64_t, int64_t>>{{96, 24}, {24, 96}, {672, 28}, {28, 672},
                                                                      {1152, 48}, {48, 1152}})
    cases.push_back({"QConv 1x1 " + std::to_string(c) + "->" + std::to_string(o) + " on 1x1", conv_program(c, o, 1, 1, 1)});
  for (int64_t n : {256, 1000}) cases.push_back({"QGemm 1x1024x" + std::to_string(n), gemm_program(1, 1024, n)});
  cases.push_back({"QGemm 64x512x512", gemm_program(64, 512, 512)});
  Attributes mp, mp3, ro, tr, cat;
  mp.set("kernel_shape", std::vector<int64_t>{2, 2});
  mp.set("strides", std::vector<int64_t>{2, 2});
  mp3.set("kernel_shape", std::vector<int64_t>{3, 3});
  mp3.set("strides", std::vector<int64_t>{2, 2});
  mp3.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  cat.set("axis", int64_t{1});
  ro.set("to_layout", std::string("NCHW"));
  tr.set("perm", std::vector<int64_t>{0, 2, 3, 1});
  const Placement acc = Placement::kAccelerator, cpu = Placement::kCpu;
  for (int64_t hw : quick ? std::vector<int64_t>{8, 64} : std::vector<int64_t>{4, 16, 64, 128}) {
    std::string s = " 64x" + std::to_string(hw) + "x" + std::to_string(hw);
    cases.push_back({"QAdd" + s, unary_program("QAdd", 64, hw, DType::kUInt8, DType::kUInt8)});
    cases.push_back({"MaxPool" + s, unary_program("MaxPool", 64, hw, DType::kUInt8, DType::kUInt8, acc, mp)});
    cases.push_back({"MaxPool 3x3/2" + s, unary_program("MaxPool", 64, hw, DType::kUInt8, DType::kUInt8, acc, mp3)});
    cases.push_back({"QMul by channel" + s, unary_program("QMul", 64, hw, DType::kUInt8, DType::kUInt8)});
    cases.push_back({"QMul" + s, unary_program("QMul same", 64, hw, DType::kUInt8, DType::kUInt8)});
    cases.push_back({"QLut" + s, unary_program("QLut", 64, hw, DType::kUInt8, DType::kUInt8)});
    cases.push_back({"QConcat" + s, unary_program("QConcat", 64, hw, DType::kUInt8, DType::kUInt8, acc, cat)});
    cases.push_back({"Reorder" + s, unary_program("Reorder", 64, hw, DType::kUInt8, DType::kUInt8, acc, ro)});
    cases.push_back({"Quantize" + s, unary_program("Quantize", 64, hw, DType::kFloat32, DType::kUInt8)});
    cases.push_back({"Dequantize" + s, unary_program("Dequantize", 64, hw, DType::kUInt8, DType::kFloat32)});
    cases.push_back({"Sigmoid (CPU)" + s, unary_program("Sigmoid", 64, hw, DType::kFloat32, DType::kFloat32, cpu)});
    cases.push_back({"Transpose (CPU)" + s, unary_program("Transpose", 64, hw, DType::kFloat32, DType::kFloat32, cpu, tr)});
  }
  // Global pools: the SE blocks' squeeze (many pixels) and the classifier's (7x7).
  for (auto [c, hw] : quick ? std::vector<std::pair<int64_t, int64_t>>{{96, 28}, {1280, 7}}
                            : std::vector<std::pair<int64_t, int64_t>>{{16, 56}, {96, 56}, {240, 28}, {672, 14},
                                                                       {1280, 7}, {2048, 7}})
    cases.push_back({"QGlobalAveragePool " + std::to_string(c) + "x" + std::to_string(hw) + "x" + std::to_string(hw),
                     unary_program("QGlobalAveragePool", c, hw, DType::kUInt8, DType::kUInt8)});
  for (int64_t c : quick ? std::vector<int64_t>{16} : std::vector<int64_t>{16, 64})
    cases.push_back({"Conv (CPU) 3x3 " + std::to_string(c), cpu_conv_program(c, c, 14, 3)});
  cases.push_back({"tiny QAdd", unary_program("QAdd", 8, 1, DType::kUInt8, DType::kUInt8)});
  cases.push_back({"tiny Sigmoid (CPU)", unary_program("Sigmoid", 8, 1, DType::kFloat32, DType::kFloat32, cpu)});
  return cases;
}

bool one_of_kinds(OpKind k, std::initializer_list<OpKind> kinds) {
  return std::find(kinds.begin(), kinds.end(), k) != kinds.end();
}

// Peaks and bandwidths: the best throughput any benchmark reached (the streaming kinds'
// bytes over their time, in L2 and beyond it); overheads from the tiniest ops.
Status fit_peaks(const std::vector<Sample>& samples, const Sample& tiny_acc, const Sample& tiny_cpu, TargetProfile& p) {
  double int8_peak = 0, fp32_peak = 0, ddr_bw = 0, cache_bw = 0;
  p.core.l2_cache_bytes = l2_cache_bytes();
  for (const Sample& s : samples) {
    if (s.op_s <= 0) continue;
    if (s.kind == OpKind::kConv || s.kind == OpKind::kGemm) int8_peak = std::max(int8_peak, s.counts.work / s.op_s);
    if (s.kind == OpKind::kCpuMatmul) fp32_peak = std::max(fp32_peak, s.counts.work / s.op_s);
    if (one_of_kinds(s.kind, {OpKind::kElementwise, OpKind::kMul, OpKind::kLut, OpKind::kCopy, OpKind::kDataMovement})) {
      double bytes = static_cast<double>(s.counts.bytes());
      double& best = bytes > p.core.l2_cache_bytes ? ddr_bw : cache_bw;
      best = std::max(best, bytes / s.op_s);
    }
  }
  if (int8_peak <= 0) return internal_error("calibration measured no int8 convolution; the runtime refused every benchmark.");
  p.core.int8_macs_per_s = int8_peak;
  if (fp32_peak > 0) p.core.fp32_flops_per_s = fp32_peak;
  if (ddr_bw > 0) p.core.memory_bandwidth_bytes_per_s = ddr_bw;
  if (cache_bw > 0) p.core.cache_bandwidth_bytes_per_s = cache_bw;
  // The cache is never slower than the DDR behind it.
  p.core.cache_bandwidth_bytes_per_s = std::max(p.core.cache_bandwidth_bytes_per_s, p.core.memory_bandwidth_bytes_per_s);
  p.accelerator_op_overhead_s = std::max(tiny_acc.op_s, 0.0);
  p.cpu_op_overhead_s = std::max(tiny_cpu.op_s, 0.0);
  p.frame_overhead_s = std::max(tiny_acc.frame_s - tiny_acc.op_s, 0.0);
  p.segment_switch_overhead_s = 0;  // not separable from the op overheads by these benchmarks
  return {};
}

void fit_curves(const std::vector<Sample>& samples, TargetProfile& p) {
  struct KindAxis { OpKind kind; CurveAxis axis; };
  for (KindAxis k : {KindAxis{OpKind::kConv, CurveAxis::kMacsPerOutput}, KindAxis{OpKind::kConvDepthwise, CurveAxis::kMacsPerByte},
                     KindAxis{OpKind::kGemm, CurveAxis::kMacsPerByte}, KindAxis{OpKind::kElementwise, CurveAxis::kElements},
                     KindAxis{OpKind::kPool, CurveAxis::kElements}, KindAxis{OpKind::kDataMovement, CurveAxis::kElements},
                     KindAxis{OpKind::kQuantize, CurveAxis::kElements}, KindAxis{OpKind::kLut, CurveAxis::kElements},
                     KindAxis{OpKind::kGlobalPool, CurveAxis::kElements}, KindAxis{OpKind::kCopy, CurveAxis::kElements},
                     KindAxis{OpKind::kMul, CurveAxis::kElements}, KindAxis{OpKind::kDequantize, CurveAxis::kElements},
                     KindAxis{OpKind::kCpuMatmul, CurveAxis::kMacsPerByte},
                     KindAxis{OpKind::kCpuElementwise, CurveAxis::kElements},
                     KindAxis{OpKind::kCpuDataMovement, CurveAxis::kElements}}) {
    bool cpu = is_cpu_kind(k.kind);
    double peak = cpu ? p.core.fp32_flops_per_s : p.core.int8_macs_per_s;
    double overhead = cpu ? p.cpu_op_overhead_s : p.accelerator_op_overhead_s;
    auto pts = fit_curve(samples, k.kind, k.axis, peak, overhead);
    if (pts.empty()) continue;  // keep the built-in curve for a kind no benchmark measured
    p.efficiency[static_cast<int>(k.kind)] = {k.axis, pts};
  }
  // QResize keeps its built-in curve: no benchmark measures it.
}

}  // namespace

StatusOr<TargetProfile> calibrate_host(const CalibrationOptions& opt) {
  TargetProfile p = builtin_host_profile();
  if (opt.core_count > 0) p.core_count = opt.core_count;
  p.source = "measured";
  p.description = "measured on this machine by edgeq perf --calibrate-target";
  auto say = [&](const std::string& s) { if (opt.progress) opt.progress(s); };
  int saved_threads = omp_get_max_threads();
  omp_set_num_threads(1);

  // Rounds over the whole grid; each benchmark keeps the median of its rounds' medians:
  // other work on the machine comes in bursts that one round can hit and the next miss.
  std::vector<Sample> samples;
  int skipped = 0;
  Sample tiny_acc, tiny_cpu;
  const int rounds = opt.quick ? 1 : 3;
  std::vector<Case> cases = benchmark_cases(opt.quick);
  std::vector<std::vector<Sample>> rounds_of(cases.size());
  // As in a model: the rest of the frame pushed the op's bytes out of the core's L2 and
  // through the shared L3.
  CacheFlusher flusher(flush_bytes());
  for (int round = 0; round < rounds; ++round) {
    say("  round " + std::to_string(round + 1) + " of " + std::to_string(rounds));
    for (size_t i = 0; i < cases.size(); ++i) {
      StatusOr<Sample> s = measure(cases[i].prog, opt, &flusher);
      if (!s.ok()) {
        if (round == 0) {
          ++skipped;
          say("  skipped " + cases[i].what + ": " + s.status().message());
        }
        continue;
      }
      s->what = cases[i].what;
      rounds_of[i].push_back(*s);
    }
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    if (rounds_of[i].empty()) continue;
    const Sample s = median_sample(rounds_of[i]);
    say("  " + s.what + ": " + std::to_string(s.op_s * 1e3) + " ms");
    if (s.what == "tiny QAdd") tiny_acc = s;
    else if (s.what == "tiny Sigmoid (CPU)") tiny_cpu = s;
    else samples.push_back(s);
  }
  omp_set_num_threads(saved_threads);
  EDGEQ_RETURN_IF_ERROR(fit_peaks(samples, tiny_acc, tiny_cpu, p));

  // Shared DDR bandwidth: a 3 MB QAdd on every core at once. All cores together reach at
  // least what one core reaches alone; less means other jobs ran during the measurement.
  format::Program big = unary_program("QAdd", 64, opt.quick ? 64 : 128, DType::kUInt8, DType::kUInt8);
  StatusOr<double> shared = parallel_bandwidth(big, p.core_count, opt.quick ? 5 : 20);
  p.shared_memory_bandwidth_bytes_per_s = std::max(shared.ok() ? *shared : 0.0, p.core.memory_bandwidth_bytes_per_s);

  fit_curves(samples, p);

  // A frame as edgeq_model_exec and the C API run it goes through the core scheduler: the
  // hand-over to the core's worker and back is part of the frame overhead.
  {
    format::Program tiny = unary_program("QAdd", 8, 1, DType::kUInt8, DType::kUInt8);
    runtime::SchedulerOptions so;
    so.num_cores = 1;
    auto exe = runtime::Executable::create(tiny);
    auto sched = runtime::Scheduler::create(so);
    if (exe.ok() && sched.ok()) {
      auto inst = runtime::Instance::create(*exe);
      if (inst.ok()) {
        std::vector<double> wall;
        for (int r = 0; r < opt.warmup + 10 * opt.runs; ++r) {
          auto t0 = std::chrono::steady_clock::now();
          if (!(*sched)->run(1, [&](int) { return (*inst)->run(); }).ok()) break;
          double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          if (r >= opt.warmup) wall.push_back(s);
        }
        if (!wall.empty()) p.frame_overhead_s = std::max(median(wall) - tiny_acc.op_s, p.frame_overhead_s);
      }
    }
  }

  // Measured in the context of a model (above), the curves already hold what an op pays
  // for its bytes coming from the shared cache; a measured profile has no per-op cold term.
  p.cold_op_overhead.clear();

  // One layer split over every core: the speed each core keeps.
  if (p.core_count > 1) {
    format::Program conv = conv_program(128, 128, opt.quick ? 28 : 56, 3, 1);
    omp_set_num_threads(1);
    StatusOr<Sample> one = measure(conv, opt);
    // The runtime builds a layer's primitives for the program's core_num threads.
    conv.options.core_num = p.core_count;
    omp_set_num_threads(p.core_count);
    StatusOr<Sample> all = measure(conv, opt);
    omp_set_num_threads(saved_threads);
    if (one.ok() && all.ok() && all->op_s > 0)
      p.multi_core_efficiency = std::clamp(one->op_s / (all->op_s * p.core_count), 0.05, 1.0);
  }
  say("  int8 peak " + std::to_string(p.core.int8_macs_per_s / 1e9) + " GMAC/s, fp32 peak " +
      std::to_string(p.core.fp32_flops_per_s / 1e9) + " GFLOP/s, DDR " +
      std::to_string(p.core.memory_bandwidth_bytes_per_s / 1e9) + " GB/s per core, " +
      std::to_string(p.shared_memory_bandwidth_bytes_per_s / 1e9) + " GB/s shared, multi-core efficiency " +
      std::to_string(p.multi_core_efficiency));
  if (skipped) say("  " + std::to_string(skipped) + " benchmarks skipped");

  nlohmann::json record = nlohmann::json::array();
  for (const Sample& s : samples)
    record.push_back({{"benchmark", s.what}, {"kind", std::string(op_kind_name(s.kind))}, {"op_ms", s.op_s * 1e3},
                      {"macs", s.counts.macs}, {"bytes", s.counts.bytes()}, {"elements", s.counts.output_elements}});
  p.calibration_json = nlohmann::json{{"runs", opt.runs}, {"benchmarks", record}}.dump();
  return p;
}

}  // namespace edgeq::estimator
