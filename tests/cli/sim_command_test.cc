//===- tests/cli/sim_command_test.cc - `moeplan sim` framework flags end to end -===//
/// The framework flags shared by sim, plan and sweep (cli/framework_options.h) reach the
/// simulator: checked on a host-bound case (a 3B-active MoE at one sequence per micro-batch,
/// whose per-layer kernels outnumber the GPU work), where capturing the layers as CUDA graphs
/// must remove the per-kernel host floor and nothing else. Also the per-pipeline-rank memory.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli/cli_test_fixture.h"

namespace moeplan::testing {
namespace {

class SimCliTest : public CliScratchTest {};

constexpr const char* kHostBoundRun =
    "sim qwen3-30b-a3b --fleet 8xb200 --layout tp=1,pp=1,ep=8,mbs=1,gbs=512 --precision fp8 "
    "--json";

TEST_F(SimCliTest, CudaGraphsRemoveTheKernelDispatchFloor) {
  const CliResult plain = RunMoeplan(kHostBoundRun);
  const CliResult graphs = RunMoeplan(std::string(kHostBoundRun) + " --cuda-graphs");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(graphs.exit_code, 0) << graphs.err;
  const auto p = nlohmann::json::parse(plain.out);
  const auto g = nlohmann::json::parse(graphs.out);
  EXPECT_FALSE(p["options"]["cuda_graphs"].get<bool>());
  EXPECT_TRUE(g["options"]["cuda_graphs"].get<bool>());
  const char* host = "host_bound_(kernel_dispatch)";
  const double plain_host = p["analytic"]["compute_by_class_s"][host].get<double>();
  const double graph_host = g["analytic"]["compute_by_class_s"][host].get<double>();
  // Without graphs the host floor binds (it is the point of this case); with them only the
  // fixed per-step host time is left (the preset's host.per_step, well under a second).
  ASSERT_GT(plain_host, 1.0);
  EXPECT_LT(graph_host, 0.1);
  // The GPU work is unchanged: the step shrinks by exactly the floor that was lifted.
  const double plain_step = p["analytic"]["step_time_s"].get<double>();
  const double graph_step = g["analytic"]["step_time_s"].get<double>();
  EXPECT_NEAR(plain_step - graph_step, plain_host - graph_host, 1e-6 * plain_step);
  EXPECT_DOUBLE_EQ(p["analytic"]["compute_by_class_s"]["routed_experts"].get<double>(),
                   g["analytic"]["compute_by_class_s"]["routed_experts"].get<double>());
}

// Every pipeline rank's memory is reported, with the in-flight micro-batches of 1F1B by hand:
// p = 4 stages and m = gbs / dp = 8 micro-batches, rank r keeps min(p - r, m) = 4, 3, 2, 1
// (Narayanan et al. 2021, Sec. 2.2). The headline breakdown is the largest of them.
TEST_F(SimCliTest, MemoryIsReportedForEveryPipelineRank) {
  const std::string run =
      "sim llama-3-8b --fleet 8xh100 --layout tp=1,pp=4,dp=2,mbs=1,gbs=16 --analytic-only";
  const CliResult json_run = RunMoeplan(run + " --json");
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
  const auto j = nlohmann::json::parse(json_run.out);
  const auto& ranks = j["memory_by_pipeline_rank"];
  ASSERT_EQ(ranks.size(), 4u);
  double largest = 0.0;
  int64_t largest_rank = -1;
  for (size_t r = 0; r < ranks.size(); ++r) {
    EXPECT_EQ(ranks[r]["pipeline_rank"].get<int64_t>(), static_cast<int64_t>(r));
    EXPECT_DOUBLE_EQ(ranks[r]["inflight_microbatches"].get<double>(), 4.0 - static_cast<double>(r));
    if (ranks[r]["total_bytes"].get<double>() > largest) {
      largest = ranks[r]["total_bytes"].get<double>();
      largest_rank = static_cast<int64_t>(r);
    }
  }
  EXPECT_EQ(j["memory"]["pipeline_rank"].get<int64_t>(), largest_rank);
  EXPECT_DOUBLE_EQ(j["memory"]["total_bytes"].get<double>(), largest);
  const CliResult text = RunMoeplan(run);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("memory per pipeline rank"), std::string::npos);
  // Without a pipeline there is one rank, and the text shows no per-rank table.
  const std::string flat =
      "sim llama-3-8b --fleet 8xh100 --layout tp=1,pp=1,dp=8,mbs=1,gbs=16 "
      "--analytic-only";
  const CliResult flat_json = RunMoeplan(flat + " --json");
  ASSERT_EQ(flat_json.exit_code, 0) << flat_json.err;
  EXPECT_EQ(nlohmann::json::parse(flat_json.out)["memory_by_pipeline_rank"].size(), 1u);
  EXPECT_EQ(RunMoeplan(flat).out.find("memory per pipeline rank"), std::string::npos);
}

}  // namespace
}  // namespace moeplan::testing
