//===- tests/calibration/nccl_log_test.cc - nccl-tests output parsing -----===//
/// \file
/// Real, published nccl-tests logs (tests/calibration/data/, the first line of each names its
/// source):
///   h100_8gpu_all_reduce_ring.log, h100_8gpu_all_gather_ring.log
///     togethercomputer/together-nccl-tests, benchmarks/H100/results/20260305_220043/
///     (one HGX H100 node, NCCL_ALGO=Ring, nccl-tests 2.17.9)
///   h100_2nodes_1gpu_alltoall_sendrecv.log, h100_2nodes_8gpu_alltoall.log
///     xxrjun/nccl-tests-cluster, benchmarks/cluster00/.../pairwise/without-debug/logs/
///     (two H100 nodes, one or eight GPUs each; two tests in one file; "N/A" in-place #wrong)
///   h100_interleaved_runs.log
///     together-nccl-tests 20260306_001221_slurm/all_reduce_ring.out (first lines): two runs'
///     output interleaved in one file, which must be rejected
/// and bad logs made from them (no table, truncated rows, truncated file).
#include "calibration/nccl_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "calibration/synthetic.h"
#include "hwmodel/presets.h"

namespace moeplan::calibration {
namespace {

using ::testing::HasSubstr;

std::string DataPath(const std::string& name) {
  return std::string(MOEPLAN_CALIBRATION_TEST_DATA) + "/" + name;
}

std::string ReadData(const std::string& name) {
  std::ifstream in(DataPath(name));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Replaces the first occurrence of `from` (which must exist) with `to`.
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

TEST(NcclLog, ReadsRealSingleNodeH100AllReduce) {
  Result<std::vector<NcclTest>> tests = ReadNcclTestsLog(DataPath("h100_8gpu_all_reduce_ring.log"));
  ASSERT_TRUE(tests.ok()) << tests.error().message;
  ASSERT_EQ(tests->size(), 1u);
  const NcclTest& t = tests->front();
  EXPECT_EQ(t.test_name, "all_reduce_perf");
  ASSERT_TRUE(t.collective.has_value());
  EXPECT_EQ(*t.collective, hw::Collective::kAllReduce);
  EXPECT_EQ(t.num_ranks, 8);
  EXPECT_EQ(t.num_hosts, 1);
  EXPECT_EQ(t.ranks_per_host, 8);
  EXPECT_EQ(t.gpu_name, "NVIDIA H100 80GB HBM3");
  ASSERT_EQ(t.rows.size(), 31u);
  EXPECT_EQ(t.rows.front().bytes, 8);
  EXPECT_EQ(t.rows.front().line, 19);
  EXPECT_DOUBLE_EQ(t.rows.front().time_s, 34.98e-6);
  EXPECT_EQ(t.rows.back().bytes, 8589934592);
  EXPECT_EQ(t.rows.back().count, 2147483648);
  EXPECT_EQ(t.rows.back().type, "float");
  EXPECT_EQ(t.rows.back().redop, "sum");
  EXPECT_DOUBLE_EQ(t.rows.back().time_s, 40838.9e-6);
  EXPECT_DOUBLE_EQ(t.rows.back().algbw, 210.34);
  EXPECT_DOUBLE_EQ(t.rows.back().busbw, 368.09);
  ASSERT_TRUE(t.rows.back().in_place_time_s.has_value());
  EXPECT_DOUBLE_EQ(*t.rows.back().in_place_time_s, 40780.5e-6);
  EXPECT_DOUBLE_EQ(t.avg_bus_bandwidth, 122.955);
}

TEST(NcclLog, KeepsZeroSizeRowsOfAllGather) {
  Result<std::vector<NcclTest>> tests = ReadNcclTestsLog(DataPath("h100_8gpu_all_gather_ring.log"));
  ASSERT_TRUE(tests.ok()) << tests.error().message;
  const NcclTest& t = tests->front();
  EXPECT_EQ(*t.collective, hw::Collective::kAllGather);
  ASSERT_EQ(t.rows.size(), 31u);
  EXPECT_EQ(t.rows[0].bytes, 0);
  EXPECT_EQ(t.rows[4].bytes, 128);
  EXPECT_EQ(t.rows.back().redop, "none");
}

TEST(NcclLog, ReadsTwoTestsAcrossTwoHostsWithNotApplicableColumns) {
  Result<std::vector<NcclTest>> tests =
      ReadNcclTestsLog(DataPath("h100_2nodes_1gpu_alltoall_sendrecv.log"));
  ASSERT_TRUE(tests.ok()) << tests.error().message;
  ASSERT_EQ(tests->size(), 2u);
  EXPECT_EQ(*(*tests)[0].collective, hw::Collective::kAllToAll);
  EXPECT_EQ(*(*tests)[1].collective, hw::Collective::kSendRecv);
  for (const NcclTest& t : *tests) {
    EXPECT_EQ(t.num_ranks, 2);
    EXPECT_EQ(t.num_hosts, 2);
    EXPECT_EQ(t.ranks_per_host, 1);
    ASSERT_EQ(t.rows.size(), 10u);
    EXPECT_EQ(t.rows.front().wrong, 0);  // in-place "#wrong" is "N/A"
    EXPECT_EQ(t.rows.back().bytes, 17179869184);
  }
  EXPECT_DOUBLE_EQ((*tests)[1].rows.back().time_s, 627569e-6);
}

TEST(NcclLog, ReadsSixteenRanksOnTwoHosts) {
  Result<std::vector<NcclTest>> tests = ReadNcclTestsLog(DataPath("h100_2nodes_8gpu_alltoall.log"));
  ASSERT_TRUE(tests.ok()) << tests.error().message;
  const NcclTest& t = tests->front();
  EXPECT_EQ(t.num_ranks, 16);
  EXPECT_EQ(t.num_hosts, 2);
  EXPECT_EQ(t.ranks_per_host, 8);
}

TEST(NcclLog, RejectsInterleavedRunsWithLineNumbers) {
  Result<std::vector<NcclTest>> tests = ReadNcclTestsLog(DataPath("h100_interleaved_runs.log"));
  ASSERT_FALSE(tests.ok());
  EXPECT_THAT(tests.error().message, HasSubstr("h100_interleaved_runs.log: line 20: rank 0 is "
                                               "listed twice (first at line 12)"));
}

TEST(NcclLog, NoTableIsAnError) {
  Result<std::vector<NcclTest>> tests =
      ParseNcclTestsLog("NCCL INFO Bootstrap : Using eth0\n# nThread 1 nGpus 8\n", "empty.log");
  ASSERT_FALSE(tests.ok());
  EXPECT_THAT(tests.error().message, HasSubstr("empty.log: no nccl-tests result table found"));
}

TEST(NcclLog, TruncatedRowNamesItsLine) {
  const std::string text = Replace(ReadData("h100_8gpu_all_reduce_ring.log"),
                                   "     1048576        262144     float     sum      -1    46.52 "
                                   "  22.54   39.44       0    46.44   22.58   39.51       0",
                                   "     1048576        262144     float     sum      -1    46.52");
  Result<std::vector<NcclTest>> tests = ParseNcclTestsLog(text, "ar.log");
  ASSERT_FALSE(tests.ok());
  EXPECT_EQ(tests.error().message,
            "ar.log: line 36: expected 13 columns (size count type redop root time algbw busbw "
            "#wrong time algbw busbw #wrong), got 6: truncated row?");
}

TEST(NcclLog, TruncatedFileIsAnError) {
  std::string text = ReadData("h100_8gpu_all_reduce_ring.log");
  text = text.substr(0, text.find("  2147483648"));  // the run was killed mid-table
  Result<std::vector<NcclTest>> tests = ParseNcclTestsLog(text, "ar.log");
  ASSERT_FALSE(tests.ok());
  EXPECT_THAT(tests.error().message,
              HasSubstr("the table that starts at line 17 has no '# Avg bus bandwidth' line: "
                        "the log looks truncated"));
  EXPECT_THAT(tests.error().message, HasSubstr("ar.log: line "));
}

TEST(NcclLog, BadNumberNamesColumnAndLine) {
  const std::string text =
      Replace(ReadData("h100_8gpu_all_reduce_ring.log"), "  5218.59 ", "  5218.5x ");
  Result<std::vector<NcclTest>> tests = ParseNcclTestsLog(text, "ar.log");
  ASSERT_FALSE(tests.ok());
  EXPECT_EQ(tests.error().message,
            "ar.log: line 46: column 'time': expected a number, got '5218.5x'");
}

TEST(NcclLog, InconsistentBandwidthIsAnError) {
  // busbw of an all-gather (factor 7/8) under an all-reduce header (factor 7/4).
  const std::string text =
      Replace(ReadData("h100_8gpu_all_reduce_ring.log"), "  368.09 ", "  184.05 ");
  Result<std::vector<NcclTest>> tests = ParseNcclTestsLog(text, "ar.log");
  ASSERT_FALSE(tests.ok());
  EXPECT_THAT(tests.error().message, HasSubstr("ar.log: line 49: busbw / algbw = 0.875, but "
                                               "all_reduce_perf on 8 ranks has the factor 1.750"));
}

TEST(NcclLog, MissingRankLinesIsAnError) {
  std::string text = ReadData("h100_8gpu_all_reduce_ring.log");
  std::string kept;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find("#  Rank") == std::string::npos) kept += line + "\n";
  }
  Result<std::vector<NcclTest>> tests = ParseNcclTestsLog(kept, "ar.log");
  ASSERT_FALSE(tests.ok());
  EXPECT_THAT(tests.error().message, HasSubstr("no '#  Rank N ... on <host> device ...' lines"));
}

TEST(NcclLog, TellsTheCollectiveFromTheFileNameOfOlderLogs) {
  std::string text = ReadData("h100_8gpu_all_gather_ring.log");
  text = Replace(text, "# Collective test starting: all_gather_perf\n", "");
  EXPECT_TRUE(ParseNcclTestsLog(text, "runs/all_gather_8gpu.log").ok());
  Result<std::vector<NcclTest>> unnamed = ParseNcclTestsLog(text, "runs/node7.log");
  ASSERT_FALSE(unnamed.ok());
  EXPECT_THAT(unnamed.error().message, HasSubstr("cannot tell which collective this is"));
}

TEST(NcclLog, ToleratesMpiLauncherPrefixes) {
  std::string prefixed;
  std::istringstream in(ReadData("h100_8gpu_all_reduce_ring.log"));
  for (std::string line; std::getline(in, line);) prefixed += "[1,0]<stdout>:" + line + "\n";
  Result<std::vector<NcclTest>> tests = ParseNcclTestsLog(prefixed, "ar.log");
  ASSERT_TRUE(tests.ok()) << tests.error().message;
  EXPECT_EQ(tests->front().rows.size(), 31u);
}

TEST(NcclLog, UnmodelledTestsAreReadButHaveNoCollective) {
  std::string text = ReadData("h100_8gpu_all_gather_ring.log");
  text = Replace(text, "starting: all_gather_perf", "starting: broadcast_perf");
  Result<std::vector<NcclTest>> tests = ParseNcclTestsLog(text, "bc.log");
  ASSERT_TRUE(tests.ok()) << tests.error().message;
  EXPECT_FALSE(tests->front().collective.has_value());
}

TEST(NcclLog, CollectiveOfTestNames) {
  EXPECT_EQ(CollectiveOfTest("all_reduce_perf"), hw::Collective::kAllReduce);
  EXPECT_EQ(CollectiveOfTest("all_reduce_perf_mpi"), hw::Collective::kAllReduce);
  EXPECT_EQ(CollectiveOfTest("reduce_scatter_perf"), hw::Collective::kReduceScatter);
  EXPECT_EQ(CollectiveOfTest("alltoall_perf"), hw::Collective::kAllToAll);
  EXPECT_EQ(CollectiveOfTest("sendrecv"), hw::Collective::kSendRecv);
  EXPECT_FALSE(CollectiveOfTest("broadcast_perf").has_value());
}

TEST(NcclLog, SyntheticLogsUseTheSameFormat) {
  const hw::Hardware h100 = hw::FindHardwarePreset("h100")->hardware;
  const std::string log = MakeSyntheticNcclLog(h100, hw::Collective::kReduceScatter, 8, 2,
                                               {1 << 20, 1 << 24, 1 << 28}, 0.01, 3);
  Result<std::vector<NcclTest>> tests = ParseNcclTestsLog(log, "synthetic.log");
  ASSERT_TRUE(tests.ok()) << tests.error().message;
  EXPECT_EQ(tests->front().num_ranks, 16);
  EXPECT_EQ(tests->front().num_hosts, 2);
  EXPECT_EQ(tests->front().rows.size(), 3u);
}

}  // namespace
}  // namespace moeplan::calibration
