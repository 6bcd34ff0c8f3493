//===- tests/laws/presets_test.cc - Built-in presets ----------------------===//
/// Each preset must be exactly what importing the model's published config.json gives (so the
/// presets carry the published facts and nothing else), and must validate.
#include "laws/presets.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "laws/hf_import.h"
#include "tests/shared_data.h"

namespace moeplan::laws {
namespace {

TEST(PresetsTest, AllValidateAndHaveUniqueNames) {
  std::set<std::string> names;
  for (const Preset& preset : Presets()) {
    EXPECT_TRUE(Validate(preset.arch, preset.name).ok()) << preset.name;
    EXPECT_TRUE(names.insert(preset.name).second) << "duplicate " << preset.name;
    EXPECT_EQ(FindPreset(preset.name), &preset);
  }
  EXPECT_NE(FindPreset(kDefaultPreset), nullptr);
  EXPECT_EQ(FindPreset("no-such-model"), nullptr);
}

TEST(PresetsTest, EqualTheImportedPublishedConfigs) {
  SKIP_WITHOUT_SHARED_DATA();
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"deepseek-v3", "DeepSeek-V3.json"},     {"mixtral-8x7b", "Mixtral-8x7B-v0.1.json"},
      {"qwen3-30b-a3b", "Qwen3-30B-A3B.json"}, {"gpt-oss-20b", "gpt-oss-20b.json"},
      {"llama-3-8b", "Meta-Llama-3-8B.json"},
  };
  for (const auto& [name, file] : pairs) {
    Result<ImportedModel> imported =
        ImportHfConfigFile(moeplan::testing::SharedDataDir() / "hf-configs" / file);
    ASSERT_TRUE(imported.ok()) << imported.error().message;
    MoeArch arch = imported->arch;
    arch.name = name;
    EXPECT_EQ(arch, FindPreset(name)->arch) << name << " differs from " << file;
  }
}

}  // namespace
}  // namespace moeplan::laws
