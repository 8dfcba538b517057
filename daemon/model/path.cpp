#include "model/path.hpp"

#include <charconv>

namespace lwm2md {

namespace {

std::optional<std::uint16_t> parseId(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value >= Path::kInvalidId)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<Path> Path::fromSegments(const std::vector<std::string>& segments) {
  if (segments.size() > 4) return std::nullopt;
  Path path;
  for (const auto& segment : segments) {
    auto id = parseId(segment);
    if (!id) return std::nullopt;
    path = path.child(*id);
  }
  return path;
}

std::optional<Path> Path::parse(std::string_view text) {
  if (!text.empty() && text.front() == '/') text.remove_prefix(1);
  std::vector<std::string> segments;
  while (!text.empty()) {
    auto slash = text.find('/');
    segments.emplace_back(text.substr(0, slash));
    if (slash == std::string_view::npos) break;
    text.remove_prefix(slash + 1);
    if (text.empty()) return std::nullopt;  // trailing slash
  }
  return fromSegments(segments);
}

Path Path::child(std::uint16_t id) const {
  Path result = *this;
  if (depth_ < 4) result.ids_[static_cast<std::size_t>(result.depth_++)] = id;
  return result;
}

bool Path::contains(const Path& other) const {
  if (other.depth_ < depth_) return false;
  for (int i = 0; i < depth_; ++i)
    if (ids_[static_cast<std::size_t>(i)] != other.ids_[static_cast<std::size_t>(i)]) return false;
  return true;
}

std::string Path::toString() const {
  if (depth_ == 0) return "/";
  std::string out;
  for (int i = 0; i < depth_; ++i) {
    out += '/';
    out += std::to_string(ids_[static_cast<std::size_t>(i)]);
  }
  return out;
}

}  // namespace lwm2md
