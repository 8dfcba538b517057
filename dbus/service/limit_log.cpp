#include "dbus/service/limit_log.hpp"

namespace lwm2md {

std::optional<std::uint64_t> LimitLog::hit(const std::string& client, Clock::time_point now) {
  if (now - lastSweep_ >= interval_) {
    lastSweep_ = now;
    // An entry with unreported hits stays (until the next hit or the client leaves), so that
    // its count is not lost.
    std::erase_if(clients_, [&](const auto& entry) { return entry.second.quiet(now); });
  }
  return clients_.try_emplace(client, interval_).first->second.hit(now);
}

}  // namespace lwm2md
