#include "observe/notification_planner.hpp"

#include <gtest/gtest.h>

namespace lwm2md {
namespace {

using namespace std::chrono_literals;
using Verdict = NotificationPlanner::Verdict;
using TimePoint = NotificationPlanner::TimePoint;

/// A fake clock: time points are offsets from an arbitrary origin, moved by the test only.
const TimePoint kT0 = TimePoint(1000h);

NotificationPlanner::Sample changedTo(std::optional<double> number = std::nullopt) {
  return {true, number};
}
NotificationPlanner::Sample unchanged(std::optional<double> number = std::nullopt) {
  return {false, number};
}

NotificationAttributes periods(std::optional<std::uint32_t> pmin,
                               std::optional<std::uint32_t> pmax) {
  NotificationAttributes a;
  a.pmin = pmin;
  a.pmax = pmax;
  return a;
}

TEST(NotificationPlanner, IdleWithoutPeriodsOrChanges) {
  NotificationPlanner planner({}, kT0, std::nullopt);
  EXPECT_FALSE(planner.nextWakeUp()) << "no timer when nothing can become due";
}

TEST(NotificationPlanner, ChangeWithoutPminIsDueAtOnce) {
  NotificationPlanner planner({}, kT0, std::nullopt);
  planner.markChanged();
  ASSERT_TRUE(planner.nextWakeUp());
  EXPECT_LE(*planner.nextWakeUp(), kT0 + 5s);
  EXPECT_EQ(planner.evaluate(kT0 + 5s, changedTo()), Verdict::Send);
  planner.sent(kT0 + 5s, std::nullopt);
  EXPECT_FALSE(planner.nextWakeUp());
}

TEST(NotificationPlanner, ChangeEventWithSameValueSendsNothing) {
  NotificationPlanner planner({}, kT0, std::nullopt);
  planner.markChanged();
  EXPECT_EQ(planner.evaluate(kT0 + 1s, unchanged()), Verdict::Hold);
  EXPECT_FALSE(planner.changePending());
  EXPECT_FALSE(planner.nextWakeUp());
}

TEST(NotificationPlanner, PminHoldsAChangeBackUntilItExpires) {
  NotificationPlanner planner(periods(10, std::nullopt), kT0, std::nullopt);
  planner.markChanged();  // at T0 + 3 s, say
  ASSERT_TRUE(planner.nextWakeUp());
  EXPECT_EQ(*planner.nextWakeUp(), kT0 + 10s);
  // Evaluated too early (e.g. a timer that fired early): held, still pending.
  EXPECT_EQ(planner.evaluate(kT0 + 9s, changedTo()), Verdict::Hold);
  EXPECT_TRUE(planner.changePending());
  EXPECT_EQ(*planner.nextWakeUp(), kT0 + 10s);
  EXPECT_EQ(planner.evaluate(kT0 + 10s, changedTo()), Verdict::Send);
  planner.sent(kT0 + 10s, std::nullopt);
  // The next change is held until 10 s after this notification.
  planner.markChanged();
  EXPECT_EQ(*planner.nextWakeUp(), kT0 + 20s);
}

TEST(NotificationPlanner, PmaxForcesANotificationWithoutChange) {
  NotificationPlanner planner(periods(std::nullopt, 30), kT0, std::nullopt);
  ASSERT_TRUE(planner.nextWakeUp());
  EXPECT_EQ(*planner.nextWakeUp(), kT0 + 30s);
  EXPECT_EQ(planner.evaluate(kT0 + 29s, unchanged()), Verdict::Hold);
  EXPECT_EQ(planner.evaluate(kT0 + 30s, unchanged()), Verdict::Send);
  planner.sent(kT0 + 30s, std::nullopt);
  EXPECT_EQ(*planner.nextWakeUp(), kT0 + 60s);
}

TEST(NotificationPlanner, PmaxCountsFromTheLastNotification) {
  NotificationPlanner planner(periods(0, 30), kT0, std::nullopt);
  planner.markChanged();
  EXPECT_EQ(planner.evaluate(kT0 + 20s, changedTo()), Verdict::Send);
  planner.sent(kT0 + 20s, std::nullopt);
  EXPECT_EQ(*planner.nextWakeUp(), kT0 + 50s);
}

TEST(NotificationPlanner, PmaxBelowPminOrZeroIsIgnored) {
  NotificationPlanner zero(periods(std::nullopt, 0), kT0, std::nullopt);
  EXPECT_FALSE(zero.nextWakeUp());
  NotificationPlanner below(periods(20, 10), kT0, std::nullopt);
  EXPECT_FALSE(below.nextWakeUp());
  EXPECT_EQ(below.evaluate(kT0 + 15s, unchanged()), Verdict::Hold);
  NotificationPlanner equal(periods(10, 10), kT0, std::nullopt);
  EXPECT_EQ(*equal.nextWakeUp(), kT0 + 10s);
}

TEST(NotificationPlanner, PmaxBeatsPminAndConditions) {
  NotificationAttributes a = periods(5, 5);
  a.gt = 100;
  NotificationPlanner planner(a, kT0, 1.0);
  EXPECT_EQ(planner.evaluate(kT0 + 5s, changedTo(2.0)), Verdict::Send);
}

TEST(NotificationPlanner, GreaterThanFiresOnCrossingInEitherDirection) {
  NotificationAttributes a;
  a.gt = 25;
  NotificationPlanner planner(a, kT0, 20.0);
  planner.markChanged();
  EXPECT_EQ(planner.evaluate(kT0 + 1s, changedTo(24.0)), Verdict::Hold);
  EXPECT_EQ(planner.evaluate(kT0 + 2s, changedTo(25.0)), Verdict::Hold) << "25 is not above 25";
  EXPECT_EQ(planner.evaluate(kT0 + 3s, changedTo(25.5)), Verdict::Send);
  planner.sent(kT0 + 3s, 25.5);
  EXPECT_EQ(planner.evaluate(kT0 + 4s, changedTo(30.0)), Verdict::Hold);
  EXPECT_EQ(planner.evaluate(kT0 + 5s, changedTo(10.0)), Verdict::Send);
}

TEST(NotificationPlanner, LessThanFiresOnCrossing) {
  NotificationAttributes a;
  a.lt = 10;
  NotificationPlanner planner(a, kT0, 20.0);
  EXPECT_EQ(planner.evaluate(kT0 + 1s, changedTo(11.0)), Verdict::Hold);
  EXPECT_EQ(planner.evaluate(kT0 + 2s, changedTo(9.0)), Verdict::Send);
  planner.sent(kT0 + 2s, 9.0);
  EXPECT_EQ(planner.evaluate(kT0 + 3s, changedTo(-4.0)), Verdict::Hold);
  EXPECT_EQ(planner.evaluate(kT0 + 4s, changedTo(12.0)), Verdict::Send);
}

TEST(NotificationPlanner, StepComparesWithTheLastNotifiedValue) {
  NotificationAttributes a;
  a.st = 2;
  NotificationPlanner planner(a, kT0, 20.0);
  EXPECT_EQ(planner.evaluate(kT0 + 1s, changedTo(21.0)), Verdict::Hold);
  EXPECT_EQ(planner.evaluate(kT0 + 2s, changedTo(21.9)), Verdict::Hold);
  EXPECT_EQ(planner.evaluate(kT0 + 3s, changedTo(22.0)), Verdict::Send) << "exactly st";
  planner.sent(kT0 + 3s, 22.0);
  EXPECT_EQ(planner.evaluate(kT0 + 4s, changedTo(20.5)), Verdict::Hold);
  EXPECT_EQ(planner.evaluate(kT0 + 5s, changedTo(19.9)), Verdict::Send);
}

TEST(NotificationPlanner, AnyConditionMetIsEnough) {
  NotificationAttributes a;
  a.gt = 50;
  a.st = 5;
  NotificationPlanner planner(a, kT0, 20.0);
  EXPECT_EQ(planner.evaluate(kT0 + 1s, changedTo(26.0)), Verdict::Send) << "step, no crossing";
}

TEST(NotificationPlanner, ConditionsDoNotApplyToNonNumericValues) {
  NotificationAttributes a;
  a.gt = 50;
  NotificationPlanner planner(a, kT0, std::nullopt);
  EXPECT_EQ(planner.evaluate(kT0 + 1s, changedTo()), Verdict::Send);
}

TEST(NotificationPlanner, ConditionsWaitForPmin) {
  NotificationAttributes a = periods(10, std::nullopt);
  a.gt = 25;
  NotificationPlanner planner(a, kT0, 20.0);
  planner.markChanged();
  EXPECT_EQ(planner.evaluate(kT0 + 2s, changedTo(30.0)), Verdict::Hold);
  // When pmin expires the value is evaluated as it is then: back below, nothing crossed.
  EXPECT_EQ(planner.evaluate(kT0 + 10s, changedTo(21.0)), Verdict::Hold);
  EXPECT_FALSE(planner.changePending());
}

TEST(NotificationPlanner, EpmaxSamplesWithoutChangeEvents) {
  NotificationAttributes a;
  a.epmax = 5;
  NotificationPlanner planner(a, kT0, std::nullopt);
  ASSERT_TRUE(planner.nextWakeUp());
  EXPECT_EQ(*planner.nextWakeUp(), kT0 + 5s);
  EXPECT_EQ(planner.evaluate(kT0 + 5s, unchanged()), Verdict::Hold);
  EXPECT_EQ(*planner.nextWakeUp(), kT0 + 10s) << "sampled again epmax after the last sample";
  EXPECT_EQ(planner.evaluate(kT0 + 10s, changedTo()), Verdict::Send);
}

TEST(NotificationPlanner, EpmaxSampleInsidePminIsSentWhenPminExpires) {
  NotificationAttributes a = periods(8, std::nullopt);
  a.epmax = 2;
  NotificationPlanner planner(a, kT0, std::nullopt);
  EXPECT_EQ(planner.evaluate(kT0 + 2s, changedTo()), Verdict::Hold);
  EXPECT_TRUE(planner.changePending());
  EXPECT_EQ(*planner.nextWakeUp(), kT0 + 4s) << "the next sample comes first";
  EXPECT_EQ(planner.evaluate(kT0 + 8s, changedTo()), Verdict::Send);
}

TEST(NotificationPlanner, EpminSpacesEvaluationsOfChanges) {
  NotificationAttributes a;
  a.epmin = 3;
  NotificationPlanner planner(a, kT0, std::nullopt);
  EXPECT_EQ(planner.evaluate(kT0 + 1s, unchanged()), Verdict::Hold);
  planner.markChanged();
  EXPECT_EQ(*planner.nextWakeUp(), kT0 + 4s);
  NotificationAttributes bad;
  bad.epmin = 10;
  bad.epmax = 5;  // below epmin: ignored
  NotificationPlanner ignored(bad, kT0, std::nullopt);
  EXPECT_FALSE(ignored.nextWakeUp());
}

TEST(NotificationPlanner, NewAttributesApplyToTheNextPlan) {
  NotificationPlanner planner({}, kT0, std::nullopt);
  EXPECT_FALSE(planner.nextWakeUp());
  planner.setAttributes(periods(std::nullopt, 2));
  EXPECT_EQ(*planner.nextWakeUp(), kT0 + 2s);
  planner.setAttributes({});
  EXPECT_FALSE(planner.nextWakeUp());
}

TEST(NotifyConfirmable, NonUnlessConfiguredAskedOrADayWithoutCon) {
  const auto t0 = NotificationPlanner::TimePoint(std::chrono::hours(1000));
  NotificationAttributes none;
  EXPECT_FALSE(notifyConfirmable(false, none, t0, t0 + std::chrono::hours(23)));
  EXPECT_TRUE(notifyConfirmable(true, none, t0, t0));
  NotificationAttributes con;
  con.con = true;
  EXPECT_TRUE(notifyConfirmable(false, con, t0, t0));
  con.con = false;
  EXPECT_FALSE(notifyConfirmable(false, con, t0, t0));
  EXPECT_TRUE(notifyConfirmable(false, none, t0, t0 + std::chrono::hours(24)));
}

TEST(NotificationPlanner, AFailedSendDoesNotRetryInALoop) {
  const auto t0 = NotificationPlanner::TimePoint(std::chrono::hours(1000));
  NotificationAttributes a;
  a.pmax = 5;
  NotificationPlanner planner(a, t0, std::nullopt);
  planner.markChanged();
  EXPECT_EQ(planner.evaluate(t0 + std::chrono::seconds(5), {true, std::nullopt}),
            NotificationPlanner::Verdict::Send);
  planner.failed(t0 + std::chrono::seconds(5));
  ASSERT_TRUE(planner.nextWakeUp());
  EXPECT_EQ(*planner.nextWakeUp(), t0 + std::chrono::seconds(10));
}

}  // namespace
}  // namespace lwm2md
