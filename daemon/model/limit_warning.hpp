#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace lwm2md {

/// Decides when a hit limit may be logged: a flood of garbage can hit a limit 100,000 times a
/// second, and one log line per hit would flood the journal in turn. The first hit is logged at
/// once, later ones at most once per interval, each line saying how many were left unlogged.
class LimitWarning {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LimitWarning(Clock::duration interval = std::chrono::seconds(10))
      : interval_(interval) {}

  /// Counts a hit. Returns the number of hits suppressed since the last logged one when this
  /// one is to be logged, nullopt when it is to be counted only.
  std::optional<std::uint64_t> hit(Clock::time_point now = Clock::now());

  /// Nothing to report and the interval over since the last logged hit: a hit now would be
  /// logged with nothing suppressed, as for a fresh warning.
  bool quiet(Clock::time_point now) const {
    return suppressed_ == 0 && (!lastLogged_ || now - *lastLogged_ >= interval_);
  }

  /// "" for none, else " (N more since the last report)": the tail of a logged line.
  static std::string suppressedNote(std::uint64_t suppressed);

 private:
  Clock::duration interval_;
  std::optional<Clock::time_point> lastLogged_;
  std::uint64_t suppressed_ = 0;
};

}  // namespace lwm2md
