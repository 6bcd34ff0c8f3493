//===- tests/cli/plan_command_test.cc - `moeplan plan` against a hand solution ---===//
/// \file
/// `moeplan plan` end to end with a law file, a fleet file and a space file simple enough to
/// solve by hand. The library-level checks (wall-clock objective with the epoch2024 preset,
/// the allocation law's M_opt(C) and D_opt(C), exports) are in tests/sim/plan/plan_test.cc;
/// this test goes through the files and the command line instead.
///
/// The hand problem. Law (round coefficients): L(N, D) = 2 + 400 / N^0.5 + 400 / D^0.5.
/// Fleet: 8 GPUs of 1e15 BF16 FLOP/s each, run at a fixed MFU of 0.5 (no layouts, no memory).
/// Space: dense MHA models (kv heads = heads = d / 128), L = 16 layers, V = 32000,
/// S = 2048, SwiGLU width f = 128 ceil(8d/3/128), d in {1024, 1536, 2048, 2560, 3072}.
/// Counting by hand (as in tests/sim/plan/plan_test.cc):
///   N = L (4 d^2 + 3 d f + 2 d) + d + 2 V d        (embedding, norms and LM head included)
///   M = L (6 (4 d^2 + 3 d f) + 12 S d)             (non-embedding, fwd+bwd, attention full)
///   tokens/s = 8 x 1e15 x 0.5 / (M + 6 V d)        (the fleet also runs the LM head)
///
///   d     f     N              M                L(C = 6e18)   time to L = 2.03 (days)
///   1024  2816  271,090,688    1,635,778,560    2.030899      0.02606
///   1536  4096  551,339,520    3,321,888,768    2.026447      0.009962
///   2048  5504  940,640,256    5,662,310,400    2.025330      0.009749
///   2560  6912  1,432,701,440  8,619,294,720    2.025728      0.01117
///   3072  8192  2,008,648,704  12,079,595,520   2.026873      0.01321
///
/// So at C = 6e18 the plan is d = 2048 (interior), with D = C / M = 1.0596e9 tokens, and its
/// 0.25% band (L <= 2.025330 x 1.0025 = 2.030393) holds d 1536 .. 3072 (4 models; d 1024 is
/// 0.0005 above the limit). To reach L = 2.03 fastest the plan is also d = 2048, with
/// D* = (400 / (0.03 - 400 / sqrt(N)))^2 = 5.5639e8 tokens.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_test_fixture.h"

namespace moeplan::testing {
namespace {

namespace fs = std::filesystem;

struct Hand {
  double d;
  static constexpr double kLayers = 16, kVocab = 32000, kSeq = 2048;
  double f() const { return 128 * std::ceil(8 * d / 3 / 128); }
  double n() const { return kLayers * (4 * d * d + 3 * d * f() + 2 * d) + d + 2 * kVocab * d; }
  double m() const { return kLayers * (6 * (4 * d * d + 3 * d * f()) + 12 * kSeq * d); }
  double tokens_per_second() const { return 8 * 1e15 * 0.5 / (m() + 6 * kVocab * d); }
};

double Loss(double n, double d) {
  return 2 + 400 / std::sqrt(n) + 400 / std::sqrt(d);
}

using moeplan::testing::CliScratchTest;

class PlanCliTest : public CliScratchTest {
 protected:
  void SetUp() override {
    CliScratchTest::SetUp();
    Write("law.json", R"({"format": "moeplan-law", "version": 1, "name": "round-chinchilla",
      "laws": [{"target": {"symbol": "L", "meaning": "loss"}, "form": {"type": "chinchilla"},
                "variables": {"N": {"meaning": "parameters"}, "D": {"meaning": "tokens"}},
                "coefficients": {"A": {"value": 400}, "B": {"value": 400}, "E": {"value": 2},
                                 "alpha": {"value": 0.5}, "beta": {"value": 0.5}}}]})");
    Write("fleet.json", R"({"format": "moeplan-hardware", "version": 1, "base": "h100",
      "name": "round-gpu", "device": {"peak_flops": {"bf16": 1e15}},
      "fleet": {"num_gpus": 8}})");
    Write("space.json", R"({"format": "moeplan-space", "version": 1, "base": "dense",
      "arch": {"hidden_size": {"min": 1024, "max": 3072, "step": 512}, "num_layers": 16,
               "num_kv_heads": 0, "head_dim": 128, "vocab_size": 32000, "seq_len": 2048}})");
  }
  std::string Files() const {
    return " --law " + (dir_ / "law.json").string() + " --fleet " + (dir_ / "fleet.json").string() +
           " --space " + (dir_ / "space.json").string() + " --fixed-mfu 0.5 --threads 2";
  }
};

TEST_F(PlanCliTest, ComputeBudgetPlanIsTheHandOptimum) {
  // The table in the file comment, recomputed: the optimum is interior.
  const double c = 6e18;
  const Hand best{2048};
  for (double d : {1024.0, 1536.0, 2560.0, 3072.0}) {
    const Hand other{d};
    ASSERT_GT(Loss(other.n(), c / other.m()), Loss(best.n(), c / best.m())) << d;
  }
  const CliResult r = RunMoeplan("plan --compute 6e18 --json" + Files());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("objective"), "loss-at-compute");
  EXPECT_EQ(j.at("fleet").at("gpus"), 8);
  EXPECT_EQ(j.at("law"), "round-chinchilla");
  EXPECT_EQ(j.at("architecture").at("hidden_size"), 2048);
  EXPECT_EQ(j.at("architecture").at("num_layers"), 16);
  EXPECT_EQ(j.at("params").at("total").get<double>(), best.n());
  EXPECT_EQ(j.at("params").at("total").get<double>(), 940640256.0);
  EXPECT_NEAR(j.at("flops_per_token").at("M").get<double>(), best.m(), 1e-9 * best.m());
  const double tokens = c / best.m();
  EXPECT_NEAR(j.at("tokens").get<double>(), tokens, 1e-9 * tokens);
  EXPECT_NEAR(j.at("tokens").get<double>(), 1.0596e9, 1e5);
  EXPECT_NEAR(j.at("compute").get<double>(), c, 1e-9 * c);
  EXPECT_NEAR(j.at("loss").at("predicted").get<double>(), Loss(best.n(), tokens), 1e-12);
  EXPECT_NEAR(j.at("loss").at("predicted").get<double>(), 2.025330, 1e-6);
  EXPECT_NEAR(j.at("mfu").get<double>(), 0.5, 1e-12);
  const double days = tokens / best.tokens_per_second() / 86400;
  EXPECT_NEAR(j.at("days").get<double>(), days, 1e-9 * days);
  EXPECT_EQ(j.at("band").at("size"), 4);
  EXPECT_EQ(j.at("band").at("ranges").at("hidden_size"), nlohmann::json::array({1536, 3072}));
}

TEST_F(PlanCliTest, TargetLossPlanIsTheFastestToReachIt) {
  const CliResult r = RunMoeplan("plan --target-loss 2.03 --json" + Files());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("objective"), "time-to-loss");
  EXPECT_EQ(j.at("architecture").at("hidden_size"), 2048);
  const Hand best{2048};
  const double tokens = std::pow(400 / (0.03 - 400 / std::sqrt(best.n())), 2);
  EXPECT_NEAR(j.at("tokens").get<double>(), tokens, 1e-6 * tokens);
  EXPECT_NEAR(j.at("tokens").get<double>(), 5.5639e8, 1e4);
  EXPECT_NEAR(j.at("loss").at("predicted").get<double>(), 2.03, 1e-9);
  const double days = tokens / best.tokens_per_second() / 86400;
  EXPECT_NEAR(j.at("days").get<double>(), days, 1e-6 * days);
  EXPECT_NEAR(j.at("days").get<double>(), 0.009749, 1e-6);
}

TEST_F(PlanCliTest, TextOutputNamesTheChosenModel) {
  const CliResult r = RunMoeplan("plan --compute 6e18" + Files());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2048"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2.0253"), std::string::npos) << r.out;  // predicted loss, 4 decimals
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(PlanCliTest, MegatronExportNamesOnlyTheModulesTheModelHas) {
  // Layouts searched with selective recomputation only: the search's default modules are
  // core_attn, layernorm, mla_up_proj and moe_act (sim/layout.h); this dense GQA model has
  // neither MLA nor routed experts, so Megatron gets core_attn and layernorm.
  Write("space_sel.json", R"({"format": "moeplan-space", "version": 1, "base": "dense",
      "arch": {"hidden_size": {"min": 1024, "max": 3072, "step": 512}, "num_layers": 16,
               "num_kv_heads": 0, "head_dim": 128, "vocab_size": 32000, "seq_len": 2048},
      "layout": {"tp": [1], "pp": [1], "vpp": [1], "ep": [1], "mbs": [1],
                 "recompute": ["selective"], "gbs": 64}})");
  const fs::path out = dir_ / "megatron.txt";
  const CliResult r = RunMoeplan(
      "plan --compute 6e18 --law " + (dir_ / "law.json").string() + " --fleet " +
      (dir_ / "fleet.json").string() + " --space " + (dir_ / "space_sel.json").string() +
      " --threads 2 --dispatcher deepep --moe-a2a-overlap --export-megatron " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(out);
  const std::string args((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(
      args.find("--recompute-granularity selective\n--recompute-modules core_attn layernorm\n"),
      std::string::npos)
      << args;
  EXPECT_EQ(args.find("mla_up_proj"), std::string::npos) << args;
  EXPECT_EQ(args.find("moe_act"), std::string::npos) << args;
  const CliResult bad = RunMoeplan("plan --compute 6e18 --fixed-mfu 0.5 --dispatcher nccl");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--dispatcher: nccl not in {alltoall,deepep,hybridep}"), std::string::npos)
      << bad.err;
}

TEST_F(PlanCliTest, BadFilesGetOneLineErrors) {
  Write("bad_law.json", R"({"format": "moeplan-law", "version": 1, "name": "x",
      "laws": [{"target": {"symbol": "L", "meaning": "loss"}, "form": {"type": "chinchilla"},
                "variables": {"N": {"meaning": "n"}, "D": {"meaning": "d"}},
                "coefficients": {"A": {"value": 400}}}]})");
  const CliResult law = RunMoeplan("plan --compute 6e18 --law " + (dir_ / "bad_law.json").string() +
                                   " --fixed-mfu 0.5");
  EXPECT_EQ(law.exit_code, 2) << law.err;
  EXPECT_NE(law.err.find("bad_law.json"), std::string::npos) << law.err;
  EXPECT_NE(law.err.find("coefficients"), std::string::npos) << law.err;
  const CliResult budget = RunMoeplan("plan" + Files());
  EXPECT_EQ(budget.exit_code, 2);
  EXPECT_NE(budget.err.find("give exactly one of --days, --compute, --target-loss"),
            std::string::npos)
      << budget.err;
}

}  // namespace
}  // namespace moeplan::testing
