//===- profiler/runner.cc - Run a profile: the grid, measured -------------===//
#include "profiler/runner.h"

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <optional>

#include "profiler/core/grouping.h"
#include "profiler/core/measurement.h"
#include "profiler/core/trace_json.h"
#include "profiler/cupti_session.h"
#include "profiler/device_info.h"
#include "profiler/gemm.h"
#include "profiler/internal/device_buffer.h"
#include "profiler/nvml_loader.h"
#include "profiler/workloads.h"

namespace moeplan::profiler {
namespace {

using internal::CheckCuda;
using internal::DeviceBuffer;

constexpr size_t kWorkspaceBytes = size_t{64} << 20;
constexpr size_t kMinFlushBytes = size_t{64} << 20;

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void OnInterrupt(int) {
  g_interrupted = 1;
}

// Installs the SIGINT handler for the life of a run and restores the previous one.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted = 0;
    struct sigaction action {};
    action.sa_handler = &OnInterrupt;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &previous_);
  }
  ~InterruptGuard() { ::sigaction(SIGINT, &previous_, nullptr); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction previous_ {};
};

Error Interrupted() {
  return Error{"interrupted (SIGINT): no profile written"};
}

// Handles and buffers that live for the whole run.
struct RunState {
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cublasLtHandle_t lt = nullptr;
  DeviceBuffer workspace;
  DeviceBuffer flush;
  std::unique_ptr<NvmlDevice> nvml;

  RunState() = default;
  RunState(const RunState&) = delete;
  RunState& operator=(const RunState&) = delete;
  ~RunState() {
    if (lt != nullptr) cublasLtDestroy(lt);
    if (cublas != nullptr) cublasDestroy(cublas);
    if (stream != nullptr) cudaStreamDestroy(stream);
  }
};

Status Setup(const DeviceInfo& device, RunState& state) {
  if (Status s = CheckCuda(cudaStreamCreateWithFlags(&state.stream, cudaStreamNonBlocking),
                           "cudaStreamCreate");
      !s.ok()) {
    return s;
  }
  if (Status s = CheckCublas(cublasCreate(&state.cublas), "cublasCreate"); !s.ok()) return s;
  if (Status s = CheckCublas(cublasSetStream(state.cublas, state.stream), "cublasSetStream");
      !s.ok()) {
    return s;
  }
  if (Status s = CheckCublas(cublasLtCreate(&state.lt), "cublasLtCreate"); !s.ok()) return s;
  if (Status s =
          state.workspace.Allocate(kWorkspaceBytes, kernels::Fill::kInt32Zero, 0, state.stream);
      !s.ok()) {
    return s;
  }
  const size_t flush_bytes =
      std::max(kMinFlushBytes, static_cast<size_t>(std::max<int64_t>(device.l2_bytes, 0)) * 2);
  if (Status s = state.flush.Allocate(flush_bytes, kernels::Fill::kInt32Zero, 0, state.stream);
      !s.ok()) {
    return s;
  }
  state.nvml = NvmlDevice::Open(device.pci_bus_id);
  return CheckCuda(cudaStreamSynchronize(state.stream), "setup");
}

std::optional<DeviceState> Sample(const RunState& state) {
  if (!state.nvml) return std::nullopt;
  return state.nvml->Sample();
}

struct CaseSettings {
  int warmup = 0;
  int repetitions = 0;
  int max_attempts = 1;
  MeasureOptions measure;
};

// One round: warm-up, then flushed and ranged repetitions, then the records.
Result<Measurement> MeasureRound(const BenchCase& bench_case, Workload& workload,
                                 WorkloadContext& ctx, CuptiSession& session, RunState& state,
                                 const CaseSettings& settings, uint64_t& dropped) {
  for (int warm_idx = 0; warm_idx < settings.warmup; ++warm_idx) {
    if (Status s = workload.Run(ctx); !s.ok()) return s.error();
  }
  if (Status s = CheckCuda(cudaStreamSynchronize(state.stream), "warm-up"); !s.ok()) {
    return s.error();
  }
  dropped += session.Collect().dropped_records;  // discard setup and warm-up records
  const std::string label = bench_case.Label();
  ctx.begin_part = [&session](const std::string& part) { session.BeginRange(part, 1); };
  ctx.end_part = [&session] { session.EndRange(1); };
  Status run_status;
  for (int rep_idx = 0; rep_idx < settings.repetitions && run_status.ok(); ++rep_idx) {
    if (g_interrupted) break;
    run_status = CheckCuda(
        cudaMemsetAsync(state.flush.get(), rep_idx & 0xff, state.flush.bytes(), state.stream),
        "L2 flush");
    if (!run_status.ok()) break;
    session.BeginRange(label, 0);
    run_status = workload.Run(ctx);
    session.EndRange(0);
  }
  ctx.begin_part = nullptr;
  ctx.end_part = nullptr;
  const Status sync = CheckCuda(cudaStreamSynchronize(state.stream), "measurement");
  ActivityTrace trace = session.Collect();
  dropped += trace.dropped_records;
  if (g_interrupted) return Interrupted();
  if (!run_status.ok()) return run_status.error();
  if (!sync.ok()) return sync.error();
  return SummarizeRepetitions(bench_case, GroupByExternalRange(trace), settings.measure);
}

Result<Measurement> MeasureCase(const BenchCase& bench_case, Workload& workload,
                                WorkloadContext& ctx, CuptiSession& session, RunState& state,
                                const CaseSettings& settings, uint64_t& dropped) {
  std::optional<Measurement> best;
  const std::optional<DeviceState> before = Sample(state);
  int attempts = 0;
  while (attempts < settings.max_attempts) {
    ++attempts;
    Result<Measurement> round =
        MeasureRound(bench_case, workload, ctx, session, state, settings, dropped);
    if (!round) return round.error();
    if (!best || IsBetterAttempt(*round, *best)) best = std::move(*round);
    if (best->stable) break;
  }
  best->attempts = attempts;
  best->state_before = before;
  best->state_after = Sample(state);
  if (best->time_s.count == 0) {
    return Error{"no GPU activity was recorded (CUPTI records missing)"};
  }
  return *std::move(best);
}

std::string Describe(const Measurement& m) {
  char text[160];
  std::snprintf(text, sizeof(text), "%.4g ms, %.1f TFLOP/s, %.0f GB/s, spread %.1f%%%s",
                m.time_s.median * 1e3, m.achieved_flops_per_s * 1e-12,
                m.achieved_bytes_per_s * 1e-9, 100 * m.time_s.RelativeSpread(),
                m.stable ? "" : " (unstable)");
  return text;
}

std::vector<SkippedCase> CapabilityGaps(const std::vector<OpKind>& ops, const DeviceCaps& caps,
                                        const DeviceInfo& device) {
  auto wanted = [&](OpKind op) {
    return ops.empty() || std::find(ops.begin(), ops.end(), op) != ops.end();
  };
  std::vector<SkippedCase> skipped;
  if (!caps.fp8 && wanted(OpKind::kGemm)) {
    skipped.push_back({"gemm fp8", "compute capability " + std::to_string(device.compute_major) +
                                       "." + std::to_string(device.compute_minor) +
                                       " has no FP8 tensor cores (needs 8.9)"});
  }
  if (!caps.attention && wanted(OpKind::kAttention)) {
    BenchCase probe;
    probe.op = OpKind::kAttention;
    WorkloadContext unused;
    Result<std::unique_ptr<Workload>> reason = MakeAttentionWorkload(probe, unused);
    skipped.push_back({"attention", reason ? "" : reason.error().message});
  }
  return skipped;
}

}  // namespace

Status ProfileOptions::Validate() const {
  if (warmup < 0 || warmup > 1000) return Error{"warmup: expected 0..1000"};
  if (repetitions < 0 || repetitions > 100000) return Error{"repetitions: expected 0..100000"};
  if (repetitions != 0 && repetitions < 3) {
    return Error{"repetitions: expected at least 3 (median and spread need them)"};
  }
  if (max_attempts < 1 || max_attempts > 100) return Error{"max_attempts: expected 1..100"};
  if (!(max_relative_spread > 0)) return Error{"max_relative_spread: expected > 0"};
  if (device < 0) return Error{"device: expected a CUDA device ordinal >= 0"};
  return Status::Ok();
}

Result<Profile> RunProfile(const ProfileOptions& options) {
  if (Status s = options.Validate(); !s.ok()) return s.error();
  auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  Result<int> devices = CountDevices();
  if (!devices) return devices.error();
  if (options.device >= *devices) {
    return Error{"device " + std::to_string(options.device) + ": only " + std::to_string(*devices) +
                 " CUDA device(s) present"};
  }
  // CUPTI starts before the context is created, so that it sees every kernel.
  Result<std::unique_ptr<CuptiSession>> session = CuptiSession::Start();
  if (!session) return session.error();
  Result<DeviceInfo> device =
      DescribeDevice(options.device, static_cast<int>((*session)->cupti().version));
  if (!device) return device.error();
  if (Status s = CheckSupported(*device); !s.ok()) return s.error();
  RunState state;
  if (Status s = Setup(*device, state); !s.ok()) return s.error();

  InterruptGuard interrupt_guard;
  GridOptions grid_options;
  grid_options.size = options.size;
  grid_options.ops = options.ops;
  grid_options.caps.fp8 = device->compute_major * 10 + device->compute_minor >= 89;
  grid_options.caps.attention = HaveFusedAttention();
  const std::vector<BenchCase> grid = MakeGrid(grid_options);

  Profile profile;
  profile.tool = options.tool;
  profile.device = *device;
  profile.settings.mode = ToString(options.size);
  for (OpKind op : options.ops) profile.settings.ops.push_back(ToString(op));
  CaseSettings settings;
  settings.warmup = options.warmup;
  settings.repetitions =
      options.repetitions != 0 ? options.repetitions : (options.size == GridSize::kFull ? 20 : 10);
  settings.max_attempts = options.max_attempts;
  settings.measure.max_relative_spread = options.max_relative_spread;
  settings.measure.stats.outlier_threshold = options.outlier_threshold;
  profile.settings.warmup = settings.warmup;
  profile.settings.repetitions = settings.repetitions;
  profile.settings.max_attempts = settings.max_attempts;
  profile.settings.max_relative_spread = settings.measure.max_relative_spread;
  profile.settings.outlier_threshold = settings.measure.stats.outlier_threshold;
  profile.settings.l2_flush_bytes = static_cast<int64_t>(state.flush.bytes());
  profile.skipped = CapabilityGaps(options.ops, grid_options.caps, *device);
  say("moeplan profile: " + device->name + " (sm_" + std::to_string(device->compute_major) +
      std::to_string(device->compute_minor) + "), " + std::to_string(grid.size()) + " cases");

  WorkloadContext ctx;
  ctx.stream = state.stream;
  ctx.cublas = state.cublas;
  ctx.lt = state.lt;
  ctx.workspace = state.workspace.get();
  ctx.workspace_bytes = state.workspace.bytes();
  ctx.compute_major = device->compute_major;
  ctx.compute_minor = device->compute_minor;
  uint64_t dropped = 0;
  for (size_t case_idx = 0; case_idx < grid.size(); ++case_idx) {
    if (g_interrupted) return Interrupted();
    const BenchCase& bench_case = grid[case_idx];
    const std::string prefix = "[" + std::to_string(case_idx + 1) + "/" +
                               std::to_string(grid.size()) + "] " + bench_case.Label() + ": ";
    Result<std::unique_ptr<Workload>> workload = MakeWorkload(bench_case, ctx);
    Result<Measurement> measurement =
        workload ? MeasureCase(bench_case, **workload, ctx, **session, state, settings, dropped)
                 : Result<Measurement>(workload.error());
    workload = Error{"released"};  // free the case's device memory before the next
    if (g_interrupted) return Interrupted();
    if (!measurement) {
      // A failed case is skipped, unless the device itself is now unusable.
      if (Status s = CheckCuda(cudaDeviceSynchronize(), "device error after " + bench_case.Label());
          !s.ok()) {
        return s.error();
      }
      cudaGetLastError();
      say(prefix + "skipped: " + measurement.error().message);
      profile.skipped.push_back({bench_case.Label(), measurement.error().message});
      continue;
    }
    say(prefix + Describe(*measurement));
    profile.measurements.push_back(std::move(*measurement));
  }
  if (dropped > 0) {
    profile.notes.push_back("CUPTI dropped " + std::to_string(dropped) +
                            " activity records; affected repetitions were summarised without them");
  }
  profile.notes.push_back(
      "time_s: GPU busy time per repetition from CUPTI kernel/memcpy/memset records (union of "
      "intervals), L2 flushed before each repetition; span_s includes launch gaps");
  profile.created_utc = UtcNow();
  return profile;
}

}  // namespace moeplan::profiler
