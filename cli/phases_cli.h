//===- cli/phases_cli.h - Options shared by design and recommend -*- C++ -*-===//
/// \file
/// The fixed dimensions of planned models (laws/phases/arch_template.h) and the allocation
/// sources and overrides (laws/phases/allocation.h), as command-line options that `moeplan
/// design` and `moeplan recommend` share. Parsing only; the libraries own the meaning.
//===----------------------------------------------------------------------===//
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "laws/phases/allocation.h"
#include "laws/phases/arch_template.h"

namespace moeplan::cli {

struct TemplateArgs {
  std::string model;  ///< --template: a preset, moeplan-arch file or config.json
  std::string attention, qk_norm;
  std::optional<int64_t> head_dim, kv_group, vocab, seq_len, first_dense, align, d_align;
  std::string top_k, top_k_fallback, num_experts, shared_experts, num_layers;
  std::optional<double> tolerance;
  bool correction_bias = false;
};

struct AllocationArgs {
  std::string laws, hyper_laws = "deepseek-llm-2024";
  std::optional<double> na_over_m, n_over_na, hidden_size, aspect_ratio, ffn_ratio;
};

void AddTemplateOptions(CLI::App* cmd, TemplateArgs& args);
void AddAllocationOptions(CLI::App* cmd, AllocationArgs& args);

/// The template: --template's fixed dimensions (or the defaults), then each explicit option.
[[nodiscard]] Result<phases::ArchTemplate> MakeTemplate(const TemplateArgs& args);
[[nodiscard]] Result<phases::AllocationOptions> MakeAllocation(const AllocationArgs& args);

/// "8" -> {8, 8}; "4-16" -> {4, 16}; errors name the option.
[[nodiscard]] Result<phases::IntRange> ParseIntRange(const std::string& text, const char* option);

}  // namespace moeplan::cli
