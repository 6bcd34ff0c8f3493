//===- profiler/core/atomic_output.cc - All-or-nothing output files -------===//
#include "profiler/core/atomic_output.h"

#include <unistd.h>

#include <fstream>
#include <system_error>

namespace moeplan::profiler {

std::filesystem::path StagingPath(const std::filesystem::path& path) {
  std::filesystem::path staging = path;
  staging += ".tmp." + std::to_string(static_cast<long>(::getpid()));
  return staging;
}

Status WriteTextAtomically(const std::filesystem::path& path, std::string_view content) {
  namespace fs = std::filesystem;
  const fs::path staging = StagingPath(path);
  {
    std::ofstream out(staging, std::ios::binary | std::ios::trunc);
    if (!out) return Error{path.string() + ": cannot open for writing"};
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      out.close();
      std::error_code ignored;
      fs::remove(staging, ignored);
      return Error{path.string() + ": write failed (disk full?)"};
    }
  }
  std::error_code error;
  fs::rename(staging, path, error);
  if (error) {
    std::error_code ignored;
    fs::remove(staging, ignored);
    return Error{path.string() + ": cannot replace file: " + error.message()};
  }
  return Status::Ok();
}

}  // namespace moeplan::profiler
