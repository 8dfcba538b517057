#include "core/event_loop.hpp"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace lwm2md {

EventLoop::EventLoop() : epollFd_(epoll_create1(EPOLL_CLOEXEC)) {
  if (epollFd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + strerror(errno));
}

EventLoop::~EventLoop() {
  if (signalFd_ >= 0) close(signalFd_);
  close(epollFd_);
}

void EventLoop::watchFd(int fd, std::uint32_t events, FdHandler handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  const bool known = fdHandlers_.contains(fd);
  fdHandlers_[fd] = std::move(handler);
  // Watching again with the same events (the bus is re-armed every turn) needs no syscall.
  auto [watched, added] = fdEvents_.try_emplace(fd, events);
  if (known && !added && watched->second == events) return;
  watched->second = events;
  if (epoll_ctl(epollFd_, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0) {
    fdEvents_.erase(fd);
    throw std::runtime_error("epoll_ctl(" + std::to_string(fd) + "): " + strerror(errno));
  }
}

void EventLoop::unwatchFd(int fd) {
  fdEvents_.erase(fd);
  if (fdHandlers_.erase(fd) > 0) epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::TimerId EventLoop::addTimer(std::chrono::milliseconds delay,
                                       std::function<void()> callback) {
  const TimerId id = nextTimerId_++;
  const auto due = Clock::now() + delay;
  timers_.emplace(id, std::make_pair(due, std::move(callback)));
  timerQueue_.emplace(due, id);
  return id;
}

void EventLoop::cancelTimer(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  auto [first, last] = timerQueue_.equal_range(it->second.first);
  for (auto q = first; q != last; ++q) {
    if (q->second == id) {
      timerQueue_.erase(q);
      break;
    }
  }
  timers_.erase(it);
}

std::optional<std::chrono::milliseconds> EventLoop::timeLeft(TimerId id) const {
  auto it = timers_.find(id);
  if (it == timers_.end()) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(it->second.first - Clock::now());
}

void EventLoop::onSignal(int signo, std::function<void()> handler) {
  signalHandlers_[signo] = std::move(handler);
  sigset_t mask;
  sigemptyset(&mask);
  for (const auto& entry : signalHandlers_) sigaddset(&mask, entry.first);
  // Blocked signals are only delivered through the signalfd, so a handler never interrupts
  // the loop half-way through an event.
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signalFd_ = signalfd(signalFd_, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signalFd_ < 0) throw std::runtime_error(std::string("signalfd: ") + strerror(errno));
  if (!fdHandlers_.contains(signalFd_))
    watchFd(signalFd_, EPOLLIN, [this](std::uint32_t) { handleSignals(); });
}

void EventLoop::handleSignals() {
  signalfd_siginfo info{};
  while (read(signalFd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    auto it = signalHandlers_.find(static_cast<int>(info.ssi_signo));
    if (it != signalHandlers_.end()) it->second();
  }
}

void EventLoop::dispatchTimers() {
  const auto now = Clock::now();
  // Collect first: callbacks may add or cancel timers.
  std::vector<TimerId> due;
  for (auto it = timerQueue_.begin(); it != timerQueue_.end() && it->first <= now; ++it)
    due.push_back(it->second);
  for (TimerId id : due) {
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;  // cancelled by an earlier callback
    auto callback = std::move(it->second.second);
    cancelTimer(id);
    callback();
  }
}

void EventLoop::runOnce(std::chrono::milliseconds maxWait) {
  auto deadline = Clock::now() + maxWait;
  for (auto& hook : prepareHooks_)
    if (auto d = hook(); d && *d < deadline) deadline = *d;
  if (!timerQueue_.empty() && timerQueue_.begin()->first < deadline)
    deadline = timerQueue_.begin()->first;
  auto wait = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
  // Round up so that a timer is never woken for just before it is due.
  int timeoutMs = wait.count() <= 0 ? 0 : static_cast<int>((wait.count() + 999) / 1000);

  std::array<epoll_event, 16> events{};
  int n = epoll_wait(epollFd_, events.data(), static_cast<int>(events.size()), timeoutMs);
  if (n < 0 && errno != EINTR)
    throw std::runtime_error(std::string("epoll_wait: ") + strerror(errno));
  // Work left for "later" by the last turn (a 0 ms timer: an Access Control instance for an
  // instance a provider just added) is done before this turn's events: a server's request
  // that came meanwhile must find it done.
  dispatchTimers();
  for (int i = 0; i < n; ++i) {
    auto it = fdHandlers_.find(events[static_cast<std::size_t>(i)].data.fd);
    if (it == fdHandlers_.end()) continue;
    auto handler = it->second;  // copy: the handler may unwatch its own fd
    handler(events[static_cast<std::size_t>(i)].events);
  }
  dispatchTimers();
}

std::uint64_t EventLoop::run() {
  running_ = true;
  std::uint64_t wakeups = 0;
  while (running_) {
    runOnce(std::chrono::hours(24));
    ++wakeups;
  }
  return wakeups;
}

}  // namespace lwm2md
