/* edgeq runtime: load a compiled model (`.bin`) and run it.
 *
 *   edgeq_model* model = NULL;
 *   if (edgeq_model_load("model_output/resnet50.bin", NULL, &model) != EDGEQ_OK) {
 *     fprintf(stderr, "%s\n", edgeq_last_error());
 *     return 1;
 *   }
 *   edgeq_tensor_desc in;                       // what the model wants, e.g. u8 NHWC
 *   edgeq_model_input_desc(model, 0, &in);
 *   edgeq_buffer input = {image, in.bytes};     // caller-owned memory
 *   edgeq_tensor_desc out;
 *   edgeq_model_output_desc(model, 0, &out);
 *   edgeq_buffer output = {malloc(out.bytes), out.bytes};
 *   edgeq_run_options opt = EDGEQ_RUN_OPTIONS_INIT;   // core_id 0: any idle core
 *   edgeq_status st = edgeq_run(model, &input, 1, &output, 1, &opt);
 *   ...
 *   edgeq_model_release(model);
 *
 * A model owns its cores: one execution context (activation arena, primitives) per
 * accelerator core, each served by a worker thread pinned to its CPU. Any number of
 * threads may call edgeq_run / edgeq_run_async on one model at once; frames queue to the
 * requested core (core_id k, 1-based) or to whichever core is idle first (core_id 0).
 * Every function returns EDGEQ_OK or an error code; edgeq_last_error() gives the
 * sentence describing the last error of the calling thread.
 *
 * Cores: num_cores 0 means EDGEQ_CORES, else the CPUs this process may use divided by the
 * model's core_num (a core_num = N model spreads each frame over N CPUs, so core k is
 * served by CPUs (k-1)*N .. k*N-1, each worker running N OpenMP threads). Releasing a
 * model lets every queued frame finish first; tasks stay valid until released.
 */
#ifndef EDGEQ_RUNTIME_H_
#define EDGEQ_RUNTIME_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum edgeq_status {
  EDGEQ_OK = 0,
  EDGEQ_ERROR_INVALID_ARGUMENT = 1, /* a bad pointer, index, size, core id, … */
  EDGEQ_ERROR_BAD_FILE = 2,         /* missing, truncated, corrupted or foreign .bin */
  EDGEQ_ERROR_UNSUPPORTED = 3,      /* newer format, other march/ISA, unknown op */
  EDGEQ_ERROR_TIMEOUT = 4,
  EDGEQ_ERROR_INTERNAL = 5
} edgeq_status;

typedef enum edgeq_dtype {
  EDGEQ_DTYPE_FLOAT32 = 1,
  EDGEQ_DTYPE_UINT8 = 2,
  EDGEQ_DTYPE_INT8 = 3,
  EDGEQ_DTYPE_INT32 = 6,
  EDGEQ_DTYPE_INT64 = 7
} edgeq_dtype; /* the ONNX TensorProto codes */

typedef enum edgeq_layout { EDGEQ_LAYOUT_PLAIN = 0, EDGEQ_LAYOUT_NHWC = 1 } edgeq_layout;

#define EDGEQ_MAX_DIMS 8

typedef struct edgeq_tensor_desc {
  const char* name;            /* valid while the model lives */
  edgeq_dtype dtype;
  edgeq_layout layout;         /* NHWC: dims are still N, C, H, W; memory is N, H, W, C */
  int32_t ndim;
  int64_t dims[EDGEQ_MAX_DIMS];
  size_t bytes;                /* size of the buffer the model reads or writes */
  int32_t has_quant;           /* 1: real = scale * (q - zero_point) */
  float scale;
  int32_t zero_point;
  const char* removed_ops;     /* ops cut at the head/tail, comma-separated, or "" */
} edgeq_tensor_desc;

typedef struct edgeq_buffer {
  void* data;
  size_t bytes;
} edgeq_buffer;

typedef struct edgeq_load_options {
  int32_t num_cores; /* accelerator cores to create; 0: EDGEQ_CORES or the online CPUs */
} edgeq_load_options;

typedef struct edgeq_run_options {
  int32_t core_id;   /* 0: any idle core; k in 1..num_cores: that core */
  int32_t priority;  /* reserved, 0 */
} edgeq_run_options;
#define EDGEQ_RUN_OPTIONS_INIT {0, 0}

typedef struct edgeq_model edgeq_model;
typedef struct edgeq_task edgeq_task;

const char* edgeq_last_error(void);
const char* edgeq_version(void);

/* Loading validates the whole file (see docs/format.md) and prepares every core. */
edgeq_status edgeq_model_load(const char* path, const edgeq_load_options* options, edgeq_model** model);
edgeq_status edgeq_model_load_from_memory(const void* data, size_t bytes,
                                          const edgeq_load_options* options, edgeq_model** model);
void edgeq_model_release(edgeq_model* model);

int32_t edgeq_model_num_inputs(const edgeq_model* model);
int32_t edgeq_model_num_outputs(const edgeq_model* model);
int32_t edgeq_model_num_cores(const edgeq_model* model);
edgeq_status edgeq_model_input_desc(const edgeq_model* model, int32_t index, edgeq_tensor_desc* desc);
edgeq_status edgeq_model_output_desc(const edgeq_model* model, int32_t index, edgeq_tensor_desc* desc);
/* A JSON object: name, march, isa, host_isa, options, toolchain, cores (CPUs of each),
 * inputs, outputs, segments (placement, op counts), arena_bytes, load_time_ms, metadata,
 * kernels (one line per op). Valid while the model lives. */
const char* edgeq_model_info_json(const edgeq_model* model);

/* Synchronous run of one frame. inputs/outputs are in model order, sizes must match. */
edgeq_status edgeq_run(edgeq_model* model, const edgeq_buffer* inputs, int32_t num_inputs,
                       edgeq_buffer* outputs, int32_t num_outputs, const edgeq_run_options* options);

/* Asynchronous run: the buffers must stay valid until edgeq_task_wait returns. */
edgeq_status edgeq_run_async(edgeq_model* model, const edgeq_buffer* inputs, int32_t num_inputs,
                             edgeq_buffer* outputs, int32_t num_outputs,
                             const edgeq_run_options* options, edgeq_task** task);
/* timeout_ms < 0 waits forever. Returns the frame's status. */
edgeq_status edgeq_task_wait(edgeq_task* task, int32_t timeout_ms);
void edgeq_task_release(edgeq_task* task);

/* Copies one tensor between the logical order of its dims (N, C, H, W: what frameworks and
 * .npy files hold) and the memory order `desc` gives (N, H, W, C for EDGEQ_LAYOUT_NHWC; a
 * plain copy otherwise). to_model = 1: logical → the model's order (before edgeq_run);
 * to_model = 0: the model's order → logical (after it). src and dst hold desc->bytes each
 * and must not overlap. Values are not converted: quantize first, dequantize after. */
edgeq_status edgeq_convert_layout(const edgeq_tensor_desc* desc, const void* src, void* dst, int32_t to_model);

/* Per-op timing, off by default; turning it on starts a new measurement (counts from 0).
 * The JSON has "frames" and per-segment and per-op count/avg/min/max/total ms over the
 * frames run while it was on. The string stays valid until the calling thread's next
 * edgeq_model_profile_json call. */
edgeq_status edgeq_model_set_profiling(edgeq_model* model, int32_t enabled);
const char* edgeq_model_profile_json(edgeq_model* model);

#ifdef __cplusplus
}
#endif

#endif /* EDGEQ_RUNTIME_H_ */
