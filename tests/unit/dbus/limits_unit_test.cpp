// The bookkeeping behind [limits] on the D-Bus side, with a made-up clock: the token buckets of
// dbus_calls_per_second, the log throttle, and the per-client instance counts.

#include <gtest/gtest.h>

#include <string>

#include "dbus/service/call_rate_limiter.hpp"
#include "dbus/service/limit_log.hpp"
#include "dbus/service/owner_counts.hpp"

namespace lwm2md {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
const Clock::time_point kStart = Clock::time_point() + 1000s;

// Calls admitted in a row at one instant, stopping at the first refusal (at most `max`).
int admittedInARow(CallRateLimiter& limiter, const std::string& client, Clock::time_point at,
                   int max = 1000) {
  int admitted = 0;
  while (admitted < max && limiter.admit(client, at)) ++admitted;
  return admitted;
}

TEST(CallRateLimiter, BurstOfRateThenRefused) {
  CallRateLimiter limiter;
  limiter.setRate(5);
  EXPECT_EQ(admittedInARow(limiter, ":1.1", kStart), 5);
  EXPECT_FALSE(limiter.admit(":1.1", kStart));
  EXPECT_FALSE(limiter.admit(":1.1", kStart + 1ms));
}

TEST(CallRateLimiter, RefillsAtTheRate) {
  CallRateLimiter limiter;
  limiter.setRate(10);
  EXPECT_EQ(admittedInARow(limiter, ":1.1", kStart), 10);
  // One token every 100 ms.
  EXPECT_FALSE(limiter.admit(":1.1", kStart + 50ms));
  EXPECT_TRUE(limiter.admit(":1.1", kStart + 100ms));
  EXPECT_FALSE(limiter.admit(":1.1", kStart + 100ms));
  EXPECT_EQ(admittedInARow(limiter, ":1.1", kStart + 400ms), 3);
  // Never more than the burst, however long the client was quiet.
  EXPECT_EQ(admittedInARow(limiter, ":1.1", kStart + 1h), 10);
}

TEST(CallRateLimiter, RefusedCallsCostNothing) {
  CallRateLimiter limiter;
  limiter.setRate(2);
  EXPECT_EQ(admittedInARow(limiter, ":1.1", kStart), 2);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(limiter.admit(":1.1", kStart + 100ms));
  EXPECT_TRUE(limiter.admit(":1.1", kStart + 500ms));
}

TEST(CallRateLimiter, ClientsHaveTheirOwnBuckets) {
  CallRateLimiter limiter;
  limiter.setRate(3);
  EXPECT_EQ(admittedInARow(limiter, ":1.1", kStart), 3);
  EXPECT_EQ(admittedInARow(limiter, ":1.2", kStart), 3);
  EXPECT_FALSE(limiter.admit(":1.1", kStart));
}

TEST(CallRateLimiter, ZeroMeansNoLimitAndForgetsEveryone) {
  CallRateLimiter limiter;
  limiter.setRate(1);
  EXPECT_TRUE(limiter.admit(":1.1", kStart));
  EXPECT_FALSE(limiter.admit(":1.1", kStart));
  limiter.setRate(0);
  EXPECT_EQ(limiter.trackedClients(), 0U);
  EXPECT_EQ(admittedInARow(limiter, ":1.1", kStart, 5000), 5000);
  EXPECT_EQ(limiter.trackedClients(), 0U);
}

TEST(CallRateLimiter, NewRateAppliesToSavedTokens) {
  CallRateLimiter limiter;
  limiter.setRate(100);
  EXPECT_TRUE(limiter.admit(":1.1", kStart));  // 99 left
  limiter.setRate(2);                          // capped at the new burst
  EXPECT_EQ(admittedInARow(limiter, ":1.1", kStart), 2);
  limiter.setRate(50);  // a higher rate refills faster: 50 tokens a second
  EXPECT_EQ(admittedInARow(limiter, ":1.1", kStart + 100ms), 5);
}

TEST(CallRateLimiter, StateStaysBoundedWithManyShortLivedClients) {
  CallRateLimiter limiter;
  limiter.setRate(10);
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(limiter.admit(":1." + std::to_string(i), kStart));
  EXPECT_EQ(limiter.trackedClients(), 10000U);
  // A second later every one of those buckets is full again: they are dropped.
  EXPECT_TRUE(limiter.admit(":2.0", kStart + 1s));
  EXPECT_EQ(limiter.trackedClients(), 1U);
  limiter.forget(":2.0");
  EXPECT_EQ(limiter.trackedClients(), 0U);
  limiter.forget(":9.9");  // unknown: nothing happens
}

TEST(CallRateLimiter, ClockGoingNowhereOrBackIsHarmless) {
  CallRateLimiter limiter;
  limiter.setRate(2);
  EXPECT_EQ(admittedInARow(limiter, ":1.1", kStart), 2);
  EXPECT_FALSE(limiter.admit(":1.1", kStart - 10s));
  EXPECT_TRUE(limiter.admit(":1.1", kStart + 500ms));
}

TEST(LimitLog, OncePerClientPerInterval) {
  LimitLog log(10s);
  EXPECT_EQ(log.hit(":1.1", kStart), std::optional<std::uint64_t>(0));
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(log.hit(":1.1", kStart + 1s));
  EXPECT_FALSE(log.hit(":1.1", kStart + 9999ms));
  // Another client is reported on its own.
  EXPECT_EQ(log.hit(":1.2", kStart + 2s), std::optional<std::uint64_t>(0));
  // The next line tells how many went unreported.
  EXPECT_EQ(log.hit(":1.1", kStart + 10s), std::optional<std::uint64_t>(51));
  EXPECT_FALSE(log.hit(":1.1", kStart + 11s));
}

TEST(LimitLog, SweepsQuietClientsButKeepsUnreportedCounts) {
  LimitLog log(10s);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(log.hit(":1." + std::to_string(i), kStart));
  EXPECT_FALSE(log.hit(":1.0", kStart + 1s));  // :1.0 has one unreported hit
  EXPECT_EQ(log.trackedClients(), 1000U);
  EXPECT_TRUE(log.hit(":2.0", kStart + 20s));
  EXPECT_EQ(log.trackedClients(), 2U);  // :1.0 (unreported hit) and :2.0
  EXPECT_EQ(log.hit(":1.0", kStart + 21s), std::optional<std::uint64_t>(1));
  log.forget(":1.0");
  log.forget(":2.0");
  EXPECT_EQ(log.trackedClients(), 0U);
}

TEST(OwnerCounts, CountsClientsOnly) {
  OwnerCounts counts;
  counts.added(3303, 0, ":1.1");
  counts.added(3303, 1, ":1.1");
  counts.added(3303, 2, ":1.2");
  counts.added(3303, 3, "*");  // shared: nobody's
  counts.added(3, 0, "");      // the daemon's
  EXPECT_EQ(counts.count(":1.1"), 2U);
  EXPECT_EQ(counts.count(":1.2"), 1U);
  EXPECT_EQ(counts.count("*"), 0U);
  EXPECT_EQ(counts.count(""), 0U);
  EXPECT_EQ(counts.owners(), 2U);

  counts.removed(3303, 0);
  EXPECT_EQ(counts.count(":1.1"), 1U);
  counts.removed(3303, 0);  // twice: nothing more
  counts.removed(3303, 3);  // never counted
  counts.removed(9, 9);     // never existed
  EXPECT_EQ(counts.count(":1.1"), 1U);
  counts.removed(3303, 1);
  counts.removed(3303, 2);
  EXPECT_EQ(counts.count(":1.1"), 0U);
  EXPECT_EQ(counts.owners(), 0U);
}

TEST(OwnerCounts, SameIdAddedAgainCountsOnceForItsNewOwner) {
  OwnerCounts counts;
  counts.added(3303, 0, ":1.1");
  counts.added(3303, 0, ":1.2");
  EXPECT_EQ(counts.count(":1.1"), 0U);
  EXPECT_EQ(counts.count(":1.2"), 1U);
  EXPECT_EQ(counts.owners(), 1U);
}

}  // namespace
}  // namespace lwm2md
