#include "app/watchdog.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>

namespace lwm2md {

std::optional<std::chrono::microseconds> Watchdog::requested() {
  std::uint64_t usec = 0;
  // Keep the environment: sd_notify() still needs NOTIFY_SOCKET, and a reload reads nothing
  // of it again. sd_watchdog_enabled() answers 0 when WATCHDOG_PID names another process.
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

Watchdog::Watchdog(EventLoop& loop, std::chrono::microseconds timeout, Ping ping)
    : loop_(loop),
      // Half the timeout, as sd_watchdog_enabled(3) recommends; at least 1 ms so a silly
      // WATCHDOG_USEC cannot make the loop spin.
      period_(std::max(std::chrono::milliseconds(1),
                       std::chrono::duration_cast<std::chrono::milliseconds>(timeout / 2))),
      ping_(ping ? std::move(ping) : Ping([] { sd_notify(0, "WATCHDOG=1"); })) {
  fire();
}

Watchdog::~Watchdog() {
  if (timer_) loop_.cancelTimer(*timer_);
}

void Watchdog::fire() {
  ping_();
  ++pings_;
  // Re-armed from the callback, not at a fixed rate: a late timer (a slow iteration) pushes
  // the next ping out instead of catching up with a burst that would hide the stall.
  timer_ = loop_.addTimer(period_, [this] { fire(); });
}

}  // namespace lwm2md
