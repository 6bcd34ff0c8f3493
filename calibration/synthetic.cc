//===- calibration/synthetic.cc - Profiles and nccl-tests logs from known parameters -===//
#include "calibration/synthetic.h"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "calibration/lowering.h"
#include "profiler/core/op_cost.h"

namespace moeplan::calibration {
namespace {

// splitmix64 + Box-Muller: portable standard normal numbers.
class Normal {
 public:
  explicit Normal(uint64_t seed) : state_(seed) {}
  double Uniform() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (static_cast<double>(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);  // (0, 1)
  }
  double Next() {
    const double u1 = Uniform();
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  uint64_t state_;
};

profiler::SampleStats Constant(double value, int count) {
  profiler::SampleStats stats;
  stats.count = count;
  stats.median = stats.mean = stats.min = stats.max = stats.q1 = stats.q3 = value;
  return stats;
}

// Kernel time without launch overhead.
double BusyTime(const LoweredCase& lowered, const hw::Hardware& truth, double copy_efficiency) {
  const double launch = truth.efficiency.launch_overhead;
  double busy = 0.0;
  for (const Primitive& p : lowered.primitives) {
    busy += PrimitiveTime(p, truth, copy_efficiency) - launch;
  }
  return busy;
}

profiler::DeviceInfo SyntheticDevice(const hw::Hardware& truth) {
  profiler::DeviceInfo device;
  device.name = "synthetic " + truth.device.name + " (hwmodel with known parameters)";
  device.compute_major = 9;
  device.sm_count = static_cast<int>(truth.device.num_sms);
  device.memory_bytes = truth.device.hbm_bytes;
  device.l2_bytes = truth.device.l2_bytes;
  device.memory_bandwidth_bytes_per_s = truth.device.hbm_bandwidth;
  device.driver_version = "synthetic";
  device.clock_source = "synthetic";
  return device;
}

}  // namespace

profiler::Profile MakeSyntheticProfile(const hw::Hardware& truth, const SyntheticOptions& options) {
  profiler::Profile profile;
  profile.tool = "moeplan synthetic";
  profile.created_utc = "1970-01-01T00:00:00Z";
  profile.device = SyntheticDevice(truth);
  profile.settings.mode = profiler::ToString(options.grid);
  profile.settings.repetitions = 20;
  profile.notes.push_back("synthetic: hwmodel predictions under known parameters plus noise");
  profiler::GridOptions grid;
  grid.size = options.grid;
  grid.caps.fp8 = truth.device.Supports(hw::Precision::kFp8);
  grid.caps.attention = true;
  Normal normal(options.seed);
  const double launch = truth.efficiency.launch_overhead;
  for (const profiler::BenchCase& bench_case : profiler::MakeGrid(grid)) {
    Result<LoweredCase> lowered = LowerCase(bench_case);
    if (!lowered) continue;
    double busy = BusyTime(*lowered, truth, options.copy_efficiency);
    busy *= std::exp(options.noise * normal.Next());
    if (normal.Uniform() < options.outlier_fraction) busy *= options.outlier_factor;
    const size_t kernels = lowered->primitives.size();
    profiler::Measurement m;
    m.bench_case = bench_case;
    const profiler::OpCost cost = profiler::CostOf(bench_case);
    m.flops = cost.flops;
    m.bytes = cost.bytes;
    m.time_s = Constant(busy, 20);
    m.span_s = Constant(busy + static_cast<double>(kernels - 1) * launch, 20);
    m.achieved_flops_per_s = m.flops / busy;
    m.achieved_bytes_per_s = m.bytes / busy;
    for (size_t kernel_idx = 0; kernel_idx < kernels; ++kernel_idx) {
      profiler::KernelSummary kernel;
      kernel.name = fmt::format("synthetic_kernel_{}", kernel_idx);
      kernel.calls_per_repetition = 1.0;
      kernel.duration_s = Constant(busy / static_cast<double>(kernels), 20);
      m.kernels.push_back(std::move(kernel));
    }
    if (bench_case.op == profiler::OpKind::kMoeLayer) {
      for (const profiler::BenchCase& part : profiler::MoeLayerParts(bench_case)) {
        const Result<LoweredCase> part_lowered = LowerCase(part);
        if (!part_lowered) continue;
        m.parts.push_back(
            {part.Label(), Constant(BusyTime(*part_lowered, truth, options.copy_efficiency), 20)});
      }
    }
    profile.measurements.push_back(std::move(m));
  }
  return profile;
}

std::string MakeSyntheticNcclLog(const hw::Hardware& truth, hw::Collective collective,
                                 int ranks_per_host, int hosts, const std::vector<int64_t>& sizes,
                                 double noise, uint64_t seed) {
  const int ranks = ranks_per_host * hosts;
  const double n = static_cast<double>(ranks);
  const char* test = "all_reduce_perf";
  const char* redop = "sum";
  double factor = 2.0 * (n - 1.0) / n;
  switch (collective) {
    case hw::Collective::kAllReduce:
      break;
    case hw::Collective::kAllGather:
      test = "all_gather_perf";
      redop = "none";
      factor = (n - 1.0) / n;
      break;
    case hw::Collective::kReduceScatter:
      test = "reduce_scatter_perf";
      factor = (n - 1.0) / n;
      break;
    case hw::Collective::kAllToAll:
      test = "alltoall_perf";
      redop = "none";
      factor = (n - 1.0) / n;
      break;
    case hw::Collective::kSendRecv:
      test = "sendrecv_perf";
      factor = 1.0;
      break;
  }
  std::string log =
      fmt::format("# nccl-tests version synthetic\n# Collective test starting: {}\n", test);
  log += fmt::format(
      "# nThread 1 nGpus 1 minBytes {} maxBytes {} step: 2(factor) warmup iters: 5 iters: 20 agg "
      "iters: 1 validation: 1 graph: 0\n#\n# Using devices\n",
      sizes.empty() ? 0 : sizes.front(), sizes.empty() ? 0 : sizes.back());
  for (int rank = 0; rank < ranks; ++rank) {
    log += fmt::format(
        "#  Rank {:2d} Group  0 Pid {:6d} on synthetic-node{} device {:2d} [0x{:02x}] "
        "synthetic {}\n",
        rank, 1000 + rank / ranks_per_host, rank / ranks_per_host, rank % ranks_per_host,
        0x10 + rank % ranks_per_host, truth.device.name);
  }
  log +=
      "#\n#                                                              out-of-place            "
      "           in-place\n"
      "#       size         count      type   redop    root     time   algbw   busbw  #wrong     "
      "time   algbw   busbw  #wrong\n"
      "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)             "
      "(us)  (GB/s)  (GB/s)\n";
  const hw::CollectiveGroup group = hw::PlaceGroup(ranks, ranks_per_host);
  Normal normal(seed);
  double bus_sum = 0.0;
  for (const int64_t size : sizes) {
    const double model = hw::CollectiveTime(collective, static_cast<double>(size), group, truth);
    std::string row = fmt::format("{:12d}  {:12d}     float  {:>6}      -1", size, size / 4, redop);
    for (int placement = 0; placement < 2; ++placement) {
      const double seconds = model * std::exp(noise * normal.Next());
      const double us = std::round(seconds * 1e6 * 100.0) / 100.0;
      const double algbw = static_cast<double>(size) / (us * 1e-6) / 1e9;
      row += fmt::format(" {:8.2f} {:7.2f} {:7.2f}       0", us, algbw, algbw * factor);
      if (placement == 0) bus_sum += algbw * factor;
    }
    log += row + "\n";
  }
  log += "# Out of bounds values : 0 OK\n";
  log += fmt::format("# Avg bus bandwidth    : {:.3f}\n#\n# Collective test concluded: {}\n",
                     sizes.empty() ? 0.0 : bus_sum / static_cast<double>(sizes.size()), test);
  return log;
}

}  // namespace moeplan::calibration
