#include "io/json_support.hpp"

#include <fmt/format.h>

#include <set>
#include <string>

namespace lwm2md {

namespace {

constexpr int kMaxDepth = 32;

/// nlohmann prefixes its messages with "[json.exception.parse_error.101] "; drop that.
std::string_view withoutPrefix(std::string_view what) {
  if (what.starts_with('[')) {
    const auto end = what.find("] ");
    if (end != std::string_view::npos) what.remove_prefix(end + 2);
  }
  return what;
}

/// Watches the parse for what nlohmann accepts silently.
class ParseWatch {
 public:
  explicit ParseWatch(int recordDepth) : recordDepth_(recordDepth) {}

  bool onEvent(nlohmann::json::parse_event_t event, const nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        if (depth_ == recordDepth_) ++records_;
        ++depth_;
        if (depth_ > kMaxDepth && problem_.empty())
          problem_ = fmt::format("nesting is deeper than {}", kMaxDepth);
        keys_.emplace_back();
        break;
      case Event::object_end:
      case Event::array_end:
        --depth_;
        if (!keys_.empty()) keys_.pop_back();
        break;
      case Event::key:
        if (!keys_.empty() && parsed.is_string() &&
            !keys_.back().insert(parsed.get<std::string>()).second && problem_.empty()) {
          problem_ = depth_ == recordDepth_ + 1
                         ? fmt::format("record {}: duplicate field '{}'", records_ - 1,
                                       parsed.get<std::string>())
                         : fmt::format("duplicate key '{}'", parsed.get<std::string>());
        }
        break;
      case Event::value:
        if (depth_ == recordDepth_) ++records_;  // a scalar where a record belongs
        break;
    }
    return true;
  }

  const std::string& problem() const { return problem_; }

 private:
  int recordDepth_;
  int depth_ = 0;
  std::size_t records_ = 0;
  std::vector<std::set<std::string>> keys_;
  std::string problem_;
};

}  // namespace

Result<nlohmann::json> parseJson(std::span<const std::uint8_t> payload, std::string_view format,
                                 int recordDepth) {
  ParseWatch watch(recordDepth);
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(
        payload.begin(), payload.end(),
        [&watch](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
          return watch.onEvent(event, parsed);
        });
  } catch (const nlohmann::json::parse_error& e) {
    return badRequest(
        fmt::format("{}: invalid JSON at byte {}: {}", format, e.byte, withoutPrefix(e.what())));
  } catch (const std::exception& e) {
    return badRequest(fmt::format("{}: invalid JSON: {}", format, withoutPrefix(e.what())));
  }
  if (!watch.problem().empty()) return badRequest(fmt::format("{}: {}", format, watch.problem()));
  return json;
}

Result<std::vector<std::uint8_t>> dumpJson(const nlohmann::ordered_json& json,
                                           std::string_view format) {
  try {
    const std::string text = json.dump();
    return std::vector<std::uint8_t>(text.begin(), text.end());
  } catch (const std::exception& e) {
    return Error{CoapCode::InternalServerError,
                 fmt::format("{}: cannot serialise: {}", format, withoutPrefix(e.what())),
                 ErrorKind::Failed};
  }
}

}  // namespace lwm2md
