//===- sim/internal/enum_names.h - Enum value from its printed name -*- C++ -*-===//
/// \file
/// Private to sim/. The inverse of an enum's ToString over the values listed, so that each
/// enum's `...FromString` accepts exactly the names its ToString prints.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace moeplan::sim::internal {

/// The value among `values` whose ToString is `name`; nullopt when none is.
template <typename Enum, std::size_t N>
std::optional<Enum> EnumFromName(std::string_view name, const Enum (&values)[N]) {
  for (Enum value : values) {
    if (name == ToString(value)) return value;
  }
  return std::nullopt;
}

}  // namespace moeplan::sim::internal
