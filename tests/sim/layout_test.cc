//===- tests/sim/layout_test.cc - Layout text and JSON forms --------------===//
#include "sim/layout.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace moeplan::sim {
namespace {

TEST(LayoutTest, ParsesTheIssueExample) {
  Result<Layout> layout = ParseLayout("tp=1,pp=4,vpp=8,ep=8,mbs=1,gbs=256");
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  EXPECT_EQ(layout->tp, 1);
  EXPECT_EQ(layout->pp, 4);
  EXPECT_EQ(layout->vpp, 8);
  EXPECT_EQ(layout->ep, 8);
  EXPECT_EQ(layout->mbs, 1);
  EXPECT_EQ(layout->gbs, 256);
  // Defaults: etp and dp derived later, SP on, distributed optimizer, BF16, no recompute.
  EXPECT_EQ(layout->etp, 0);
  EXPECT_EQ(layout->dp, 0);
  EXPECT_EQ(layout->cp, 1);
  EXPECT_TRUE(layout->sequence_parallel);
  EXPECT_EQ(layout->sharding, Sharding::kOptimizer);
  EXPECT_EQ(layout->recompute, Recompute::kNone);
  EXPECT_EQ(layout->precision, hw::Precision::kBf16);
}

TEST(LayoutTest, ParsesEveryKeyAndAliases) {
  Result<Layout> layout = ParseLayout(
      " TP=2 , sp=off, pp=2, vpp=2, ep=4, etp=1, cp=2, dp=8, mbs=2, gbs=64, recompute=selective, "
      "sharding=fsdp, precision=FP8");
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  EXPECT_EQ(layout->tp, 2);
  EXPECT_FALSE(layout->sequence_parallel);
  EXPECT_EQ(layout->etp, 1);
  EXPECT_EQ(layout->cp, 2);
  EXPECT_EQ(layout->dp, 8);
  EXPECT_EQ(layout->recompute, Recompute::kSelective);
  EXPECT_EQ(layout->sharding, Sharding::kFull);
  EXPECT_EQ(layout->precision, hw::Precision::kFp8);
  EXPECT_EQ(ParseLayout("sharding=dist-opt")->sharding, Sharding::kOptimizer);
  EXPECT_EQ(ParseLayout("sharding=ddp")->sharding, Sharding::kNone);
}

TEST(LayoutTest, ErrorsQuoteTheText) {
  EXPECT_EQ(ParseLayout("tp=two").error().message,
            "layout 'tp=two': 'tp' expects a positive integer (at most 16777216), got 'two'");
  EXPECT_EQ(ParseLayout("tp=0").error().message,
            "layout 'tp=0': 'tp' expects a positive integer (at most 16777216), got '0'");
  EXPECT_EQ(ParseLayout("tp=2,zz=1").error().message,
            "layout 'tp=2,zz=1': 'zz' unknown key (expected tp, sp, pp, vpp, ep, etp, cp, dp, "
            "mbs, gbs, recompute, recompute_modules, sharding or precision)");
  EXPECT_EQ(ParseLayout("tp2").error().message, "layout 'tp2': expected key=value, got 'tp2'");
  EXPECT_EQ(ParseLayout("recompute=some").error().message,
            "layout 'recompute=some': 'recompute' unknown recompute mode 'some' (expected none, "
            "selective or full)");
  EXPECT_EQ(ParseLayout("precision=tf32").error().message,
            "layout 'precision=tf32': 'precision' expects bf16 or fp8 (tf32 is not a training "
            "precision here)");
  EXPECT_EQ(ParseLayout("").error().message,
            "layout '': expected key=value pairs such as tp=2,pp=4");
}

TEST(LayoutTest, JsonRoundTrip) {
  Layout layout = *ParseLayout("tp=2,pp=4,vpp=2,ep=8,etp=1,cp=2,dp=4,mbs=2,gbs=128,recompute=full");
  layout.precision = hw::Precision::kFp8;
  const nlohmann::ordered_json json = LayoutToJson(layout);
  EXPECT_EQ(json["format"], "moeplan-layout");
  Result<Layout> back = LayoutFromJson(nlohmann::json::parse(json.dump()), "x.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, layout);
}

TEST(LayoutTest, JsonErrorsNameTheField) {
  const auto json = nlohmann::json::parse(R"({"format": "moeplan-layout", "version": 1, "tp": 0})");
  EXPECT_EQ(LayoutFromJson(json, "l.json").error().message,
            "l.json: field 'tp': expected an integer in 1..16777216, got 0");
  const auto unknown =
      nlohmann::json::parse(R"({"format": "moeplan-layout", "version": 1, "tpp": 2})");
  EXPECT_NE(LayoutFromJson(unknown, "l.json").error().message.find("tpp"), std::string::npos);
}

TEST(LayoutTest, LoadsAFileOrText) {
  const auto path = std::filesystem::temp_directory_path() / "moeplan_layout_test.json";
  {
    std::ofstream out(path);
    out << R"({"format": "moeplan-layout", "version": 1, "tp": 4, "gbs": 64})";
  }
  Result<Layout> from_file = LoadLayout(path.string());
  ASSERT_TRUE(from_file.ok()) << from_file.error().message;
  EXPECT_EQ(from_file->tp, 4);
  EXPECT_EQ(from_file->gbs, 64);
  std::filesystem::remove(path);
  EXPECT_EQ(LoadLayout("tp=8")->tp, 8);
}

TEST(LayoutTest, ToStringOmitsUnresolvedFields) {
  EXPECT_EQ(ParseLayout("tp=2,pp=4")->ToString(),
            "tp=2,sp=on,pp=4,vpp=1,ep=1,cp=1,mbs=1,recompute=none,sharding=optimizer,"
            "precision=bf16");
}

}  // namespace
}  // namespace moeplan::sim
