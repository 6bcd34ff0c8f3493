//===- sim/sweep/sweep.h - Parallel, resumable sweeps over a space -*- C++ -*-===//
/// \file
/// Runs the evaluation pipeline (sim/sweep/evaluator.h) over the architecture candidates
/// [begin, end) of a space with oneTBB, in fixed chunks of `chunk_size` consecutive indices
/// grouped in batches of `chunks_per_batch` chunks. Chunk boundaries never depend on the thread
/// count and every chunk's results are committed in index order, so the CSV stream, the top-k,
/// the Pareto front, the band and every counter are identical at 1 or 64 threads, and a shard
/// or MPI rank reduces exactly as one process would (reducers merge by (objective, index)).
///
/// Memory is bounded: candidates are decoded from their index, a batch holds only its CSV text
/// and its kept entries. Output (when `out` is set):
///  - no top-k / front / band asked: every candidate streams to `out` as one CSV row (index
///    order; infeasible ones with the constraint that eliminated them), appended batch by batch;
///  - otherwise `out` is written atomically at the end (temp + rename) with a `set` column
///    (top, front, band).
/// A checkpoint `<out>.checkpoint.json` (written atomically after the header, at most every
/// `checkpoint_seconds`, and when stopped) records the next chunk, the committed CSV length,
/// the counters and the reducer state. `stop` (set by a SIGINT handler) is polled per
/// candidate: the batch in flight is discarded, the last commit is checkpointed and the CSV
/// holds whole rows only. `resume` truncates the CSV to its checkpointed length and continues:
/// the final file is byte-identical to an uninterrupted run's.
///
/// `archs` replaces the space's product by a user-given list (sim/sweep/config_list.h):
/// candidate i is archs[i], and everything above holds unchanged.
//===----------------------------------------------------------------------===//
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hwmodel/hardware.h"
#include "laws/arch.h"
#include "sim/sweep/evaluator.h"
#include "sim/sweep/reducer.h"
#include "sim/sweep/space.h"

namespace moeplan::plan {

struct SweepOptions {
  EvalOptions eval;
  ReduceOptions reduce;
  int threads = 0;                ///< 0: oneTBB's default (all cores)
  int64_t chunk_size = 1024;      ///< candidates per chunk (a determinism unit)
  int64_t chunks_per_batch = 64;  ///< chunks per commit
  int64_t begin = 0;              ///< first candidate index
  int64_t end = -1;               ///< one past the last; -1: the whole space
  std::filesystem::path out;      ///< empty: results in memory only
  bool resume = false;
  /// Identifies the sweep (space, fleet, law, objective, options) so that --resume refuses a
  /// checkpoint of another sweep.
  std::string fingerprint;
  double checkpoint_seconds = 1.0;
  const std::atomic<bool>* stop = nullptr;
  /// Called after every committed batch with (candidates done, candidates in range).
  std::function<void(int64_t, int64_t)> progress;
  /// Test hook: sleep this long after each commit (SIGINT tests need a slow sweep).
  int batch_delay_ms = 0;
  /// Non-null: evaluate these architectures (candidate i = (*archs)[i]) instead of the
  /// space's product; the space still gives layouts and constraints. Must outlive the sweep.
  const std::vector<laws::MoeArch>* archs = nullptr;
  /// When every candidate streams (no top-k / front / band asked), still keep the best
  /// `summary_top_k` in SweepResult::reducer for the summary (no pruning: the CSV is unchanged).
  int64_t summary_top_k = 0;
  /// One part of a sweep split over processes (sim/sweep/distributed_sweep.h): keep the
  /// checkpoint when done (a --resume of the group needs it) and write no reduced CSV (the
  /// group's rank 0 writes the merged output).
  bool part_of_group = false;
};

struct SweepStats {
  int64_t candidates = 0;         ///< decoded
  int64_t feasible = 0;           ///< fully evaluated with a valid, fitting layout
  int64_t layouts_estimated = 0;  ///< analytic step estimates run
  std::array<int64_t, kNumRejects> rejects{};
  /// Sums the counters of another range (chunks, shards, ranks).
  void Add(const SweepStats& other);
  nlohmann::json ToJson() const;
  static SweepStats FromJson(const nlohmann::json& json);
};

struct SweepResult {
  Reducer reducer;
  SweepStats stats;
  bool interrupted = false;
  double seconds = 0;
  int64_t begin = 0, end = 0;
};

/// `<out>.checkpoint.json`: where a sweep writing `out` keeps its checkpoint.
std::filesystem::path CheckpointPath(const std::filesystem::path& out);

[[nodiscard]] Result<SweepResult> RunSweep(const SweepSpace& space, const hw::Fleet& fleet,
                                           const LossModel& loss, const SweepOptions& options);

/// CSV columns of every row (after the leading `set` column of reduced files).
std::string CsvHeader();
/// One CSV row (no newline) for a candidate.
void AppendCsvRow(const CandidateResult& r, std::string& out);
/// A row of AppendCsvRow as a JSON object keyed by the CsvHeader columns: integers and
/// numbers as numbers, empty fields as null, the rest (reason, recompute) as strings.
nlohmann::ordered_json CsvRowToJson(std::string_view row);
/// Candidates in [begin, end) of the sweep: the space's product, or the list's size.
int64_t NumCandidates(const SweepSpace& space, const SweepOptions& options);
/// Writes the reducer's sets atomically as CSV (set,index,...; top, then front, then band).
[[nodiscard]] Status WriteReducedCsv(const std::filesystem::path& path, const Reducer& reducer);

/// A text explanation of the counters: how many candidates each constraint eliminated.
std::string ExplainRejects(const SweepStats& stats);

}  // namespace moeplan::plan
