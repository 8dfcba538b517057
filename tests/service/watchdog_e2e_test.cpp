// The real daemon under a test-owned NOTIFY_SOCKET: WATCHDOG=1 at half of WATCHDOG_USEC from
// its loop, none when no watchdog is asked for, none while the process is stopped.
#include <gmock/gmock.h>
#include <signal.h>

#include <algorithm>
#include <string>
#include <vector>

#include "e2e_fixture.hpp"
#include "notify_socket.hpp"

namespace lwm2md::test {
namespace {

class WatchdogE2e : public DaemonFixture {
 protected:
  /// Starts the daemon with the notify socket and `env`, and waits for READY=1 and its
  /// Register.
  void start(const std::map<std::string, std::string>& env) {
    ASSERT_TRUE(notify_.ok());
    daemonEnv_["NOTIFY_SOCKET"] = notify_.path();
    for (const auto& [name, value] : env) daemonEnv_[name] = value;
    startAndRegister();
    ASSERT_TRUE(server_.waitFor(
        [&] {
          notify_.drain();
          return notify_.has("READY=1");
        },
        10s))
        << notify_.dump() << daemon_->output();
  }
  /// Pumps the test server for `duration`, reading the socket every slice so the stamps stay
  /// close to the arrivals.
  void collect(std::chrono::milliseconds duration) {
    server_.waitFor(
        [&] {
          notify_.drain();
          return false;
        },
        duration);
    notify_.drain();
  }

  NotifySocket notify_{dir_.file("notify")};
};

std::chrono::milliseconds medianInterval(
    const std::vector<std::chrono::steady_clock::time_point>& times) {
  std::vector<std::chrono::milliseconds> gaps;
  for (size_t i = 1; i < times.size(); ++i)
    gaps.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(times[i] - times[i - 1]));
  if (gaps.empty()) return std::chrono::milliseconds::max();
  std::sort(gaps.begin(), gaps.end());
  return gaps[gaps.size() / 2];
}

TEST_F(WatchdogE2e, PingsAtHalfTheWatchdogTimeout) {
  ASSERT_NO_FATAL_FAILURE(start({{"WATCHDOG_USEC", "400000"}}));
  notify_.lines.clear();
  collect(2000ms);
  const auto pings = notify_.times("WATCHDOG=1");
  // Every 200 ms: about 10 in 2 s. The bounds leave room for a loaded CI machine under ASan.
  EXPECT_GE(pings.size(), 5u) << notify_.dump() << daemon_->output();
  EXPECT_LE(pings.size(), 17u) << notify_.dump();
  const auto median = medianInterval(pings);
  EXPECT_GE(median, 120ms);
  EXPECT_LE(median, 400ms);
  EXPECT_THAT(daemon_->output(), ::testing::HasSubstr("watchdog: 400 ms"));
}

TEST_F(WatchdogE2e, WatchdogMeantForAnotherProcessIsIgnored) {
  // WATCHDOG_PID names the process systemd watches; the daemon's pid is not known before it
  // starts, so the unit test covers a matching one and this one a foreign pid.
  ASSERT_NO_FATAL_FAILURE(start({{"WATCHDOG_USEC", "400000"}, {"WATCHDOG_PID", "1"}}));
  collect(1200ms);
  EXPECT_EQ(notify_.count("WATCHDOG=1"), 0u) << notify_.dump();
  EXPECT_THAT(daemon_->output(), ::testing::Not(::testing::HasSubstr("watchdog:")));
}

TEST_F(WatchdogE2e, NoPingsWithoutWatchdogUsec) {
  ASSERT_NO_FATAL_FAILURE(start({}));
  collect(1200ms);
  EXPECT_EQ(notify_.count("WATCHDOG=1"), 0u) << notify_.dump();
  EXPECT_TRUE(notify_.has("STATUS=registered")) << notify_.dump();
}

TEST_F(WatchdogE2e, StoppedProcessSendsNothingAndResumes) {
  ASSERT_NO_FATAL_FAILURE(start({{"WATCHDOG_USEC", "400000"}}));
  collect(500ms);
  ASSERT_GE(notify_.count("WATCHDOG=1"), 2u) << notify_.dump();
  daemon_->signal(SIGSTOP);
  collect(100ms);  // what was on its way before the stop
  const size_t before = notify_.count("WATCHDOG=1");
  collect(1000ms);
  EXPECT_EQ(notify_.count("WATCHDOG=1"), before) << "pings from a stopped process";
  daemon_->signal(SIGCONT);
  const auto resumed = std::chrono::steady_clock::now();
  ASSERT_TRUE(server_.waitFor(
      [&] {
        notify_.drain();
        return notify_.count("WATCHDOG=1") >= before + 2;
      },
      3s))
      << notify_.dump() << daemon_->output();
  EXPECT_LT(std::chrono::steady_clock::now() - resumed, 1500ms);
}

}  // namespace
}  // namespace lwm2md::test
