//===- sim/sweep/process_group.cc - The processes of one sweep (MPI or not) ---===//
#include "sim/sweep/process_group.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string_view>

#ifndef MOEPLAN_HAVE_MPI
#define MOEPLAN_HAVE_MPI 0
#endif
#if MOEPLAN_HAVE_MPI
// The C API only: no C++ bindings to link (Open MPI and MPICH spellings).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace moeplan::plan {
namespace {

int EnvInt(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const char* text = std::getenv(name);
    if (text == nullptr) continue;
    int value = 0;
    const char* end = text + std::strlen(text);
    if (auto [p, ec] = std::from_chars(text, end, value); ec == std::errc() && p == end) {
      return value;
    }
  }
  return -1;
}

#if MOEPLAN_HAVE_MPI
class MpiWorld final : public ProcessGroup {
 public:
  MpiWorld() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &local_size_);
    MPI_Comm_free(&node);
  }
  ~MpiWorld() override { MPI_Finalize(); }
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_size() const override { return local_size_; }

  std::vector<std::string> GatherToRoot(const std::string& payload) override {
    // Payloads are reducer states (bounded by --top-k and the band limit): far below 2 GiB.
    int length = static_cast<int>(std::min<size_t>(payload.size(), INT_MAX));
    std::vector<int> lengths(rank_ == 0 ? static_cast<size_t>(size_) : 0);
    MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::vector<int> offsets(lengths.size());
    size_t total = 0;
    for (size_t i = 0; i < lengths.size(); ++i) {
      offsets[i] = static_cast<int>(total);
      total += static_cast<size_t>(lengths[i]);
    }
    std::string all(total, '\0');
    MPI_Gatherv(payload.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(),
                MPI_CHAR, 0, MPI_COMM_WORLD);
    std::vector<std::string> out;
    for (size_t i = 0; i < lengths.size(); ++i) {
      out.push_back(all.substr(static_cast<size_t>(offsets[i]), static_cast<size_t>(lengths[i])));
    }
    return out;
  }

  std::string Broadcast(const std::string& payload) override {
    int length = rank_ == 0 ? static_cast<int>(payload.size()) : 0;
    MPI_Bcast(&length, 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::string out = rank_ == 0 ? payload : std::string(static_cast<size_t>(length), '\0');
    MPI_Bcast(out.data(), length, MPI_CHAR, 0, MPI_COMM_WORLD);
    return out;
  }

 private:
  int rank_ = 0, size_ = 1, local_size_ = 1;
};
#endif

}  // namespace

bool BuiltWithMpi() {
  return MOEPLAN_HAVE_MPI != 0;
}

int LauncherWorldSize() {
  return std::max(0, EnvInt({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}));
}

int LauncherRank() {
  return std::max(0, EnvInt({"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"}));
}

Result<std::unique_ptr<ProcessGroup>> WorldGroup() {
  const int world = LauncherWorldSize();
#if MOEPLAN_HAVE_MPI
  if (world > 0) return std::unique_ptr<ProcessGroup>(std::make_unique<MpiWorld>());
#else
  if (world > 1) {
    return Error{fmt::format(
        "started by an MPI launcher with {} processes, but this moeplan was built without "
        "MPI (install Open MPI, e.g. libopenmpi-dev, and rebuild); each process would run "
        "the whole sweep",
        world)};
  }
#endif
  return std::unique_ptr<ProcessGroup>(std::make_unique<SingleProcess>());
}

Status AgreeOnStatus(ProcessGroup& group, const Status& local) {
  // One byte of verdict, then the message: "" is success.
  const std::vector<std::string> all = group.GatherToRoot(local.ok() ? "" : "E" + local.message());
  std::string verdict;
  for (size_t r = 0; r < all.size() && verdict.empty(); ++r) {
    if (all[r].empty()) continue;
    std::string_view message = std::string_view(all[r]).substr(1);
    if (message.empty()) message = "failed (no message)";
    verdict = r == 0 ? std::string(message) : fmt::format("rank {}: {}", r, message);
  }
  verdict = group.Broadcast(verdict);
  if (verdict.empty()) return Status::Ok();
  return Error{verdict};
}

}  // namespace moeplan::plan
