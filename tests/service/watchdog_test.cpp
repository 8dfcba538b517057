// The watchdog's pings come from the daemon's loop: at half the timeout, and not at all while
// the loop is blocked. A real EventLoop and sd_notify() to a test-owned NOTIFY_SOCKET.
#include "app/watchdog.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "core/event_loop.hpp"
#include "notify_socket.hpp"
#include "support/temp_dir.hpp"

namespace lwm2md::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// Sets an environment variable for one test and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

/// Runs the loop for `duration` (bounded passes of at most 20 ms each), reading `notify`
/// between passes: an AF_UNIX datagram queue holds only a few messages (max_dgram_qlen, 10 by
/// default) and sd_notify() blocks once it is full, as it would were systemd not reading.
void runFor(EventLoop& loop, std::chrono::milliseconds duration, NotifySocket* notify = nullptr) {
  const auto end = Clock::now() + duration;
  while (Clock::now() < end) {
    loop.runOnce(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::min<Clock::duration>(end - Clock::now(), 20ms)));
    if (notify) notify->drain();
  }
}

class WatchdogTest : public ::testing::Test {
 protected:
  TempDir dir_{"lwm2md-watchdog"};
  NotifySocket notify_{dir_.file("notify")};
  ScopedEnv socketEnv_{"NOTIFY_SOCKET", notify_.path().c_str()};
};

TEST(WatchdogRequested, FollowsWatchdogUsecAndPid) {
  ScopedEnv pid("WATCHDOG_PID", nullptr);
  {
    ScopedEnv usec("WATCHDOG_USEC", nullptr);
    EXPECT_FALSE(Watchdog::requested());
  }
  {
    ScopedEnv usec("WATCHDOG_USEC", "400000");
    ASSERT_TRUE(Watchdog::requested());
    EXPECT_EQ(*Watchdog::requested(), 400ms);
    // The variables stay for later calls (sd_notify still needs NOTIFY_SOCKET, too).
    EXPECT_NE(std::getenv("WATCHDOG_USEC"), nullptr);
  }
  for (const char* bad : {"", "0", "abc", "-5"}) {
    ScopedEnv usec("WATCHDOG_USEC", bad);
    EXPECT_FALSE(Watchdog::requested()) << "WATCHDOG_USEC=" << bad;
  }
  ScopedEnv usec("WATCHDOG_USEC", "400000");
  {
    const std::string self = std::to_string(getpid());
    ScopedEnv own("WATCHDOG_PID", self.c_str());
    EXPECT_TRUE(Watchdog::requested());
  }
  {
    // Meant for another process (a parent that exec'd a wrapper): not ours to feed.
    const std::string other = std::to_string(getpid() + 1);
    ScopedEnv foreign("WATCHDOG_PID", other.c_str());
    EXPECT_FALSE(Watchdog::requested());
  }
  {
    ScopedEnv garbage("WATCHDOG_PID", "not-a-pid");
    EXPECT_FALSE(Watchdog::requested());
  }
}

TEST_F(WatchdogTest, PingsAtOnceAndThenAtHalfTheTimeout) {
  ASSERT_TRUE(notify_.ok());
  EventLoop loop;
  Watchdog watchdog(loop, 200ms);
  EXPECT_EQ(watchdog.period(), 100ms);
  notify_.drain();
  EXPECT_EQ(notify_.count("WATCHDOG=1"), 1u) << "no ping at start:\n" << notify_.dump();
  runFor(loop, 1050ms, &notify_);
  notify_.drain();
  // 1 + 10 on an idle machine; a loaded one may lose one or two to late timers.
  EXPECT_GE(notify_.count("WATCHDOG=1"), 8u) << notify_.dump();
  EXPECT_LE(notify_.count("WATCHDOG=1"), 12u) << notify_.dump();
  EXPECT_EQ(notify_.lines.size(), notify_.count("WATCHDOG=1")) << notify_.dump();
  EXPECT_EQ(watchdog.pings(), notify_.count("WATCHDOG=1"));
}

TEST_F(WatchdogTest, StopsWhenDestroyedAndHasNoTimerLeft) {
  EventLoop loop;
  auto watchdog = std::make_unique<Watchdog>(loop, 100ms);
  runFor(loop, 120ms, &notify_);
  watchdog.reset();
  notify_.drain();
  const size_t before = notify_.count("WATCHDOG=1");
  EXPECT_GE(before, 2u);
  runFor(loop, 300ms, &notify_);
  notify_.drain();
  EXPECT_EQ(notify_.count("WATCHDOG=1"), before);
}

TEST_F(WatchdogTest, TinyTimeoutDoesNotSpin) {
  EventLoop loop;
  unsigned pings = 0;
  Watchdog watchdog(loop, std::chrono::microseconds(1), [&pings] { ++pings; });
  EXPECT_EQ(watchdog.period(), 1ms);
  runFor(loop, 100ms);
  // At most one ping per millisecond (plus the first), never a busy loop.
  EXPECT_LE(watchdog.pings(), 102u);
  EXPECT_GE(pings, 10u);
  EXPECT_EQ(pings, watchdog.pings());
  // The custom ping replaced sd_notify: nothing reached the socket.
  notify_.drain();
  EXPECT_TRUE(notify_.lines.empty());
}

TEST_F(WatchdogTest, BlockedLoopSendsNoPingsAndTheyResumeAfter) {
  ASSERT_TRUE(notify_.ok());
  // A reader thread stamps each datagram as it arrives, while the loop thread is blocked.
  std::atomic<bool> stop{false};
  std::vector<Clock::time_point> arrivals;
  std::thread reader([&] {
    const auto limit = Clock::now() + 10s;  // bounded whatever happens
    while (!stop && Clock::now() < limit) {
      pollfd p{notify_.fd(), POLLIN, 0};
      if (poll(&p, 1, 10) > 0) {
        char buffer[256];
        while (recv(notify_.fd(), buffer, sizeof buffer, 0) > 0) arrivals.push_back(Clock::now());
      }
    }
  });

  EventLoop loop;
  Watchdog watchdog(loop, 200ms);
  Clock::time_point blockedFrom{}, blockedUntil{};
  loop.addTimer(300ms, [&] {
    blockedFrom = Clock::now();
    std::this_thread::sleep_for(1s);  // a handler that hangs the loop
    blockedUntil = Clock::now();
  });
  runFor(loop, 1900ms);
  stop = true;
  reader.join();

  ASSERT_NE(blockedFrom, Clock::time_point{});
  size_t before = 0, during = 0, after = 0;
  for (const auto& at : arrivals) {
    // A ping sent just before the block may be stamped a few ms into it.
    if (at < blockedFrom + 30ms)
      ++before;
    else if (at < blockedUntil)
      ++during;
    else
      ++after;
  }
  EXPECT_GE(before, 2u);
  EXPECT_EQ(during, 0u) << "pings while the loop was blocked";
  // The loop runs ~600 ms after the block: the late ping at once, then every 100 ms.
  EXPECT_GE(after, 3u);
  ASSERT_FALSE(arrivals.empty());
  EXPECT_LT(arrivals.back() - blockedUntil, 700ms);
  bool resumedSoon = false;
  for (const auto& at : arrivals)
    if (at >= blockedUntil && at - blockedUntil < 150ms) resumedSoon = true;
  EXPECT_TRUE(resumedSoon) << "no ping right after the loop came back";
}

}  // namespace
}  // namespace lwm2md::test
