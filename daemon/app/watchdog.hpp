#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "core/event_loop.hpp"

namespace lwm2md {

/// Keeps systemd's watchdog (WatchdogSec=) fed: sends WATCHDOG=1 from a timer of the daemon's
/// own loop, every half of the timeout. The pings come from the loop on purpose: a loop that
/// hangs (a blocking call, a livelock) stops them, and systemd restarts the daemon. A side
/// thread would keep pinging for a daemon that no longer serves anyone.
class Watchdog {
 public:
  using Ping = std::function<void()>;

  /// The timeout systemd asks for (WATCHDOG_USEC, for this process when WATCHDOG_PID is set);
  /// nullopt when no watchdog is wanted, and then no Watchdog should be made at all, so the
  /// loop never wakes up for it.
  static std::optional<std::chrono::microseconds> requested();

  /// Pings once at once, then every `timeout / 2`. `ping` defaults to sd_notify(WATCHDOG=1).
  Watchdog(EventLoop& loop, std::chrono::microseconds timeout, Ping ping = {});
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  /// Time between two pings.
  std::chrono::milliseconds period() const { return period_; }
  /// Pings sent so far.
  unsigned long pings() const { return pings_; }

 private:
  void fire();

  EventLoop& loop_;
  std::chrono::milliseconds period_;
  Ping ping_;
  std::optional<EventLoop::TimerId> timer_;
  unsigned long pings_ = 0;
};

}  // namespace lwm2md
