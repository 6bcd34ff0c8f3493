//===- tests/sim/sweep/distributed_sweep_test.cc - Sweeps split over processes ---===//
/// \file
/// The rank logic of sim/sweep/distributed_sweep.h without MPI: a ProcessGroup whose ranks are
/// threads of this test (collectives through a std::barrier), so that CI checks it in every
/// build. The real `mpirun -np 2` run is tests/sim/sweep/mpi_sweep_test.cc.
#include "sim/sweep/distributed_sweep.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <thread>

#include "hwmodel/fleet_source.h"
#include "laws/scaling/law_presets.h"

namespace moeplan::plan {
namespace {

namespace fs = std::filesystem;

// N ranks as N threads sharing one exchange area.
class ThreadWorld {
 public:
  explicit ThreadWorld(int size) : size_(size), barrier_(size), slots_(static_cast<size_t>(size)) {}

  class Member final : public ProcessGroup {
   public:
    Member(ThreadWorld& world, int rank) : world_(world), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return world_.size_; }
    int local_size() const override { return world_.size_; }
    std::vector<std::string> GatherToRoot(const std::string& payload) override {
      world_.slots_[static_cast<size_t>(rank_)] = payload;
      world_.barrier_.arrive_and_wait();
      std::vector<std::string> out;
      if (rank_ == 0) out = world_.slots_;
      world_.barrier_.arrive_and_wait();
      return out;
    }
    std::string Broadcast(const std::string& payload) override {
      if (rank_ == 0) world_.slots_[0] = payload;
      world_.barrier_.arrive_and_wait();
      std::string out = world_.slots_[0];
      world_.barrier_.arrive_and_wait();
      return out;
    }

   private:
    ThreadWorld& world_;
    int rank_;
  };

  // Runs body(group) on every rank; returns rank 0's value.
  template <typename Body>
  auto Run(Body body) {
    std::vector<std::optional<decltype(body(std::declval<ProcessGroup&>()))>> results(
        static_cast<size_t>(size_));
    std::vector<std::thread> threads;
    for (int r = 0; r < size_; ++r) {
      threads.emplace_back([&, r] {
        Member member(*this, r);
        results[static_cast<size_t>(r)].emplace(body(member));
      });
    }
    for (std::thread& t : threads) t.join();
    return results;
  }

 private:
  int size_;
  std::barrier<> barrier_;
  std::vector<std::string> slots_;
};

SweepSpace SmallSpace() {
  SweepSpace s = *BuiltinSpace("default");
  auto set = [&](ArchDim d, std::vector<int64_t> v) { s.arch[static_cast<size_t>(d)] = v; };
  set(ArchDim::kHiddenSize, {1024, 2048});
  set(ArchDim::kNumLayers, {8, 16});
  set(ArchDim::kNumExperts, {8, 64});
  set(ArchDim::kTopK, {1, 2, 8});
  set(ArchDim::kExpertWidth, {512, 2048});
  set(ArchDim::kSharedExperts, {0, 1});
  set(ArchDim::kFirstDenseLayers, {0, 1});
  s.layout.tp = {1, 2};
  s.layout.pp = {1, 2};
  s.layout.vpp = {1};
  s.layout.ep = {1, 8};
  s.layout.mbs = {1};
  s.layout.recompute = {sim::Recompute::kNone, sim::Recompute::kFull};
  s.layout.gbs = 256;
  return s;
}

struct Fixture {
  SweepSpace space = SmallSpace();
  hw::Fleet fleet = *hw::LoadFleet("64xH100");
  LossModel loss = *MakeLossModel(*scaling::FindLawPreset("epoch2024"));
};

SweepOptions Options() {
  SweepOptions o;
  o.eval.objective = Objective::kLossInTime;
  o.eval.seconds = 7 * 86400.0;
  o.threads = 1;
  o.chunk_size = 5;
  o.chunks_per_batch = 3;
  o.summary_top_k = 4;
  return o;
}

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path TempDir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("moeplan_dist_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(ShardRangeTest, SlicesCoverTheRangeInOrder) {
  // 10 candidates from 5 in 3 slices: sizes 3, 3, 4 (10/3 = 3 each, the remainder of 1 goes
  // where (10 % 3) * k / 3 first steps up, at k = 3).
  EXPECT_EQ(ShardRange(5, 15, 0, 3), (std::pair<int64_t, int64_t>{5, 8}));
  EXPECT_EQ(ShardRange(5, 15, 1, 3), (std::pair<int64_t, int64_t>{8, 11}));
  EXPECT_EQ(ShardRange(5, 15, 2, 3), (std::pair<int64_t, int64_t>{11, 15}));
  // More slices than candidates: empty slices, still covering.
  EXPECT_EQ(ShardRange(0, 2, 0, 4), (std::pair<int64_t, int64_t>{0, 0}));
  EXPECT_EQ(ShardRange(0, 2, 3, 4), (std::pair<int64_t, int64_t>{1, 2}));
  // No overflow near INT64_MAX.
  const int64_t big = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(ShardRange(0, big, 7, 8).second, big);
}

TEST(DistributedSweepTest, RanksReduceExactlyAsOneProcess) {
  const Fixture f;
  const fs::path dir = TempDir("reduce");
  SweepOptions o = Options();
  o.reduce.top_k = 6;
  o.reduce.pareto = true;
  o.reduce.band_eps = 0.01;
  o.out = dir / "one.csv";
  auto one = RunSweep(f.space, f.fleet, f.loss, o);
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_GT(one->reducer.front().size(), 1u);
  for (int ranks : {2, 3}) {
    SweepOptions d = o;
    d.out = dir / (std::to_string(ranks) + "_ranks.csv");
    ThreadWorld world(ranks);
    auto results = world.Run(
        [&](ProcessGroup& g) { return RunDistributedSweep(f.space, f.fleet, f.loss, d, g); });
    const Result<SweepResult>& root = *results[0];
    ASSERT_TRUE(root.ok()) << root.error().message;
    EXPECT_EQ(Slurp(d.out), Slurp(o.out)) << ranks << " ranks";
    EXPECT_EQ(root->reducer.top(), one->reducer.top());
    EXPECT_EQ(root->reducer.front(), one->reducer.front());
    EXPECT_EQ(root->reducer.Band(), one->reducer.Band());
    // With a front there is no pruning: every counter matches too.
    EXPECT_EQ(root->stats.ToJson(), one->stats.ToJson());
    EXPECT_EQ(root->begin, 0);
    EXPECT_EQ(root->end, f.space.NumArchCandidates());
    // Nothing left behind but the outputs: no parts, no checkpoints.
    for (const auto& entry : fs::directory_iterator(dir)) {
      EXPECT_EQ(entry.path().extension(), ".csv") << entry.path();
    }
  }
  fs::remove_all(dir);
}

TEST(DistributedSweepTest, StreamedCsvIsTheBytesOfOneProcess) {
  const Fixture f;
  const fs::path dir = TempDir("stream");
  SweepOptions o = Options();
  o.out = dir / "one.csv";
  auto one = RunSweep(f.space, f.fleet, f.loss, o);
  ASSERT_TRUE(one.ok()) << one.error().message;
  SweepOptions d = o;
  d.out = dir / "two.csv";
  ThreadWorld world(2);
  auto results = world.Run(
      [&](ProcessGroup& g) { return RunDistributedSweep(f.space, f.fleet, f.loss, d, g); });
  ASSERT_TRUE(results[0]->ok()) << results[0]->error().message;
  ASSERT_TRUE(results[1]->ok()) << results[1]->error().message;
  const std::string bytes = Slurp(d.out);
  EXPECT_EQ(bytes, Slurp(o.out));
  // One header, one row per candidate.
  EXPECT_EQ(std::count(bytes.begin(), bytes.end(), '\n'), 1 + f.space.NumArchCandidates());
  EXPECT_EQ((*results[0])->stats.ToJson(), one->stats.ToJson());
  EXPECT_EQ((*results[0])->reducer.top(), one->reducer.top());  // the summary's top 4
  EXPECT_FALSE(fs::exists(PartPath(d.out, 0, 2)));
  EXPECT_FALSE(fs::exists(PartPath(d.out, 1, 2)));
  EXPECT_FALSE(fs::exists(CheckpointPath(PartPath(d.out, 1, 2))));
  fs::remove_all(dir);
}

TEST(DistributedSweepTest, ResumeNeedsTheSameRankCount) {
  const Fixture f;
  const fs::path dir = TempDir("resume");
  SweepOptions o = Options();
  o.out = dir / "out.csv";
  o.resume = true;
  ThreadWorld world(2);
  auto results = world.Run(
      [&](ProcessGroup& g) { return RunDistributedSweep(f.space, f.fleet, f.loss, o, g); });
  for (const auto& r : results) {
    ASSERT_FALSE(r->ok());
    // Rank 0's own error (every rank misses its checkpoint), the same on every rank.
    EXPECT_EQ(r->error().message,
              "--resume: no checkpoint '" + CheckpointPath(PartPath(o.out, 0, 2)).string() +
                  "' for rank 0 of 2: resume with as many ranks (-np) as the interrupted run");
  }
  fs::remove_all(dir);
}

TEST(DistributedSweepTest, ResumeOfFinishedAndInterruptedRanksCompletesTheOutput) {
  const Fixture f;
  const fs::path dir = TempDir("resume2");
  SweepOptions o = Options();
  o.out = dir / "one.csv";
  ASSERT_TRUE(RunSweep(f.space, f.fleet, f.loss, o).ok());
  // Rank 1 is stopped before its first commit (its stop flag is already set); rank 0 finishes.
  SweepOptions d = o;
  d.out = dir / "two.csv";
  std::atomic<bool> stop_rank1{true};
  ThreadWorld world(2);
  auto interrupted = world.Run([&](ProcessGroup& g) {
    SweepOptions mine = d;
    if (g.rank() == 1) mine.stop = &stop_rank1;
    return RunDistributedSweep(f.space, f.fleet, f.loss, mine, g);
  });
  for (const auto& r : interrupted) {
    ASSERT_TRUE(r->ok()) << r->error().message;
    EXPECT_TRUE((*r)->interrupted);  // every rank learns it
  }
  EXPECT_FALSE(fs::exists(d.out));
  EXPECT_TRUE(fs::exists(CheckpointPath(PartPath(d.out, 0, 2))));  // finished, kept
  EXPECT_TRUE(fs::exists(CheckpointPath(PartPath(d.out, 1, 2))));
  d.resume = true;
  ThreadWorld again(2);
  auto resumed = again.Run(
      [&](ProcessGroup& g) { return RunDistributedSweep(f.space, f.fleet, f.loss, d, g); });
  ASSERT_TRUE(resumed[0]->ok()) << resumed[0]->error().message;
  EXPECT_FALSE((*resumed[0])->interrupted);
  EXPECT_EQ(Slurp(d.out), Slurp(o.out));
  fs::remove_all(dir);
}

TEST(DistributedSweepTest, AnErrorOnOneRankIsEveryRanksError) {
  ThreadWorld world(3);
  auto statuses = world.Run([](ProcessGroup& g) {
    const Status local = g.rank() == 2 ? Status(Error{"space.json: bad"}) : Status::Ok();
    return AgreeOnStatus(g, local);
  });
  for (const auto& s : statuses) {
    ASSERT_FALSE(s->ok());
    EXPECT_EQ(s->message(), "rank 2: space.json: bad");
  }
  auto fine = world.Run([](ProcessGroup& g) { return AgreeOnStatus(g, Status::Ok()); });
  for (const auto& s : fine) EXPECT_TRUE(s->ok());
}

TEST(ProcessGroupTest, PlainProcessIsOneRank) {
  // ctest does not run this binary under mpirun.
  if (LauncherWorldSize() > 0) GTEST_SKIP() << "started by an MPI launcher";
  auto world = WorldGroup();
  ASSERT_TRUE(world.ok()) << world.error().message;
  EXPECT_EQ((*world)->size(), 1);
  EXPECT_EQ((*world)->rank(), 0);
}

}  // namespace
}  // namespace moeplan::plan
