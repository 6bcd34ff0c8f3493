//===- laws/model_source.cc - Load a model from a file or preset ----------===//
#include "laws/model_source.h"

#include <fmt/format.h>

#include <filesystem>

#include "laws/arch_json.h"
#include "laws/hf_import.h"
#include "laws/presets.h"
#include "laws/support/json_reader.h"

namespace moeplan::laws {
namespace {

constexpr int64_t kDefaultSeqLen = 4096;

std::string PresetList() {
  std::string list;
  for (const Preset& preset : Presets()) list += (list.empty() ? "" : ", ") + preset.name;
  return list;
}

}  // namespace

Result<LoadedModel> LoadModel(std::string_view spec, const LoadOptions& options) {
  const int64_t seq_len = options.seq_len > 0 ? options.seq_len : kDefaultSeqLen;
  if (const Preset* preset = FindPreset(spec)) {
    LoadedModel model{preset->arch, fmt::format("preset {}", preset->name), {}};
    model.arch.seq_len = seq_len;
    return model;
  }
  const std::filesystem::path path(spec);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Error{
        fmt::format("{}: no such file, and not a preset (presets: {})", spec, PresetList())};
  }
  Result<nlohmann::json> json = ReadJsonFile(path);
  if (!json) return json.error();
  const bool own_format = json->is_object() && json->contains("format");
  if (own_format) {
    Result<MoeArch> arch = ArchFromJson(*json, path.string());
    if (!arch) return arch.error();
    LoadedModel model{std::move(arch).value(), fmt::format("moeplan-arch file {}", spec), {}};
    if (options.seq_len > 0) model.arch.seq_len = options.seq_len;
    if (model.arch.name.empty()) model.arch.name = path.stem().string();
    return model;
  }
  Result<ImportedModel> imported = ImportHfConfigFile(path, HfImportOptions{seq_len});
  if (!imported) return imported.error();
  LoadedModel model{
      std::move(imported->arch),
      fmt::format("Hugging Face config {} (model_type {})", spec, imported->model_type),
      std::move(imported->notes)};
  if (options.seq_len <= 0) {
    model.notes.push_back(fmt::format(
        "training sequence length is not part of config.json: using {} (set --seq)", seq_len));
  }
  return model;
}

}  // namespace moeplan::laws
