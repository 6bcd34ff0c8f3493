//===- tests/cli/sim_command_test.cc - `moeplan sim` framework flags end to end -===//
/// The framework flags shared by sim, plan and sweep (cli/framework_options.h) reach the
/// simulator: checked on a host-bound case (a 3B-active MoE at one sequence per micro-batch,
/// whose per-layer kernels outnumber the GPU work), where capturing the layers as CUDA graphs
/// must remove the per-kernel host floor and nothing else.
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

}  // namespace
}  // namespace moeplan::testing
