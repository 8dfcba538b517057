#include "io/text_format.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "io/base64.hpp"
#include "io/single_value.hpp"
#include "io/utf8.hpp"

namespace lwm2md {

namespace {

constexpr std::string_view kFormat = "text/plain";

/// The payload as it may appear inside an error message: short, printable, quoted.
std::string excerpt(std::string_view text) {
  constexpr std::size_t kMax = 40;
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\')
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  if (text.size() > kMax) out += "...";
  return out + "'";
}

std::string_view withArticle(ResourceType type) {
  switch (type) {
    case ResourceType::String:
      return "a String (UTF-8)";
    case ResourceType::Integer:
      return "an Integer";
    case ResourceType::UnsignedInteger:
      return "an Unsigned Integer";
    case ResourceType::Float:
      return "a Float";
    case ResourceType::Boolean:
      return "a Boolean (0 or 1)";
    case ResourceType::Opaque:
      return "an Opaque (base64)";
    case ResourceType::Time:
      return "a Time";
    case ResourceType::Objlnk:
      return "an Objlnk (oid:iid)";
    case ResourceType::Corelnk:
      return "a Corelnk (UTF-8)";
    case ResourceType::None:
      break;
  }
  return "a value";
}

Error notA(std::string_view text, ResourceType type, const Path& where) {
  return badRequest(fmt::format("{}: {} is not {} for {}", kFormat, excerpt(text),
                                withArticle(type), where.toString()));
}

Error outOfRange(std::string_view text, ResourceType type, const Path& where) {
  return badRequest(fmt::format("{}: {} is out of range for {} at {}", kFormat, excerpt(text),
                                withArticle(type), where.toString()));
}

/// Whole-string integer parse; from_chars already refuses '+', spaces and hex prefixes.
template <typename T>
std::errc parseWhole(std::string_view text, T& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (ec == std::errc() && ptr != end) return std::errc::invalid_argument;
  return ec;
}

bool isDecimalDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

Result<Value> parseFloat(std::string_view text, const Path& where) {
  // from_chars would accept "nan", "inf" and "infinity": text/plain has no such values.
  // A float must start with a digit, '-' or '.', so checking the first letter is enough.
  std::string_view body = text;
  if (!body.empty() && body.front() == '-') body.remove_prefix(1);
  if (body.empty() || !((body.front() >= '0' && body.front() <= '9') || body.front() == '.'))
    return notA(text, ResourceType::Float, where);
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) return outOfRange(text, ResourceType::Float, where);
  if (ec != std::errc() || ptr != end || !std::isfinite(value))
    return notA(text, ResourceType::Float, where);
  return Value{value};
}

Result<Value> parseObjlnk(std::string_view text, const Path& where) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return notA(text, ResourceType::Objlnk, where);
  const auto oidText = text.substr(0, colon);
  const auto iidText = text.substr(colon + 1);
  // Both halves are plain decimals of at most 5 digits (65535:65535 is the null link).
  if (!isDecimalDigits(oidText) || !isDecimalDigits(iidText) || oidText.size() > 5 ||
      iidText.size() > 5)
    return notA(text, ResourceType::Objlnk, where);
  unsigned oid = 0;
  unsigned iid = 0;
  if (parseWhole(oidText, oid) != std::errc() || parseWhole(iidText, iid) != std::errc())
    return notA(text, ResourceType::Objlnk, where);
  if (oid > 65535 || iid > 65535) return outOfRange(text, ResourceType::Objlnk, where);
  return Value{Objlnk{static_cast<std::uint16_t>(oid), static_cast<std::uint16_t>(iid)}};
}

}  // namespace

Result<std::string> formatTextValue(const Value& value, ResourceType type) {
  if (!holdsType(value, type))
    return Error{CoapCode::InternalServerError,
                 fmt::format("value {} does not hold a {}", describe(value), toString(type)),
                 ErrorKind::InvalidType};
  switch (type) {
    case ResourceType::String:
    case ResourceType::Corelnk:
      return std::get<std::string>(value);
    case ResourceType::Integer:
    case ResourceType::Time:
      return std::to_string(std::get<std::int64_t>(value));
    case ResourceType::UnsignedInteger:
      return std::to_string(std::get<std::uint64_t>(value));
    case ResourceType::Float: {
      const double v = std::get<double>(value);
      if (!std::isfinite(v))
        return Error{CoapCode::NotAcceptable,
                     fmt::format("{} cannot represent the Float {}", kFormat, v),
                     ErrorKind::InvalidValue};
      char buffer[64];
      // Without a format argument to_chars gives the shortest round-trip form.
      auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
      if (ec != std::errc())
        return Error{CoapCode::InternalServerError, "float formatting failed", ErrorKind::Failed};
      return std::string(buffer, ptr);
    }
    case ResourceType::Boolean:
      return std::string(std::get<bool>(value) ? "1" : "0");
    case ResourceType::Opaque:
      return encodeBase64(std::get<Opaque>(value));
    case ResourceType::Objlnk: {
      const auto& link = std::get<Objlnk>(value);
      return fmt::format("{}:{}", link.objectId, link.instanceId);
    }
    case ResourceType::None:
      break;
  }
  return Error{CoapCode::InternalServerError, "executable resources have no value",
               ErrorKind::InvalidType};
}

Result<Value> parseTextValue(std::string_view text, ResourceType type, const Path& where) {
  switch (type) {
    case ResourceType::String:
    case ResourceType::Corelnk:
      if (!isValidUtf8(text)) return notA(text, type, where);
      return Value{std::string(text)};
    case ResourceType::Integer:
    case ResourceType::Time: {
      std::int64_t v = 0;
      const auto ec = parseWhole(text, v);
      if (ec == std::errc::result_out_of_range) return outOfRange(text, type, where);
      if (ec != std::errc()) return notA(text, type, where);
      return Value{v};
    }
    case ResourceType::UnsignedInteger: {
      // from_chars for unsigned accepts no '-', but be explicit: "-0" is not unsigned either.
      if (!isDecimalDigits(text)) return notA(text, type, where);
      std::uint64_t v = 0;
      const auto ec = parseWhole(text, v);
      if (ec == std::errc::result_out_of_range) return outOfRange(text, type, where);
      if (ec != std::errc()) return notA(text, type, where);
      return Value{v};
    }
    case ResourceType::Float:
      return parseFloat(text, where);
    case ResourceType::Boolean:
      if (text == "0") return Value{false};
      if (text == "1") return Value{true};
      return notA(text, type, where);
    case ResourceType::Opaque: {
      auto bytes = decodeBase64(text);
      if (!bytes) return notA(text, type, where);
      return Value{std::move(*bytes)};
    }
    case ResourceType::Objlnk:
      return parseObjlnk(text, where);
    case ResourceType::None:
      break;
  }
  return badRequest(fmt::format("{} is executable and has no value", where.toString()));
}

Result<std::vector<std::uint8_t>> encodeText(const Content& content) {
  auto found = findSingleValue(content, kFormat);
  if (!found) return found.error();
  auto text = formatTextValue(*found->value, found->type);
  if (!text) return text.error();
  return std::vector<std::uint8_t>(text->begin(), text->end());
}

Result<Content> decodeText(const Path& path, std::span<const std::uint8_t> payload,
                           const ShapeLookup& shapes) {
  auto shape = singleValueShape(path, shapes, kFormat);
  if (!shape) return shape.error();
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  auto value = parseTextValue(text, shape->type, path);
  if (!value) return value.error();
  return singleValueContent(path, *shape, std::move(*value));
}

}  // namespace lwm2md
