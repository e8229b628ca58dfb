// edgeq_model_exec: the board-side tool. Runs a compiled model (`.bin`) on this machine:
//
//   edgeq_model_exec perf --model_file model.bin --core_id 1 --thread_num 1 --frame_count 1000
//   edgeq_model_exec perf --model_file model.bin --core_id 0 --thread_num 8 --frame_count 1000
//   edgeq_model_exec infer --model_file model.bin --input_file img.npy --dump_path out
//   edgeq_model_exec model_info --model_file model.bin
//
// It links only the runtime (no libonnx, protobuf or yaml-cpp); see `--help` per command.
#include <CLI/CLI.hpp>
#include <iostream>

#include "tools/edgeq_model_exec/commands.h"

namespace em = edgeq::model_exec;

int main(int argc, char** argv) {
  CLI::App app{"edgeq_model_exec: run a compiled edgeq model (.bin) and measure it"};
  app.require_subcommand(1);

  em::PerfFlags perf;
  CLI::App* p = app.add_subcommand("perf", "Measure latency and frame rate");
  p->add_option("--model_file", perf.model_file, "Compiled model (.bin)")->required();
  p->add_option("--model_name", perf.model_name, "Model name inside the file (checked when given)");
  p->add_option("--core_id", perf.core_id, "0: any idle core; k: core k (1-based)")->capture_default_str();
  p->add_option("--thread_num", perf.thread_num, "Threads submitting frames")->capture_default_str();
  p->add_option("--frame_count", perf.frame_count, "Frames in total over all threads")->capture_default_str();
  p->add_option("--perf_time", perf.perf_time_min, "Run for this many minutes instead of --frame_count frames");
  p->add_option("--input_file", perf.input_files, "Inputs (.npy or raw .bin), comma-separated; default random")
      ->delimiter(',');
  p->add_option("--profile_path", perf.profile_path, "Folder for profiler.json (per-segment and per-op times)");
  p->add_flag("--json", perf.json, "Print the result as JSON on stdout");

  em::InferFlags infer;
  CLI::App* i = app.add_subcommand("infer", "Run one frame on real inputs and write the outputs");
  i->add_option("--model_file", infer.model_file, "Compiled model (.bin)")->required();
  i->add_option("--model_name", infer.model_name, "Model name inside the file (checked when given)");
  i->add_option("--input_file", infer.input_files, "Inputs (.npy or raw .bin), comma-separated, in model order")
      ->required()
      ->delimiter(',');
  i->add_option("--core_id", infer.core_id, "0: any idle core; k: core k")->capture_default_str();
  i->add_flag("--enable_dump", infer.enable_dump, "Also write the outputs as --dump_format files");
  i->add_option("--dump_format", infer.dump_format, "bin (raw bytes) or txt (one value per line)")->capture_default_str();
  i->add_option("--dump_path", infer.dump_path, "Folder for the outputs (default: the current folder)");
  i->add_flag("--json", infer.json, "Print the summary as JSON on stdout");

  em::ModelInfoFlags info;
  CLI::App* m = app.add_subcommand("model_info", "Describe a compiled model");
  m->add_option("--model_file", info.model_file, "Compiled model (.bin)")->required();
  m->add_option("--model_name", info.model_name, "Model name inside the file (checked when given)");
  m->add_flag("-v,--verbose", info.verbose, "Also list the kernel of every op");
  m->add_flag("--json", info.json, "Print the description as JSON on stdout");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return em::kExitBadInput;
  }
  if (p->parsed()) return em::run_perf(perf);
  if (i->parsed()) return em::run_infer(infer);
  return em::run_model_info(info);
}
