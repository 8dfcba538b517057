#include "dbus/service/call_rate_limiter.hpp"

#include <algorithm>

namespace lwm2md {

namespace {

// A bucket untouched this long has refilled completely (it gains `rate` tokens a second).
constexpr auto kRefillTime = std::chrono::seconds(1);
// One token in millionths: a call at `rate` calls/s refills `rate` millionths per microsecond.
constexpr std::int64_t kMicrosPerToken = 1'000'000;

}  // namespace

void CallRateLimiter::setRate(std::uint32_t callsPerSecond) {
  rate_ = callsPerSecond;
  if (rate_ == 0) {
    buckets_.clear();
    return;
  }
  const std::int64_t cap = std::int64_t{rate_} * kMicrosPerToken;
  for (auto& [client, bucket] : buckets_) bucket.micros = std::min(bucket.micros, cap);
}

bool CallRateLimiter::admit(const std::string& client, Clock::time_point now) {
  if (rate_ == 0) return true;
  if (now - lastSweep_ >= kRefillTime) sweep(now);
  const std::int64_t cap = std::int64_t{rate_} * kMicrosPerToken;
  auto [it, fresh] = buckets_.try_emplace(client, Bucket{cap, now});
  Bucket& bucket = it->second;
  if (!fresh && now > bucket.last) {
    // Beyond a second the bucket is full anyway (which also keeps the product in range).
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(now - bucket.last);
    if (elapsed.count() >= kMicrosPerToken) {
      bucket.micros = cap;
      bucket.last = now;
    } else {
      bucket.micros = std::min(cap, bucket.micros + elapsed.count() * rate_);
      // Only whole microseconds were counted: the rest counts next time.
      bucket.last += elapsed;
    }
  }
  if (bucket.micros < kMicrosPerToken) return false;
  bucket.micros -= kMicrosPerToken;
  return true;
}

void CallRateLimiter::sweep(Clock::time_point now) {
  lastSweep_ = now;
  std::erase_if(buckets_,
                [&](const auto& entry) { return now - entry.second.last >= kRefillTime; });
}

}  // namespace lwm2md
