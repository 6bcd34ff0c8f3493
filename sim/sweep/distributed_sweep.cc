//===- sim/sweep/distributed_sweep.cc - One sweep over several processes (MPI) ---===//
#include "sim/sweep/distributed_sweep.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "laws/support/atomic_file.h"

namespace moeplan::plan {
namespace {

namespace fs = std::filesystem;

// Rank 0's verdict, broadcast to every rank: first byte, then an error message.
constexpr char kDone = 'O';
constexpr char kInterrupted = 'I';
constexpr char kFailed = 'E';

// The reducer options RunSweep used (a streamed sweep keeps the summary's top-k).
ReduceOptions EffectiveReduce(const SweepOptions& o) {
  ReduceOptions r = o.reduce;
  if (!r.Any()) r.top_k = std::max<int64_t>(0, o.summary_top_k);
  return r;
}

// What a rank sends to rank 0 (JSON text).
std::string Report(const Result<SweepResult>& local, const fs::path& part, bool has_part) {
  nlohmann::json j;
  if (!local) {
    j["error"] = local.error().message;
    return j.dump();
  }
  j["interrupted"] = local->interrupted;
  j["seconds"] = local->seconds;
  j["stats"] = local->stats.ToJson();
  j["reducer"] = local->reducer.ToJson();
  if (has_part) {
    std::error_code ec;
    const uintmax_t bytes = fs::file_size(part, ec);
    j["part_bytes"] = ec ? int64_t{-1} : static_cast<int64_t>(bytes);
  }
  return j.dump();
}

// Streams the parts, in rank order, under one header into `out` (atomically).
Status ConcatenateParts(const fs::path& out, int size, const std::vector<int64_t>& part_bytes) {
  return WriteFileAtomically(out, [&](std::ostream& os) -> Status {
    const std::string header = CsvHeader();
    os << header << '\n';
    std::vector<char> buffer(size_t{1} << 20);
    for (int r = 0; r < size; ++r) {
      const fs::path part = PartPath(out, r, size);
      std::error_code ec;
      const uintmax_t bytes = fs::file_size(part, ec);
      const int64_t expected = part_bytes[static_cast<size_t>(r)];
      if (ec || static_cast<int64_t>(bytes) != expected) {
        return Error{fmt::format(
            "rank {} wrote {} bytes to '{}' but rank 0 sees {}: --out must lie on a file "
            "system every rank shares",
            r, expected, part.string(), ec ? "no such file" : fmt::format("{} bytes", bytes))};
      }
      std::ifstream in(part, std::ios::binary);
      std::string first_line;
      if (!in || !std::getline(in, first_line) || first_line != header) {
        return Error{fmt::format("'{}': not a sweep part (unexpected header)", part.string())};
      }
      while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        os.write(buffer.data(), in.gcount());
      }
      if (in.bad()) return Error{fmt::format("'{}': read error", part.string())};
    }
    return Status::Ok();
  });
}

void RemoveParts(const fs::path& out, int size) {
  for (int r = 0; r < size; ++r) {
    const fs::path part = PartPath(out, r, size);
    std::error_code ec;
    fs::remove(part, ec);
    fs::remove(CheckpointPath(part), ec);
  }
}

// Rank 0: merges the reports into `merged`, writes the output; returns the verdict.
std::string MergeAtRoot(const std::vector<std::string>& reports, const SweepOptions& options,
                        int64_t end, bool stream, SweepResult& merged) {
  const int size = static_cast<int>(reports.size());
  std::vector<nlohmann::json> parsed;
  for (int r = 0; r < size; ++r) {
    nlohmann::json j = nlohmann::json::parse(reports[static_cast<size_t>(r)], nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return kFailed + fmt::format("rank {}: unreadable report", r);
    }
    if (j.contains("error")) {
      const std::string message = j["error"].is_string() ? j["error"].get<std::string>() : "?";
      return kFailed + (r == 0 ? message : fmt::format("rank {}: {}", r, message));
    }
    parsed.push_back(std::move(j));
  }
  const ReduceOptions reduce = EffectiveReduce(options);
  merged.begin = options.begin;
  merged.end = end;
  merged.reducer = Reducer(reduce);
  std::vector<int64_t> part_bytes(static_cast<size_t>(size), -1);
  try {
    for (int r = 0; r < size; ++r) {
      const nlohmann::json& j = parsed[static_cast<size_t>(r)];
      merged.interrupted = merged.interrupted || j.at("interrupted").get<bool>();
      merged.seconds = std::max(merged.seconds, j.at("seconds").get<double>());
      merged.stats.Add(SweepStats::FromJson(j.at("stats")));
      Result<Reducer> reducer = Reducer::FromJson(j.at("reducer"), reduce);
      if (!reducer) return kFailed + fmt::format("rank {}: {}", r, reducer.error().message);
      merged.reducer.Merge(*reducer);
      part_bytes[static_cast<size_t>(r)] = j.value("part_bytes", int64_t{-1});
    }
  } catch (const nlohmann::json::exception& e) {
    return kFailed + fmt::format("malformed rank report: {}", e.what());
  }
  if (merged.interrupted) return std::string(1, kInterrupted);
  if (options.out.empty()) return std::string(1, kDone);
  const Status written = stream ? ConcatenateParts(options.out, size, part_bytes)
                                : WriteReducedCsv(options.out, merged.reducer);
  if (!written.ok()) return kFailed + written.message();
  RemoveParts(options.out, size);
  return std::string(1, kDone);
}

}  // namespace

std::pair<int64_t, int64_t> ShardRange(int64_t begin, int64_t end, int64_t shard, int64_t shards) {
  const int64_t n = end - begin;
  // n / shards * k + (n % shards) * k / shards: exact, and no product above n.
  auto split = [&](int64_t k) { return begin + n / shards * k + n % shards * k / shards; };
  return {split(shard), split(shard + 1)};
}

fs::path PartPath(const fs::path& out, int rank, int size) {
  return fs::path(fmt::format("{}.rank{}-of-{}.part", out.string(), rank, size));
}

Result<SweepResult> RunDistributedSweep(const SweepSpace& space, const hw::Fleet& fleet,
                                        const LossModel& loss, const SweepOptions& options,
                                        ProcessGroup& group) {
  if (group.size() <= 1) return RunSweep(space, fleet, loss, options);
  const int rank = group.rank();
  const int size = group.size();
  const int64_t n = NumCandidates(space, options);
  const int64_t end = options.end < 0 ? n : options.end;
  if (options.begin < 0 || options.begin > end || end > n) {
    // The same inputs on every rank: every rank returns this, no collective needed.
    return Error{
        fmt::format("candidate range [{}, {}) outside the space of {}", options.begin, end, n)};
  }
  SweepOptions o = options;
  std::tie(o.begin, o.end) = ShardRange(options.begin, end, rank, size);
  o.fingerprint += fmt::format("|rank {} of {}", rank, size);
  o.part_of_group = true;
  const bool stream = !o.reduce.Any();
  const bool files = !options.out.empty();
  if (files) o.out = PartPath(options.out, rank, size);
  Result<SweepResult> local = Error{"not run"};
  std::error_code ec;
  if (files && o.resume && !fs::exists(CheckpointPath(o.out), ec)) {
    local = Error{fmt::format(
        "--resume: no checkpoint '{}' for rank {} of {}: resume with as many ranks (-np) "
        "as the interrupted run",
        CheckpointPath(o.out).string(), rank, size)};
  } else {
    local = RunSweep(space, fleet, loss, o);
  }
  const std::vector<std::string> reports =
      group.GatherToRoot(Report(local, o.out, files && stream));
  SweepResult merged;
  std::string verdict;
  if (rank == 0) verdict = MergeAtRoot(reports, options, end, stream, merged);
  verdict = group.Broadcast(verdict);
  if (verdict.empty() || verdict.front() == kFailed) {
    return Error{verdict.empty() ? std::string("no verdict from rank 0") : verdict.substr(1)};
  }
  if (!local) return local.error();
  if (rank == 0) return merged;
  local->interrupted = verdict.front() == kInterrupted;
  return local;
}

}  // namespace moeplan::plan
