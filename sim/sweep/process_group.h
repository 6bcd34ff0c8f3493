//===- sim/sweep/process_group.h - The processes of one sweep (MPI or not) -*- C++ -*-===//
/// \file
/// The few collectives a sweep split over processes needs (sim/sweep/distributed_sweep.h):
/// gather one string per rank to rank 0, broadcast a string from rank 0, and agree on errors.
/// `WorldGroup()` is MPI_COMM_WORLD when moeplan was built with MPI (CMake found it:
/// MOEPLAN_HAVE_MPI) and the process was started by mpirun/mpiexec, and a one-process group
/// otherwise: a plain `moeplan sweep` never initialises MPI (no singleton start-up cost, no
/// MPI run-time needed). A build without MPI started by `mpirun -np N` (N > 1) is refused
/// rather than letting N copies of the whole sweep race on one output file.
///
/// Every member function is collective where it says so: all ranks call it, in the same
/// order. Not thread-safe: call from the main thread only (MPI_THREAD_FUNNELED).
//===----------------------------------------------------------------------===//
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "laws/support/result.h"

namespace moeplan::plan {

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Ranks sharing this rank's node (to split the node's cores among them).
  virtual int local_size() const = 0;
  /// Collective: rank 0 gets every rank's payload in rank order; other ranks get {}.
  virtual std::vector<std::string> GatherToRoot(const std::string& payload) = 0;
  /// Collective: every rank gets rank 0's payload.
  virtual std::string Broadcast(const std::string& payload) = 0;
};

/// One process: rank 0 of 1.
class SingleProcess final : public ProcessGroup {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_size() const override { return 1; }
  std::vector<std::string> GatherToRoot(const std::string& payload) override { return {payload}; }
  std::string Broadcast(const std::string& payload) override { return payload; }
};

/// True when moeplan was compiled with MPI support.
bool BuiltWithMpi();
/// The world size announced by an MPI launcher in the environment (OMPI_COMM_WORLD_SIZE,
/// PMI_SIZE), or 0 when the process was not started by one.
int LauncherWorldSize();
/// The rank announced by an MPI launcher (OMPI_COMM_WORLD_RANK, PMI_RANK), or 0.
int LauncherRank();

/// MPI_COMM_WORLD (initialising MPI; finalised when the group is destroyed) when built with
/// MPI and started by a launcher; a SingleProcess otherwise. Errors: started by `mpirun -np N`
/// with N > 1 in a build without MPI.
[[nodiscard]] Result<std::unique_ptr<ProcessGroup>> WorldGroup();

/// Collective: an error on any rank becomes the same error on every rank. The message is
/// rank 0's own when it failed, else "rank R: <message>" of the lowest failing rank.
[[nodiscard]] Status AgreeOnStatus(ProcessGroup& group, const Status& local);

}  // namespace moeplan::plan
