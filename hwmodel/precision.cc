//===- hwmodel/precision.cc - Tensor-core precisions ----------------------===//
#include "hwmodel/precision.h"

#include <fmt/format.h>

#include <cctype>
#include <string>

namespace moeplan::hw {

const char* ToString(Precision precision) {
  switch (precision) {
    case Precision::kBf16:
      return "bf16";
    case Precision::kFp8:
      return "fp8";
    case Precision::kTf32:
      return "tf32";
  }
  return "bf16";
}

Result<Precision> ParsePrecision(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (Precision precision : kAllPrecisions) {
    if (lower == ToString(precision)) return precision;
  }
  return Error{fmt::format("unknown precision '{}' (expected bf16, fp8 or tf32)", text)};
}

}  // namespace moeplan::hw
