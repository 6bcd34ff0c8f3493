//===- calibration/nccl_log.cc - Read NVIDIA nccl-tests output ------------===//
#include "calibration/nccl_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

namespace moeplan::calibration {
namespace {

constexpr double kCheckMinBandwidth = 1.0;  // GB/s; printed with 2 decimals: check above this
constexpr double kCheckTolerance = 0.03;    // relative, for the algbw and busbw checks

std::vector<std::string_view> Tokens(std::string_view line) {
  std::vector<std::string_view> tokens;
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    const size_t begin = pos;
    while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') ++pos;
    if (pos > begin) tokens.push_back(line.substr(begin, pos - begin));
  }
  return tokens;
}

bool IsInteger(std::string_view token) {
  size_t start = (!token.empty() && token[0] == '-') ? 1 : 0;
  if (token.size() <= start) return false;
  return std::all_of(token.begin() + static_cast<std::ptrdiff_t>(start), token.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int64_t> ToInt(std::string_view token) {
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || ptr != token.data() + token.size()) return std::nullopt;
  return value;
}

std::optional<double> ToDouble(std::string_view token) {
  // std::from_chars for double is not in every libstdc++ this builds with; strtod is.
  const std::string text(token);
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// Removes a launcher prefix such as "[1,0]<stdout>:" and trailing whitespace / '\r'.
std::string_view Clean(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  if (!line.empty() && line.front() == '[') {
    const size_t close = line.find("]<std");
    if (close != std::string_view::npos) {
      const size_t colon = line.find(">:", close);
      if (colon != std::string_view::npos) line.remove_prefix(colon + 2);
    }
  }
  return line;
}

// Text after a leading '#', or nullopt for lines that are not comments.
std::optional<std::string_view> Comment(std::string_view line) {
  size_t pos = 0;
  while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
  if (pos >= line.size() || line[pos] != '#') return std::nullopt;
  return line.substr(pos + 1);
}

struct RankInfo {
  int line = 0;
  std::string host;
  std::string gpu;
};

// The column layout of a table, from its header line.
struct Columns {
  std::vector<std::string> names;
  int size = -1, count = -1, type = -1, redop = -1;
  int time = -1, algbw = -1, busbw = -1, wrong = -1;
  int in_time = -1, in_wrong = -1;
  bool wrong_is_count = true;  // "#wrong" (count) or "error" (old: max error, not a count)
  double time_unit = 1e-6;

  std::string Describe() const {
    std::string all;
    for (const std::string& name : names) all += (all.empty() ? "" : " ") + name;
    return all;
  }
};

std::optional<Columns> ParseHeader(std::string_view comment) {
  const std::vector<std::string_view> tokens = Tokens(comment);
  if (std::find(tokens.begin(), tokens.end(), "size") == tokens.end() ||
      std::find(tokens.begin(), tokens.end(), "time") == tokens.end() ||
      std::find(tokens.begin(), tokens.end(), "algbw") == tokens.end()) {
    return std::nullopt;
  }
  Columns c;
  for (size_t token_idx = 0; token_idx < tokens.size(); ++token_idx) {
    const std::string_view t = tokens[token_idx];
    const int idx = static_cast<int>(token_idx);
    c.names.emplace_back(t);
    auto first_or_second = [&](int& first, int& second) { (first < 0 ? first : second) = idx; };
    if (t == "size") c.size = idx;
    if (t == "count") c.count = idx;
    if (t == "type") c.type = idx;
    if (t == "redop") c.redop = idx;
    if (t == "time") first_or_second(c.time, c.in_time);
    if (t == "algbw" && c.algbw < 0) c.algbw = idx;
    if (t == "busbw" && c.busbw < 0) c.busbw = idx;
    if (t == "#wrong" || t == "error") {
      c.wrong_is_count = t == "#wrong";
      first_or_second(c.wrong, c.in_wrong);
    }
  }
  if (c.size < 0 || c.time < 0 || c.algbw < 0 || c.busbw < 0) return std::nullopt;
  return c;
}

// Accumulates one test's output while the lines go by.
struct TestBuilder {
  NcclTest test;
  std::vector<RankInfo> ranks;
  std::map<int, int> rank_lines;  // rank id -> line
  std::optional<Columns> columns;
  int table_line = 0;
  bool closed = false;  // "# Avg bus bandwidth" seen
};

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  Result<std::vector<NcclTest>> Run(std::string_view text) {
    try {
      int line_no = 0;
      size_t pos = 0;
      while (pos <= text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        ++line_no;
        Line(Clean(text.substr(pos, end - pos)), line_no);
        if (end == text.size()) break;
        pos = end + 1;
      }
      Finish(line_no);
    } catch (const ParseError& error) {
      return Error{error.message};
    }
    if (tests_.empty()) {
      return Error{fmt::format(
          "{}: no nccl-tests result table found (expected a header line such as '#  size  count  "
          "type  redop  root  time  algbw  busbw #wrong ...')",
          source_)};
    }
    return std::move(tests_);
  }

 private:
  struct ParseError {
    std::string message;
  };

  [[noreturn]] void Fail(int line, const std::string& message) const {
    throw ParseError{fmt::format("{}: line {}: {}", source_, line, message)};
  }

  void StartTest(int line, std::string name) {
    if (current_ && current_->columns) CloseTest(line);
    if (!current_) {
      current_.emplace();
      current_->test.source = std::string(source_);
      current_->test.line = line;
    }
    if (!name.empty()) current_->test.test_name = std::move(name);
  }

  void Line(std::string_view line, int line_no) {
    const std::optional<std::string_view> comment = Comment(line);
    if (!comment) {
      Data(line, line_no);
      return;
    }
    const std::vector<std::string_view> tokens = Tokens(*comment);
    if (tokens.empty()) return;
    if (tokens.size() >= 4 && tokens[0] == "Collective" && tokens[1] == "test" &&
        tokens[2] == "starting:") {
      StartTest(line_no, std::string(tokens[3]));
    } else if (tokens[0] == "nThread") {
      if (!current_ || current_->columns) StartTest(line_no, "");
    } else if (tokens[0] == "Rank" && tokens.size() >= 2 && IsInteger(tokens[1])) {
      Rank(tokens, *comment, line_no);
    } else if (std::optional<Columns> columns = ParseHeader(*comment)) {
      Header(std::move(*columns), line_no);
    } else if (tokens[0].size() >= 3 && tokens[0].front() == '(' && current_ && current_->columns) {
      Units(tokens);
    } else if (tokens.size() >= 4 && tokens[0] == "Avg" && tokens[1] == "bus") {
      Average(tokens, line_no);
    } else if (tokens.size() >= 3 && tokens[0] == "Collective" && tokens[2] == "concluded:") {
      if (current_ && current_->columns) CloseTest(line_no);
    }
  }

  void Rank(const std::vector<std::string_view>& tokens, std::string_view comment, int line_no) {
    if (!current_) StartTest(line_no, "");
    if (current_->columns) Fail(line_no, "'# Rank' line after the result table started");
    const int rank = static_cast<int>(ToInt(tokens[1]).value_or(-1));
    if (auto [it, inserted] = current_->rank_lines.emplace(rank, line_no); !inserted) {
      Fail(line_no, fmt::format("rank {} is listed twice (first at line {}): are several runs' "
                                "logs interleaved in one file?",
                                rank, it->second));
    }
    RankInfo info;
    info.line = line_no;
    const auto on = std::find(tokens.begin(), tokens.end(), "on");
    if (on != tokens.end() && on + 1 != tokens.end()) info.host = std::string(*(on + 1));
    const size_t bracket = comment.find(']');
    if (bracket != std::string_view::npos) {
      std::string_view gpu = comment.substr(bracket + 1);
      while (!gpu.empty() && gpu.front() == ' ') gpu.remove_prefix(1);
      info.gpu = std::string(gpu);
    }
    current_->ranks.push_back(std::move(info));
  }

  void Header(Columns columns, int line_no) {
    if (!current_) StartTest(line_no, "");
    if (current_->columns) {
      if (current_->test.rows.empty()) return;  // the header printed twice: harmless
      Fail(line_no, fmt::format("a second result table starts before the one at line {} ended "
                                "('# Avg bus bandwidth'): are several runs' logs interleaved?",
                                current_->table_line));
    }
    current_->columns = std::move(columns);
    current_->table_line = line_no;
  }

  void Units(const std::vector<std::string_view>& tokens) {
    for (const std::string_view t : tokens) {
      if (t == "(ms)") current_->columns->time_unit = 1e-3;
    }
  }

  void Average(const std::vector<std::string_view>& tokens, int line_no) {
    if (!current_ || !current_->columns) Fail(line_no, "'# Avg bus bandwidth' before any table");
    const std::string_view value = tokens.back();
    current_->test.avg_bus_bandwidth = ToDouble(value).value_or(0.0);
    current_->closed = true;
  }

  void Data(std::string_view line, int line_no) {
    const std::vector<std::string_view> tokens = Tokens(line);
    if (tokens.empty() || !IsInteger(tokens[0])) return;  // NCCL INFO lines, blank lines
    if (!current_ || !current_->columns) return;          // numbers before any table
    if (current_->closed) {
      Fail(line_no, fmt::format("result row after the table that starts at line {} ended",
                                current_->table_line));
    }
    const Columns& c = *current_->columns;
    if (tokens.size() != c.names.size()) {
      Fail(line_no,
           fmt::format("expected {} columns ({}), got {}{}", c.names.size(), c.Describe(),
                       tokens.size(), tokens.size() < c.names.size() ? ": truncated row?" : ""));
    }
    NcclRow row;
    row.line = line_no;
    row.bytes = Int(tokens, c.size, "size", line_no);
    if (c.count >= 0) row.count = Int(tokens, c.count, "count", line_no);
    if (c.type >= 0) row.type = std::string(tokens[static_cast<size_t>(c.type)]);
    if (c.redop >= 0) row.redop = std::string(tokens[static_cast<size_t>(c.redop)]);
    row.time_s = Number(tokens, c.time, "time", line_no) * c.time_unit;
    row.algbw = Number(tokens, c.algbw, "algbw", line_no);
    row.busbw = Number(tokens, c.busbw, "busbw", line_no);
    if (c.in_time >= 0) {
      if (std::optional<double> t = ToDouble(tokens[static_cast<size_t>(c.in_time)])) {
        row.in_place_time_s = *t * c.time_unit;
      }
    }
    if (c.wrong_is_count) {
      for (const int column : {c.wrong, c.in_wrong}) {
        if (column < 0) continue;
        row.wrong += ToInt(tokens[static_cast<size_t>(column)]).value_or(0);
      }
    }
    if (row.bytes < 0) Fail(line_no, fmt::format("size must be >= 0, got {}", row.bytes));
    if (row.bytes > 0 && !(row.time_s > 0.0)) {
      Fail(line_no, fmt::format("out-of-place time must be positive, got {}",
                                tokens[static_cast<size_t>(c.time)]));
    }
    current_->test.rows.push_back(std::move(row));
  }

  int64_t Int(const std::vector<std::string_view>& tokens, int column, const char* name,
              int line_no) const {
    const std::string_view t = tokens[static_cast<size_t>(column)];
    const std::optional<int64_t> value = ToInt(t);
    if (!value) Fail(line_no, fmt::format("column '{}': expected an integer, got '{}'", name, t));
    return *value;
  }

  double Number(const std::vector<std::string_view>& tokens, int column, const char* name,
                int line_no) const {
    const std::string_view t = tokens[static_cast<size_t>(column)];
    const std::optional<double> value = ToDouble(t);
    if (!value) Fail(line_no, fmt::format("column '{}': expected a number, got '{}'", name, t));
    return *value;
  }

  void CloseTest(int line_no) {
    TestBuilder& b = *current_;
    if (b.test.rows.empty()) {
      Fail(b.table_line, "the result table has no rows");
    }
    if (!b.closed) {
      Fail(line_no, fmt::format("the table that starts at line {} has no '# Avg bus bandwidth' "
                                "line: the log looks truncated",
                                b.table_line));
    }
    Identify(b);
    Describe(b);
    CheckRows(b.test);
    tests_.push_back(std::move(b.test));
    current_.reset();
  }

  void Identify(TestBuilder& b) {
    NcclTest& t = b.test;
    if (t.test_name.empty()) {
      const std::string file = std::filesystem::path(source_).filename().string();
      for (const char* name :
           {"all_reduce", "all_gather", "reduce_scatter", "alltoall", "sendrecv"}) {
        if (file.find(name) != std::string::npos) t.test_name = std::string(name) + "_perf";
      }
    }
    if (t.test_name.empty()) {
      Fail(b.test.line,
           "cannot tell which collective this is: the log has no '# Collective test "
           "starting' line and the file name contains none of all_reduce, "
           "all_gather, reduce_scatter, alltoall, sendrecv");
    }
    t.collective = CollectiveOfTest(t.test_name);
  }

  void Describe(TestBuilder& b) {
    NcclTest& t = b.test;
    if (b.ranks.empty()) {
      Fail(b.table_line,
           "no '#  Rank N ... on <host> device ...' lines before the table: "
           "cannot tell how many GPUs took part");
    }
    t.num_ranks = static_cast<int>(b.ranks.size());
    t.gpu_name = b.ranks.front().gpu;
    std::vector<std::string> hosts;
    std::map<std::string, int> per_host;
    for (const RankInfo& rank : b.ranks) {
      if (per_host[rank.host]++ == 0) hosts.push_back(rank.host);
    }
    t.num_hosts = static_cast<int>(hosts.size());
    t.ranks_per_host = per_host[hosts.front()];
    for (const std::string& host : hosts) {
      if (per_host[host] != t.ranks_per_host) {
        Fail(b.ranks.front().line,
             fmt::format("uneven placement: host '{}' runs {} ranks, host '{}' runs {}",
                         hosts.front(), t.ranks_per_host, host, per_host[host]));
      }
    }
  }

  // algbw = size / time and busbw = factor * algbw, within rounding.
  void CheckRows(const NcclTest& t) const {
    if (!t.collective) return;
    const double n = static_cast<double>(t.num_ranks);
    double factor = 1.0;
    switch (*t.collective) {
      case hw::Collective::kAllReduce:
        factor = 2.0 * (n - 1.0) / n;
        break;
      case hw::Collective::kAllGather:
      case hw::Collective::kReduceScatter:
      case hw::Collective::kAllToAll:
        factor = (n - 1.0) / n;
        break;
      case hw::Collective::kSendRecv:
        factor = 1.0;
        break;
    }
    for (const NcclRow& row : t.rows) {
      if (row.bytes == 0 || row.algbw < kCheckMinBandwidth) continue;
      const double algbw = static_cast<double>(row.bytes) / row.time_s / 1e9;
      if (std::abs(algbw / row.algbw - 1.0) > kCheckTolerance) {
        Fail(row.line, fmt::format("algbw {} GB/s does not match size / time = {:.2f} GB/s "
                                   "(is the time unit right?)",
                                   row.algbw, algbw));
      }
      if (std::abs(row.busbw / (row.algbw * factor) - 1.0) > kCheckTolerance) {
        Fail(row.line, fmt::format("busbw / algbw = {:.3f}, but {} on {} ranks has the factor "
                                   "{:.3f} (nccl-tests doc/PERFORMANCE.md)",
                                   row.busbw / row.algbw, t.test_name, t.num_ranks, factor));
      }
    }
  }

  void Finish(int last_line) {
    if (current_ && current_->columns) CloseTest(last_line);
  }

  std::string_view source_;
  std::optional<TestBuilder> current_;
  std::vector<NcclTest> tests_;
};

}  // namespace

std::optional<hw::Collective> CollectiveOfTest(std::string_view name) {
  static const std::array<std::pair<std::string_view, hw::Collective>, 5> kTests = {{
      {"all_reduce", hw::Collective::kAllReduce},
      {"all_gather", hw::Collective::kAllGather},
      {"reduce_scatter", hw::Collective::kReduceScatter},
      {"alltoall", hw::Collective::kAllToAll},
      {"sendrecv", hw::Collective::kSendRecv},
  }};
  for (const std::string_view suffix : {"_mpi", "_perf"}) {
    if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
      name.remove_suffix(suffix.size());
    }
  }
  for (const auto& [test, collective] : kTests) {
    if (name == test) return collective;
  }
  return std::nullopt;
}

Result<std::vector<NcclTest>> ParseNcclTestsLog(std::string_view text, std::string_view source) {
  return Parser(source).Run(text);
}

Result<std::vector<NcclTest>> ReadNcclTestsLog(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{fmt::format("{}: cannot open file for reading", path.string())};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseNcclTestsLog(buffer.str(), path.string());
}

}  // namespace moeplan::calibration
