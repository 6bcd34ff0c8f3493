//===- tests/sim/framework_option_table_test.cc - The one list of switches -===//
/// The table drives the CLI flags, the runs file's sim_options and the JSON report, so these
/// tests check the table against itself and against SimOptions' documented defaults: every
/// entry round-trips through JSON, a non-default value reaches exactly its own field, and bad
/// values are refused with the file, the key and what was expected.
#include "sim/framework_option_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

namespace moeplan::sim {
namespace {

using ::testing::HasSubstr;
using Type = FrameworkOption::Type;

// A value of `option` that differs from SimOptions' default.
nlohmann::json NonDefault(const FrameworkOption& option) {
  const SimOptions defaults;
  switch (option.type) {
    case Type::kFlag:
      return !(defaults.*option.flag_field);
    case Type::kInteger:
      return static_cast<int64_t>(option.max);
    case Type::kNumber:
      return option.max;
    case Type::kName:
      for (std::string_view name : option.names) {
        if (name != option.get_name(defaults)) return std::string(name);
      }
      break;
    case Type::kNameSet:  // every default set is empty; the first and last names
      return nlohmann::json::array(
          {std::string(option.names.front()), std::string(option.names.back())});
  }
  return nullptr;
}

TEST(FrameworkOptionTableTest, KeysAndFlagsAreUniqueAndWellFormed) {
  std::set<std::string_view> keys, flags;
  for (const FrameworkOption& option : FrameworkOptions()) {
    EXPECT_TRUE(keys.insert(option.key).second) << option.key;
    EXPECT_TRUE(flags.insert(option.flag).second) << option.flag;
    EXPECT_TRUE(option.flag.starts_with("--")) << option.flag;
    EXPECT_FALSE(option.help.empty()) << option.key;
    EXPECT_EQ(FindFrameworkOption(option.key), &option);
    switch (option.type) {
      case Type::kFlag:
        EXPECT_NE(option.flag_field, nullptr) << option.key;
        break;
      case Type::kInteger:
        EXPECT_NE(option.integer_field, nullptr) << option.key;
        EXPECT_LT(option.min, option.max) << option.key;
        break;
      case Type::kNumber:
        EXPECT_NE(option.number_field, nullptr) << option.key;
        EXPECT_LT(option.min, option.max) << option.key;
        break;
      case Type::kName:
        EXPECT_TRUE(option.get_name != nullptr && option.set_name != nullptr) << option.key;
        EXPECT_GE(option.names.size(), 2u) << option.key;
        break;
      case Type::kNameSet:
        EXPECT_NE(option.set_field, nullptr) << option.key;
        EXPECT_LE(option.names.size(), 8u) << option.key;  // one bit each in a uint8_t
        break;
    }
  }
  EXPECT_EQ(FindFrameworkOption("no_such_option"), nullptr);
}

// The JSON of the defaults states SimOptions' documented defaults (sim/sim_options.h).
TEST(FrameworkOptionTableTest, DefaultsAsDocumented) {
  const nlohmann::ordered_json json = FrameworkOptionsToJson(SimOptions{});
  EXPECT_EQ(json.size(), FrameworkOptions().size());
  EXPECT_EQ(json["dispatcher"], "alltoall");
  EXPECT_EQ(json["state_precision"], "mixed");
  EXPECT_EQ(json["loss"], "auto");
  EXPECT_EQ(json["flash_attention"], true);
  EXPECT_EQ(json["overlap_grad_reduce"], true);
  EXPECT_EQ(json["fsdp_reshard_after_forward"], true);
  EXPECT_EQ(json["vocab_parallel_loss"], true);
  EXPECT_EQ(json["vocab_parallel_embedding"], true);
  EXPECT_EQ(json["capacity_factor"], 0.0);
  EXPECT_EQ(json["offload_activation_layers"], 0);
  EXPECT_EQ(json["offload_modules"], nlohmann::json::array());
  EXPECT_EQ(json["cuda_graph_scope"], nlohmann::json::array());
}

// Each entry alone set to a non-default value: reading it changes that key and no other.
TEST(FrameworkOptionTableTest, EachKeyReachesItsOwnField) {
  const nlohmann::ordered_json defaults = FrameworkOptionsToJson(SimOptions{});
  for (const FrameworkOption& option : FrameworkOptions()) {
    const std::string key(option.key);
    const nlohmann::json value = NonDefault(option);
    ASSERT_FALSE(value.is_null()) << key;
    Result<SimOptions> read =
        FrameworkOptionsFromJson(nlohmann::json{{key, value}}, "runs.json", "runs[0].sim_options");
    ASSERT_TRUE(read.ok()) << key << ": " << read.error().message;
    const nlohmann::ordered_json back = FrameworkOptionsToJson(*read);
    for (const auto& [other, other_value] : back.items()) {
      if (other == key) {
        EXPECT_EQ(other_value, value) << key;
      } else {
        EXPECT_EQ(other_value, defaults[other]) << key << " changed " << other;
      }
    }
  }
}

// Every name a choice lists is accepted and read back as itself (the lists are spelled next to
// the enums' ToString names, which they must equal).
TEST(FrameworkOptionTableTest, EveryListedNameRoundTrips) {
  for (const FrameworkOption& option : FrameworkOptions()) {
    if (option.type != Type::kName) continue;
    for (std::string_view name : option.names) {
      SimOptions options;
      ASSERT_TRUE(option.set_name(options, name)) << option.key << " " << name;
      EXPECT_EQ(option.get_name(options), name) << option.key;
    }
    SimOptions options;
    EXPECT_FALSE(option.set_name(options, "no-such-name")) << option.key;
  }
}

// The offload names are Megatron's (--offload-modules choices), one per OffloadModule, in order.
TEST(FrameworkOptionTableTest, OffloadModulesAreMegatronsNames) {
  const FrameworkOption* option = FindFrameworkOption("offload_modules");
  ASSERT_NE(option, nullptr);
  ASSERT_EQ(option->names.size(), static_cast<size_t>(kNumOffloadModules));
  for (int i = 0; i < kNumOffloadModules; ++i) {
    EXPECT_EQ(option->names[static_cast<size_t>(i)], ToString(static_cast<OffloadModule>(i)));
  }
  Result<SimOptions> read = FrameworkOptionsFromJson(
      nlohmann::json{{"offload_modules", {"expert_fc1", "moe_act"}}}, "f.json", "p");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->offload_modules,
            OffloadBit(OffloadModule::kExpertFc1) | OffloadBit(OffloadModule::kMoeAct));
  Result<uint8_t> bits = ParseNameSet(*option, "core_attn+attn_proj");
  ASSERT_TRUE(bits.ok());
  EXPECT_EQ(*bits, OffloadBit(OffloadModule::kCoreAttn) | OffloadBit(OffloadModule::kAttnProj));
  EXPECT_EQ(*ParseNameSet(*option, "none"), 0);
  Result<uint8_t> bad = ParseNameSet(*option, "moe_act,fc1");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("unknown name \"fc1\"; expected \"attn_norm\""));
}

// The graph scopes are Megatron's (--cuda-graph-scope choices), one per GraphScope, in order.
TEST(FrameworkOptionTableTest, GraphScopesAreMegatronsNames) {
  const FrameworkOption* option = FindFrameworkOption("cuda_graph_scope");
  ASSERT_NE(option, nullptr);
  ASSERT_EQ(option->names.size(), static_cast<size_t>(kNumGraphScopes));
  for (int i = 0; i < kNumGraphScopes; ++i) {
    EXPECT_EQ(option->names[static_cast<size_t>(i)], ToString(static_cast<GraphScope>(i)));
  }
  Result<uint8_t> bits = ParseNameSet(*option, "attn+moe_router+moe_preprocess");
  ASSERT_TRUE(bits.ok());
  EXPECT_EQ(*bits, GraphScopeBit(GraphScope::kAttn) | GraphScopeBit(GraphScope::kMoeRouter) |
                       GraphScopeBit(GraphScope::kMoePreprocess));
}

TEST(FrameworkOptionTableTest, NullAndAbsentKeepTheDefaults) {
  Result<SimOptions> read = FrameworkOptionsFromJson(
      nlohmann::json{{"dispatcher", nullptr}, {"cuda_graphs", nullptr}}, "f.json", "p");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(FrameworkOptionsToJson(*read), FrameworkOptionsToJson(SimOptions{}));
}

TEST(FrameworkOptionTableTest, LossAutoClearsTheImplementation) {
  Result<SimOptions> read =
      FrameworkOptionsFromJson(nlohmann::json{{"loss", "auto"}}, "f.json", "p");
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->loss.has_value());
  read = FrameworkOptionsFromJson(nlohmann::json{{"loss", "te"}}, "f.json", "p");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->loss, LossImplementation::kTransformerEngine);
}

TEST(FrameworkOptionTableTest, BadValuesNameFileKeyAndExpectation) {
  auto error = [](const nlohmann::json& object) {
    Result<SimOptions> read = FrameworkOptionsFromJson(object, "runs.json", "runs[3].sim_options");
    EXPECT_FALSE(read.ok()) << object.dump();
    return read.ok() ? std::string() : read.error().message;
  };
  EXPECT_EQ(error({{"cuda_graph", true}}),
            "runs.json: runs[3].sim_options.cuda_graph: unknown field");
  EXPECT_THAT(error({{"cuda_graphs", "yes"}}),
              HasSubstr("runs[3].sim_options.cuda_graphs: expected true, false or null"));
  EXPECT_THAT(error({{"offload_activation_layers", -1}}),
              HasSubstr("offload_activation_layers: expected an integer in [0, 1048576]"));
  EXPECT_THAT(error({{"offload_activation_layers", 1.5}}), HasSubstr("expected an integer"));
  EXPECT_THAT(error({{"capacity_factor", 2000}}),
              HasSubstr("capacity_factor: expected a number in [0, 1000] or null, got 2000"));
  EXPECT_THAT(error({{"dispatcher", "nccl"}}),
              HasSubstr("dispatcher: expected \"alltoall\", \"deepep\" or \"hybridep\", got "
                        "\"nccl\""));
  EXPECT_THAT(error({{"state_precision", 16}}), HasSubstr("state_precision: expected \"mixed\""));
  EXPECT_THAT(
      error({{"loss", "torch-loss-parallel"}, {"vocab_parallel_loss", false}}),
      HasSubstr("runs[3].sim_options.loss: \"torch-loss-parallel\" runs on "
                "vocabulary-sharded logits; it contradicts \"vocab_parallel_loss\": false"));
  EXPECT_THAT(error({{"offload_modules", "moe_act"}}),
              HasSubstr("offload_modules: expected an array of \"attn_norm\""));
  EXPECT_THAT(error({{"offload_modules", {"moe_act", "fc2"}}}),
              HasSubstr("runs[3].sim_options.offload_modules[1]: expected \"attn_norm\", "
                        "\"qkv_linear\", \"core_attn\", \"attn_proj\", \"mlp_norm\", "
                        "\"expert_fc1\" or \"moe_act\", got \"fc2\""));
  EXPECT_THAT(error({{"cuda_graphs", true}, {"cuda_graph_scope", {"attn"}}}),
              HasSubstr("runs[3].sim_options.cuda_graphs: true captures whole layers, a scope "
                        "only some modules; it contradicts \"cuda_graph_scope\""));
  EXPECT_THAT(error(nlohmann::json::array()), HasSubstr("expected an object"));
}

}  // namespace
}  // namespace moeplan::sim
