#include "value_text.hpp"

#include <cerrno>
#include <cstdlib>
#include <map>
#include <vector>

#include "variant_conversion.hpp"

namespace lwm2md::ctl {

namespace {

using provider::Value;

// Properties on the bus use a few signatures that resource values never do.
std::optional<std::uint64_t> unsignedProperty(const sdbus::Variant& variant) {
  const std::string sig = variant.peekValueType();
  if (sig == "q") return variant.get<std::uint16_t>();
  if (sig == "u") return variant.get<std::uint32_t>();
  return std::nullopt;
}

Json toJson(const Value& value) {
  switch (value.type()) {
    case Value::Type::String:
      return *value.asString();
    case Value::Type::Integer:
      return *value.asInteger();
    case Value::Type::UnsignedInteger:
      return *value.asUnsignedInteger();
    case Value::Type::Float:
      return *value.asFloat();
    case Value::Type::Boolean:
      return *value.asBoolean();
    case Value::Type::Opaque:
    case Value::Type::Objlnk:
      return value.toString();
    case Value::Type::Multiple: {
      Json out = Json::object();
      for (const auto& [id, inner] : value.instances()) out[std::to_string(id)] = toJson(inner);
      return out;
    }
  }
  return nullptr;
}

bool parseInteger(const std::string& text, std::int64_t& out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  out = std::strtoll(text.c_str(), &end, 10);
  return errno == 0 && *end == '\0';
}

bool parseUnsigned(const std::string& text, std::uint64_t& out) {
  if (text.empty() || text[0] == '-' || text[0] == '+') return false;
  errno = 0;
  char* end = nullptr;
  out = std::strtoull(text.c_str(), &end, 10);
  return errno == 0 && *end == '\0';
}

std::optional<Value> parseScalar(const std::string& text, const std::string& type,
                                 std::string& error) {
  if (type == "String" || type == "Corelnk") return Value::string(text);
  if (type == "Integer" || type == "Time") {
    std::int64_t v = 0;
    if (parseInteger(text, v)) return Value::integer(v);
    error = "'" + text + "' is not an integer";
    return std::nullopt;
  }
  if (type == "Unsigned Integer") {
    std::uint64_t v = 0;
    if (parseUnsigned(text, v)) return Value::unsignedInteger(v);
    error = "'" + text + "' is not an unsigned integer";
    return std::nullopt;
  }
  if (type == "Float") {
    errno = 0;
    char* end = nullptr;
    const double v = text.empty() ? 0 : std::strtod(text.c_str(), &end);
    if (!text.empty() && errno == 0 && *end == '\0') return Value::floating(v);
    error = "'" + text + "' is not a number";
    return std::nullopt;
  }
  if (type == "Boolean") {
    if (text == "true" || text == "1") return Value::boolean(true);
    if (text == "false" || text == "0") return Value::boolean(false);
    error = "'" + text + "' is not a boolean (true, false, 1, 0)";
    return std::nullopt;
  }
  if (type == "Opaque") {
    std::string hex = text.rfind("0x", 0) == 0 ? text.substr(2) : text;
    std::vector<std::uint8_t> bytes;
    if (hex.size() % 2 == 0) {
      for (std::size_t i = 0; i < hex.size(); i += 2) {
        char* end = nullptr;
        const std::string pair = hex.substr(i, 2);
        const long b = std::strtol(pair.c_str(), &end, 16);
        if (*end != '\0' || pair[0] == '-' || pair[0] == '+') break;
        bytes.push_back(static_cast<std::uint8_t>(b));
      }
      if (bytes.size() * 2 == hex.size()) return Value::opaque(std::move(bytes));
    }
    error = "'" + text + "' is not hexadecimal bytes (e.g. 0x0102)";
    return std::nullopt;
  }
  if (type == "Objlnk") {
    const auto colon = text.find(':');
    std::uint64_t oid = 0;
    std::uint64_t iid = 0;
    if (colon != std::string::npos && parseUnsigned(text.substr(0, colon), oid) &&
        parseUnsigned(text.substr(colon + 1), iid) && oid <= 65535 && iid <= 65535)
      return Value::objlnk(static_cast<std::uint16_t>(oid), static_cast<std::uint16_t>(iid));
    error = "'" + text + "' is not an object link (OBJECT:INSTANCE, e.g. 3:0)";
    return std::nullopt;
  }
  if (type.empty()) {
    error = "the resource is executable: it has no value";
    return std::nullopt;
  }
  error = "resources of type '" + type + "' cannot be set";
  return std::nullopt;
}

}  // namespace

std::string toText(const sdbus::Variant& variant) {
  if (variant.isEmpty()) return "<empty>";
  if (auto u = unsignedProperty(variant)) return std::to_string(*u);
  if (variant.peekValueType() == "o") return variant.get<sdbus::ObjectPath>();
  if (auto value = provider::fromVariant(variant)) return value->toString();
  return "<" + variant.peekValueType() + ">";
}

Json toJson(const sdbus::Variant& variant) {
  if (variant.isEmpty()) return nullptr;
  if (auto u = unsignedProperty(variant)) return *u;
  if (variant.peekValueType() == "o") return std::string(variant.get<sdbus::ObjectPath>());
  if (auto value = provider::fromVariant(variant)) return toJson(*value);
  return nullptr;
}

std::optional<provider::Value> parseValue(const std::string& text, const std::string& type,
                                          bool multiple, std::string& error) {
  if (!multiple) return parseScalar(text, type, error);
  Value::Instances instances;
  std::size_t start = 0;
  // "ID=VALUE,ID=VALUE"; an empty text clears the resource. Bounded by the text's length.
  while (!text.empty() && start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    const auto eq = item.find('=');
    std::uint64_t id = 0;
    if (eq == std::string::npos || !parseUnsigned(item.substr(0, eq), id) || id > 65534) {
      error = "'" + item + "' is not ID=VALUE (a multiple resource takes ID=VALUE,ID=VALUE)";
      return std::nullopt;
    }
    auto value = parseScalar(item.substr(eq + 1), type, error);
    if (!value) return std::nullopt;
    instances.insert_or_assign(static_cast<std::uint16_t>(id), *value);
    start = comma + 1;
  }
  return Value::multiple(std::move(instances));
}

}  // namespace lwm2md::ctl
