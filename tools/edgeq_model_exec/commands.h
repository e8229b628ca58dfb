// edgeq_model_exec subcommands. Each returns the process exit code: 0 success, 1 the
// model failed to run, 2 bad input (flag, file, model file); errors are one sentence on
// stderr (and {"error": ...} on stdout with --json).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgeq::model_exec {

inline constexpr int kExitRunFailed = 1;
inline constexpr int kExitBadInput = 2;

struct PerfFlags {
  std::string model_file, model_name;
  int core_id = 0;
  int thread_num = 1;
  int64_t frame_count = 200;
  double perf_time_min = 0;  // > 0: run for this many minutes instead of frame_count frames
  std::vector<std::string> input_files;
  std::string profile_path;
  bool json = false;
};
int run_perf(const PerfFlags& f);

struct InferFlags {
  std::string model_file, model_name;
  std::vector<std::string> input_files;
  int core_id = 0;
  bool enable_dump = false;
  std::string dump_format = "bin";
  std::string dump_path;
  bool json = false;
};
int run_infer(const InferFlags& f);

struct ModelInfoFlags {
  std::string model_file, model_name;
  bool verbose = false;
  bool json = false;
};
int run_model_info(const ModelInfoFlags& f);

}  // namespace edgeq::model_exec
