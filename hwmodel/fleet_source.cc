//===- hwmodel/fleet_source.cc - Fleets from shorthand or files -----------===//
#include "hwmodel/fleet_source.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <filesystem>
#include <optional>
#include <string>

#include "hwmodel/hardware_json.h"
#include "hwmodel/presets.h"

namespace moeplan::hw {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// "<count>x<rest>" split into its parts; nullopt when `text` does not start with a count
// followed by 'x'. The count may be signed (so that "-8xH100" gets a clear error).
struct Shorthand {
  std::string_view count_text;
  std::string_view hardware;
};

std::optional<Shorthand> SplitShorthand(std::string_view text) {
  text = Trim(text);
  size_t end = 0;
  if (end < text.size() && (text[end] == '-' || text[end] == '+')) ++end;
  const size_t digits_begin = end;
  while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  if (end == digits_begin) return std::nullopt;
  std::string_view rest = Trim(text.substr(end));
  if (rest.empty() || (rest.front() != 'x' && rest.front() != 'X')) return std::nullopt;
  return Shorthand{text.substr(0, end), Trim(rest.substr(1))};
}

Result<int64_t> ParseCount(std::string_view spec, std::string_view count_text) {
  std::string_view digits = count_text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  int64_t count = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || count > kMaxFleetGpus) {
    return Error{fmt::format("fleet '{}': GPU count {} is out of range (1..{})", spec, count_text,
                             kMaxFleetGpus)};
  }
  if (count <= 0) {
    return Error{fmt::format("fleet '{}': GPU count must be positive, got {}", spec, count)};
  }
  return count;
}

bool IsFile(std::string_view spec) {
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path(spec), ec);
}

Result<Fleet> MakeFleet(std::string_view spec, Hardware hardware, int64_t count) {
  if (Status status = CheckFleetSize(hardware, count); !status.ok()) {
    return Error{fmt::format("fleet '{}': {}", spec, status.message())};
  }
  return Fleet{std::move(hardware), count};
}

Error UnknownHardware(std::string_view spec, std::string_view hardware, bool files_allowed) {
  return Error{fmt::format("fleet '{}': unknown hardware preset '{}'{} (presets: {})", spec,
                           hardware, files_allowed ? " and no such file" : "",
                           HardwarePresetList())};
}

Error NotAFleet(std::string_view spec) {
  if (FindHardwarePreset(Trim(spec)) != nullptr) {
    return Error{fmt::format("fleet '{}': give the number of GPUs, e.g. 8x{}", spec, Trim(spec))};
  }
  return Error{fmt::format(
      "fleet '{}': expected <count>x<hardware> (e.g. 1024xH100) or a hardware file with a "
      "\"fleet\" object (presets: {})",
      spec, HardwarePresetList())};
}

}  // namespace

Result<Fleet> ParseFleetShorthand(std::string_view text) {
  const std::optional<Shorthand> parts = SplitShorthand(text);
  if (!parts) return NotAFleet(text);
  Result<int64_t> count = ParseCount(text, parts->count_text);
  if (!count) return count.error();
  const HardwarePreset* preset = FindHardwarePreset(parts->hardware);
  if (preset == nullptr) return UnknownHardware(text, parts->hardware, false);
  return MakeFleet(text, preset->hardware, *count);
}

Result<Hardware> LoadHardware(std::string_view spec) {
  if (const HardwarePreset* preset = FindHardwarePreset(Trim(spec))) return preset->hardware;
  if (IsFile(spec)) return LoadHardwareFile(std::filesystem::path(spec));
  return Error{fmt::format("hardware '{}': not a preset and no such file (presets: {})", spec,
                           HardwarePresetList())};
}

Result<Fleet> LoadFleet(std::string_view spec) {
  if (IsFile(spec)) return LoadFleetFile(std::filesystem::path(spec));
  const std::optional<Shorthand> parts = SplitShorthand(spec);
  if (!parts) return NotAFleet(spec);
  Result<int64_t> count = ParseCount(spec, parts->count_text);
  if (!count) return count.error();
  if (const HardwarePreset* preset = FindHardwarePreset(parts->hardware)) {
    return MakeFleet(spec, preset->hardware, *count);
  }
  if (!IsFile(parts->hardware)) return UnknownHardware(spec, parts->hardware, true);
  Result<Hardware> hardware = LoadHardwareFile(std::filesystem::path(parts->hardware));
  if (!hardware) return hardware.error();
  return MakeFleet(spec, std::move(hardware).value(), *count);
}

}  // namespace moeplan::hw
