//===- laws/internal/hf_reader.h - Helpers for config.json import -*- C++ -*-===//
/// \file
/// Private to laws/: typed access to a Hugging Face config object that records, as a note, every
/// count-affecting default it falls back on, and the readers shared by several families.
//===----------------------------------------------------------------------===//
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "laws/arch.h"
#include "laws/support/json_reader.h"

namespace moeplan::laws::internal {

inline constexpr int64_t kMaxHfDim = int64_t{1} << 40;

class HfReader {
 public:
  HfReader(const JsonObject& object, std::string family, std::vector<std::string>* notes)
      : object_(object), family_(std::move(family)), notes_(notes) {}

  const JsonObject& object() const { return object_; }
  const std::string& family() const { return family_; }

  int64_t Int(std::string_view key, int64_t min = 1, int64_t max = kMaxHfDim) const {
    return object_.Int(key, min, max);
  }
  /// The value at `key`, or `fallback` (noted) when absent or null.
  int64_t IntOr(std::string_view key, int64_t fallback, int64_t min = 1,
                int64_t max = kMaxHfDim) const;
  /// The boolean at `key`, or `fallback` (noted) when absent.
  bool BoolOr(std::string_view key, bool fallback) const;
  void Note(std::string note) const { notes_->push_back(std::move(note)); }

 private:
  JsonObject object_;
  std::string family_;
  std::vector<std::string>* notes_;
};

/// vocab_size, hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads
/// (default: num_attention_heads), head_dim (default: `default_head_dim`, or hidden/heads when
/// that is 0), v_head_dim = head_dim, tie_word_embeddings (default `default_tied`).
void ReadCommonDims(const HfReader& reader, MoeArch& arch, int64_t default_head_dim,
                    bool default_tied);

/// `layer_types` ("full_attention", "sliding_attention", "chunked_attention"), one per layer,
/// when present. Returns false when absent.
bool ReadLayerTypes(const HfReader& reader, MoeArch& arch);

/// Marks every layer listed in `list_key` (an array of indices) dense, e.g. Qwen mlp_only_layers.
void ReadDenseLayerList(const HfReader& reader, std::string_view list_key, MoeArch& arch);

/// Sets the MoE placement from an explicit list of MoE layer indices (Llama-4 moe_layers).
void SetMoeLayersExplicitly(const HfReader& reader, std::string_view list_key, MoeArch& arch);

}  // namespace moeplan::laws::internal
