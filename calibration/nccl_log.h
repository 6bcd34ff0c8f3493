//===- calibration/nccl_log.h - Read NVIDIA nccl-tests output -*- C++ -*-===//
/// \file
/// Parses the text that NVIDIA's nccl-tests (github.com/NVIDIA/nccl-tests) print:
/// all_reduce_perf, all_gather_perf, reduce_scatter_perf, alltoall_perf and sendrecv_perf
/// (other tests are read and listed as not modelled). One file may hold several tests, as when
/// a script runs them one after another:
///
///   # nccl-tests version 2.17.9 nccl-headers=22602 nccl-library=22602      (newer versions)
///   # Collective test starting: all_reduce_perf                            (newer versions)
///   # nThread 1 nGpus 8 minBytes 8 maxBytes 8589934592 step: 2(factor) warmup iters: 5 ...
///   # Using devices
///   #  Rank  0 Group  0 Pid 1583223 on gpu-node device  0 [0000:29:00] NVIDIA H100 80GB HBM3
///   ...
///   #                                       out-of-place                       in-place
///   #       size   count   type   redop    root     time   algbw   busbw #wrong     time ...
///   #        (B)  (elements)                        (us)  (GB/s)  (GB/s)            (us) ...
///        1048576  262144  float     sum      -1    46.52   22.54   39.44      0    46.44 ...
///   # Out of bounds values : 0 OK
///   # Avg bus bandwidth    : 122.955
///   # Collective test concluded: all_reduce_perf
///
/// Columns are found by name in the header line (older versions have no redop or root column
/// and an "error" column instead of "#wrong"); times are in microseconds unless the units line
/// says (ms); bandwidths in GB/s (1e9 bytes/s). algbw = size / time and busbw = algbw times
/// 2(n-1)/n (all-reduce), (n-1)/n (all-gather, reduce-scatter, all-to-all) or 1 (send/recv)
/// (nccl-tests doc/PERFORMANCE.md); both are checked against the time column. Lines from MPI
/// launchers ("[1,0]<stdout>:") and NCCL's own INFO lines are tolerated.
///
/// Errors name the file and line: "ar.log: line 23: expected 13 columns (size count type ...),
/// got 9: truncated row?", "ar.log: no nccl-tests result table found", "ar.log: line 40: the
/// table that starts at line 14 has no '# Avg bus bandwidth' line: the log looks truncated".
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hwmodel/collective_cost.h"
#include "laws/support/result.h"

namespace moeplan::calibration {

/// One row of a result table.
struct NcclRow {
  int line = 0;                           ///< 1-based line in the file
  int64_t bytes = 0;                      ///< "size" column: the buffer size S nccl-tests reports
  int64_t count = 0;                      ///< elements
  std::string type;                       ///< "float", "double", "bfloat16", ...
  std::string redop;                      ///< "sum", "none", ... ("" when the column is absent)
  double time_s = 0.0;                    ///< out-of-place time, seconds
  double algbw = 0.0;                     ///< out-of-place algorithm bandwidth, GB/s
  double busbw = 0.0;                     ///< out-of-place bus bandwidth, GB/s
  std::optional<double> in_place_time_s;  ///< in-place time when printed
  int64_t wrong = 0;  ///< #wrong (out-of-place + in-place); 0 when "N/A" or absent
};

/// One test run (one table) of a log.
struct NcclTest {
  std::string source;                        ///< file name
  int line = 0;                              ///< line where the test's output starts
  std::string test_name;                     ///< "all_reduce_perf", or "" when the log does not say
  std::optional<hw::Collective> collective;  ///< nullopt: a test hwmodel does not model
  int num_ranks = 0;                         ///< GPUs taking part ("# Rank" lines)
  int num_hosts = 0;                         ///< distinct host names among them
  int ranks_per_host = 0;
  std::string gpu_name;  ///< device name of rank 0, e.g. "NVIDIA H100 80GB HBM3"
  std::vector<NcclRow> rows;
  double avg_bus_bandwidth = 0.0;  ///< "# Avg bus bandwidth" trailer, GB/s
};

/// The collective an nccl-tests binary measures ("all_reduce_perf" -> kAllReduce, also without
/// the "_perf" suffix and with "_mpi"); nullopt for the others (broadcast, reduce, ...).
std::optional<hw::Collective> CollectiveOfTest(std::string_view test_name);

/// Parses the text of one log. `source` names it in errors and in NcclTest::source; it is also
/// used to tell the collective when the log has no "# Collective test starting" line
/// (e.g. "all_gather_8gpu.log").
[[nodiscard]] Result<std::vector<NcclTest>> ParseNcclTestsLog(std::string_view text,
                                                              std::string_view source);

/// Reads and parses a log file.
[[nodiscard]] Result<std::vector<NcclTest>> ReadNcclTestsLog(const std::filesystem::path& path);

}  // namespace moeplan::calibration
