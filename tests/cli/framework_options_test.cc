//===- tests/cli/framework_options_test.cc - Flags from the option table ---===//
/// `sim`, `plan` and `sweep` register their framework flags from sim/framework_option_table.h.
/// Each flag must set the field its table entry names, in the entry's sense (a flag that
/// clears a default-on field, such as --unfused-attention, turns it off), and leave every
/// other field alone; the two contradicting flags fail the parse naming both.
#include "cli/framework_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/framework_option_table.h"

namespace moeplan::cli {
namespace {

using sim::FrameworkOption;
using Type = FrameworkOption::Type;

// The command line that sets `option` away from its default, and the value expected in JSON.
std::pair<std::vector<std::string>, nlohmann::json> NonDefaultArgs(const FrameworkOption& o) {
  const sim::SimOptions defaults;
  const std::string flag(o.flag);
  switch (o.type) {
    case Type::kFlag:
      return {{flag}, !(defaults.*o.flag_field)};
    case Type::kInteger:
      return {{flag, "7"}, 7};
    case Type::kNumber:
      return {{flag, "1.25"}, 1.25};
    case Type::kName:
      for (std::string_view name : o.names) {
        if (name != o.get_name(defaults)) return {{flag, std::string(name)}, std::string(name)};
      }
      break;
    case Type::kNameSet: {  // every default set is empty; the last and first names, reordered
      const std::string first(o.names.front()), last(o.names.back());
      return {{flag, last + "+" + first}, nlohmann::json::array({first, last})};
    }
  }
  return {{}, nullptr};
}

Result<sim::SimOptions> Parse(const std::vector<std::string>& args) {
  sim::SimOptions options;
  CLI::App app("test");
  AddFrameworkOptions(&app, options);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses a reversed list
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return Error{e.what()};
  }
  return options;
}

TEST(FrameworkOptionsTest, EveryFlagSetsItsOwnField) {
  const nlohmann::ordered_json defaults = sim::FrameworkOptionsToJson(sim::SimOptions{});
  for (const FrameworkOption& option : sim::FrameworkOptions()) {
    auto [args, expected] = NonDefaultArgs(option);
    ASSERT_FALSE(args.empty()) << option.key;
    Result<sim::SimOptions> parsed = Parse(args);
    ASSERT_TRUE(parsed.ok()) << option.flag << ": " << parsed.error().message;
    const nlohmann::ordered_json json = sim::FrameworkOptionsToJson(*parsed);
    for (const auto& [key, value] : json.items()) {
      if (key == option.key) {
        EXPECT_EQ(value, expected) << option.flag;
      } else {
        EXPECT_EQ(value, defaults[key]) << option.flag << " changed " << key;
      }
    }
  }
}

TEST(FrameworkOptionsTest, NoFlagsKeepTheDefaults) {
  Result<sim::SimOptions> parsed = Parse({});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(sim::FrameworkOptionsToJson(*parsed), sim::FrameworkOptionsToJson(sim::SimOptions{}));
}

TEST(FrameworkOptionsTest, BadValuesAndContradictionsFailTheParse) {
  Result<sim::SimOptions> bad = Parse({"--dispatcher", "nccl"});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, ::testing::HasSubstr("nccl not in {alltoall,deepep,hybridep}"));
  bad = Parse({"--offload-activation-layers", "-3"});
  EXPECT_FALSE(bad.ok());
  bad = Parse({"--offload-modules", "moe_act+fc1"});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message,
              ::testing::HasSubstr("--offload-modules: unknown name \"fc1\"; expected"));
  bad = Parse({"--loss", "torch-loss-parallel", "--replicated-logits"});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message,
              ::testing::HasSubstr("--loss: \"torch-loss-parallel\" runs on vocabulary-sharded "
                                   "logits; it contradicts --replicated-logits"));
}

}  // namespace
}  // namespace moeplan::cli
