//===- cli/cli_support.cc - Shared plumbing of the moeplan commands -------===//
#include "cli/cli_support.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

#include "laws/support/atomic_file.h"

namespace moeplan::cli {

int Fail(const Error& error) {
  return Fail(error.message);
}

int Fail(std::string_view message) {
  std::cerr << "moeplan: error: " << message << "\n";
  return kExitBadInput;
}

int WriteOutput(const std::filesystem::path& path, std::string_view content) {
  if (path == "-") {
    std::cout << content;
    std::cout.flush();
    return std::cout ? 0 : Fail("cannot write to standard output");
  }
  if (Status status = WriteFileAtomically(path, content); !status.ok()) return Fail(status.error());
  return 0;
}

std::string WithThousands(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string Human(double value) {
  static constexpr std::pair<double, const char*> kUnits[] = {
      {1e15, "P"}, {1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}};
  const double magnitude = std::fabs(value);
  for (const auto& [scale, suffix] : kUnits) {
    if (magnitude >= scale) return fmt::format("{:.2f}{}", value / scale, suffix);
  }
  return fmt::format("{:.0f}", value);
}

}  // namespace moeplan::cli
