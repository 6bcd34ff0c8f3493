//===- sim/framework_option_table.h - The framework switches, listed once -*- C++ -*-===//
/// \file
/// Every framework switch of SimOptions (sim/sim_options.h) that users set, listed once with
/// its JSON key, its command-line flag and its help. Each front end reads this table instead
/// of naming the fields itself:
///  - cli/framework_options.cc registers the flags of `sim`, `plan` and `sweep`;
///  - FrameworkOptionsFromJson reads a published run's `sim_options` (sim/validate.cc);
///  - FrameworkOptionsToJson writes `sim --json`'s "options" and the sweep's resume
///    fingerprint.
/// A new switch is one SimOptions field plus one row in kFrameworkOptions (framework_option_
/// table.cc); nothing else has to learn about it.
///
/// The JSON key is the SimOptions field's name and carries the field's own sense
/// ("flash_attention": false), while a flag may turn a default-on field off
/// (--unfused-attention). Fields that describe the model's constants rather than a framework
/// choice (framework_reserve_bytes, nccl_bytes_per_group, fragmentation, ddp_bucket_params) and
/// the expert load, which has its own flags, are not in the table.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "laws/support/result.h"
#include "sim/sim_options.h"

namespace moeplan::sim {

/// One switch of SimOptions as users spell it.
struct FrameworkOption {
  enum class Type : uint8_t {
    kFlag,     ///< bool field; JSON true/false
    kInteger,  ///< int64_t field in [min, max]
    kNumber,   ///< double field in [min, max]
    kName,     ///< enum (or optional enum) field spelled by one of `names`
    kNameSet,  ///< bit-set field, bit i spelled names[i]; JSON an array of names, CLI "a+b"
  };
  std::string_view key;   ///< SimOptions field and JSON key
  std::string_view flag;  ///< command-line flag, "--..."
  std::string_view help;  ///< one line for --help
  Type type = Type::kFlag;

  /// kFlag: the field, and whether the flag clears it (--unfused-attention: flash_attention).
  bool SimOptions::*flag_field = nullptr;
  bool flag_clears = false;
  /// kInteger / kNumber: the field and the range accepted.
  int64_t SimOptions::*integer_field = nullptr;
  double SimOptions::*number_field = nullptr;
  double min = 0.0;
  double max = 0.0;
  /// kName: the names accepted and the field read and written through them; set_name returns
  /// false for a name not in `names`.
  std::span<const std::string_view> names = {};
  std::string_view (*get_name)(const SimOptions&) = nullptr;
  bool (*set_name)(SimOptions&, std::string_view) = nullptr;
  /// kNameSet: the bit-set field; `names` spells its bits in order.
  uint8_t SimOptions::*set_field = nullptr;
};

/// The table, in the order --help lists the flags.
std::span<const FrameworkOption> FrameworkOptions();

/// A kNameSet entry's names "a+b" (joined by '+' or ','; "none" or "" is the empty set) as
/// bits of `option.names`; the error names the first unknown name and the choices.
[[nodiscard]] Result<uint8_t> ParseNameSet(const FrameworkOption& option, std::string_view text);
/// The entry whose key is `key`; nullptr for none.
const FrameworkOption* FindFrameworkOption(std::string_view key);

/// Two options that cannot hold together, by key, and why (the first key's value).
struct OptionContradiction {
  std::string_view key;
  std::string_view other_key;
  std::string why;  ///< e.g. "\"torch-loss-parallel\" runs on vocabulary-sharded logits"
  std::string fix;  ///< what to choose instead, e.g. "use torch-fp32 or torch-bf16"
};
/// The first contradiction among `options`; nullopt when they are consistent. Today two: the
/// torch-loss-parallel loss with replicated (not vocab-parallel) logits, and whole-layer CUDA
/// graphs together with a graph scope.
std::optional<OptionContradiction> FindContradiction(const SimOptions& options);

/// Every table entry's value in `options`, by key, in table order.
nlohmann::ordered_json FrameworkOptionsToJson(const SimOptions& options);

/// Reads `object` (a JSON object of table keys; absent or null keeps the default) into
/// SimOptions. Errors name `file`, `path`.key and what was expected: an unknown key, a value of
/// the wrong type or out of range, an unknown name, or a contradiction.
[[nodiscard]] Result<SimOptions> FrameworkOptionsFromJson(const nlohmann::json& object,
                                                          std::string_view file,
                                                          const std::string& path);

}  // namespace moeplan::sim
