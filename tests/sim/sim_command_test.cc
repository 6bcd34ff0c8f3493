//===- tests/sim/sim_command_test.cc - `moeplan sim` end to end -----------===//
/// The CLI contract: tables on stdout, bad layouts and fleets as one "moeplan: error: ..." line
/// with exit status 2, out-of-memory as a verdict (exit 0), JSON and a Chrome trace on request.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_runner.h"

namespace moeplan::testing {
namespace {

using ::testing::HasSubstr;

TEST(SimCommandTest, PrintsTheBreakdowns) {
  const CliResult r =
      RunMoeplan("sim mixtral-8x7b --fleet 64xH100 --layout tp=1,pp=4,vpp=8,ep=8,mbs=1,gbs=256");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* text :
       {"step time", "tokens/s/GPU", "MFU (causal)", "MFU (full)", "compute: routed experts",
        "exposed comm: EP all-to-all", "pipeline bubble", "expert imbalance loss",
        "optimizer states", "activations", "verdict: fits"}) {
    EXPECT_THAT(r.out, HasSubstr(text));
  }
}

TEST(SimCommandTest, BadLayoutsAreOneLineErrors) {
  struct Case {
    const char* args;
    const char* message;
  };
  const Case cases[] = {
      {"sim mixtral-8x7b --fleet 64xH100 --layout tp=3",
       "moeplan: error: layout: tp=3 does not divide the 32 attention heads\n"},
      {"sim mixtral-8x7b --fleet 64xH100 --layout ep=3",
       "moeplan: error: layout: ep=3 does not divide the 8 routed experts\n"},
      {"sim mixtral-8x7b --fleet 1024xH100 --layout tp=8,pp=16,dp=16",
       "moeplan: error: layout: needs 2048 GPUs (tp=8 x cp=1 x dp=16 x pp=16) but the fleet has "
       "1024\n"},
      {"sim mixtral-8x7b --fleet 1001xH100 --layout tp=1",
       "moeplan: error: fleet '1001xH100': 1001 GPUs is not a whole number of 8-GPU nodes "
       "(nearest: 1000 or 1008)\n"},
  };
  for (const Case& c : cases) {
    const CliResult r = RunMoeplan(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_EQ(r.err, c.message) << c.args;
  }
}

TEST(SimCommandTest, OutOfMemoryIsAVerdict) {
  const CliResult r =
      RunMoeplan("sim deepseek-v3 --fleet 8xH100 --layout ep=8,gbs=8 --analytic-only");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("verdict: OUT OF MEMORY: needs "));
  EXPECT_THAT(r.out, HasSubstr("weights"));
}

TEST(SimCommandTest, JsonAndTrace) {
  const auto trace = std::filesystem::temp_directory_path() / "moeplan_sim_trace_test.json";
  const CliResult r =
      RunMoeplan("sim llama-3-8b --fleet 8xH100 --layout tp=2,pp=2,vpp=2,gbs=16 --json --trace " +
                 trace.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["format"], "moeplan-sim-report");
  EXPECT_GT(json["simulated"]["step_time_s"].get<double>(), 0.0);
  EXPECT_TRUE(json["memory"]["fits"].get<bool>());
  const auto events = nlohmann::json::parse(ReadWholeFile(trace));
  EXPECT_FALSE(events["traceEvents"].empty());
  std::filesystem::remove(trace);
}

TEST(SimCommandTest, StateStorageFlagsChangeTheMemoryNotTheTime) {
  // llama-3-8b on 8 GPUs with dp 8 and the distributed optimizer: Adam's states are 12 bytes
  // per parameter in Megatron's mixed precision and 4 (two BF16 moments) with --states bf16,
  // both sharded over the 8 ranks; the gradients go from 4 bytes to 2.
  const std::string base =
      "sim llama-3-8b --fleet 8xH100 --layout dp=8,gbs=64 --analytic-only --json";
  const CliResult mixed = RunMoeplan(base);
  const CliResult bf16 = RunMoeplan(base + " --states bf16");
  ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
  ASSERT_EQ(bf16.exit_code, 0) << bf16.err;
  const auto a = nlohmann::json::parse(mixed.out), b = nlohmann::json::parse(bf16.out);
  EXPECT_DOUBLE_EQ(b["memory"]["optimizer_states_bytes"].get<double>() * 3.0,
                   a["memory"]["optimizer_states_bytes"].get<double>());
  EXPECT_DOUBLE_EQ(b["memory"]["gradients_bytes"].get<double>() * 2.0,
                   a["memory"]["gradients_bytes"].get<double>());
  EXPECT_DOUBLE_EQ(b["analytic"]["step_time_s"].get<double>(),
                   a["analytic"]["step_time_s"].get<double>());
  EXPECT_EQ(b["options"]["state_precision"], "bf16");
  const CliResult bad = RunMoeplan("sim llama-3-8b --fleet 8xH100 --states fp16");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--states"));
}

TEST(SimCommandTest, MegatronStorageFlagsChangeTheMemoryNotTheTime) {
  // llama-3-8b on 8 GPUs, dp 8, distributed optimizer: --grad-reduce-in-bf16 halves the FP32
  // main gradients (4 -> 2 bytes); --bf16-adam-moments takes the sharded states from 12 bytes
  // (master 4 + moments 8) to 8 (master 4 + moments 4); --offload-activation-layers 32 moves
  // every decoder layer's activations to the host, leaving only the LM head's.
  const std::string base =
      "sim llama-3-8b --fleet 8xH100 --layout dp=8,gbs=64 --analytic-only --json";
  const CliResult plain = RunMoeplan(base);
  const CliResult flags = RunMoeplan(base + " --grad-reduce-in-bf16 --bf16-adam-moments");
  const CliResult offload = RunMoeplan(base + " --offload-activation-layers 32");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(flags.exit_code, 0) << flags.err;
  ASSERT_EQ(offload.exit_code, 0) << offload.err;
  const auto a = nlohmann::json::parse(plain.out), b = nlohmann::json::parse(flags.out),
             c = nlohmann::json::parse(offload.out);
  EXPECT_DOUBLE_EQ(b["memory"]["gradients_bytes"].get<double>() * 2.0,
                   a["memory"]["gradients_bytes"].get<double>());
  EXPECT_DOUBLE_EQ(b["memory"]["optimizer_states_bytes"].get<double>() * 1.5,
                   a["memory"]["optimizer_states_bytes"].get<double>());
  EXPECT_LT(c["memory"]["activations_bytes"].get<double>(),
            0.5 * a["memory"]["activations_bytes"].get<double>());
  EXPECT_DOUBLE_EQ(b["analytic"]["step_time_s"].get<double>(),
                   a["analytic"]["step_time_s"].get<double>());
  EXPECT_EQ(c["options"]["offload_activation_layers"], 32);
  const CliResult bad = RunMoeplan(base + " --offload-activation-layers -1");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--offload-activation-layers"));
}

TEST(SimCommandTest, LossImplementationChangesTheLogitMemoryNotTheTime) {
  // llama-3-8b (vocabulary 128256) at 4096 tokens per micro-batch on one pipeline rank: the
  // loss's peak on top of what it keeps is 2 bytes per logit for Megatron's in-place loss and
  // 8 for F.cross_entropy on FP32-cast logits (sim_options.h); TE's fused loss keeps 2 bytes
  // instead of Megatron's 4. The unset loss follows --states (mixed: Megatron's).
  const double logits = 4096.0 * 128256.0;
  const std::string base =
      "sim llama-3-8b --fleet 8xH100 --layout dp=8,gbs=64 --seq 4096 --analytic-only --json";
  const CliResult automatic = RunMoeplan(base);
  const CliResult megatron = RunMoeplan(base + " --loss megatron");
  const CliResult torch = RunMoeplan(base + " --loss torch-fp32");
  const CliResult te = RunMoeplan(base + " --loss te");
  for (const CliResult* r : {&automatic, &megatron, &torch, &te}) {
    ASSERT_EQ(r->exit_code, 0) << r->err;
  }
  const auto a = nlohmann::json::parse(automatic.out), m = nlohmann::json::parse(megatron.out),
             t = nlohmann::json::parse(torch.out), e = nlohmann::json::parse(te.out);
  EXPECT_DOUBLE_EQ(m["memory"]["transient_bytes"].get<double>(), 2.0 * logits);
  EXPECT_DOUBLE_EQ(t["memory"]["transient_bytes"].get<double>(), 8.0 * logits);
  EXPECT_DOUBLE_EQ(m["memory"]["activations_bytes"].get<double>() -
                       e["memory"]["activations_bytes"].get<double>(),
                   2.0 * logits);
  EXPECT_DOUBLE_EQ(a["memory"]["total_bytes"].get<double>(),
                   m["memory"]["total_bytes"].get<double>());
  EXPECT_EQ(a["options"]["loss"], "auto");
  EXPECT_EQ(t["options"]["loss"], "torch-fp32");
  EXPECT_DOUBLE_EQ(t["analytic"]["step_time_s"].get<double>(),
                   m["analytic"]["step_time_s"].get<double>());
  const CliResult contradiction =
      RunMoeplan(base + " --loss torch-loss-parallel --replicated-logits");
  EXPECT_EQ(contradiction.exit_code, 2);
  EXPECT_THAT(contradiction.err, HasSubstr("contradicts --replicated-logits"));
  const CliResult split = RunMoeplan(base + " --account-for-embedding-in-pipeline-split");
  ASSERT_EQ(split.exit_code, 0) << split.err;
  EXPECT_EQ(nlohmann::json::parse(split.out)["options"]["account_for_embedding_in_pipeline_split"],
            true);
  const CliResult unknown = RunMoeplan(base + " --loss cross-entropy");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("--loss"));
}

TEST(SimCommandTest, BestLayoutListsLayoutsAndRejections) {
  const CliResult r =
      RunMoeplan("sim mixtral-8x7b --fleet 64xH100 --best-layout --gbs 256 --top 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("best layouts"));
  EXPECT_THAT(r.out, HasSubstr("rejected family"));
  EXPECT_THAT(r.out, HasSubstr("expert grid"));
  EXPECT_THAT(r.out, HasSubstr("the best layout in detail"));
}

}  // namespace
}  // namespace moeplan::testing
