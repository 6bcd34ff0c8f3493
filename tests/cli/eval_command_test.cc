//===- tests/cli/eval_command_test.cc - `moeplan eval` end to end ---------===//
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_test_fixture.h"
#include "tests/shared_data.h"

namespace moeplan::testing {
namespace {

namespace fs = std::filesystem;

using moeplan::testing::CliScratchTest;

class EvalCliTest : public CliScratchTest {};

TEST_F(EvalCliTest, DefaultRunPrintsTriadWithConvention) {
  const CliResult r = RunMoeplan("eval");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("deepseek-v3"), std::string::npos);
  EXPECT_NE(r.out.find("convention: non-embedding"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("N_a"), std::string::npos);
  EXPECT_NE(r.out.find("routed experts"), std::string::npos);
}

TEST_F(EvalCliTest, ModelCardConventionGivesPublishedMixtralCounts) {
  // 46,702,792,704 and 12,879,925,248: hand derivation in tests/laws/accounting_test.cc.
  const CliResult r = RunMoeplan("eval mixtral-8x7b --model-card");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("46,702,792,704"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("12,879,925,248"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("embedding and LM head included"), std::string::npos) << r.out;
}

TEST_F(EvalCliTest, JsonOutputIsCompleteAndParses) {
  const CliResult r = RunMoeplan("eval mixtral-8x7b --model-card --json --seq 2048");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["format"], "moeplan-eval");
  EXPECT_EQ(j["triad"]["total_params"].get<int64_t>(), 46'702'792'704);
  EXPECT_EQ(j["convention"]["seq_len"].get<int64_t>(), 2048);
  EXPECT_EQ(j["components"].size(), 9u);
  EXPECT_EQ(j["layers"].size(), 1u);  // 32 identical MoE layers merge into one run
  EXPECT_EQ(j["layers"][0]["last_layer"].get<int64_t>(), 31);
}

TEST_F(EvalCliTest, SaveArchRoundTripsThroughTheCli) {
  const fs::path arch = dir_ / "v3.json";
  ASSERT_EQ(RunMoeplan("eval deepseek-v3 --save-arch " + arch.string()).exit_code, 0);
  const CliResult a = RunMoeplan("eval deepseek-v3 --json");
  const CliResult b = RunMoeplan("eval " + arch.string() + " --json");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(nlohmann::json::parse(a.out)["triad"], nlohmann::json::parse(b.out)["triad"]);
}

TEST_F(EvalCliTest, HuggingFaceConfigFromSharedData) {
  SKIP_WITHOUT_SHARED_DATA();
  const CliResult r = RunMoeplan(
      "eval " + (SharedDataDir() / "hf-configs" / "Qwen3-30B-A3B.json").string() + " --model-card");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("30,532,122,624"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("training sequence length is not part of config.json"), std::string::npos);
}

TEST_F(EvalCliTest, MissingFileOrPreset) {
  ExpectOneLineError(RunMoeplan("eval no-such-model"),
                     "no-such-model: no such file, and not a preset (presets: deepseek-v3");
}

TEST_F(EvalCliTest, BrokenJson) {
  const fs::path path = Write("broken.json", "{\"model_type\": \"mixtral\",,}");
  ExpectOneLineError(RunMoeplan("eval " + path.string()),
                     path.string() + ": invalid JSON at line 1, column 26");
}

TEST_F(EvalCliTest, WrongTypeMissingFieldAndInconsistentSizes) {
  const std::string head = R"({"model_type": "mixtral", "vocab_size": 100, "hidden_size": 64,
      "num_attention_heads": 4, "intermediate_size": 32, "num_local_experts": 8, )";
  ExpectOneLineError(
      RunMoeplan("eval " +
                 Write("a.json", head + R"("num_hidden_layers": "two", "num_experts_per_tok": 2})")
                     .string()),
      "a.json: field 'num_hidden_layers': expected an integer in 1..1048576, got \"two\"");
  ExpectOneLineError(
      RunMoeplan("eval " + Write("b.json", head + R"("num_experts_per_tok": 2})").string()),
      "b.json: field 'num_hidden_layers': expected an integer in 1..1048576, got nothing "
      "(missing)");
  ExpectOneLineError(
      RunMoeplan(
          "eval " +
          Write("c.json", head + R"("num_hidden_layers": 2, "num_experts_per_tok": 16})").string()),
      "c.json: field 'num_experts_per_tok': expected an integer in 1..8, got 16");
  ExpectOneLineError(
      RunMoeplan(
          "eval " +
          Write("d.json", head + R"("num_hidden_layers": -2, "num_experts_per_tok": 2})").string()),
      "d.json: field 'num_hidden_layers': expected an integer in 1..1048576, got -2");
}

TEST_F(EvalCliTest, UnknownModelType) {
  const fs::path path = Write("e.json", R"({"model_type": "bert", "hidden_size": 768})");
  ExpectOneLineError(RunMoeplan("eval " + path.string()),
                     "e.json: field 'model_type': unsupported model_type 'bert' (supported: dbrx");
}

TEST_F(EvalCliTest, InvalidMoeplanArchFile) {
  const fs::path path = Write("f.json", R"({"format": "moeplan-arch", "version": 1,
      "vocab_size": 1000, "hidden_size": 512, "num_layers": 4, "attention": {"num_heads": 8},
      "moe": {"num_experts": 4, "top_k": 2, "expert": {"intermediate_size": 64}},
      "first_dense": 2})");
  ExpectOneLineError(RunMoeplan("eval " + path.string()),
                     "f.json: field 'first_dense': unknown field (known fields: format,");
}

TEST_F(EvalCliTest, BadOptionsAreUsageErrorsWithStatus2) {
  const CliResult r = RunMoeplan("eval mixtral-8x7b --embedding maybe");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--embedding"), std::string::npos) << r.err;
  EXPECT_EQ(RunMoeplan("eval mixtral-8x7b --seq 0").exit_code, 2);
  EXPECT_EQ(RunMoeplan("frobnicate").exit_code, 2);
}

TEST_F(EvalCliTest, OutputFileIsWrittenWholeOrNotAtAll) {
  const fs::path out = dir_ / "report.json";
  ASSERT_EQ(RunMoeplan("eval gpt-oss-20b --json --out " + out.string()).exit_code, 0);
  EXPECT_NO_THROW(nlohmann::json::parse(ReadWholeFile(out)));
  // A failing run leaves neither a new file nor temporaries behind.
  const fs::path never = dir_ / "never.json";
  EXPECT_EQ(RunMoeplan("eval no-such-model --json --out " + never.string()).exit_code, 2);
  EXPECT_FALSE(fs::exists(never));
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1u);  // only report.json
  // An unwritable destination is a clear error, not a crash.
  const CliResult r = RunMoeplan("eval gpt-oss-20b --out /nonexistent-dir/x.txt");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent-dir/x.txt: cannot open for writing"), std::string::npos)
      << r.err;
}

TEST_F(EvalCliTest, ListPresets) {
  const CliResult r = RunMoeplan("eval --list-presets");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name :
       {"deepseek-v3", "mixtral-8x7b", "qwen3-30b-a3b", "gpt-oss-20b", "llama-3-8b"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace moeplan::testing
