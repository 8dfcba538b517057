#include "model/limit_warning.hpp"

#include <fmt/format.h>

namespace lwm2md {

std::optional<std::uint64_t> LimitWarning::hit(Clock::time_point now) {
  if (lastLogged_ && now - *lastLogged_ < interval_) {
    ++suppressed_;
    return std::nullopt;
  }
  lastLogged_ = now;
  const std::uint64_t suppressed = suppressed_;
  suppressed_ = 0;
  return suppressed;
}

std::string LimitWarning::suppressedNote(std::uint64_t suppressed) {
  if (suppressed == 0) return {};
  return fmt::format(" ({} more since the last report)", suppressed);
}

}  // namespace lwm2md
