#include "converter/output_folder.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace edgeq::converter {

namespace fs = std::filesystem;

namespace {

// A unique sibling name "<dir>/.<name>.<tag>-XXXXXX" made with mkdtemp (tag: tmp, old).
StatusOr<fs::path> make_sibling(const fs::path& final_path, const char* tag) {
  fs::path parent = final_path.parent_path();
  std::string tmpl = (parent / ("." + final_path.filename().string() + "." + tag + "-XXXXXX")).string();
  if (!mkdtemp(tmpl.data()))
    return io_error("cannot write into the output folder's parent " + parent.string() + ": " + std::strerror(errno));
  return fs::path(tmpl);
}

}  // namespace

StatusOr<std::unique_ptr<StagedFolder>> StagedFolder::create(const std::string& final_path) {
  if (final_path.empty()) return invalid_argument("the output folder name is empty");
  std::error_code ec;
  fs::path final_abs = fs::absolute(fs::path(final_path), ec).lexically_normal();
  if (ec) return io_error("cannot resolve the output folder " + final_path + ": " + ec.message());
  if (!final_abs.has_filename()) final_abs = final_abs.parent_path();  // trailing '/'
  if (fs::exists(final_abs, ec) && !fs::is_directory(final_abs, ec))
    return invalid_argument("the output folder " + final_path + " exists and is not a folder");
  fs::path parent = final_abs.parent_path();
  fs::create_directories(parent, ec);
  if (ec) return io_error("cannot create the output folder " + final_path + ": " + ec.message());
  auto folder = std::unique_ptr<StagedFolder>(new StagedFolder());
  folder->final_ = final_abs;
  EDGEQ_ASSIGN_OR_RETURN(folder->staging_, make_sibling(final_abs, "tmp"));
  // mkdtemp makes the folder private (0700); the result should look like any new folder.
  mode_t mask = umask(0);
  umask(mask);
  fs::permissions(folder->staging_, static_cast<fs::perms>(0777 & ~mask), ec);
  return folder;
}

StagedFolder::~StagedFolder() {
  if (committed_ || staging_.empty()) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

Status StagedFolder::commit() {
  std::error_code ec;
  fs::path backup;
  if (fs::exists(final_, ec)) {
    // Rename aside rather than delete first: if the swap fails the old result comes back.
    EDGEQ_ASSIGN_OR_RETURN(backup, make_sibling(final_, "old"));
    fs::remove(backup, ec);  // rename() wants the target absent (or an empty dir)
    fs::rename(final_, backup, ec);
    if (ec) return io_error("cannot replace the output folder " + final_.string() + ": " + ec.message());
  }
  fs::rename(staging_, final_, ec);
  if (ec) {
    std::error_code ignore;
    if (!backup.empty()) fs::rename(backup, final_, ignore);
    return io_error("cannot move the new output into " + final_.string() + ": " + ec.message());
  }
  committed_ = true;
  if (!backup.empty()) fs::remove_all(backup, ec);
  return {};
}

}  // namespace edgeq::converter
