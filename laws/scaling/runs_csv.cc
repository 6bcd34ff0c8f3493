//===- laws/scaling/runs_csv.cc - CSV tables of training runs -------------===//
#include "laws/scaling/runs_csv.h"

#include <fmt/format.h>

#include <fstream>
#include <set>
#include <sstream>

namespace moeplan::scaling {
namespace {

std::string Trim(std::string_view text) {
  const char* space = " \t";
  const size_t first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return "";
  const size_t last = text.find_last_not_of(space);
  return std::string(text.substr(first, last - first + 1));
}

// Splits CSV text into records of fields, remembering where each record starts.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : text_(text) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);
  }

  // Reads the next record into `fields`; false at the end. `error` is set on an unterminated
  // quote.
  bool Next(std::vector<std::string>& fields, int64_t& line, std::string& error) {
    fields.clear();
    if (pos_ >= text_.size()) return false;
    line = line_;
    std::string field;
    bool quoted = false, was_quoted = false;
    while (pos_ < text_.size()) {
      const char ch = text_[pos_++];
      if (quoted) {
        if (ch == '"' && pos_ < text_.size() && text_[pos_] == '"') {
          field += '"';
          ++pos_;
        } else if (ch == '"') {
          quoted = false;
        } else {
          if (ch == '\n') ++line_;
          field += ch;
        }
      } else if (ch == '"' && Trim(field).empty()) {
        quoted = was_quoted = true;
        field.clear();
      } else if (ch == ',') {
        fields.push_back(was_quoted ? field : Trim(field));
        field.clear();
        was_quoted = false;
      } else if (ch == '\n' || ch == '\r') {
        if (ch == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
        ++line_;
        break;
      } else {
        field += ch;
      }
    }
    if (quoted) {
      error = fmt::format("line {}: a quoted field is not closed", line);
      return false;
    }
    fields.push_back(was_quoted ? field : Trim(field));
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

bool IsBlank(const std::vector<std::string>& fields) {
  return fields.size() == 1 && fields[0].empty();
}

}  // namespace

std::optional<size_t> CsvTable::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return std::nullopt;
}

std::string CsvTable::RowLabel(size_t row_idx) const {
  return fmt::format("row {} (line {})", row_idx + 1, lines[row_idx]);
}

Result<CsvTable> ParseCsv(std::string_view text, std::string_view source) {
  CsvTable table;
  table.source = std::string(source);
  Tokenizer tokenizer(text);
  std::vector<std::string> fields;
  int64_t line = 0;
  std::string error;
  while (tokenizer.Next(fields, line, error)) {
    if (IsBlank(fields)) continue;
    if (table.header.empty()) {
      std::set<std::string> seen;
      for (const std::string& name : fields) {
        if (name.empty()) {
          return Error{
              fmt::format("{}: line {}: the header has an empty column name", source, line)};
        }
        if (!seen.insert(name).second) {
          return Error{fmt::format("{}: line {}: column '{}' appears twice in the header", source,
                                   line, name)};
        }
      }
      table.header = fields;
      continue;
    }
    if (fields.size() != table.header.size()) {
      return Error{fmt::format("{}: row {} (line {}): expected {} fields as in the header, got {}",
                               source, table.rows.size() + 1, line, table.header.size(),
                               fields.size())};
    }
    table.rows.push_back(fields);
    table.lines.push_back(line);
  }
  if (!error.empty()) return Error{fmt::format("{}: {}", source, error)};
  if (table.header.empty()) return Error{fmt::format("{}: empty file (no header row)", source)};
  return table;
}

Result<CsvTable> ReadCsvFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{fmt::format("{}: cannot open file for reading", path.string())};
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Error{fmt::format("{}: read error", path.string())};
  return ParseCsv(buffer.str(), path.string());
}

}  // namespace moeplan::scaling
