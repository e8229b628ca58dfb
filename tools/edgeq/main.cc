// edgeq: the converter-side command line. Each subcommand parses its flags and calls a
// library; see `edgeq --help`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "checker/checker.h"
#include "onnx/onnx_io.h"
#include "tools/edgeq/makertbin_command.h"
#include "tools/edgeq/run_command.h"

namespace {

// Exit codes: 0 success, 1 the model cannot be converted, 2 bad input (file, flag).
constexpr int kExitNotConvertible = 1;
constexpr int kExitBadInput = 2;

int fail(const std::string& command, const edgeq::Status& s) {
  std::cerr << "edgeq " << command << ": error: " << s.message() << "\n";
  return kExitBadInput;
}

edgeq::StatusOr<std::map<std::string, edgeq::Dims>> parse_input_shapes(const std::vector<std::string>& flags) {
  std::map<std::string, edgeq::Dims> shapes;
  for (const auto& f : flags) {
    EDGEQ_ASSIGN_OR_RETURN(auto parsed, edgeq::onnx::parse_input_shape(f));
    shapes[parsed.first] = parsed.second;
  }
  return shapes;
}

struct CheckerFlags {
  std::string model, model_type = "onnx", march = "host";
  std::vector<std::string> input_shapes;
  bool json = false;
};

void add_checker(CLI::App& app, CheckerFlags& f) {
  CLI::App* c = app.add_subcommand("checker", "Check that a model can be converted: per-node table and totals");
  c->add_option("--model", f.model, "Float model file (ONNX)")->required();
  c->add_option("--model-type", f.model_type, "Model type: onnx")->capture_default_str();
  c->add_option("--march", f.march, "Target architecture: host")->capture_default_str();
  c->add_option("--input-shape", f.input_shapes, "Fix an input's shape, name:1x3x224x224 (repeat per input)");
  c->add_flag("--json", f.json, "Print the report as JSON on stdout");
}

int run_checker(const CheckerFlags& f) {
  auto shapes = parse_input_shapes(f.input_shapes);
  if (!shapes.ok()) return fail("checker", shapes.status());
  edgeq::checker::CheckOptions opts;
  opts.model_path = f.model;
  opts.model_type = f.model_type;
  opts.march = f.march;
  opts.input_shapes = *shapes;
  auto report = edgeq::checker::check_model(opts);
  if (!report.ok()) {
    if (f.json) std::cout << nlohmann::json{{"error", report.status().message()}}.dump(2) << "\n";
    return fail("checker", report.status());
  }
  if (f.json) std::cout << edgeq::checker::to_json(*report).dump(2) << "\n";
  else std::cout << edgeq::checker::to_table(*report);
  return report->convertible ? 0 : kExitNotConvertible;
}

void add_run(CLI::App& app, edgeq::tools::RunFlags& f) {
  CLI::App* c = app.add_subcommand("run", "Run a float model in edgeq's interpreter and print its outputs");
  c->add_option("--model", f.model, "Float model file (ONNX)")->required();
  c->add_option("--model-type", f.model_type, "Model type: onnx")->capture_default_str();
  c->add_option("--input-shape", f.input_shapes, "Fix an input's shape, name:1x3x224x224 (repeat per input)");
  c->add_option("--input", f.inputs, "Input data, name=file.npy (repeat per input; random if not given)");
  c->add_option("--output-dir", f.output_dir, "Write each output as <name>.npy into this folder");
  c->add_option("--top", f.top, "Print the k largest values of each output")->capture_default_str();
  c->add_option("--thread_num", f.threads, "Threads for the kernels (0 = all cores)")->capture_default_str();
  c->add_flag("--json", f.json, "Print the result as JSON on stdout");
  c->add_flag("--int8-sim", f.int8_sim,
              "QDQ model: run the node groups ONNX Runtime fuses with edgeq's int8 kernels");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgeq: post-training quantization and performance evaluation toolchain"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "edgeq 0.1.0");
  CheckerFlags checker;
  add_checker(app, checker);
  edgeq::tools::RunFlags run;
  add_run(app, run);
  edgeq::tools::MakertbinFlags makertbin;
  add_makertbin(app, makertbin);
  for (int i = 0; i < argc; ++i) makertbin.command_line += (i ? " " : "") + std::string(argv[i]);
  CLI11_PARSE(app, argc, argv);
  if (app.got_subcommand("checker")) return run_checker(checker);
  if (app.got_subcommand("run")) return edgeq::tools::run_model_command(run);
  if (app.got_subcommand("makertbin")) return edgeq::tools::run_makertbin_command(makertbin);
  return kExitBadInput;
}
