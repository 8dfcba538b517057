#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace lwm2md {

/// [limits] dbus_calls_per_second: a token bucket per client (unique bus name) that holds at
/// most `rate` tokens and gains `rate` per second, so a client may make a burst of `rate` calls
/// and then `rate` calls per second; each admitted call takes one token.
///
/// Memory stays bounded however many clients come and go: a bucket that has not been touched
/// for a second is full again, which is the same as having none, so such buckets are dropped
/// (at most once a second, a sweep over the few clients active in the last two seconds), and
/// forget() drops a client that left the bus at once.
class CallRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  /// Calls per second and burst size; 0 turns limiting off (and forgets every client). A
  /// client's saved tokens are capped at the new rate, so a lower limit applies at once.
  void setRate(std::uint32_t callsPerSecond);
  std::uint32_t rate() const { return rate_; }

  /// Whether `client` may make a call at `now`; if so, the call's token is taken. A refused
  /// call costs nothing.
  bool admit(const std::string& client, Clock::time_point now);
  /// Drops the client's bucket (it left the bus).
  void forget(const std::string& client) { buckets_.erase(client); }
  /// Clients with a bucket right now (for tests: it must not grow without bound).
  std::size_t trackedClients() const { return buckets_.size(); }

 private:
  // Tokens are counted in millionths, so that a microsecond at `rate` calls/s adds exactly
  // `rate` of them: integer arithmetic, no rounding that could admit or refuse one call too many.
  struct Bucket {
    std::int64_t micros = 0;
    Clock::time_point last;
  };
  void sweep(Clock::time_point now);

  std::uint32_t rate_ = 0;
  std::unordered_map<std::string, Bucket> buckets_;
  Clock::time_point lastSweep_{};
};

}  // namespace lwm2md
