//===- sim/sweep/distributed_sweep.h - One sweep over several processes (MPI) -*- C++ -*-===//
/// \file
/// `mpirun -np N moeplan sweep ...`: rank r sweeps the r-th of N contiguous slices of the
/// candidate range (ShardRange, the split `--shard r/N` uses) with RunSweep, then rank 0
/// assembles exactly what one process would have written:
///  - top-k / Pareto front / band: each rank sends its reducer state and counters to rank 0
///    (ProcessGroup::GatherToRoot), which merges them like `sweep-merge` (every order is by
///    (objective, index), so the sets do not depend on N) and writes `out` atomically;
///  - streamed CSV: rank r streams its slice to `<out>.rank<r>-of-<N>.part`; rank 0
///    concatenates the parts in rank order (= index order) under one header into `out`,
///    atomically, and deletes them: the bytes of a one-process run. The parts must lie on a
///    file system every rank sees; rank 0 checks each part's size against its rank's report.
///
/// Counters: in streamed sweeps and with a Pareto front (no pruning) every counter equals the
/// one-process run's. With top-k / band only, the bound prunes against what each rank has
/// kept, so `pruned`, `feasible` and `layouts_estimated` depend on N (the kept sets do not).
///
/// Interruption and --resume: each rank checkpoints its own slice (`<out>.rank<r>-of-<N>.part
/// .checkpoint.json`) exactly like a single process, and keeps it when its slice is done;
/// `out` is written only when every rank finished. `--resume` with the same N continues every
/// rank from its checkpoint (a finished rank only reports again); another N is refused with
/// an error naming the missing checkpoint. Errors on any rank become the same error on every
/// rank (AgreeOnStatus); only rank 0 should print. Collective: every rank must call it.
//===----------------------------------------------------------------------===//
#pragma once

#include <cstdint>
#include <filesystem>
#include <utility>

#include "sim/sweep/process_group.h"
#include "sim/sweep/sweep.h"

namespace moeplan::plan {

/// The `shard`-th of `shards` contiguous slices of [begin, end): sizes differ by at most one,
/// slices are in order and cover the range (no overflow for any int64 range).
std::pair<int64_t, int64_t> ShardRange(int64_t begin, int64_t end, int64_t shard, int64_t shards);

/// `<out>.rank<r>-of-<n>.part`: the file rank r of n streams its slice to.
std::filesystem::path PartPath(const std::filesystem::path& out, int rank, int size);

/// Runs `options`' range split over `group`. Rank 0 returns the merged result (whole range,
/// summed counters, merged reducer, the slowest rank's seconds); other ranks their own slice's.
/// A group of one is exactly RunSweep.
[[nodiscard]] Result<SweepResult> RunDistributedSweep(const SweepSpace& space,
                                                      const hw::Fleet& fleet, const LossModel& loss,
                                                      const SweepOptions& options,
                                                      ProcessGroup& group);

}  // namespace moeplan::plan
