//===- laws/support/atomic_file.cc - All-or-nothing file output -----------===//
#include "laws/support/atomic_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <system_error>

namespace moeplan {

Status WriteFileAtomically(const std::filesystem::path& path,
                           const std::function<Status(std::ostream&)>& write) {
  namespace fs = std::filesystem;
  // Same directory as the target so that the final rename never crosses file systems.
  fs::path temp = path;
  temp += fmt::format(".tmp.{}", static_cast<long>(::getpid()));
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return Error{fmt::format("{}: cannot open for writing", path.string())};
    Status status = write(out);
    out.flush();
    if (!status.ok() || !out) {
      out.close();
      std::error_code ignored;
      fs::remove(temp, ignored);
      if (!status.ok()) return status;
      return Error{fmt::format("{}: write failed (disk full?)", path.string())};
    }
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    return Error{fmt::format("{}: cannot replace file: {}", path.string(), ec.message())};
  }
  return Status::Ok();
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content) {
  return WriteFileAtomically(path, [content](std::ostream& out) {
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    return Status::Ok();
  });
}

}  // namespace moeplan
