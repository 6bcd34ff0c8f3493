// The default allocator fragmentation (SimOptions::fragmentation) against the public training
// logs it is taken from (sim/validation/allocator_cache_logs.json): the median over the
// Megatron-family runs logged after ten or more iterations of max_reserved / max_allocated - 1.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "sim/sim_options.h"

namespace moeplan::sim {
namespace {

nlohmann::json ReadLogs() {
  const auto path = std::filesystem::path(MOEPLAN_SOURCE_DIR) / "sim" / "validation" /
                    "allocator_cache_logs.json";
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

TEST(AllocatorCacheTest, DefaultFragmentationIsTheMedianOfSteadyStateMegatronLogs) {
  const nlohmann::json logs = ReadLogs();
  ASSERT_EQ(logs.at("format"), "moeplan-allocator-cache-logs");
  std::vector<double> steady;
  for (const nlohmann::json& run : logs.at("runs")) {
    const double allocated = run.at("max_allocated").get<double>();
    const double reserved = run.at("max_reserved").get<double>();
    // A reserved peak below the tensors' peak would be a transcription error.
    EXPECT_GE(reserved, allocated) << run.at("run");
    if (run.at("framework_group") == "Megatron" && !run.at("iteration").is_null() &&
        run.at("iteration").get<int>() >= 10 && run.at("peak") == "peak_allocated" &&
        run.at("certain").get<bool>()) {
      steady.push_back(reserved / allocated - 1.0);
    }
  }
  // Enough runs for a median to mean something.
  ASSERT_GE(steady.size(), 20u);
  EXPECT_NEAR(SimOptions{}.fragmentation, Median(steady), 0.005);
}

}  // namespace
}  // namespace moeplan::sim
