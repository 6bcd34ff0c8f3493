//===- sim/sweep/sweep.cc - Parallel, resumable sweeps over a space -------===//
#include "sim/sweep/sweep.h"

#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <thread>

#include "laws/support/atomic_file.h"
#include "laws/support/json_reader.h"

namespace moeplan::plan {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct ChunkOut {
  std::string csv;
  Reducer reducer;
  SweepStats stats;
  bool aborted = false;
};

Status WriteCheckpoint(const SweepOptions& o, int64_t next_chunk, int64_t csv_bytes,
                       const SweepStats& stats, const Reducer& reducer) {
  nlohmann::json j = {{"format", "moeplan-sweep-checkpoint"},
                      {"version", 1},
                      {"fingerprint", o.fingerprint},
                      {"begin", o.begin},
                      {"next_chunk", next_chunk},
                      {"csv_bytes", csv_bytes},
                      {"stats", stats.ToJson()},
                      {"reducer", reducer.ToJson()}};
  return WriteFileAtomically(CheckpointPath(o.out), j.dump());
}

// Runs one chunk of candidates into `out`.
void RunChunk(Evaluator& evaluator, int64_t first, int64_t last, double threshold, bool stream,
              const SweepOptions& o, ChunkOut& out) {
  CandidateResult r;
  for (int64_t index = first; index < last; ++index) {
    if (o.stop != nullptr && o.stop->load(std::memory_order_relaxed)) {
      out.aborted = true;
      return;
    }
    const double bound = stream ? kInf : std::min(threshold, out.reducer.PruneThreshold());
    if (o.archs != nullptr) {
      evaluator.EvaluateArch((*o.archs)[static_cast<size_t>(index)], index, bound, r);
    } else {
      evaluator.Evaluate(index, bound, r);
    }
    ++out.stats.candidates;
    out.stats.layouts_estimated += r.layouts_estimated;
    ++out.stats.rejects[static_cast<size_t>(r.reject)];
    if (r.reject == Reject::kNone) ++out.stats.feasible;
    const auto params = static_cast<double>(r.total_params);
    if (stream) {
      const size_t row_start = out.csv.size();
      AppendCsvRow(r, out.csv);
      // The summary's top-k (SweepOptions::summary_top_k) shares the streamed row.
      if (r.reject == Reject::kNone && out.reducer.Wants(r.objective, r.index, params)) {
        out.reducer.Offer(Entry{r.objective, r.index, params, out.csv.substr(row_start)});
      }
      out.csv += '\n';
      continue;
    }
    if (r.reject != Reject::kNone) continue;
    if (!out.reducer.Wants(r.objective, r.index, params)) continue;
    Entry e{r.objective, r.index, params, {}};
    AppendCsvRow(r, e.row);
    out.reducer.Offer(e);
  }
}

}  // namespace

std::filesystem::path CheckpointPath(const std::filesystem::path& out) {
  return std::filesystem::path(out.string() + ".checkpoint.json");
}

void SweepStats::Add(const SweepStats& other) {
  candidates += other.candidates;
  feasible += other.feasible;
  layouts_estimated += other.layouts_estimated;
  for (size_t i = 0; i < kNumRejects; ++i) rejects[i] += other.rejects[i];
}

nlohmann::json SweepStats::ToJson() const {
  nlohmann::json rejects_json = nlohmann::json::object();
  for (size_t i = 0; i < kNumRejects; ++i)
    rejects_json[ToString(static_cast<Reject>(i))] = rejects[i];
  return {{"candidates", candidates},
          {"feasible", feasible},
          {"layouts_estimated", layouts_estimated},
          {"rejects", rejects_json}};
}

SweepStats SweepStats::FromJson(const nlohmann::json& j) {
  SweepStats s;
  s.candidates = j.at("candidates").get<int64_t>();
  s.feasible = j.at("feasible").get<int64_t>();
  s.layouts_estimated = j.at("layouts_estimated").get<int64_t>();
  for (size_t i = 0; i < kNumRejects; ++i) {
    s.rejects[i] = j.at("rejects").at(ToString(static_cast<Reject>(i))).get<int64_t>();
  }
  return s;
}

std::string CsvHeader() {
  std::string h = "index,feasible_or_reason,objective,loss,tokens,compute";
  for (size_t i = 0; i < kNumArchDims; ++i) {
    h += ',';
    h += ToString(static_cast<ArchDim>(i));
  }
  h += ",N,N_a,N_nonemb,N_a_nonemb,M,E_eff,tp,pp,vpp,ep,etp,cp,dp,mbs,gbs,recompute,step_time_s,"
       "tokens_per_s,mfu,days,memory_gib";
  return h;
}

void AppendCsvRow(const CandidateResult& r, std::string& out) {
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{},{},{:.9g},{:.9g},{:.6g},{:.6g}", r.index, ToString(r.reject), r.objective,
                 r.loss, r.tokens, r.compute);
  for (int64_t v : r.values) fmt::format_to(it, ",{}", v);
  fmt::format_to(it, ",{},{},{},{},{:.6g},{:.6g}", r.total_params, r.active_params,
                 r.total_params_nonemb, r.active_params_nonemb, r.flops_per_token,
                 r.effective_experts);
  if (r.has_layout) {
    const sim::Layout& l = r.layout;
    fmt::format_to(it, ",{},{},{},{},{},{},{},{},{},{}", l.tp, l.pp, l.vpp, l.ep, l.etp, l.cp, l.dp,
                   l.mbs, l.gbs, sim::ToString(l.recompute));
  } else {
    out += ",,,,,,,,,,";
  }
  fmt::format_to(it, ",{:.6g},{:.6g},{:.4f},{:.4f},{:.3f}", r.step_time, r.tokens_per_second, r.mfu,
                 r.seconds / 86400.0, r.memory_bytes / (1024.0 * 1024.0 * 1024.0));
}

Status WriteReducedCsv(const std::filesystem::path& path, const Reducer& reducer) {
  return WriteFileAtomically(path, [&](std::ostream& os) -> Status {
    os << "set," << CsvHeader() << '\n';
    for (const Entry& e : reducer.top()) os << "top," << e.row << '\n';
    for (const Entry& e : reducer.front()) os << "front," << e.row << '\n';
    for (const Entry& e : reducer.Band()) os << "band," << e.row << '\n';
    return Status::Ok();
  });
}

nlohmann::ordered_json CsvRowToJson(std::string_view row) {
  static const std::vector<std::string> kColumns = [] {
    std::vector<std::string> columns;
    const std::string header = CsvHeader();
    size_t start = 0;
    size_t comma = header.find(',');
    while (comma != std::string::npos) {
      columns.push_back(header.substr(start, comma - start));
      start = comma + 1;
      comma = header.find(',', start);
    }
    columns.push_back(header.substr(start));
    return columns;
  }();
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  size_t start = 0;
  for (size_t column = 0; column < kColumns.size(); ++column) {
    size_t comma = row.find(',', start);
    if (comma == std::string_view::npos) comma = row.size();
    const std::string_view field = row.substr(start, comma - start);
    nlohmann::ordered_json& value = out[kColumns[column]];
    int64_t integer = 0;
    double number = 0;
    const char* end = field.data() + field.size();
    if (field.empty()) {
      value = nullptr;
    } else if (auto [p, ec] = std::from_chars(field.data(), end, integer);
               ec == std::errc() && p == end) {
      value = integer;
    } else if (auto [q, ec2] = std::from_chars(field.data(), end, number);
               ec2 == std::errc() && q == end) {
      value = std::isfinite(number) ? nlohmann::ordered_json(number) : nlohmann::ordered_json();
    } else {
      value = std::string(field);
    }
    start = std::min(row.size(), comma + 1);
  }
  return out;
}

int64_t NumCandidates(const SweepSpace& space, const SweepOptions& options) {
  return options.archs != nullptr ? static_cast<int64_t>(options.archs->size())
                                  : space.NumArchCandidates();
}

std::string ExplainRejects(const SweepStats& s) {
  std::string out = fmt::format("{} candidates: {} feasible", s.candidates, s.feasible);
  for (size_t i = 1; i < kNumRejects; ++i) {
    if (s.rejects[i] == 0) continue;
    out += fmt::format("\n  {:>12} eliminated by {}: {}", s.rejects[i],
                       ToString(static_cast<Reject>(i)), Describe(static_cast<Reject>(i)));
  }
  return out;
}

Result<SweepResult> RunSweep(const SweepSpace& space, const hw::Fleet& fleet, const LossModel& loss,
                             const SweepOptions& options) {
  SweepOptions o = options;
  if (Status s = o.eval.Validate(); !s.ok()) return s.error();
  if (loss.kind == LossModel::Kind::kAllocation && o.eval.objective != Objective::kLossAtCompute) {
    return Error{
        fmt::format("law '{}' is an allocation law (M_opt, D_opt) without a loss: only "
                    "a fixed compute budget can use it; give a loss law (e.g. epoch2024)",
                    loss.law_name)};
  }
  if (o.eval.fixed_mfu == 0 && space.layout.gbs <= 0) {
    return Error{"space: field 'layout.gbs': a global batch size (sequences) is needed"};
  }
  if (o.chunk_size < 1 || o.chunks_per_batch < 1) return Error{"chunk sizes must be >= 1"};
  const int64_t n = NumCandidates(space, o);
  if (o.end < 0) o.end = n;
  if (o.begin < 0 || o.begin > o.end || o.end > n) {
    return Error{
        fmt::format("candidate range [{}, {}) outside the space of {}", o.begin, o.end, n)};
  }
  const bool stream = !o.reduce.Any();
  const bool files = !o.out.empty();
  ReduceOptions reduce = o.reduce;
  if (stream) reduce.top_k = std::max<int64_t>(0, o.summary_top_k);
  const int64_t total_chunks = (o.end - o.begin + o.chunk_size - 1) / o.chunk_size;

  SweepResult result;
  result.begin = o.begin;
  result.end = o.end;
  result.reducer = Reducer(reduce);
  int64_t next_chunk = 0;
  int64_t csv_bytes = 0;
  std::FILE* csv = nullptr;
  if (files && o.resume) {
    Result<nlohmann::json> ck = ReadJsonFile(CheckpointPath(o.out));
    if (!ck) return Error{fmt::format("--resume: {}", ck.error().message)};
    try {
      if (ck->at("fingerprint").get<std::string>() != o.fingerprint ||
          ck->at("begin").get<int64_t>() != o.begin) {
        return Error{
            fmt::format("--resume: checkpoint '{}' belongs to a different sweep (space, "
                        "fleet, law, objective or options differ)",
                        CheckpointPath(o.out).string())};
      }
      next_chunk = ck->at("next_chunk").get<int64_t>();
      csv_bytes = ck->at("csv_bytes").get<int64_t>();
      result.stats = SweepStats::FromJson(ck->at("stats"));
      Result<Reducer> r = Reducer::FromJson(ck->at("reducer"), reduce);
      if (!r) return r.error();
      result.reducer = std::move(*r);
    } catch (const nlohmann::json::exception& e) {
      return Error{fmt::format("--resume: bad checkpoint: {}", e.what())};
    }
    if (stream) {
      std::error_code ec;
      std::filesystem::resize_file(o.out, static_cast<uintmax_t>(csv_bytes), ec);
      if (ec)
        return Error{
            fmt::format("--resume: cannot truncate '{}': {}", o.out.string(), ec.message())};
      csv = std::fopen(o.out.c_str(), "ab");
    }
  } else if (files && stream) {
    csv = std::fopen(o.out.c_str(), "wb");
    if (csv != nullptr) {
      const std::string header = CsvHeader() + "\n";
      std::fwrite(header.data(), 1, header.size(), csv);
      std::fflush(csv);
      csv_bytes = static_cast<int64_t>(header.size());
    }
  }
  if (files && stream && csv == nullptr) {
    return Error{fmt::format("cannot open '{}' for writing", o.out.string())};
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> csv_guard(
      csv, [](std::FILE* f) { return f != nullptr ? std::fclose(f) : 0; });
  if (files && !o.resume) {
    if (Status s = WriteCheckpoint(o, 0, csv_bytes, result.stats, result.reducer); !s.ok()) {
      return s.error();
    }
  }

  std::unique_ptr<tbb::global_control> limit;
  if (o.threads > 0) {
    limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                  static_cast<size_t>(o.threads));
  }
  tbb::enumerable_thread_specific<Evaluator> evaluators(Evaluator(space, fleet, loss, o.eval));
  std::vector<ChunkOut> chunks(static_cast<size_t>(o.chunks_per_batch));
  const auto start = std::chrono::steady_clock::now();
  auto last_checkpoint = start;
  while (next_chunk < total_chunks) {
    const int64_t batch = std::min(o.chunks_per_batch, total_chunks - next_chunk);
    const double threshold = result.reducer.PruneThreshold();
    for (int64_t i = 0; i < batch; ++i) {
      ChunkOut& c = chunks[static_cast<size_t>(i)];
      c.csv.clear();
      c.reducer = Reducer(reduce);
      c.stats = SweepStats{};
      c.aborted = false;
    }
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, batch, 1), [&](const auto& range) {
      Evaluator& evaluator = evaluators.local();
      for (int64_t i = range.begin(); i != range.end(); ++i) {
        const int64_t first = o.begin + (next_chunk + i) * o.chunk_size;
        const int64_t last = std::min(o.end, first + o.chunk_size);
        RunChunk(evaluator, first, last, threshold, stream, o, chunks[static_cast<size_t>(i)]);
      }
    });
    bool aborted = false;
    for (int64_t i = 0; i < batch; ++i) aborted = aborted || chunks[static_cast<size_t>(i)].aborted;
    if (aborted) {
      result.interrupted = true;
      break;
    }
    for (int64_t i = 0; i < batch; ++i) {
      const ChunkOut& c = chunks[static_cast<size_t>(i)];
      if (csv != nullptr) {
        std::fwrite(c.csv.data(), 1, c.csv.size(), csv);
        csv_bytes += static_cast<int64_t>(c.csv.size());
      }
      result.reducer.Merge(c.reducer);
      result.stats.Add(c.stats);
    }
    next_chunk += batch;
    if (csv != nullptr) {
      std::fflush(csv);
      ::fsync(::fileno(csv));
    }
    const auto now = std::chrono::steady_clock::now();
    const bool stopping = o.stop != nullptr && o.stop->load();
    if (files && (stopping || std::chrono::duration<double>(now - last_checkpoint).count() >=
                                  o.checkpoint_seconds)) {
      if (Status s = WriteCheckpoint(o, next_chunk, csv_bytes, result.stats, result.reducer);
          !s.ok()) {
        return s.error();
      }
      last_checkpoint = now;
    }
    if (o.progress) {
      o.progress(std::min(o.end - o.begin, next_chunk * o.chunk_size), o.end - o.begin);
    }
    if (o.batch_delay_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(o.batch_delay_ms));
    if (stopping) {
      result.interrupted = next_chunk < total_chunks;
      break;
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!files) return result;
  if (result.interrupted) {
    if (Status s = WriteCheckpoint(o, next_chunk, csv_bytes, result.stats, result.reducer);
        !s.ok()) {
      return s.error();
    }
    return result;
  }
  if (o.part_of_group) {
    // The group's rank 0 merges and writes the output; a --resume of the group reads this.
    if (Status s = WriteCheckpoint(o, next_chunk, csv_bytes, result.stats, result.reducer);
        !s.ok()) {
      return s.error();
    }
    return result;
  }
  if (!stream) {
    if (Status s = WriteReducedCsv(o.out, result.reducer); !s.ok()) return s.error();
  }
  std::error_code ec;
  std::filesystem::remove(CheckpointPath(o.out), ec);
  return result;
}

}  // namespace moeplan::plan
