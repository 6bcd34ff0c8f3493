//===- tests/cli/sweep_command_test.cc - `moeplan sweep` end to end --------===//
/// \file
/// The sweep command through the real binary: user-given config lists (CSV and JSONL, scored
/// against a hand derivation), their input errors, the --json summary, and invalid spaces.
/// The engine's determinism, SIGINT/--resume and shards are tested in tests/sim/sweep/.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "tests/cli/cli_test_fixture.h"

namespace moeplan::testing {
namespace {

namespace fs = std::filesystem;

using moeplan::testing::CliScratchTest;

class SweepCliTest : public CliScratchTest {};

// CSV rows of a results file, split into fields, keyed by the header.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string At(size_t row, const std::string& column) const {
    const auto it = std::find(header.begin(), header.end(), column);
    return it == header.end() ? "<no column " + column + ">"
                              : rows.at(row).at(static_cast<size_t>(it - header.begin()));
  }
};

Table ReadTable(const fs::path& path) {
  Table t;
  std::ifstream in(path);
  std::string line;
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string field;
    while (std::getline(ss, field, ',')) out.push_back(field);
    if (!s.empty() && s.back() == ',') out.emplace_back();
    return out;
  };
  if (std::getline(in, line)) t.header = split(line);
  while (std::getline(in, line)) t.rows.push_back(split(line));
  return t;
}

// Hand derivation for a dense MHA model (kv heads = heads, SwiGLU FFN of width
// f = 128 ceil(8d/3/128), untied embedding and LM head), as in tests/sim/plan/plan_test.cc:
// N = L (4 d^2 + 3 d f + 2 d) + d + 2 V d (embedding, norms, head included);
// M = L (6 (4 d^2 + 3 d f) + 12 S d) (non-embedding, fwd+bwd, attention full).
// Law epoch2024 (Besiroglu et al. 2024): L = 1.8169 + 482.01 / N^0.3478 + 2085.43 / D^0.3658,
// at fixed compute D = C / M.
struct Dense {
  double d, layers, vocab, seq;
  double f() const { return 128 * std::ceil(8 * d / 3 / 128); }
  double n() const { return layers * (4 * d * d + 3 * d * f() + 2 * d) + d + 2 * vocab * d; }
  double m() const { return layers * (6 * (4 * d * d + 3 * d * f()) + 12 * seq * d); }
  double EpochLoss(double compute) const {
    return 1.8169 + 482.01 / std::pow(n(), 0.3478) + 2085.43 / std::pow(compute / m(), 0.3658);
  }
};

TEST_F(SweepCliTest, ConfigsCsvScoresEachListedModel) {
  // The dense space fixes vocab 129280, seq_len 4096, head_dim 128; the list sets the rest.
  const std::string list = Write("list.csv",
                                 "name,hidden_size,num_layers,num_kv_heads\n"
                                 "a,1024,8,0\n"
                                 "b,2048,16,0\n"
                                 "c,1536,12,0\n");
  const fs::path out = dir_ / "results.csv";
  const CliResult r = RunMoeplan("sweep dense --configs " + list +
                                 " --fleet 8xH100 --compute 1e21 --fixed-mfu 0.4 --law epoch2024 "
                                 "--threads 2 --out " +
                                 out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Table t = ReadTable(out);
  ASSERT_EQ(t.rows.size(), 3u);
  const double layers[] = {8, 16, 12}, widths[] = {1024, 2048, 1536};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const Dense hand{widths[i], layers[i], 129280, 4096};
    EXPECT_EQ(t.At(i, "index"), std::to_string(i));  // file order
    EXPECT_EQ(t.At(i, "feasible_or_reason"), "feasible");
    EXPECT_EQ(std::stod(t.At(i, "N")), hand.n());
    EXPECT_NEAR(std::stod(t.At(i, "M")) / hand.m(), 1.0, 1e-5);  // printed with 6 digits
    EXPECT_NEAR(std::stod(t.At(i, "loss")), hand.EpochLoss(1e21), 1e-8);
  }
  EXPECT_NE(r.out.find("swept configs of " + list), std::string::npos) << r.out;
}

// Llama-2-7B as a Hugging Face config.json line and a moeplan-arch line: N = 6,738,415,616
// is the published parameter count of Llama-2-7B (meta-llama/Llama-2-7b-hf, 6.74B); the tiny
// moeplan-arch model is counted by hand with Dense above (d 256, L 2, V 1000, f 768).
TEST_F(SweepCliTest, ConfigsJsonlTakesHuggingFaceAndMoeplanArchLines) {
  const std::string list =
      Write("list.jsonl",
            R"({"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, )"
            R"("intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32, )"
            R"("num_key_value_heads": 32, "tie_word_embeddings": false})"
            "\n"
            R"({"format": "moeplan-arch", "version": 1, "vocab_size": 1000, "seq_len": 512, )"
            R"("hidden_size": 256, "num_layers": 2, "attention": {"num_heads": 2}, )"
            R"("dense_ffn": {"intermediate_size": 768}})"
            "\n");
  const fs::path out = dir_ / "results.csv";
  const CliResult r = RunMoeplan(
      "sweep dense --configs " + list +
      " --fleet 8xH100 --compute 1e21 --fixed-mfu 0.4 --law epoch2024 --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Table t = ReadTable(out);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.At(0, "N"), "6738415616");
  EXPECT_EQ(t.At(0, "hidden_size"), "4096");
  EXPECT_EQ(t.At(0, "seq_len"), "4096");  // the space's: a config.json has none
  const Dense tiny{256, 2, 1000, 512};
  EXPECT_EQ(std::stod(t.At(1, "N")), tiny.n());
  EXPECT_EQ(t.At(1, "seq_len"), "512");
}

TEST_F(SweepCliTest, BadConfigListsNameFileLineAndColumn) {
  const std::string csv = Write("bad.csv", "hidden_size,num_layers\n1024,8\n2048,eight\n");
  ExpectOneLineError(RunMoeplan("sweep dense --configs " + csv + " --compute 1e21"),
                     csv +
                         ": line 3, column 2 ('num_layers'): expected an integer >= 1, got "
                         "'eight'");
  const std::string unknown = Write("unknown.csv", "hidden_size,layers\n1024,8\n");
  ExpectOneLineError(RunMoeplan("sweep dense --configs " + unknown + " --compute 1e21"),
                     unknown + ": line 1, column 2: unknown column 'layers'");
  const std::string missing = Write("missing.csv", "hidden_size,num_layers\n1024,8\n");
  ExpectOneLineError(RunMoeplan("sweep --configs " + missing + " --compute 1e21"),
                     "column 'num_experts' missing, and the space 'default' does not fix it");
  const std::string jsonl = Write("bad.jsonl", "{\"model_type\": \"llama\",\n");
  ExpectOneLineError(RunMoeplan("sweep dense --configs " + jsonl + " --compute 1e21"),
                     jsonl + ": line 1, column 24: invalid JSON");  // 23 characters, then EOF
  const std::string neither = Write("neither.jsonl", "{\"hidden_size\": 1024}\n");
  ExpectOneLineError(RunMoeplan("sweep dense --configs " + neither + " --compute 1e21"),
                     neither + ": line 1: expected a moeplan-arch object");
  const std::string txt = Write("list.txt", "hidden_size\n");
  ExpectOneLineError(RunMoeplan("sweep dense --configs " + txt + " --compute 1e21"),
                     "unknown list format '.txt': expected a .csv or .jsonl (.ndjson) file");
}

// Three dense MHA candidates (L 8, V 129280, S 4096) under max_total_params 1e9. By hand
// (Dense::n): d 1024 -> 367,543,296; d 2048 -> 934,316,032; d 4096 -> 2,678,132,736, so one
// is eliminated by the limit and two are feasible.
TEST_F(SweepCliTest, JsonSummaryCountsRejectsAndListsTheBest) {
  const std::string space = Write("space.json", R"({"format": "moeplan-space", "version": 1,
      "base": "dense", "arch": {"hidden_size": [1024, 2048, 4096], "num_layers": 8,
                                "num_kv_heads": 0},
      "constraints": {"max_total_params": 1e9}})");
  ASSERT_EQ(Dense({1024, 8, 129280, 4096}).n(), 367543296.0);
  ASSERT_EQ(Dense({2048, 8, 129280, 4096}).n(), 934316032.0);
  ASSERT_EQ(Dense({4096, 8, 129280, 4096}).n(), 2678132736.0);
  const CliResult r = RunMoeplan("sweep " + space +
                                 " --fleet 8xH100 --compute 1e21 --fixed-mfu 0.4 "
                                 "--law epoch2024 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("format"), "moeplan-sweep-summary");
  EXPECT_EQ(j.at("version"), 1);
  EXPECT_EQ(j.at("objective"), "loss-at-compute");
  EXPECT_EQ(j.at("stats").at("candidates"), 3);
  EXPECT_EQ(j.at("stats").at("feasible"), 2);
  EXPECT_EQ(j.at("stats").at("rejects").at("max-total-params"), 1);
  ASSERT_EQ(j.at("eliminated").size(), 1u);
  EXPECT_EQ(j.at("eliminated")[0].at("reason"), "max-total-params");
  EXPECT_EQ(j.at("eliminated")[0].at("count"), 1);
  // The best first: lower loss at C = 1e21 by the hand formula.
  const double loss1024 = Dense({1024, 8, 129280, 4096}).EpochLoss(1e21);
  const double loss2048 = Dense({2048, 8, 129280, 4096}).EpochLoss(1e21);
  ASSERT_EQ(j.at("top").size(), 2u);
  EXPECT_EQ(j.at("top")[0].at("hidden_size"), loss1024 < loss2048 ? 1024 : 2048);
  EXPECT_NEAR(j.at("top")[0].at("loss").get<double>(), std::min(loss1024, loss2048), 1e-8);
  EXPECT_TRUE(j.at("out").is_null());
  EXPECT_TRUE(r.err.empty()) << r.err;  // no progress bar when not a terminal
}

TEST_F(SweepCliTest, NoFeasibleCandidateNamesTheConstraint) {
  const std::string space = Write("space.json", R"({"format": "moeplan-space", "version": 1,
      "base": "dense", "arch": {"hidden_size": [1024, 2048], "num_layers": 8},
      "constraints": {"max_total_params": 1e8}})");
  const CliResult r =
      RunMoeplan("sweep " + space + " --fleet 8xH100 --compute 1e21 --fixed-mfu 0.4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 candidates: 0 feasible"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 eliminated by max-total-params: total parameters above "
                       "constraints.max_total_params"),
            std::string::npos)
      << r.out;
}

TEST_F(SweepCliTest, InvalidSpacesGetClearErrors) {
  const std::string empty = Write("empty.json", R"({"format": "moeplan-space", "version": 1,
      "arch": {"hidden_size": {"min": 4096, "max": 1024, "step": 512}}})");
  ExpectOneLineError(RunMoeplan("sweep " + empty + " --compute 1e21"),
                     empty + ": field 'arch.hidden_size': empty range: max 1024 < min 4096");
  const std::string empty_list = Write("empty_list.json", R"({"format": "moeplan-space",
      "version": 1, "layout": {"pp": []}})");
  ExpectOneLineError(RunMoeplan("sweep " + empty_list + " --compute 1e21"),
                     empty_list + ": field 'layout.pp': empty list");
  const std::string contradict = Write("contradict.json", R"({"format": "moeplan-space",
      "version": 1, "constraints": {"max_total_params": 1e9, "max_active_params": 2e9}})");
  ExpectOneLineError(RunMoeplan("sweep " + contradict + " --compute 1e21"),
                     contradict +
                         ": constraints contradict: max_active_params 2e+09 > max_total_params "
                         "1e+09");
  const std::string triad = Write("triad.json", R"({"format": "moeplan-space", "version": 1,
      "constraints": {"triad": {"N_a": {"target": 2e10}, "N": {"target": 1e10}}}})");
  ExpectOneLineError(RunMoeplan("sweep " + triad + " --compute 1e21"),
                     "constraints contradict: triad target N_a 2e+10 (-5%) exceeds N 1e+10 (+5%)");
  const std::string unknown = Write("unknown.json", R"({"format": "moeplan-space", "version": 1,
      "arch": {"hidden_size": 1024, "num_expert": 8}})");
  ExpectOneLineError(RunMoeplan("sweep " + unknown + " --compute 1e21"),
                     unknown + ": field 'arch.num_expert': unknown field (known: hidden_size");
  const std::string unknown_top = Write("unknown_top.json", R"({"format": "moeplan-space",
      "version": 1, "constraint": {}})");
  ExpectOneLineError(RunMoeplan("sweep " + unknown_top + " --compute 1e21"),
                     unknown_top + ": field 'constraint'");
  ExpectOneLineError(RunMoeplan("sweep no_such_space --compute 1e21"),
                     "'no_such_space' is neither a space file nor a built-in space");
}

TEST_F(SweepCliTest, UsageErrors) {
  ExpectOneLineError(RunMoeplan("sweep --compute 1e21"),
                     "give a space (file or built-in name: default, deepseek, dense) or --configs");
  ExpectOneLineError(RunMoeplan("sweep dense --compute 1e21 --days 3"),
                     "give exactly one of --compute, --days, --target-loss");
  ExpectOneLineError(RunMoeplan("sweep dense --compute 1e21 --resume"), "--resume needs --out");
  ExpectOneLineError(RunMoeplan("sweep dense --compute 1e21 --shard 3/3"),
                     "--shard '3/3': expected i/n with 0 <= i < n");
}

TEST_F(SweepCliTest, TextSummaryShowsTheBest) {
  const CliResult r = RunMoeplan(
      "sweep dense --fleet 8xH100 --compute 1e21 --fixed-mfu 0.4 --law epoch2024 --top-k 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("best 3 by loss-at-compute (of 3 kept):"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '#'), 3) << r.out;
}

}  // namespace
}  // namespace moeplan::testing
