//===- tests/sim/sweep/sweep_test.cc - Sweep engine: determinism, resume ---===//
#include "sim/sweep/sweep.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "hwmodel/fleet_source.h"
#include "laws/scaling/law_presets.h"

namespace moeplan::plan {
void PrintTo(const Entry& e, std::ostream* os) {
  *os << "\n  " << e.index << " " << e.objective << " " << e.row.substr(0, 60);
}
namespace {

namespace fs = std::filesystem;

SweepSpace SmallSpace() {
  auto space = BuiltinSpace("default");
  EXPECT_TRUE(space.ok());
  SweepSpace s = *space;
  auto set = [&](ArchDim d, std::vector<int64_t> v) { s.arch[static_cast<size_t>(d)] = v; };
  set(ArchDim::kHiddenSize, {1024, 1536, 2048});
  set(ArchDim::kNumLayers, {8, 16});
  set(ArchDim::kNumExperts, {8, 16, 64});
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
  hw::Fleet fleet;
  LossModel loss;
};

Fixture Make() {
  Fixture f;
  f.fleet = *hw::LoadFleet("64xH100");
  f.loss = *MakeLossModel(*scaling::FindLawPreset("epoch2024"));
  return f;
}

SweepOptions Options(int threads) {
  SweepOptions o;
  o.eval.objective = Objective::kLossInTime;
  o.eval.seconds = 7 * 86400.0;
  o.reduce.top_k = 5;
  o.reduce.pareto = true;
  o.reduce.band_eps = 0.01;
  o.threads = threads;
  o.chunk_size = 7;  // many chunks even in a small space
  o.chunks_per_batch = 4;
  return o;
}

TEST(SweepTest, SameResultAtOneAndManyThreads) {
  const Fixture f = Make();
  const SweepSpace space = SmallSpace();
  auto one = RunSweep(space, f.fleet, f.loss, Options(1));
  auto many = RunSweep(space, f.fleet, f.loss, Options(4));
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(one->reducer.top(), many->reducer.top());
  EXPECT_EQ(one->reducer.front(), many->reducer.front());
  EXPECT_EQ(one->reducer.Band(), many->reducer.Band());
  EXPECT_EQ(one->stats.ToJson(), many->stats.ToJson());
  EXPECT_EQ(one->reducer.top().size(), 5u);
  EXPECT_GT(one->stats.feasible, 0);
}

TEST(SweepTest, StreamedCsvIsIdenticalAtOneAndManyThreads) {
  const Fixture f = Make();
  const SweepSpace space = SmallSpace();
  const fs::path dir = fs::temp_directory_path() / ("moeplan_threads_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string previous;
  for (int threads : {1, 2, 3}) {
    SweepOptions o = Options(threads);
    o.reduce = ReduceOptions{};  // every candidate streams
    o.out = dir / (std::to_string(threads) + "_threads.csv");
    auto r = RunSweep(space, f.fleet, f.loss, o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    std::ifstream in(o.out, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string bytes = buffer.str();
    EXPECT_EQ(std::count(bytes.begin(), bytes.end(), '\n'), 1 + space.NumArchCandidates());
    if (!previous.empty()) {
      EXPECT_EQ(bytes, previous) << threads << " threads";
    }
    previous = bytes;
  }
  fs::remove_all(dir);
}

// A list holding every candidate of the space, in index order, must score each one exactly as
// the space sweep does (same pipeline), at any thread count.
TEST(SweepTest, ConfigListScoresLikeTheSpace) {
  const Fixture f = Make();
  const SweepSpace space = SmallSpace();
  std::vector<laws::MoeArch> archs(static_cast<size_t>(space.NumArchCandidates()));
  for (size_t i = 0; i < archs.size(); ++i) {
    if (BuildArch(space, DecodeArchValues(space, static_cast<int64_t>(i)), archs[i]) != nullptr) {
      archs[i] = laws::MoeArch{};  // invalid: the list sweep must reject it too
    }
  }
  SweepOptions o = Options(1);
  o.reduce.pareto = true;  // no pruning: identical counters
  auto by_space = RunSweep(space, f.fleet, f.loss, o);
  ASSERT_TRUE(by_space.ok()) << by_space.error().message;
  for (int threads : {1, 3}) {
    SweepOptions l = Options(threads);
    l.reduce.pareto = true;
    l.archs = &archs;
    auto by_list = RunSweep(space, f.fleet, f.loss, l);
    ASSERT_TRUE(by_list.ok()) << by_list.error().message;
    auto keys = [](const std::vector<Entry>& entries) {
      std::vector<std::pair<double, int64_t>> out;
      for (const Entry& e : entries) out.emplace_back(e.objective, e.index);
      return out;
    };
    EXPECT_EQ(keys(by_list->reducer.top()), keys(by_space->reducer.top()));
    EXPECT_EQ(keys(by_list->reducer.front()), keys(by_space->reducer.front()));
    EXPECT_EQ(by_list->stats.ToJson(), by_space->stats.ToJson());
  }
}

TEST(SweepTest, CsvRowToJsonTypesEveryColumn) {
  // A row written by hand in CsvHeader's column order: index, reason, objective, loss, tokens,
  // compute, 13 dimensions, N, N_a, N_nonemb, N_a_nonemb, M, E_eff, 10 layout columns (empty:
  // no layout), step time, tokens/s, MFU, days, GiB: 40 columns.
  const std::string row =
      "42,out-of-memory,2.5,2.5,1e+12,6e+21,2048,24,64,8,1408,2,1,0,8,128,0,129280,4096,"
      "1000,200,900,100,5e+09,7.5,,,,,,,,,,,0,0,0.0000,0.0000,0.000";
  const nlohmann::ordered_json j = CsvRowToJson(row);
  EXPECT_EQ(j.at("index"), 42);
  EXPECT_EQ(j.at("feasible_or_reason"), "out-of-memory");
  EXPECT_DOUBLE_EQ(j.at("objective").get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(j.at("tokens").get<double>(), 1e12);
  EXPECT_EQ(j.at("hidden_size"), 2048);
  EXPECT_EQ(j.at("seq_len"), 4096);
  EXPECT_EQ(j.at("N_a"), 200);
  EXPECT_DOUBLE_EQ(j.at("E_eff").get<double>(), 7.5);
  EXPECT_TRUE(j.at("tp").is_null());
  EXPECT_TRUE(j.at("recompute").is_null());
  EXPECT_EQ(j.at("memory_gib"), 0.0);
  EXPECT_EQ(j.size(), 40u);
}

TEST(SweepTest, ShardsMergeToTheSingleRun) {
  const Fixture f = Make();
  const SweepSpace space = SmallSpace();
  SweepOptions o = Options(2);
  o.reduce.pareto = false;  // pruning on: shards prune differently, the kept sets agree
  auto whole = RunSweep(space, f.fleet, f.loss, o);
  ASSERT_TRUE(whole.ok());
  const int64_t n = space.NumArchCandidates();
  Reducer merged(o.reduce);
  for (int64_t i = 0; i < 3; ++i) {
    SweepOptions shard = o;
    shard.begin = n * i / 3;
    shard.end = n * (i + 1) / 3;
    auto part = RunSweep(space, f.fleet, f.loss, shard);
    ASSERT_TRUE(part.ok());
    merged.Merge(part->reducer);
  }
  EXPECT_EQ(merged.top(), whole->reducer.top());
  EXPECT_EQ(merged.Band(), whole->reducer.Band());
}

TEST(SweepTest, PruningDoesNotChangeTopK) {
  const Fixture f = Make();
  const SweepSpace space = SmallSpace();
  SweepOptions pruned = Options(2);
  pruned.reduce.pareto = false;
  SweepOptions full = pruned;
  full.reduce.pareto = true;  // the front disables pruning
  auto a = RunSweep(space, f.fleet, f.loss, pruned);
  auto b = RunSweep(space, f.fleet, f.loss, full);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->reducer.top(), b->reducer.top());
  EXPECT_GT(a->stats.rejects[static_cast<size_t>(Reject::kPruned)], 0);
}

TEST(SweepTest, NoFeasibleCandidateNamesTheConstraint) {
  const Fixture f = Make();
  SweepSpace space = SmallSpace();
  space.constraints.max_total_params = 1e6;
  auto r = RunSweep(space, f.fleet, f.loss, Options(2));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->reducer.top().empty());
  const std::string text = ExplainRejects(r->stats);
  EXPECT_NE(text.find("max-total-params"), std::string::npos) << text;
  EXPECT_NE(text.find("0 feasible"), std::string::npos) << text;
}

TEST(SpaceTest, InvalidSpacesGetErrorsWithFileAndPath) {
  auto parse = [](const char* text) {
    return SpaceFromJson(nlohmann::json::parse(text), "space.json");
  };
  auto empty = parse(R"({"format":"moeplan-space","version":1,
                          "arch":{"hidden_size":{"min":4096,"max":1024,"step":512}}})");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message,
            "space.json: field 'arch.hidden_size': empty range: max 1024 < min 4096");
  auto unknown = parse(R"({"format":"moeplan-space","version":1,"arch":{"hiden_size":1024}})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("space.json: field 'arch.hiden_size': unknown field"),
            std::string::npos)
      << unknown.error().message;
  auto list = parse(R"({"format":"moeplan-space","version":1,"layout":{"tp":[]}})");
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.error().message.find("'layout.tp': empty list"), std::string::npos);
  auto contradict = parse(R"({"format":"moeplan-space","version":1,
      "constraints":{"max_total_params":1e9,"max_active_params":2e9}})");
  ASSERT_FALSE(contradict.ok());
  EXPECT_NE(contradict.error().message.find("contradict"), std::string::npos);
  auto aligned = parse(R"({"format":"moeplan-space","version":1,
      "arch":{"expert_width":{"min":500,"max":1100,"step":100,"align":256}}})");
  ASSERT_TRUE(aligned.ok()) << aligned.error().message;
  EXPECT_EQ(aligned->values(ArchDim::kExpertWidth), (std::vector<int64_t>{512, 768, 1024}));
}

TEST(SpaceTest, SelectiveRecomputeModulesAreReadAndWritten) {
  auto parse = [](const char* text) {
    return SpaceFromJson(nlohmann::json::parse(text), "space.json");
  };
  // Default: Megatron's cheap modules (sim/layout.h kSearchRecomputeModules).
  auto plain = parse(R"({"format":"moeplan-space","version":1})");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->layout.recompute_modules, sim::kSearchRecomputeModules);
  auto moe = parse(R"({"format":"moeplan-space","version":1,
      "layout":{"recompute_modules":["moe","layernorm"]}})");
  ASSERT_TRUE(moe.ok()) << moe.error().message;
  EXPECT_EQ(moe->layout.recompute_modules, sim::ModuleBit(sim::RecomputeModule::kMoe) |
                                               sim::ModuleBit(sim::RecomputeModule::kLayerNorm));
  auto round = SpaceFromJson(nlohmann::json::parse(SpaceToJson(*moe).dump()), "x");
  ASSERT_TRUE(round.ok()) << round.error().message;
  EXPECT_EQ(round->layout.recompute_modules, moe->layout.recompute_modules);
  auto bad = parse(R"({"format":"moeplan-space","version":1,
      "layout":{"recompute_modules":["moe_ac"]}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find(
                "space.json: field 'layout.recompute_modules': unknown recompute module 'moe_ac'"),
            std::string::npos)
      << bad.error().message;
}

TEST(SpaceTest, DecodingCoversTheProductInOrder) {
  SweepSpace s = SmallSpace();
  const auto first = DecodeArchValues(s, 0);
  const auto last = DecodeArchValues(s, s.NumArchCandidates() - 1);
  EXPECT_EQ(first[0], 1024);
  EXPECT_EQ(last[0], 2048);
  EXPECT_EQ(DecodeArchValues(s, 1)[static_cast<size_t>(ArchDim::kSeqLen)], 4096);
  auto round = SpaceFromJson(nlohmann::json::parse(SpaceToJson(s).dump()), "x");
  ASSERT_TRUE(round.ok()) << round.error().message;
  EXPECT_EQ(round->arch, s.arch);
}

// --- SIGINT and --resume, through the moeplan binary -------------------------------------

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t Spawn(const std::vector<std::string>& args, bool slow) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (slow) setenv("MOEPLAN_SWEEP_BATCH_DELAY_MS", "20", 1);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    freopen("/dev/null", "w", stdout);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(SweepCliTest, SigintLeavesAValidFileAndResumeCompletesIt) {
  const fs::path dir = fs::temp_directory_path() / ("moeplan_sweep_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path space = dir / "space.json";
  std::ofstream(space) << R"({"format":"moeplan-space","version":1,"base":"dense",
      "arch":{"hidden_size":{"min":512,"max":8192,"step":64},"num_layers":{"min":2,"max":64,"step":2}}})";
  auto args = [&](const fs::path& out, bool resume) {
    std::vector<std::string> a = {MOEPLAN_BINARY,
                                  "sweep",
                                  space.string(),
                                  "--fleet",
                                  "8xH100",
                                  "--compute",
                                  "1e21",
                                  "--fixed-mfu",
                                  "0.4",
                                  "--out",
                                  out.string(),
                                  "--threads",
                                  "2",
                                  "--chunk-size",
                                  "16"};
    if (resume) a.push_back("--resume");
    return a;
  };
  const fs::path reference = dir / "reference.csv";
  ASSERT_EQ(Wait(Spawn(args(reference, false), false)), 0);
  const fs::path out = dir / "interrupted.csv";
  const pid_t pid = Spawn(args(out, false), true);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  kill(pid, SIGINT);
  ASSERT_EQ(Wait(pid), 130) << "the sweep finished before SIGINT arrived";
  const std::string partial = Slurp(out);
  ASSERT_FALSE(partial.empty());
  EXPECT_EQ(partial.back(), '\n');
  EXPECT_LT(partial.size(), Slurp(reference).size());
  EXPECT_EQ(Slurp(reference).compare(0, partial.size(), partial), 0)
      << "the interrupted file is a prefix of whole rows of the full one";
  EXPECT_TRUE(fs::exists(out.string() + ".checkpoint.json"));
  ASSERT_EQ(Wait(Spawn(args(out, true), false)), 0);
  EXPECT_EQ(Slurp(out), Slurp(reference));
  EXPECT_FALSE(fs::exists(out.string() + ".checkpoint.json"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace moeplan::plan
