//===- hwmodel/internal/efficiency_json.h - "efficiency" object -*- C++ -*-===//
/// \file
/// Reads and writes the "efficiency" object of a hardware file (hwmodel/efficiency.h). Every
/// field is optional on reading and keeps its in-class default when absent; the writer spells
/// out every field, so a written file reads back equal. Unknown fields are errors.
//===----------------------------------------------------------------------===//
#pragma once

#include <nlohmann/json.hpp>

#include "hwmodel/efficiency.h"
#include "laws/support/json_reader.h"

namespace moeplan::hw::internal {

/// Throws InputError (with source and JSON path) on unknown fields and out-of-range values.
EfficiencyParams ReadEfficiency(const JsonObject& object);

nlohmann::ordered_json EfficiencyToJson(const EfficiencyParams& efficiency);

}  // namespace moeplan::hw::internal
