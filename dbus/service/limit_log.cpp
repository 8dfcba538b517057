#include "dbus/service/limit_log.hpp"

namespace lwm2md {

std::optional<std::uint64_t> LimitLog::hit(const std::string& client, Clock::time_point now) {
  if (now - lastSweep_ >= interval_) {
    lastSweep_ = now;
    // An entry with unreported hits stays (until the next hit or the client leaves), so that
    // its count is not lost.
    std::erase_if(clients_, [&](const auto& entry) {
      return entry.second.suppressed == 0 && now - entry.second.logged >= interval_;
    });
  }
  auto [it, fresh] = clients_.try_emplace(client, Entry{now, 0});
  if (fresh) return 0;
  Entry& entry = it->second;
  if (now - entry.logged < interval_) {
    ++entry.suppressed;
    return std::nullopt;
  }
  const std::uint64_t suppressed = entry.suppressed;
  entry = Entry{now, 0};
  return suppressed;
}

}  // namespace lwm2md
