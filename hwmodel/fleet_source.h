//===- hwmodel/fleet_source.h - Fleets from shorthand or files --*- C++ -*-===//
/// \file
/// One entry point for every command that takes hardware or a fleet, so that a shorthand works
/// everywhere a file does:
///
///   "1024xH100"              1024 GPUs of the H100 SXM preset (any preset name or alias,
///                            case-insensitive; 'x' or 'X'; spaces around it allowed)
///   "64xcalibrated.json"     64 GPUs of the hardware in that file (its own "fleet" ignored)
///   "fleet.json"             a hardware file with a "fleet" object
///
/// Hardware alone is a preset name or a hardware file. Fleets follow the sizing rule of
/// hwmodel/hardware.h: part of one node, or whole nodes ("1001xH100" is an error that names
/// 1000 and 1008 as the nearest whole-node fleets).
//===----------------------------------------------------------------------===//
#pragma once

#include <string_view>

#include "hwmodel/hardware.h"
#include "laws/support/result.h"

namespace moeplan::hw {

/// "<count>x<preset>" only (no files). Errors quote the text, e.g.
///   "fleet '64xH900': unknown hardware preset 'H900' (presets: a100-sxm-80gb (a100), ...)"
[[nodiscard]] Result<Fleet> ParseFleetShorthand(std::string_view text);

/// A preset name/alias or the path of a hardware file.
[[nodiscard]] Result<Hardware> LoadHardware(std::string_view spec);

/// A shorthand ("<count>x<preset or hardware file>") or the path of a fleet file.
[[nodiscard]] Result<Fleet> LoadFleet(std::string_view spec);

}  // namespace moeplan::hw
