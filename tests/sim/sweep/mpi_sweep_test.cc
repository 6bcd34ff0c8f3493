//===- tests/sim/sweep/mpi_sweep_test.cc - `mpirun -np 2 moeplan sweep` vs one process ---===//
/// \file
/// Runs the real binary under the MPI launcher CMake found (MOEPLAN_MPIEXEC) with 2 ranks and
/// checks that the top-k / Pareto front / band files and the streamed CSV are byte-identical
/// to a one-process run, that only rank 0 prints, that an input error fails every rank with
/// one message, and that an interrupted MPI sweep resumes to the same bytes. Skips with a
/// message in builds without MPI.
///
/// The launcher is made robust for containers and CI (root, 2 cores): --oversubscribe, no
/// binding, shared-memory and self transports only (no single-copy CMA, often forbidden in
/// containers), the ob1 messaging layer, and local launch without ssh (plm isolated).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;

#ifdef MOEPLAN_MPIEXEC
struct ShellResult {
  int exit_code = -1;
  std::string out, err;
};

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kMpiEnv =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
    "OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1 ";
const char* kMpiFlags =
    " --oversubscribe --bind-to none --mca btl self,vader --mca pml ob1 --mca plm isolated";

class MpiSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("moeplan_mpi_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // 2 x 2 x 2 x 3 x 2 x 2 x 2 = 192 architectures, 16 layouts each, on 64 H100s.
    std::ofstream(dir_ / "space.json") << R"({"format": "moeplan-space", "version": 1,
      "arch": {"hidden_size": [1024, 2048], "num_layers": [8, 16], "num_experts": [8, 64],
               "top_k": [1, 2, 8], "expert_width": [512, 2048], "shared_experts": [0, 1],
               "first_dense_layers": [0, 1]},
      "layout": {"tp": [1, 2], "pp": [1, 2], "vpp": 1, "ep": [1, 8], "mbs": 1,
                 "recompute": ["none", "full"], "gbs": 256}})";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Sweep(const std::string& out, const std::string& extra) const {
    return std::string(MOEPLAN_BINARY) + " sweep " + (dir_ / "space.json").string() +
           " --fleet 64xH100 --days 7 --threads 1 --chunk-size 5 --out " + (dir_ / out).string() +
           " " + extra;
  }
  static std::string Mpi(int ranks, const std::string& command) {
    return std::string(kMpiEnv) + MOEPLAN_MPIEXEC + kMpiFlags + " -np " + std::to_string(ranks) +
           " " + command;
  }
  ShellResult Shell(const std::string& command) const {
    const fs::path out = dir_ / "stdout.txt", err = dir_ / "stderr.txt";
    const int status =
        std::system((command + " >" + out.string() + " 2>" + err.string() + " </dev/null").c_str());
    ShellResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(out);
    r.err = Slurp(err);
    return r;
  }
  // No part files or checkpoints left next to the outputs.
  void ExpectOnlyFinalFiles() const {
    for (const auto& entry : fs::directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      EXPECT_EQ(name.find(".part"), std::string::npos) << name;
      EXPECT_EQ(name.find("checkpoint"), std::string::npos) << name;
    }
  }

  fs::path dir_;
};

TEST_F(MpiSweepTest, TwoRanksWriteTheBytesOfOneProcess) {
  struct Mode {
    const char* name;
    const char* flags;
    bool same_counters;  // no pruning: every counter independent of the rank count
  };
  const Mode modes[] = {{"stream", "", true},
                        {"kept", "--top-k 5 --pareto --band 0.01", true},
                        {"pruned", "--top-k 5 --band 0.01", false}};
  for (const Mode& m : modes) {
    SCOPED_TRACE(m.name);
    const std::string one_csv = std::string(m.name) + "_1.csv";
    const std::string two_csv = std::string(m.name) + "_2.csv";
    const ShellResult one = Shell(Sweep(one_csv, std::string(m.flags) + " --json"));
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const auto start = std::chrono::steady_clock::now();
    const ShellResult two = Shell(Mpi(2, Sweep(two_csv, std::string(m.flags) + " --json")));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_EQ(two.exit_code, 0) << two.out << two.err;
    std::cout << "[ mpirun -np 2 ] " << m.name << ": " << seconds << " s\n";
    const std::string bytes = Slurp(dir_ / one_csv);
    ASSERT_GT(bytes.size(), 1000u);
    EXPECT_EQ(Slurp(dir_ / two_csv), bytes);
    // Only rank 0 printed: stdout is exactly one JSON document.
    const auto a = nlohmann::json::parse(one.out);
    const auto b = nlohmann::json::parse(two.out);  // throws (fails) on two documents
    EXPECT_EQ(b.at("ranks"), 2);
    EXPECT_EQ(a.at("top"), b.at("top"));
    if (m.same_counters) {
      EXPECT_EQ(a.at("stats"), b.at("stats"));
    }
    EXPECT_EQ(a.at("stats").at("candidates"), 192);
    EXPECT_EQ(b.at("stats").at("candidates"), 192);
  }
  ExpectOnlyFinalFiles();
}

TEST_F(MpiSweepTest, ConfigListUnderTwoRanks) {
  std::ofstream(dir_ / "list.csv") << "hidden_size,num_layers,num_experts,top_k,expert_width,"
                                      "shared_experts,first_dense_layers\n"
                                      "1024,8,8,2,512,0,0\n2048,16,64,8,2048,1,1\n"
                                      "1024,16,64,2,512,1,0\n";
  const std::string list = "--configs " + (dir_ / "list.csv").string();
  const ShellResult one = Shell(Sweep("list_1.csv", list));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const ShellResult two = Shell(Mpi(2, Sweep("list_2.csv", list)));
  ASSERT_EQ(two.exit_code, 0) << two.out << two.err;
  EXPECT_EQ(Slurp(dir_ / "list_2.csv"), Slurp(dir_ / "list_1.csv"));
  ExpectOnlyFinalFiles();
}

TEST_F(MpiSweepTest, AnInputErrorFailsEveryRankWithOneMessage) {
  const ShellResult r =
      Shell(Mpi(2, std::string(MOEPLAN_BINARY) + " sweep no_such_space --fleet 64xH100 --days 7"));
  EXPECT_NE(r.exit_code, 0);
  size_t count = 0;
  for (size_t pos = 0; (pos = r.err.find("moeplan: error:", pos)) != std::string::npos; ++pos) {
    ++count;
  }
  EXPECT_EQ(count, 1u) << r.err;
  EXPECT_NE(r.err.find("'no_such_space' is neither a space file nor a built-in space"),
            std::string::npos)
      << r.err;
}

// SIGINT to mpirun reaches every rank (as SIGINT or SIGTERM, handled alike); each stops at a
// clean point and keeps its checkpoint; --resume with the same -np completes the bytes of an
// uninterrupted run.
TEST_F(MpiSweepTest, InterruptedRanksResumeToTheSameBytes) {
  const ShellResult reference = Shell(Sweep("ref.csv", ""));
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const std::string slow = "MOEPLAN_SWEEP_BATCH_DELAY_MS=150 ";
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c",
          ("exec env " + slow + Mpi(2, Sweep("cut.csv", "")) + " >/dev/null 2>&1").c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Signal only once both ranks run the sweep (their first checkpoints exist): a signal
  // during MPI start-up would kill the job before anything is resumable.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto started = [&] {
    return fs::exists(dir_ / "cut.csv.rank0-of-2.part.checkpoint.json") &&
           fs::exists(dir_ / "cut.csv.rank1-of-2.part.checkpoint.json");
  };
  while (!started() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the sweep finished before the signal; slow it down";
  EXPECT_FALSE(fs::exists(dir_ / "cut.csv")) << "output written by an interrupted run";
  const ShellResult resumed = Shell(Mpi(2, Sweep("cut.csv", "--resume")));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(Slurp(dir_ / "cut.csv"), Slurp(dir_ / "ref.csv"));
  ExpectOnlyFinalFiles();
}
#else
TEST(MpiSweepTest, SkippedWithoutMpi) {
  GTEST_SKIP() << "moeplan was built without MPI (CMake found none): install libopenmpi-dev "
                  "and openmpi-bin (.ci/install-deps) and reconfigure to run the 2-rank test";
}
#endif

}  // namespace
