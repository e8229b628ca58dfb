// Shared by the edgeq_model_exec subcommands: loading with one-sentence errors.
#pragma once

#include <iostream>
#include <optional>
#include <string>

#include "edgeq/runtime.hpp"
#include "tools/edgeq_model_exec/commands.h"

namespace edgeq::model_exec {

// Prints "edgeq_model_exec <cmd>: error: <sentence>" (and a JSON error with --json);
// returns `code`.
int fail(const std::string& command, const std::string& message, bool json, int code = kExitBadInput);

// Loads --model_file; checks --model_name when given. nullopt after printing the error.
std::optional<api::Model> load_model(const std::string& command, const std::string& path,
                                     const std::string& model_name, bool json);

}  // namespace edgeq::model_exec
