//===- laws/internal/hf_families.h - Per-family config.json readers -*- C++ -*-===//
/// \file
/// Private to laws/: one reader per Hugging Face model family. Each fills every field of `arch`
/// except `name` and `seq_len`, with the semantics of that family's reference implementation
/// (cited at each function), and throws InputError on bad input.
//===----------------------------------------------------------------------===//
#pragma once

#include "laws/arch.h"
#include "laws/internal/hf_reader.h"

namespace moeplan::laws::internal {

// Dense and MoE models of the Llama / Mistral / Qwen lineage and gpt-oss (hf_llama_family.cc).
void ImportLlama(const HfReader& reader, MoeArch& arch);
void ImportMistral(const HfReader& reader, MoeArch& arch);
void ImportMixtral(const HfReader& reader, MoeArch& arch);
void ImportQwen2(const HfReader& reader, MoeArch& arch);
void ImportQwen3(const HfReader& reader, MoeArch& arch);
void ImportQwen2Moe(const HfReader& reader, MoeArch& arch);
void ImportQwen3Moe(const HfReader& reader, MoeArch& arch);
void ImportGptOss(const HfReader& reader, MoeArch& arch);

// DeepSeek lineage: DeepSeekMoE, DeepSeek-V2/V3 (MLA), Kimi K2, GLM-4.5 (hf_deepseek_family.cc).
void ImportDeepseek(const HfReader& reader, MoeArch& arch);
void ImportDeepseekV2(const HfReader& reader, MoeArch& arch);
void ImportDeepseekV3(const HfReader& reader, MoeArch& arch);
void ImportGlm4Moe(const HfReader& reader, MoeArch& arch);

// Llama-4 text model, DBRX, Grok-1 (hf_other_families.cc).
void ImportLlama4(const HfReader& reader, MoeArch& arch);
void ImportDbrx(const HfReader& reader, MoeArch& arch);
void ImportGrok1(const HfReader& reader, MoeArch& arch);

/// Reads the dense FFN width from `key` when at least one decoder layer (or MTP block) is dense;
/// leaves it 0 otherwise (a width no layer uses would only mislead reports).
void ReadDenseFfnIfUsed(const HfReader& reader, std::string_view key, MoeArch& arch);

}  // namespace moeplan::laws::internal
