//===- cli/framework_options.cc - Framework flags shared by sim, plan, sweep -===//
#include "cli/framework_options.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "sim/framework_option_table.h"

namespace moeplan::cli {
namespace {

using sim::FrameworkOption;

std::string FlagOf(std::string_view key) {
  const FrameworkOption* option = sim::FindFrameworkOption(key);
  return option != nullptr ? std::string(option->flag) : std::string(key);
}

void AddOne(CLI::App* cmd, const FrameworkOption& o, sim::SimOptions& options) {
  const std::string flag(o.flag), help(o.help);
  switch (o.type) {
    case FrameworkOption::Type::kFlag:
      if (o.flag_clears) {
        bool sim::SimOptions::*field = o.flag_field;
        cmd->add_flag_callback(
            flag, [&options, field] { options.*field = false; }, help);
      } else {
        cmd->add_flag(flag, options.*o.flag_field, help);
      }
      return;
    case FrameworkOption::Type::kInteger:
      cmd->add_option(flag, options.*o.integer_field, help)
          ->check(CLI::Range(static_cast<int64_t>(o.min), static_cast<int64_t>(o.max)));
      return;
    case FrameworkOption::Type::kNumber:
      cmd->add_option(flag, options.*o.number_field, help)->check(CLI::Range(o.min, o.max));
      return;
    case FrameworkOption::Type::kName: {
      auto set = o.set_name;
      std::vector<std::string> names(o.names.begin(), o.names.end());
      cmd->add_option_function<std::string>(
             flag, [&options, set](const std::string& name) { set(options, name); }, help)
          ->check(CLI::IsMember(names))
          ->default_str(std::string(o.get_name(options)));
      return;
    }
    case FrameworkOption::Type::kNameSet: {
      const FrameworkOption* entry = &o;
      cmd->add_option_function<std::string>(
             flag,
             [&options, entry, flag](const std::string& text) {
               Result<uint8_t> bits = sim::ParseNameSet(*entry, text);
               if (!bits.ok()) throw CLI::ValidationError(flag, bits.error().message);
               options.*entry->set_field = *bits;
             },
             help)
          ->default_str("none");
      return;
    }
  }
}

}  // namespace

void AddFrameworkOptions(CLI::App* cmd, sim::SimOptions& options) {
  for (const FrameworkOption& option : sim::FrameworkOptions()) AddOne(cmd, option, options);
  cmd->parse_complete_callback([&options] {
    if (std::optional<sim::OptionContradiction> c = sim::FindContradiction(options)) {
      throw CLI::ValidationError(FlagOf(c->key), fmt::format("{}; it contradicts {} ({})", c->why,
                                                             FlagOf(c->other_key), c->fix));
    }
  });
}

}  // namespace moeplan::cli
