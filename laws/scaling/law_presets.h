//===- laws/scaling/law_presets.h - Published scaling-law fits --*- C++ -*-===//
/// \file
/// The published fits that moeplan ships, so that it answers on day one:
///  - hoffmann2022       Chinchilla L(N, D) of Hoffmann et al. 2022 (arXiv:2203.15556, Sec. 3.3)
///  - epoch2024          the Epoch replication of Besiroglu et al. 2024 (arXiv:2404.10102)
///  - deepseek-llm-2024  M_opt, D_opt, eta_opt, B_opt of DeepSeek LLM (arXiv:2401.02954)
///  - ling2025           M_opt, D_opt of Tian et al. 2025 (Ling, arXiv:2507.17702), M forward-only
///  - wan2026            the holistic M_opt, D_opt of Wan et al. 2026 (arXiv:2603.21862)
///  - ludziejewski2025   joint MoE loss law L(N_act, D, Ê) of Ludziejewski et al. 2025
///                       (arXiv:2502.05172, App. B Table 3); N_act includes embeddings
/// Each preset states its conventions and, where a published value is uncertain (rounded,
/// unit unstated, not reproducible), says so in its provenance and coefficient notes. Clark et
/// al. 2022 ships no preset: its fitted coefficients could not be retrieved from its text.
/// tests/laws/scaling/law_presets_test.cc checks the papers' worked numbers.
//===----------------------------------------------------------------------===//
#pragma once

#include <string_view>
#include <vector>

#include "laws/scaling/law.h"

namespace moeplan::scaling {

/// All law presets, in a fixed order.
const std::vector<LawFile>& LawPresets();

/// The preset named `name`, or nullptr.
const LawFile* FindLawPreset(std::string_view name);

/// A preset name or a law file path.
[[nodiscard]] Result<LawFile> LoadLaw(std::string_view preset_or_path);

}  // namespace moeplan::scaling
