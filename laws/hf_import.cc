//===- laws/hf_import.cc - Import Hugging Face config.json files ----------===//
#include "laws/hf_import.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "laws/internal/hf_families.h"
#include "laws/support/json_reader.h"

namespace moeplan::laws {
namespace {

using ImportFn = void (*)(const internal::HfReader&, MoeArch&);

struct Family {
  std::string_view model_type;
  ImportFn import;
};

constexpr std::array<Family, 18> kFamilies{{
    {"dbrx", &internal::ImportDbrx},
    {"deepseek", &internal::ImportDeepseek},
    {"deepseek_v2", &internal::ImportDeepseekV2},
    {"deepseek_v3", &internal::ImportDeepseekV3},
    {"glm4_moe", &internal::ImportGlm4Moe},
    {"gpt_oss", &internal::ImportGptOss},
    {"grok-1", &internal::ImportGrok1},
    {"kimi_k2", &internal::ImportDeepseekV3},  // DeepseekV3ForCausalLM with a new name
    {"llama", &internal::ImportLlama},
    {"llama4", &internal::ImportLlama4},
    {"llama4_text", &internal::ImportLlama4},
    {"mistral", &internal::ImportMistral},
    {"mixtral", &internal::ImportMixtral},
    {"qwen2", &internal::ImportQwen2},
    {"qwen2_moe", &internal::ImportQwen2Moe},
    {"qwen3", &internal::ImportQwen3},
    {"qwen3_moe", &internal::ImportQwen3Moe},
    {"grok1", &internal::ImportGrok1},
}};

// Architecture classes that fix the family whatever model_type says. Grok-1 has no transformers
// model_type of its own: the hpcai-tech port's config.json writes none, others write "grok-1",
// and sglang's CI config writes "mixtral" (so that transformers can parse it) while serving
// engines (vLLM, sglang) select the Grok-1 implementation from architectures. Reading such a file
// as Mixtral would drop Grok's two extra norms per layer and its tied output.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kArchitectureAliases{{
    {"Grok1ModelForCausalLM", "grok-1"},
    {"Grok1ForCausalLM", "grok-1"},
}};

const Family* FindFamily(std::string_view model_type) {
  for (const Family& family : kFamilies) {
    if (family.model_type == model_type) return &family;
  }
  return nullptr;
}

std::string SupportedList() {
  std::string list;
  for (const std::string& type : SupportedHfModelTypes()) {
    list += (list.empty() ? "" : ", ") + type;
  }
  return list;
}

// Resolves the family: an architecture class that fixes it (above) first, then model_type.
const Family& ResolveFamily(const JsonObject& root) {
  if (const nlohmann::json* archs = root.OptionalArray("architectures")) {
    for (const nlohmann::json& arch : *archs) {
      if (!arch.is_string()) continue;
      for (const auto& [name, type] : kArchitectureAliases) {
        if (arch.get<std::string>() == name) return *FindFamily(type);
      }
    }
  }
  const std::optional<std::string> model_type = root.OptionalString("model_type");
  if (model_type) {
    if (const Family* family = FindFamily(*model_type)) return *family;
  }
  root.FailMessage("model_type", fmt::format("unsupported model_type '{}' (supported: {})",
                                             model_type.value_or("<missing>"), SupportedList()));
}

}  // namespace

const std::vector<std::string>& SupportedHfModelTypes() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> list;
    for (const Family& family : kFamilies) list.emplace_back(family.model_type);
    std::sort(list.begin(), list.end());
    return list;
  }();
  return types;
}

Result<ImportedModel> ImportHfConfig(const nlohmann::json& config, std::string_view source,
                                     const HfImportOptions& options) {
  try {
    const JsonObject root(config, std::string(source));
    const Family& family = ResolveFamily(root);
    ImportedModel model;
    model.model_type = std::string(family.model_type);
    // Multimodal wrappers (Llama-4) keep the language model under text_config.
    const JsonObject body = root.Has("text_config") ? root.Object("text_config") : root;
    const internal::HfReader reader(body, model.model_type, &model.notes);
    family.import(reader, model.arch);
    model.arch.seq_len = options.seq_len;
    model.arch.name = root.OptionalString("_name_or_path").value_or("");
    if (Status status = Validate(model.arch, source); !status.ok()) return status.error();
    return model;
  } catch (const InputError& e) {
    return e.ToError();
  }
}

Result<ImportedModel> ImportHfConfigFile(const std::filesystem::path& file,
                                         const HfImportOptions& options) {
  Result<nlohmann::json> json = ReadJsonFile(file);
  if (!json) return json.error();
  Result<ImportedModel> model = ImportHfConfig(*json, file.string(), options);
  if (model && model->arch.name.empty()) model->arch.name = file.stem().string();
  return model;
}

}  // namespace moeplan::laws
