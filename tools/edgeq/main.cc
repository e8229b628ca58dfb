#include <CLI/CLI.hpp>
#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"edgeq: post-training quantization and performance evaluation toolchain"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
