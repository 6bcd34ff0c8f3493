//===- hwmodel/internal/json_fields.h - Checked numeric fields --*- C++ -*-===//
/// \file
/// Reads one floating-point field of a hardware file with the range it must lie in, so that a
/// negative bandwidth or an efficiency of 1.5 is reported with its file and JSON path:
///   "h.json: field 'scale_out.bandwidth': expected a positive number, got -5"
/// Private to hwmodel/. Throws InputError like the JsonObject accessors it builds on.
//===----------------------------------------------------------------------===//
#pragma once

#include <string_view>

#include "laws/support/json_reader.h"

namespace moeplan::hw::internal {

enum class NumberRange : unsigned char {
  kPositive,      ///< finite and > 0 (bandwidths, peaks)
  kNonNegative,   ///< finite and >= 0 (latencies, overheads, ramp midpoints)
  kFraction,      ///< in (0, 1] (efficiencies)
  kUnitInterval,  ///< in [0, 1] (shares that may be zero)
};

/// The number at `key`; missing, non-numeric or out-of-range values throw InputError.
double ReadNumber(const JsonObject& object, std::string_view key, NumberRange range);

/// Same, or `fallback` when `key` is absent or null.
double ReadNumberOr(const JsonObject& object, std::string_view key, NumberRange range,
                    double fallback);

}  // namespace moeplan::hw::internal
