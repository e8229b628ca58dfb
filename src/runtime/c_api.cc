// The public C API (include/edgeq/runtime.h) over the engine (runtime/executable.h) and
// the core scheduler (runtime/scheduler.h). No C++ exception leaves this file.
#include "edgeq/runtime.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "format/bin.h"
#include "kernels/isa.h"
#include "runtime/executable.h"
#include "runtime/json_writer.h"
#include "runtime/layout_copy.h"
#include "runtime/scheduler.h"

namespace {

using edgeq::Status;
using edgeq::StatusCode;
namespace rt = edgeq::runtime;
namespace fmt = edgeq::format;

thread_local std::string g_last_error;
thread_local std::string g_profile_json;  // edgeq_model_profile_json's result, per thread

edgeq_status set_error(edgeq_status code, std::string message) {
  g_last_error = std::move(message);
  return code;
}

edgeq_status to_c_status(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return EDGEQ_OK;
    case StatusCode::kInvalidArgument: return EDGEQ_ERROR_INVALID_ARGUMENT;
    case StatusCode::kUnsupported: return EDGEQ_ERROR_UNSUPPORTED;
    case StatusCode::kNotFound:
    case StatusCode::kDataLoss:
    case StatusCode::kIo: return EDGEQ_ERROR_BAD_FILE;
    default: return EDGEQ_ERROR_INTERNAL;
  }
}

edgeq_status from_status(const Status& s) {
  if (s.ok()) return EDGEQ_OK;
  return set_error(to_c_status(s.code()), s.message());
}

// Loading: the reader's invalid-argument errors are about the file.
edgeq_status from_load_status(const Status& s) {
  if (s.code() == StatusCode::kInvalidArgument) return set_error(EDGEQ_ERROR_BAD_FILE, s.message());
  return from_status(s);
}

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

struct TimeStat {
  int64_t count = 0;
  double sum = 0, min = std::numeric_limits<double>::infinity(), max = 0;
  void add(double ms) {
    ++count;
    sum += ms;
    min = std::min(min, ms);
    max = std::max(max, ms);
  }
  void merge(const TimeStat& o) {
    count += o.count;
    sum += o.sum;
    min = std::min(min, o.min);
    max = std::max(max, o.max);
  }
};

// Everything one core owns. Only that core's worker runs its instance.
struct Core {
  std::unique_ptr<rt::Instance> instance;
  rt::FrameProfile frame_profile;
  std::mutex stats_mu;  // the worker adds, edgeq_model_profile_json reads
  std::vector<TimeStat> op_stats, segment_stats;
  int64_t frames = 0;
};

struct IoInfo {
  edgeq_tensor_desc desc{};
  std::string removed_ops;
};

const char* placement_name(fmt::Placement p) { return p == fmt::Placement::kAccelerator ? "accelerator" : "cpu"; }
const char* layout_name(fmt::Layout l) { return l == fmt::Layout::kNHWC ? "NHWC" : "plain"; }

}  // namespace

struct edgeq_model {
  std::shared_ptr<const rt::Executable> exe;
  std::vector<IoInfo> inputs, outputs;
  std::vector<std::unique_ptr<Core>> cores;
  std::vector<int32_t> op_segment;  // segment index of each op
  std::atomic<bool> profiling{false};
  double load_ms = 0;
  std::string info_json;
  // Declared last: destroyed first, so queued frames finish while the cores still exist.
  std::unique_ptr<rt::Scheduler> scheduler;
};

struct edgeq_task {
  std::shared_ptr<rt::Task> task;
};

namespace {

Status describe(const fmt::Program& p, const fmt::IoDesc& io, size_t bytes, IoInfo* out) {
  if (io.tensor < 0 || io.tensor >= static_cast<int32_t>(p.tensors.size()))
    return edgeq::invalid_argument("An input/output names tensor " + std::to_string(io.tensor) + ", which does not exist.");
  const fmt::TensorDesc& t = p.tensors[io.tensor];
  if (t.shape.size() > EDGEQ_MAX_DIMS)
    return edgeq::unsupported("Tensor '" + t.name + "' has " + std::to_string(t.shape.size()) +
                              " dims; the C API describes at most " + std::to_string(EDGEQ_MAX_DIMS) + ".");
  edgeq_tensor_desc& d = out->desc;
  d.name = t.name.c_str();
  d.dtype = static_cast<edgeq_dtype>(static_cast<int32_t>(t.dtype));
  d.layout = t.layout == fmt::Layout::kNHWC ? EDGEQ_LAYOUT_NHWC : EDGEQ_LAYOUT_PLAIN;
  d.ndim = static_cast<int32_t>(t.shape.size());
  for (size_t i = 0; i < t.shape.size(); ++i) d.dims[i] = t.shape[i];
  d.bytes = bytes;
  if (t.quant && !t.quant->scale.empty()) {
    d.has_quant = 1;
    d.scale = t.quant->scale[0];
    d.zero_point = t.quant->zero_point.empty() ? 0 : t.quant->zero_point[0];
  }
  for (size_t i = 0; i < io.removed_ops.size(); ++i) {
    if (i) out->removed_ops += ',';
    out->removed_ops += io.removed_ops[i];
  }
  return Status();
}

void write_io(rt::JsonWriter& w, const fmt::Program& p, const std::vector<fmt::IoDesc>& ios,
              const std::vector<IoInfo>& infos) {
  w.begin_array();
  for (size_t i = 0; i < ios.size(); ++i) {
    const fmt::TensorDesc& t = p.tensors[ios[i].tensor];
    w.begin_object().key("name").value(t.name).key("source_name").value(ios[i].source_name);
    w.key("dtype").value(edgeq::dtype_name(t.dtype)).key("layout").value(layout_name(t.layout));
    w.key("shape").begin_array();
    for (int64_t d : t.shape) w.value(d);
    w.end_array().key("bytes").value(static_cast<uint64_t>(infos[i].desc.bytes));
    if (t.quant) {
      w.key("quant").begin_object().key("scale").begin_array();
      for (float s : t.quant->scale) w.value(s);
      w.end_array().key("zero_point").begin_array();
      for (int32_t z : t.quant->zero_point) w.value(z);
      w.end_array().key("axis").value(t.quant->axis).end_object();
    }
    w.key("removed_ops").begin_array();
    for (const auto& r : ios[i].removed_ops) w.value(r);
    w.end_array().end_object();
  }
  w.end_array();
}

std::string make_info_json(const edgeq_model& m) {
  const fmt::Program& p = m.exe->program();
  rt::JsonWriter w;
  w.begin_object();
  w.key("name").value(p.model_name).key("march").value(p.options.march).key("isa").value(p.options.isa);
  w.key("host_isa").value(edgeq::kernels::host_isa());
  w.key("format_version").value(static_cast<int64_t>(p.format_version)).key("toolchain").value(p.toolchain_version);
  w.key("runtime_version").value(edgeq_version());
  w.key("options").begin_object().key("march").value(p.options.march).key("isa").value(p.options.isa);
  w.key("optimize_level").value(p.options.optimize_level).key("core_num").value(p.options.core_num);
  w.key("fast_perf").value(p.options.fast_perf).key("calibration_method").value(p.options.calibration_method);
  w.end_object();
  w.key("num_cores").value(m.scheduler->num_cores()).key("cores").begin_array();
  for (int k = 0; k < m.scheduler->num_cores(); ++k) {
    w.begin_object().key("core_id").value(k + 1).key("cpus").begin_array();
    for (int c : m.scheduler->core_cpus(k)) w.value(c);
    w.end_array().end_object();
  }
  w.end_array();
  w.key("inputs");
  write_io(w, p, p.inputs, m.inputs);
  w.key("outputs");
  write_io(w, p, p.outputs, m.outputs);
  w.key("num_ops").value(static_cast<int64_t>(p.ops.size())).key("segments").begin_array();
  for (size_t s = 0; s < p.segments.size(); ++s) {
    const fmt::Segment& seg = p.segments[s];
    std::map<std::string, int64_t> counts;
    for (int32_t i = seg.first_op; i < seg.first_op + seg.num_ops; ++i) ++counts[p.ops[i].type];
    w.begin_object().key("index").value(static_cast<int64_t>(s)).key("placement").value(placement_name(seg.placement));
    w.key("first_op").value(seg.first_op).key("num_ops").value(seg.num_ops).key("op_counts").begin_object();
    for (const auto& [type, n] : counts) w.key(type).value(n);
    w.end_object().end_object();
  }
  w.end_array();
  w.key("arena_bytes").value(p.arena_bytes).key("load_time_ms").value(m.load_ms);
  w.key("metadata").begin_object();
  for (const auto& [k, v] : p.metadata) w.key(k).value(v);
  w.end_object();
  w.key("kernels").begin_array();
  for (const auto& k : m.exe->kernel_names()) w.value(k);
  w.end_array();
  w.end_object();
  return w.str();
}

// Copies the inputs into the core's arena, runs, copies the outputs out.
Status run_frame(edgeq_model* m, int core_index, const std::vector<edgeq_buffer>& in,
                 const std::vector<edgeq_buffer>& out) {
  Core& c = *m->cores[core_index];
  for (size_t i = 0; i < in.size(); ++i) std::memcpy(c.instance->input(static_cast<int>(i)), in[i].data, in[i].bytes);
  const bool profile = m->profiling.load(std::memory_order_relaxed);
  if (profile) {
    c.frame_profile.op_ms.assign(m->op_segment.size(), 0.0);
    EDGEQ_RETURN_IF_ERROR(c.instance->run(&c.frame_profile));
  } else {
    EDGEQ_RETURN_IF_ERROR(c.instance->run());
  }
  for (size_t i = 0; i < out.size(); ++i) std::memcpy(out[i].data, c.instance->output(static_cast<int>(i)), out[i].bytes);
  if (profile && c.frame_profile.op_ms.size() == m->op_segment.size()) {
    std::lock_guard<std::mutex> lock(c.stats_mu);
    std::vector<double> seg_ms(c.segment_stats.size(), 0.0);
    for (size_t i = 0; i < c.frame_profile.op_ms.size(); ++i) {
      c.op_stats[i].add(c.frame_profile.op_ms[i]);
      if (m->op_segment[i] >= 0) seg_ms[m->op_segment[i]] += c.frame_profile.op_ms[i];
    }
    for (size_t s = 0; s < seg_ms.size(); ++s) c.segment_stats[s].add(seg_ms[s]);
    ++c.frames;
  }
  return Status();
}

edgeq_status check_buffers(const edgeq_model* m, const edgeq_buffer* inputs, int32_t num_inputs,
                           const edgeq_buffer* outputs, int32_t num_outputs) {
  const auto check = [](const std::vector<IoInfo>& want, const edgeq_buffer* b, int32_t n, const char* what) {
    if (n != static_cast<int32_t>(want.size()))
      return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The model has " + std::to_string(want.size()) + " " + what +
                                                         "s, but " + std::to_string(n) + " buffers were given.");
    if (n > 0 && !b) return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, std::string("The ") + what + " buffer array is NULL.");
    for (int32_t i = 0; i < n; ++i) {
      if (!b[i].data)
        return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, std::string("The data of ") + what + " " + std::to_string(i) +
                                                           " ('" + want[i].desc.name + "') is NULL.");
      if (b[i].bytes != want[i].desc.bytes)
        return set_error(EDGEQ_ERROR_INVALID_ARGUMENT,
                         std::string("The ") + what + " " + std::to_string(i) + " ('" + want[i].desc.name + "') buffer has " +
                             std::to_string(b[i].bytes) + " bytes; the model needs " + std::to_string(want[i].desc.bytes) + ".");
    }
    return EDGEQ_OK;
  };
  if (edgeq_status s = check(m->inputs, inputs, num_inputs, "input"); s != EDGEQ_OK) return s;
  return check(m->outputs, outputs, num_outputs, "output");
}

edgeq_status submit(edgeq_model* model, const edgeq_buffer* inputs, int32_t num_inputs, edgeq_buffer* outputs,
                    int32_t num_outputs, const edgeq_run_options* options, std::shared_ptr<rt::Task>* task) {
  if (!model) return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The model is NULL.");
  if (edgeq_status s = check_buffers(model, inputs, num_inputs, outputs, num_outputs); s != EDGEQ_OK) return s;
  int core_id = options ? options->core_id : 0;
  if (core_id < 0 || core_id > model->scheduler->num_cores())
    return set_error(EDGEQ_ERROR_INVALID_ARGUMENT,
                     "core_id " + std::to_string(core_id) + " is out of range: this model has " +
                         std::to_string(model->scheduler->num_cores()) + " core(s); use 0 (any idle core) or 1.." +
                         std::to_string(model->scheduler->num_cores()) + ".");
  std::vector<edgeq_buffer> in(inputs, inputs + num_inputs), out(outputs, outputs + num_outputs);
  *task = model->scheduler->submit(core_id, [model, in = std::move(in), out = std::move(out)](int core) {
    return run_frame(model, core, in, out);
  });
  return EDGEQ_OK;
}

edgeq_status finish_load(edgeq::StatusOr<fmt::Program> program, const edgeq_load_options* options, double t0,
                         edgeq_model** model) {
  if (!program.ok()) return from_load_status(program.status());
  if (options && options->num_cores < 0)
    return set_error(EDGEQ_ERROR_INVALID_ARGUMENT,
                     "num_cores must be 0 (default) or positive, got " + std::to_string(options->num_cores) + ".");
  auto exe = rt::Executable::create(std::move(program).value());
  if (!exe.ok()) return from_load_status(exe.status());
  auto m = std::make_unique<edgeq_model>();
  m->exe = std::move(exe).value();
  const fmt::Program& p = m->exe->program();
  m->inputs.resize(p.inputs.size());
  m->outputs.resize(p.outputs.size());
  for (size_t i = 0; i < p.inputs.size(); ++i)
    if (Status s = describe(p, p.inputs[i], m->exe->input_bytes(static_cast<int>(i)), &m->inputs[i]); !s.ok())
      return from_load_status(s);
  for (size_t i = 0; i < p.outputs.size(); ++i)
    if (Status s = describe(p, p.outputs[i], m->exe->output_bytes(static_cast<int>(i)), &m->outputs[i]); !s.ok())
      return from_load_status(s);
  for (auto& io : m->inputs) io.desc.removed_ops = io.removed_ops.c_str();
  for (auto& io : m->outputs) io.desc.removed_ops = io.removed_ops.c_str();
  m->op_segment.assign(p.ops.size(), -1);
  for (size_t s = 0; s < p.segments.size(); ++s)
    for (int32_t i = p.segments[s].first_op; i < p.segments[s].first_op + p.segments[s].num_ops; ++i)
      if (i >= 0 && i < static_cast<int32_t>(p.ops.size())) m->op_segment[i] = static_cast<int32_t>(s);

  rt::SchedulerOptions so;
  so.num_cores = options ? options->num_cores : 0;
  so.cpus_per_core = std::max(1, p.options.core_num);
  auto sched = rt::Scheduler::create(so);
  if (!sched.ok()) return from_status(sched.status());
  m->scheduler = std::move(sched).value();
  m->cores.resize(m->scheduler->num_cores());
  for (auto& c : m->cores) {
    c = std::make_unique<Core>();
    c->op_stats.resize(p.ops.size());
    c->segment_stats.resize(p.segments.size());
  }
  // Each core's instance is created on its own worker, with that core's thread count.
  for (int k = 0; k < m->scheduler->num_cores(); ++k) {
    edgeq_model* mp = m.get();
    Status s = m->scheduler->run(k + 1, [mp](int core) -> Status {
      EDGEQ_ASSIGN_OR_RETURN(mp->cores[core]->instance, rt::Instance::create(mp->exe));
      return Status();
    });
    if (!s.ok()) return from_status(s);
  }
  m->load_ms = now_ms() - t0;
  m->info_json = make_info_json(*m);
  *model = m.release();
  return EDGEQ_OK;
}

fmt::ReadOptions read_options() {
  fmt::ReadOptions ro;
  ro.host_isa = edgeq::kernels::host_isa();
  return ro;
}

template <typename F>
edgeq_status guarded(F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return set_error(EDGEQ_ERROR_INTERNAL, "Out of memory.");
  } catch (const std::exception& e) {
    return set_error(EDGEQ_ERROR_INTERNAL, std::string("Internal error: ") + e.what() + ".");
  } catch (...) {
    return set_error(EDGEQ_ERROR_INTERNAL, "Internal error (unknown exception).");
  }
}

void write_stat(rt::JsonWriter& w, const TimeStat& s) {
  w.key("count").value(s.count);
  w.key("avg_ms").value(s.count ? s.sum / s.count : 0.0);
  w.key("min_ms").value(s.count ? s.min : 0.0);
  w.key("max_ms").value(s.max);
  w.key("total_ms").value(s.sum);
}

}  // namespace

extern "C" {

const char* edgeq_last_error(void) { return g_last_error.c_str(); }

#ifndef EDGEQ_VERSION_STRING
#define EDGEQ_VERSION_STRING "unknown"
#endif
const char* edgeq_version(void) { return EDGEQ_VERSION_STRING; }

edgeq_status edgeq_model_load(const char* path, const edgeq_load_options* options, edgeq_model** model) {
  return guarded([&] {
    if (!model) return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The model output pointer is NULL.");
    *model = nullptr;
    if (!path) return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The model path is NULL.");
    double t0 = now_ms();
    return finish_load(fmt::read_bin(path, read_options()), options, t0, model);
  });
}

edgeq_status edgeq_model_load_from_memory(const void* data, size_t bytes, const edgeq_load_options* options,
                                          edgeq_model** model) {
  return guarded([&] {
    if (!model) return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The model output pointer is NULL.");
    *model = nullptr;
    if (!data) return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The model data pointer is NULL.");
    double t0 = now_ms();
    std::span<const uint8_t> span(static_cast<const uint8_t*>(data), bytes);
    return finish_load(fmt::parse_bin(span, read_options()), options, t0, model);
  });
}

void edgeq_model_release(edgeq_model* model) {
  try {
    delete model;
  } catch (...) {
  }
}

int32_t edgeq_model_num_inputs(const edgeq_model* model) {
  return model ? static_cast<int32_t>(model->inputs.size()) : -1;
}
int32_t edgeq_model_num_outputs(const edgeq_model* model) {
  return model ? static_cast<int32_t>(model->outputs.size()) : -1;
}
int32_t edgeq_model_num_cores(const edgeq_model* model) { return model ? model->scheduler->num_cores() : -1; }

static edgeq_status get_desc(const edgeq_model* model, int32_t index, edgeq_tensor_desc* desc, bool input) {
  if (!model) return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The model is NULL.");
  if (!desc) return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The description pointer is NULL.");
  const auto& v = input ? model->inputs : model->outputs;
  if (index < 0 || index >= static_cast<int32_t>(v.size()))
    return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, std::string(input ? "Input" : "Output") + " index " +
                                                       std::to_string(index) + " is out of range: the model has " +
                                                       std::to_string(v.size()) + ".");
  *desc = v[index].desc;
  return EDGEQ_OK;
}

edgeq_status edgeq_model_input_desc(const edgeq_model* model, int32_t index, edgeq_tensor_desc* desc) {
  return get_desc(model, index, desc, true);
}
edgeq_status edgeq_model_output_desc(const edgeq_model* model, int32_t index, edgeq_tensor_desc* desc) {
  return get_desc(model, index, desc, false);
}

edgeq_status edgeq_convert_layout(const edgeq_tensor_desc* desc, const void* src, void* dst, int32_t to_model) {
  if (!desc || !src || !dst) return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The description, source or destination is NULL.");
  if (desc->ndim < 0 || desc->ndim > EDGEQ_MAX_DIMS)
    return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The description has " + std::to_string(desc->ndim) +
                                                       " dims; a tensor has 0 to " + std::to_string(EDGEQ_MAX_DIMS) + ".");
  int64_t numel = 1;
  for (int32_t i = 0; i < desc->ndim; ++i) {
    if (desc->dims[i] < 0) return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The description has a negative dim.");
    numel *= desc->dims[i];
  }
  const bool nhwc = desc->layout == EDGEQ_LAYOUT_NHWC && desc->ndim == 4;
  if (nhwc && (numel == 0 || desc->bytes % static_cast<size_t>(numel) != 0))
    return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The description's byte count " + std::to_string(desc->bytes) +
                                                       " is not a whole number of its " + std::to_string(numel) +
                                                       " elements.");
  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  if (s < d + desc->bytes && d < s + desc->bytes && desc->bytes > 0)
    return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The source and destination buffers overlap.");
  if (!nhwc) {
    std::memcpy(dst, src, desc->bytes);
    return EDGEQ_OK;
  }
  const size_t elem = desc->bytes / static_cast<size_t>(numel);
  const int64_t n = desc->dims[0], c = desc->dims[1], hw = desc->dims[2] * desc->dims[3];
  if (to_model) rt::nchw_to_nhwc(src, dst, n, c, hw, elem);
  else rt::nhwc_to_nchw(src, dst, n, c, hw, elem);
  return EDGEQ_OK;
}

const char* edgeq_model_info_json(const edgeq_model* model) {
  if (!model) {
    set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The model is NULL.");
    return nullptr;
  }
  return model->info_json.c_str();
}

edgeq_status edgeq_run(edgeq_model* model, const edgeq_buffer* inputs, int32_t num_inputs, edgeq_buffer* outputs,
                       int32_t num_outputs, const edgeq_run_options* options) {
  return guarded([&] {
    std::shared_ptr<rt::Task> task;
    edgeq_status s = submit(model, inputs, num_inputs, outputs, num_outputs, options, &task);
    if (s != EDGEQ_OK) return s;
    return from_status(task->wait());
  });
}

edgeq_status edgeq_run_async(edgeq_model* model, const edgeq_buffer* inputs, int32_t num_inputs,
                             edgeq_buffer* outputs, int32_t num_outputs, const edgeq_run_options* options,
                             edgeq_task** task) {
  return guarded([&] {
    if (!task) return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The task output pointer is NULL.");
    *task = nullptr;
    std::shared_ptr<rt::Task> t;
    edgeq_status s = submit(model, inputs, num_inputs, outputs, num_outputs, options, &t);
    if (s != EDGEQ_OK) return s;
    *task = new edgeq_task{std::move(t)};
    return EDGEQ_OK;
  });
}

edgeq_status edgeq_task_wait(edgeq_task* task, int32_t timeout_ms) {
  return guarded([&] {
    if (!task) return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The task is NULL.");
    if (timeout_ms >= 0 && !task->task->wait_for(std::chrono::milliseconds(timeout_ms)))
      return set_error(EDGEQ_ERROR_TIMEOUT, "The frame did not finish within " + std::to_string(timeout_ms) + " ms.");
    return from_status(task->task->wait());
  });
}

void edgeq_task_release(edgeq_task* task) { delete task; }

edgeq_status edgeq_model_set_profiling(edgeq_model* model, int32_t enabled) {
  return guarded([&] {
    if (!model) return set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The model is NULL.");
    bool was = model->profiling.exchange(enabled != 0);
    if (enabled && !was) {  // a new measurement starts from zero
      for (auto& c : model->cores) {
        std::lock_guard<std::mutex> lock(c->stats_mu);
        std::fill(c->op_stats.begin(), c->op_stats.end(), TimeStat{});
        std::fill(c->segment_stats.begin(), c->segment_stats.end(), TimeStat{});
        c->frames = 0;
      }
    }
    return EDGEQ_OK;
  });
}

const char* edgeq_model_profile_json(edgeq_model* model) {
  if (!model) {
    set_error(EDGEQ_ERROR_INVALID_ARGUMENT, "The model is NULL.");
    return nullptr;
  }
  try {
    const fmt::Program& p = model->exe->program();
    std::vector<TimeStat> ops(p.ops.size()), segs(p.segments.size());
    int64_t frames = 0;
    for (auto& c : model->cores) {
      std::lock_guard<std::mutex> lock(c->stats_mu);
      for (size_t i = 0; i < ops.size(); ++i) ops[i].merge(c->op_stats[i]);
      for (size_t s = 0; s < segs.size(); ++s) segs[s].merge(c->segment_stats[s]);
      frames += c->frames;
    }
    rt::JsonWriter w;
    w.begin_object().key("model").value(p.model_name).key("profiling").value(model->profiling.load());
    w.key("frames").value(frames).key("segments").begin_array();
    for (size_t s = 0; s < segs.size(); ++s) {
      w.begin_object().key("index").value(static_cast<int64_t>(s));
      w.key("placement").value(placement_name(p.segments[s].placement)).key("num_ops").value(p.segments[s].num_ops);
      write_stat(w, segs[s]);
      w.end_object();
    }
    w.end_array().key("ops").begin_array();
    for (size_t i = 0; i < ops.size(); ++i) {
      w.begin_object().key("index").value(static_cast<int64_t>(i)).key("name").value(p.ops[i].name);
      w.key("type").value(p.ops[i].type).key("segment").value(model->op_segment[i]);
      write_stat(w, ops[i]);
      w.end_object();
    }
    w.end_array().end_object();
    g_profile_json = w.str();
    return g_profile_json.c_str();
  } catch (...) {
    set_error(EDGEQ_ERROR_INTERNAL, "Out of memory while writing the profile.");
    return nullptr;
  }
}

}  // extern "C"
