#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>

namespace lwm2md {

/// The daemon's single-threaded loop: one epoll set over file descriptors (libcoap's, the
/// D-Bus connection's, a signalfd), plus timers kept in a map and served through epoll_wait's
/// timeout. With nothing due the thread sleeps in epoll_wait: idle means asleep.
class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using FdHandler = std::function<void(std::uint32_t events)>;
  using TimerId = std::uint64_t;
  /// Called before every wait; returns an extra deadline (e.g. D-Bus's own timeout), if any.
  using PrepareHook = std::function<std::optional<Clock::time_point>()>;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Watches `fd` for `events` (EPOLLIN, ...). Re-adding an fd updates its events and handler
  /// (no syscall when the events are the same). Unwatch an fd before closing it.
  void watchFd(int fd, std::uint32_t events, FdHandler handler);
  void unwatchFd(int fd);

  /// Runs `callback` once after `delay`. Timers may be cancelled, also from inside callbacks.
  TimerId addTimer(std::chrono::milliseconds delay, std::function<void()> callback);
  void cancelTimer(TimerId id);
  /// Time left before a timer fires, nullopt when it is not pending.
  std::optional<std::chrono::milliseconds> timeLeft(TimerId id) const;

  /// Delivers SIGTERM/SIGINT/SIGHUP/... through a signalfd (the signals are blocked).
  void onSignal(int signo, std::function<void()> handler);

  void addPrepareHook(PrepareHook hook) { prepareHooks_.push_back(std::move(hook)); }

  /// Runs until stop() is called. Returns the number of wake-ups (for benchmarks and tests).
  std::uint64_t run();
  /// Runs one wait-and-dispatch pass, waiting at most `maxWait`.
  void runOnce(std::chrono::milliseconds maxWait);
  /// Whether a timer is due: work deferred with a 0 ms timer waits to be done.
  bool hasDueTimers() const {
    return !timerQueue_.empty() && timerQueue_.begin()->first <= Clock::now();
  }
  void stop() { running_ = false; }
  bool running() const { return running_; }

 private:
  void dispatchTimers();
  void handleSignals();

  int epollFd_ = -1;
  int signalFd_ = -1;
  bool running_ = false;
  TimerId nextTimerId_ = 1;
  std::multimap<Clock::time_point, TimerId> timerQueue_;
  std::unordered_map<TimerId, std::pair<Clock::time_point, std::function<void()>>> timers_;
  std::unordered_map<int, FdHandler> fdHandlers_;
  std::unordered_map<int, std::uint32_t> fdEvents_;  // what epoll watches each fd for
  std::unordered_map<int, std::function<void()>> signalHandlers_;
  std::vector<PrepareHook> prepareHooks_;
};

}  // namespace lwm2md
