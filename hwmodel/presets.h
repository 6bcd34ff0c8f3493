//===- hwmodel/presets.h - Built-in hardware from spec sheets ---*- C++ -*-===//
/// \file
/// Hardware presets with the vendors' published figures, so that `--fleet 1024xH100` works
/// without a file. Each preset in presets.cc cites its spec sheet; every peak is the dense
/// figure (sparse / 2 where the vendor prints only the 2:4-sparse number, marked "derived").
/// Efficiencies are the uncalibrated defaults of hwmodel/efficiency.h.
///
/// Names are matched case-insensitively, '_' and '-' alike, against the canonical name and its
/// aliases: "H100", "h100-sxm", "H100_SXM5" all find the H100 SXM preset.
//===----------------------------------------------------------------------===//
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hwmodel/hardware.h"

namespace moeplan::hw {

struct HardwarePreset {
  std::string name;                  ///< canonical, e.g. "h100-sxm" (== hardware.name)
  std::vector<std::string> aliases;  ///< further accepted names, lowercase, e.g. "h100"
  Hardware hardware;
};

/// All presets in a fixed order (oldest first).
const std::vector<HardwarePreset>& HardwarePresets();

/// The preset whose name or alias matches `name`, or nullptr.
const HardwarePreset* FindHardwarePreset(std::string_view name);

/// "a100-sxm-80gb (a100), h100-sxm (h100), ..." for error messages.
std::string HardwarePresetList();

}  // namespace moeplan::hw
