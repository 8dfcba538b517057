// The attributes an Observe-Composite notification follows: combined from every path's
// effective attributes (ETS int-304, int-308, int-310).
#include <gtest/gtest.h>

#include "observe/attributes.hpp"

namespace lwm2md {
namespace {

NotificationAttributes periods(std::optional<std::uint32_t> pmin,
                               std::optional<std::uint32_t> pmax) {
  NotificationAttributes a;
  a.pmin = pmin;
  a.pmax = pmax;
  return a;
}

TEST(CombineForComposite, LargestPminSmallestPmax) {
  // int-304: /1/0/1 has pmin 30, pmax 45; the other paths only the C.1 defaults (0, none).
  auto combined = combineForComposite({periods(30, 45), periods(0, std::nullopt), periods(0, 0)});
  EXPECT_EQ(combined.pmin, 30u);
  EXPECT_EQ(combined.pmax, 45u);
  // int-310: pmax 5 on /3 reaches /3/0; /1/0/1 keeps the defaults.
  combined = combineForComposite({periods(0, 0), periods(0, 5)});
  EXPECT_EQ(combined.pmin, 0u);
  EXPECT_EQ(combined.pmax, 5u);
  // int-308: the instance that does not exist yet has only the defaults; /16/0's pmin holds.
  combined = combineForComposite({periods(30, 45), periods(0, std::nullopt)});
  EXPECT_EQ(combined.pmin, 30u);
  EXPECT_EQ(combined.pmax, 45u);
}

TEST(CombineForComposite, PmaxNeverBelowPmin) {
  auto combined = combineForComposite({periods(20, 60), periods(1, 10)});
  EXPECT_EQ(combined.pmin, 20u);
  EXPECT_EQ(combined.pmax, 20u);
}

TEST(CombineForComposite, EvaluationPeriodsAndCon) {
  NotificationAttributes a;
  a.epmin = 2;
  a.epmax = 60;
  a.con = false;
  NotificationAttributes b;
  b.epmin = 5;
  b.epmax = 30;
  b.con = true;
  auto combined = combineForComposite({a, b});
  EXPECT_EQ(combined.epmin, 5u);
  EXPECT_EQ(combined.epmax, 30u);
  EXPECT_EQ(combined.con, true);
  EXPECT_EQ(combineForComposite({a}).con, false);
  NotificationAttributes none;
  EXPECT_FALSE(combineForComposite({none, none}).con.has_value());
}

TEST(CombineForComposite, NumericConditionsDoNotApply) {
  NotificationAttributes a = periods(1, 10);
  a.gt = 5;
  a.lt = 1;
  a.st = 0.5;
  auto combined = combineForComposite({a});
  EXPECT_FALSE(combined.gt || combined.lt || combined.st);
  EXPECT_EQ(combined.pmin, 1u);
  EXPECT_EQ(combined.pmax, 10u);
}

TEST(CombineForComposite, NothingSetIsNothing) {
  EXPECT_TRUE(combineForComposite({}).empty());
  EXPECT_TRUE(combineForComposite({NotificationAttributes{}}).empty());
}

}  // namespace
}  // namespace lwm2md
