//===- tests/laws/phases/allocation_test.cc - Allocation of a budget -------===//
/// The default shape rule is checked against its defining equation, written out here; law
/// sources against the published coefficients evaluated by hand.
#include "laws/phases/allocation.h"

#include <gtest/gtest.h>

#include <cmath>

namespace moeplan::phases {
namespace {

TEST(AllocationTest, DefaultShapeRuleSolvesItsEquation) {
  // alpha M = (24 + 6 phi) d^3 + 12 S d^2 and N_a / M = (4 + phi) d^3 / (alpha M), with
  // alpha = 64, phi = 8, S = 4096. At M = 5.345e9: 64 M = 3.4208e11 and d = 1481 gives
  // 72 x 1481^3 + 49152 x 1481^2 = 2.3389e11 + 1.0781e11 = 3.4170e11 (0.1% low): d ~= 1481.5.
  AllocationOptions o;
  const double m = 5.345e9;
  const ShapeRule rule = DefaultShape(m, o);
  const double d = rule.hidden_size;
  EXPECT_NEAR(d, 1481.5, 1.0);
  EXPECT_NEAR((72 * d * d * d + 49152 * d * d) / (64 * m), 1.0, 1e-9);
  EXPECT_NEAR(rule.na_over_m, 12 * d * d * d / (64 * m), 1e-12);
  EXPECT_NEAR(rule.na_over_m, 0.114, 0.001);
}

TEST(AllocationTest, SourcesInPriorityOrder) {
  Result<AllocationModel> model = AllocationModel::Make({});
  ASSERT_TRUE(model.ok()) << model.error().message;
  Result<Allocation> a = model->At(1e21);
  ASSERT_TRUE(a.ok()) << a.error().message;
  // wan2026 at 1e21: 0.0437 x 1000^0.5437 x 1e10 and 22.89 x 1000^0.4563 x 1e8.
  EXPECT_NEAR(a->m_opt.value / (0.0437 * std::pow(1000.0, 0.5437) * 1e10), 1.0, 1e-12);
  EXPECT_NEAR(a->d_opt.value / (22.89 * std::pow(1000.0, 0.4563) * 1e8), 1.0, 1e-12);
  EXPECT_EQ(a->m_opt.source, "wan2026");
  EXPECT_EQ(a->n_over_na.source, "moeplan-phase-defaults");
  EXPECT_DOUBLE_EQ(a->n_over_na.value, 8.0);
  EXPECT_NE(a->hidden_size.source.find("default rule"), std::string::npos);
  EXPECT_FALSE(a->num_layers.has_value());

  AllocationOptions overrides;
  overrides.na_over_m = 0.125;
  overrides.hidden_size = 3000;
  Result<AllocationModel> over = AllocationModel::Make(overrides);
  ASSERT_TRUE(over.ok());
  Result<Allocation> b = over->At(1e21);
  ASSERT_TRUE(b.ok());
  EXPECT_DOUBLE_EQ(b->na_over_m.value, 0.125);
  EXPECT_EQ(b->hidden_size.source, "--hidden-size");
}

TEST(AllocationTest, RejectsBadInput) {
  Result<AllocationModel> model = AllocationModel::Make({});
  ASSERT_TRUE(model.ok());
  EXPECT_FALSE(model->At(0).ok());
  EXPECT_FALSE(model->At(-1).ok());
  EXPECT_FALSE(model->At(std::nan("")).ok());
  AllocationOptions o;
  o.laws = "hoffmann2022";  // has no allocation laws: fine, nothing taken from it
  EXPECT_TRUE(AllocationModel::Make(o).ok());
  o.laws = "missing.json";
  EXPECT_FALSE(AllocationModel::Make(o).ok());
  o = {};
  o.n_over_na = 0.5;
  EXPECT_NE(AllocationModel::Make(o).error().message.find("--n-over-na"), std::string::npos);
  o = {};
  o.aspect_ratio = 0;
  EXPECT_FALSE(AllocationModel::Make(o).ok());
}

}  // namespace
}  // namespace moeplan::phases
