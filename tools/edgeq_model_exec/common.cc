#include "tools/edgeq_model_exec/common.h"

#include <nlohmann/json.hpp>

namespace edgeq::model_exec {

int fail(const std::string& command, const std::string& message, bool json, int code) {
  std::cerr << "edgeq_model_exec " << command << ": error: " << message << "\n";
  if (json) std::cout << nlohmann::json{{"error", message}}.dump(2) << "\n";
  return code;
}

std::optional<api::Model> load_model(const std::string& command, const std::string& path,
                                     const std::string& model_name, bool json) {
  auto m = api::Model::load(path);
  if (!m) {
    fail(command, m.error().message, json);
    return std::nullopt;
  }
  if (!model_name.empty()) {
    auto info = nlohmann::json::parse(m->info_json(), nullptr, false);
    std::string name = info.is_object() ? info.value("name", "") : "";
    if (name != model_name) {
      fail(command, "'" + path + "' holds model '" + name + "', not '" + model_name + "'.", json);
      return std::nullopt;
    }
  }
  return std::move(m.value());
}

}  // namespace edgeq::model_exec
