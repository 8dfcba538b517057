// EventLoop's order within a turn: work deferred with a 0 ms timer by the last turn (or by a
// prepare hook) is done before the events that woke this turn are handled.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/event_loop.hpp"

namespace lwm2md {
namespace {

using namespace std::chrono_literals;

TEST(EventLoop, LaterWorkOfTheLastTurnComesBeforeThisTurnsEvents) {
  EventLoop loop;
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::vector<std::string> order;
  loop.watchFd(fd, EPOLLIN, [&](std::uint32_t) {
    std::uint64_t count = 0;
    (void)read(fd, &count, sizeof count);
    order.push_back("event");
    // Deferred by an event: after it, in the same turn.
    loop.addTimer(0ms, [&] { order.push_back("after the event"); });
  });
  // Deferred, then the event arrives before the loop turns.
  loop.addTimer(0ms, [&] { order.push_back("deferred"); });
  const std::uint64_t one = 1;
  ASSERT_EQ(write(fd, &one, sizeof one), static_cast<ssize_t>(sizeof one));
  loop.runOnce(100ms);
  EXPECT_EQ(order, (std::vector<std::string>{"deferred", "event", "after the event"}));

  // A timer not yet due stays for a later turn; an idle turn waits for it, bounded.
  order.clear();
  loop.addTimer(20ms, [&] { order.push_back("due later"); });
  loop.runOnce(0ms);
  EXPECT_TRUE(order.empty());
  loop.runOnce(1000ms);
  EXPECT_EQ(order, (std::vector<std::string>{"due later"}));
  loop.unwatchFd(fd);
  close(fd);
}

}  // namespace
}  // namespace lwm2md
