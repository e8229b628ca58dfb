// An output folder written all at once. Files go to a fresh temporary sibling folder; on
// commit() the old folder (if any) is renamed aside, the new one renamed into place and
// the old one removed. A run that fails (or never commits) removes the temporary folder,
// so the final path only ever holds a complete earlier result or a complete new one.
//
//   EDGEQ_ASSIGN_OR_RETURN(auto folder, converter::StagedFolder::create("model_output"));
//   write files into folder.staging() ...
//   EDGEQ_RETURN_IF_ERROR(folder.commit());
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "base/status.h"

namespace edgeq::converter {

class StagedFolder {
 public:
  // Fails with a sentence when the parent folder cannot be created or written, or when
  // `final_path` exists and is not a folder.
  static StatusOr<std::unique_ptr<StagedFolder>> create(const std::string& final_path);
  ~StagedFolder();  // removes the staging folder unless committed
  StagedFolder(const StagedFolder&) = delete;
  StagedFolder& operator=(const StagedFolder&) = delete;

  const std::filesystem::path& staging() const { return staging_; }
  const std::filesystem::path& final_path() const { return final_; }
  std::string file(const std::string& name) const { return (staging_ / name).string(); }

  Status commit();

 private:
  StagedFolder() = default;
  std::filesystem::path final_;
  std::filesystem::path staging_;
  bool committed_ = false;
};

}  // namespace edgeq::converter
