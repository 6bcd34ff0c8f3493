//===- sim/framework_option_table.cc - The framework switches, listed once -===//
#include "sim/framework_option_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>

namespace moeplan::sim {
namespace {

using nlohmann::json;
using Type = FrameworkOption::Type;

constexpr std::string_view kDispatcherNames[] = {"alltoall", "deepep", "hybridep"};
constexpr std::string_view kStateNames[] = {"mixed", "bf16", "fp32"};
// "auto" leaves SimOptions::loss unset: the framework that state_precision names.
// Megatron's --offload-modules names, in OffloadModule order (tests check against ToString).
constexpr std::string_view kOffloadNames[] = {"attn_norm", "qkv_linear", "core_attn", "attn_proj",
                                              "mlp_norm",  "expert_fc1", "moe_act"};
static_assert(std::size(kOffloadNames) == kNumOffloadModules);
// Megatron's --cuda-graph-scope names, in GraphScope order (tests check against ToString).
constexpr std::string_view kGraphScopeNames[] = {"attn", "mlp", "moe", "moe_router",
                                                 "moe_preprocess"};
static_assert(std::size(kGraphScopeNames) == kNumGraphScopes);
constexpr std::string_view kLossNames[] = {
    "auto", "megatron", "megatron-legacy", "te", "torch-fp32", "torch-loss-parallel", "torch-bf16"};

// Reads and writes an enum field through its ToString / FromString names.
template <typename Enum, Enum SimOptions::*Field>
std::string_view GetEnum(const SimOptions& o) {
  return ToString(o.*Field);
}
template <typename Enum, Enum SimOptions::*Field, std::optional<Enum> (*Parse)(std::string_view)>
bool SetEnum(SimOptions& o, std::string_view name) {
  std::optional<Enum> value = Parse(name);
  if (value) o.*Field = *value;
  return value.has_value();
}
std::string_view GetLoss(const SimOptions& o) {
  return o.loss ? ToString(*o.loss) : "auto";
}
bool SetLoss(SimOptions& o, std::string_view name) {
  if (name == "auto") {
    o.loss.reset();
    return true;
  }
  std::optional<LossImplementation> value = LossImplementationFromString(name);
  if (value) o.loss = *value;
  return value.has_value();
}

constexpr FrameworkOption Flag(std::string_view key, std::string_view flag, std::string_view help,
                               bool SimOptions::*field, bool clears = false) {
  return {.key = key,
          .flag = flag,
          .help = help,
          .type = Type::kFlag,
          .flag_field = field,
          .flag_clears = clears};
}

constexpr FrameworkOption Name(std::string_view key, std::string_view flag, std::string_view help,
                               std::span<const std::string_view> names,
                               std::string_view (*get)(const SimOptions&),
                               bool (*set)(SimOptions&, std::string_view)) {
  return {.key = key,
          .flag = flag,
          .help = help,
          .type = Type::kName,
          .names = names,
          .get_name = get,
          .set_name = set};
}

constexpr FrameworkOption NameSet(std::string_view key, std::string_view flag,
                                  std::string_view help, std::span<const std::string_view> names,
                                  uint8_t SimOptions::*field) {
  return {.key = key,
          .flag = flag,
          .help = help,
          .type = Type::kNameSet,
          .names = names,
          .set_field = field};
}

// The order is --help's. Help texts say what the switch models and which framework flag it is.
const std::array kFrameworkOptions = {
    FrameworkOption{.key = "capacity_factor",
                    .flag = "--capacity-factor",
                    .help = "Expert capacity factor (tokens beyond it are dropped); 0 = dropless",
                    .type = Type::kNumber,
                    .number_field = &SimOptions::capacity_factor,
                    .min = 0.0,
                    .max = 1000.0},
    Name("dispatcher", "--dispatcher",
         "MoE token dispatch: alltoall (Megatron's alltoall dispatcher), deepep or hybridep "
         "(flex dispatcher: one network crossing per destination node, NVLink forwarding)",
         kDispatcherNames, &GetEnum<Dispatcher, &SimOptions::dispatcher>,
         &SetEnum<Dispatcher, &SimOptions::dispatcher, &DispatcherFromString>),
    Flag("tp_comm_overlap", "--tp-comm-overlap",
         "Overlap TP communication with GEMMs (Megatron --tp-comm-overlap)",
         &SimOptions::tp_comm_overlap),
    Flag("moe_a2a_overlap", "--moe-a2a-overlap",
         "Hide EP all-to-alls behind compute (Megatron --overlap-moe-expert-parallel-comm)",
         &SimOptions::moe_a2a_overlap),
    Flag("shared_expert_overlap", "--shared-expert-overlap",
         "Run shared experts during the dispatch (Megatron --moe-shared-expert-overlap)",
         &SimOptions::shared_expert_overlap),
    Flag("overlap_grad_reduce", "--no-overlap-grad-reduce",
         "Reduce gradients after the backward instead of overlapping it (Megatron without "
         "--overlap-grad-reduce)",
         &SimOptions::overlap_grad_reduce, /*clears=*/true),
    Flag("overlap_param_gather", "--no-overlap-param-gather",
         "Gather parameters before the forward instead of overlapping it (Megatron without "
         "--overlap-param-gather)",
         &SimOptions::overlap_param_gather, /*clears=*/true),
    Flag("flash_attention", "--unfused-attention",
         "Attention without a fused kernel (full score matrices; Transformer Engine's fallback "
         "for attention sinks before cuDNN 9.18)",
         &SimOptions::flash_attention, /*clears=*/true),
    Flag("cuda_graphs", "--cuda-graphs",
         "Layers run as captured CUDA graphs (Megatron --cuda-graph-impl): no pass is bound by "
         "per-kernel host launch time",
         &SimOptions::cuda_graphs),
    NameSet("cuda_graph_scope", "--cuda-graph-scope",
            "Only these modules of each layer run as captured CUDA graphs (Megatron "
            "--cuda-graph-impl transformer_engine --cuda-graph-scope), joined by '+': attn, mlp, "
            "moe, moe_router, moe_preprocess; their kernels no longer pace the host",
            kGraphScopeNames, &SimOptions::cuda_graph_scope),
    Name("state_precision", "--states",
         "Storage of parameters, gradients and Adam moments: mixed (Megatron: BF16 weights, FP32 "
         "gradients, master weights and moments), bf16 (the module cast to BF16) or fp32 (FP32 "
         "states with BF16 compute, FSDP2's mixed precision)",
         kStateNames, &GetEnum<StatePrecision, &SimOptions::state_precision>,
         &SetEnum<StatePrecision, &SimOptions::state_precision, &StatePrecisionFromString>),
    Flag("fsdp_unsharded_grad_accumulation", "--fsdp-unsharded-grad-accumulation",
         "FSDP keeps unsharded FP32 gradients between micro-batches (PyTorch FSDP2 with "
         "set_requires_gradient_sync(False) during accumulation)",
         &SimOptions::fsdp_unsharded_grad_accumulation),
    Flag("fsdp_reshard_after_forward", "--fsdp-no-reshard-after-forward",
         "FSDP keeps every gathered parameter from its forward to its backward "
         "(reshard_after_forward=False, NeMo AutoModel's MoE default)",
         &SimOptions::fsdp_reshard_after_forward, /*clears=*/true),
    Flag("fsdp_skips_unsharded_experts", "--fsdp-skips-unsharded-experts",
         "Experts whose expert-data-parallel group is one GPU stay outside FSDP: plain "
         "parameters, never gathered (NeMo AutoModel's ignored_params)",
         &SimOptions::fsdp_skips_unsharded_experts),
    Flag("vocab_parallel_loss", "--replicated-logits",
         "No vocab-parallel loss: every TP rank gathers the full logits (DTensor ColwiseParallel "
         "with Replicate output, no loss_parallel)",
         &SimOptions::vocab_parallel_loss, /*clears=*/true),
    Flag("vocab_parallel_embedding", "--replicated-embedding",
         "The input embedding is not split over TP: every TP rank holds the whole table with "
         "its gradient and optimizer states (DTensor plans that leave nn.Embedding replicated, "
         "e.g. KempnerForge)",
         &SimOptions::vocab_parallel_embedding, /*clears=*/true),
    Name("loss", "--loss",
         "Cross-entropy implementation, which sets the loss's memory per logit: megatron "
         "(vocab-parallel, in place: 6 bytes peak), megatron-legacy (Megatron-Core before 0.7: "
         "10), te (Transformer Engine's fused kernel: 2), torch-fp32 (F.cross_entropy on "
         "FP32-cast logits: 12), torch-loss-parallel (PyTorch loss_parallel on vocab-sharded "
         "DTensor logits: 16), torch-bf16 (F.cross_entropy on BF16 logits kept through the "
         "backward: 8); auto follows --states (mixed: megatron, fp32: torch-fp32 or, with TP, "
         "torch-loss-parallel, bf16: torch-bf16)",
         kLossNames, &GetLoss, &SetLoss),
    Flag("grad_reduce_in_bf16", "--grad-reduce-in-bf16",
         "BF16 gradient buffers and reduction (Megatron --grad-reduce-in-bf16): 2 bytes per "
         "gradient instead of 4",
         &SimOptions::grad_reduce_in_bf16),
    Flag("bf16_adam_moments", "--bf16-adam-moments",
         "Adam moments in BF16 (Megatron --use-precision-aware-optimizer --exp-avg-dtype bf16 "
         "--exp-avg-sq-dtype bf16)",
         &SimOptions::bf16_adam_moments),
    Flag("fp8_param_gather", "--fp8-param-gather",
         "Under FP8, parameters stored as FP8 without a BF16 copy (Megatron --fp8-param-gather, "
         "NeMo fp8_params)",
         &SimOptions::fp8_param_gather),
    FrameworkOption{.key = "offload_activation_layers",
                    .flag = "--offload-activation-layers",
                    .help = "Decoder layers per pipeline rank whose activations are offloaded to "
                            "host memory (Megatron --cpu-offloading-num-layers; transfers "
                            "assumed hidden)",
                    .type = Type::kInteger,
                    .integer_field = &SimOptions::offload_activation_layers,
                    .min = 0.0,
                    .max = 1048576.0},
    NameSet("offload_modules", "--offload-modules",
            "Modules whose saved tensors go to host memory in every decoder layer (Megatron "
            "--fine-grained-activation-offloading --offload-modules), joined by '+': attn_norm, "
            "qkv_linear, core_attn, attn_proj, mlp_norm, expert_fc1, moe_act (transfers assumed "
            "hidden)",
            kOffloadNames, &SimOptions::offload_modules),
    Flag("account_for_embedding_in_pipeline_split", "--account-for-embedding-in-pipeline-split",
         "The embedding counts as one decoder layer in the pipeline split (Megatron flag of the "
         "same name; default: layers that divide over pp x vpp split evenly, else the "
         "embedding's cost is rounded to whole layers)",
         &SimOptions::account_for_embedding_in_pipeline_split),
    Flag("account_for_loss_in_pipeline_split", "--account-for-loss-in-pipeline-split",
         "The LM head, loss and MTP modules count as one decoder layer in the pipeline split "
         "(Megatron flag of the same name)",
         &SimOptions::account_for_loss_in_pipeline_split),
    Flag("dropout", "--dropout",
         "Dropout after attention and FFN, its 1-byte masks kept for the backward (GPT-3-era "
         "recipes; modern ones train without)",
         &SimOptions::dropout),
};

Error KeyError(std::string_view file, const std::string& path, std::string_view key,
               const std::string& what) {
  return Error{fmt::format("{}: {}.{}: {}", file, path, key, what)};
}

std::optional<size_t> NameIndex(const FrameworkOption& option, std::string_view name) {
  for (size_t i = 0; i < option.names.size(); ++i) {
    if (option.names[i] == name) return i;
  }
  return std::nullopt;
}

std::string NameList(std::span<const std::string_view> names) {
  std::string list;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) list += i + 1 == names.size() ? " or " : ", ";
    list += fmt::format("\"{}\"", names[i]);
  }
  return list;
}

// Reads one present, non-null value of `option` into `options`.
Status ReadOne(const FrameworkOption& option, const json& value, SimOptions& options,
               std::string_view file, const std::string& path) {
  switch (option.type) {
    case Type::kFlag:
      if (!value.is_boolean()) {
        return KeyError(file, path, option.key, "expected true, false or null");
      }
      options.*option.flag_field = value.get<bool>();
      return Status::Ok();
    case Type::kInteger:
    case Type::kNumber: {
      const bool integer = option.type == Type::kInteger;
      const bool typed = integer ? value.is_number_integer() : value.is_number();
      const double number = typed ? value.get<double>() : 0.0;
      if (!typed || !std::isfinite(number) || number < option.min || number > option.max) {
        return KeyError(
            file, path, option.key,
            fmt::format("expected {} in [{}, {}] or null, got {}",
                        integer ? "an integer" : "a number", option.min, option.max, value.dump()));
      }
      if (integer) {
        options.*option.integer_field = value.get<int64_t>();
      } else {
        options.*option.number_field = number;
      }
      return Status::Ok();
    }
    case Type::kName:
      if (!value.is_string() || !option.set_name(options, value.get<std::string>())) {
        return KeyError(file, path, option.key,
                        fmt::format("expected {}, got {}", NameList(option.names), value.dump()));
      }
      return Status::Ok();
    case Type::kNameSet: {
      if (!value.is_array()) {
        return KeyError(file, path, option.key,
                        fmt::format("expected an array of {} or null, got {}",
                                    NameList(option.names), value.dump()));
      }
      uint8_t bits = 0;
      for (size_t i = 0; i < value.size(); ++i) {
        const std::optional<size_t> bit =
            value[i].is_string() ? NameIndex(option, value[i].get<std::string>()) : std::nullopt;
        if (!bit) {
          return KeyError(
              file, path, fmt::format("{}[{}]", option.key, i),
              fmt::format("expected {}, got {}", NameList(option.names), value[i].dump()));
        }
        bits = static_cast<uint8_t>(bits | (1u << *bit));
      }
      options.*option.set_field = bits;
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace

std::span<const FrameworkOption> FrameworkOptions() {
  return kFrameworkOptions;
}

Result<uint8_t> ParseNameSet(const FrameworkOption& option, std::string_view text) {
  uint8_t bits = 0;
  if (text == "none") return bits;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find_first_of("+,", start), text.size());
    const std::string_view name = text.substr(start, end - start);
    if (!name.empty()) {
      const std::optional<size_t> bit = NameIndex(option, name);
      if (!bit) {
        return Error{fmt::format("unknown name \"{}\"; expected {} joined by '+'", name,
                                 NameList(option.names))};
      }
      bits = static_cast<uint8_t>(bits | (1u << *bit));
    }
    start = end + 1;
  }
  return bits;
}

const FrameworkOption* FindFrameworkOption(std::string_view key) {
  for (const FrameworkOption& option : kFrameworkOptions) {
    if (option.key == key) return &option;
  }
  return nullptr;
}

std::optional<OptionContradiction> FindContradiction(const SimOptions& options) {
  // loss_parallel computes on the vocabulary shards; gathered logits are not sharded.
  if (options.loss == LossImplementation::kTorchLossParallel && !options.vocab_parallel_loss) {
    return OptionContradiction{"loss", "vocab_parallel_loss",
                               "\"torch-loss-parallel\" runs on vocabulary-sharded logits",
                               "use torch-fp32 or torch-bf16"};
  }
  // Whole-layer graphs already cover every module a scope could name.
  if (options.cuda_graphs && options.cuda_graph_scope != 0) {
    return OptionContradiction{"cuda_graphs", "cuda_graph_scope",
                               "true captures whole layers, a scope only some modules",
                               "set one of the two"};
  }
  return std::nullopt;
}

nlohmann::ordered_json FrameworkOptionsToJson(const SimOptions& options) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const FrameworkOption& option : kFrameworkOptions) {
    const std::string key(option.key);
    switch (option.type) {
      case Type::kFlag:
        out[key] = options.*option.flag_field;
        break;
      case Type::kInteger:
        out[key] = options.*option.integer_field;
        break;
      case Type::kNumber:
        out[key] = options.*option.number_field;
        break;
      case Type::kName:
        out[key] = std::string(option.get_name(options));
        break;
      case Type::kNameSet: {
        nlohmann::ordered_json names = nlohmann::ordered_json::array();
        for (size_t i = 0; i < option.names.size(); ++i) {
          if ((options.*option.set_field >> i) & 1u) names.push_back(std::string(option.names[i]));
        }
        out[key] = names;
        break;
      }
    }
  }
  return out;
}

Result<SimOptions> FrameworkOptionsFromJson(const json& object, std::string_view file,
                                            const std::string& path) {
  if (!object.is_object()) {
    return Error{fmt::format("{}: {}: expected an object of framework options", file, path)};
  }
  SimOptions options;
  for (const auto& [key, value] : object.items()) {
    const FrameworkOption* option = FindFrameworkOption(key);
    if (option == nullptr) return KeyError(file, path, key, "unknown field");
    if (value.is_null()) continue;  // the default
    if (Status s = ReadOne(*option, value, options, file, path); !s) return s.error();
  }
  if (std::optional<OptionContradiction> c = FindContradiction(options)) {
    return KeyError(
        file, path, c->key,
        fmt::format("{}; it contradicts \"{}\": {} ({})", c->why, c->other_key,
                    FrameworkOptionsToJson(options)[std::string(c->other_key)].dump(), c->fix));
  }
  return options;
}

}  // namespace moeplan::sim
