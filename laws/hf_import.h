//===- laws/hf_import.h - Import Hugging Face config.json files --*- C++ -*-===//
/// \file
/// Turns a Hugging Face `config.json` into a `MoeArch`, honouring every detail that changes the
/// parameter or FLOP counts, with the semantics of the model's reference implementation
/// (Hugging Face transformers or the model's own modeling file):
///  - MLA ranks and decoupled RoPE dims (deepseek_v2, deepseek_v3, kimi_k2);
///  - which layers are MoE: first_k_dense_replace + moe_layer_freq (DeepSeek, GLM),
///    decoder_sparse_step + mlp_only_layers (Qwen), interleave_moe_layer_step / moe_layers
///    (Llama-4);
///  - shared experts and the Qwen2-MoE shared-expert gate; QKV, output, expert and router biases;
///    QK-norm; tied embeddings; multi-token-prediction layers (num_nextn_predict_layers);
///    attention sinks (gpt-oss); sliding-window and chunked attention layers (FLOPs only).
/// Supported: see `SupportedHfModelTypes()`. An unsupported model_type is an error that lists them.
///
/// Fields a config may omit take the default of the family's reference configuration class; each
/// such default that affects a count is recorded in `ImportedModel::notes`, so that reports can
/// show what was assumed. The training sequence length is not part of a config.json: it is taken
/// from the caller (`options.seq_len`), 4096 by default.
//===----------------------------------------------------------------------===//
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "laws/arch.h"
#include "laws/support/result.h"

namespace moeplan::laws {

struct HfImportOptions {
  int64_t seq_len = 4096;  ///< training sequence length to record in the MoeArch
};

struct ImportedModel {
  MoeArch arch;
  std::string model_type;          ///< the family it was read as
  std::vector<std::string> notes;  ///< count-affecting defaults that were assumed
};

/// Imports a parsed config.json; `source` (usually the file name) prefixes every error.
[[nodiscard]] Result<ImportedModel> ImportHfConfig(const nlohmann::json& config,
                                                   std::string_view source,
                                                   const HfImportOptions& options = {});

/// Reads and imports a config.json file.
[[nodiscard]] Result<ImportedModel> ImportHfConfigFile(const std::filesystem::path& file,
                                                       const HfImportOptions& options = {});

/// The model_type values the importer understands (sorted), e.g. "deepseek_v3", "mixtral".
const std::vector<std::string>& SupportedHfModelTypes();

}  // namespace moeplan::laws
