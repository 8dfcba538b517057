#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "model/limit_warning.hpp"

namespace lwm2md {

/// Decides which limit hits get a log line: at most one per client per interval (a
/// LimitWarning per client), so that a client flooding the daemon cannot flood the journal as
/// well. The line that is written says how many hits went unreported since the previous one.
///
/// An entry older than the interval no longer suppresses anything, so such entries are swept
/// (at most once per interval) unless they hold unreported hits, and forget() drops a client
/// that left the bus: the entries are bounded by the clients on the bus.
class LimitLog {
 public:
  using Clock = LimitWarning::Clock;

  explicit LimitLog(Clock::duration interval = std::chrono::seconds(10)) : interval_(interval) {}

  /// A hit by `client` at `now`: nullopt when it must not be logged, else how many earlier hits
  /// were not logged.
  std::optional<std::uint64_t> hit(const std::string& client, Clock::time_point now);
  void forget(const std::string& client) { clients_.erase(client); }
  std::size_t trackedClients() const { return clients_.size(); }

 private:
  Clock::duration interval_;
  std::unordered_map<std::string, LimitWarning> clients_;
  Clock::time_point lastSweep_{};
};

}  // namespace lwm2md
