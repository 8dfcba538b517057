#include "model/value.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace lwm2md {

namespace {

constexpr std::array<std::pair<ResourceType, std::string_view>, 10> kTypeNames{{
    {ResourceType::None, ""},
    {ResourceType::String, "String"},
    {ResourceType::Integer, "Integer"},
    {ResourceType::UnsignedInteger, "Unsigned Integer"},
    {ResourceType::Float, "Float"},
    {ResourceType::Boolean, "Boolean"},
    {ResourceType::Opaque, "Opaque"},
    {ResourceType::Time, "Time"},
    {ResourceType::Objlnk, "Objlnk"},
    {ResourceType::Corelnk, "Corelnk"},
}};

}  // namespace

std::string_view toString(ResourceType type) {
  for (const auto& [t, name] : kTypeNames)
    if (t == type) return name;
  return "?";
}

std::optional<ResourceType> resourceTypeFromString(std::string_view name) {
  for (const auto& [t, n] : kTypeNames)
    if (n == name) return t;
  // Older registry files spell these differently.
  if (name == "Unsigned integer" || name == "UnsignedInteger") return ResourceType::UnsignedInteger;
  if (name == "Objlink" || name == "ObjLnk") return ResourceType::Objlnk;
  if (name == "CoreLnk" || name == "Corelink") return ResourceType::Corelnk;
  if (name == "string") return ResourceType::String;
  if (name == "integer") return ResourceType::Integer;
  if (name == "float") return ResourceType::Float;
  if (name == "boolean") return ResourceType::Boolean;
  if (name == "opaque") return ResourceType::Opaque;
  if (name == "time") return ResourceType::Time;
  if (name == "none" || name == "None") return ResourceType::None;
  return std::nullopt;
}

std::string_view dbusSignature(ResourceType type) {
  switch (type) {
    case ResourceType::String:
    case ResourceType::Corelnk:
      return "s";
    case ResourceType::Integer:
    case ResourceType::Time:
      return "x";
    case ResourceType::UnsignedInteger:
      return "t";
    case ResourceType::Float:
      return "d";
    case ResourceType::Boolean:
      return "b";
    case ResourceType::Opaque:
      return "ay";
    case ResourceType::Objlnk:
      return "(qq)";
    case ResourceType::None:
      break;
  }
  return "";
}

bool holdsType(const Value& value, ResourceType type) {
  switch (type) {
    case ResourceType::String:
    case ResourceType::Corelnk:
      return std::holds_alternative<std::string>(value);
    case ResourceType::Integer:
    case ResourceType::Time:
      return std::holds_alternative<std::int64_t>(value);
    case ResourceType::UnsignedInteger:
      return std::holds_alternative<std::uint64_t>(value);
    case ResourceType::Float:
      return std::holds_alternative<double>(value);
    case ResourceType::Boolean:
      return std::holds_alternative<bool>(value);
    case ResourceType::Opaque:
      return std::holds_alternative<Opaque>(value);
    case ResourceType::Objlnk:
      return std::holds_alternative<Objlnk>(value);
    case ResourceType::None:
      break;
  }
  return false;
}

Value defaultValue(ResourceType type) {
  switch (type) {
    case ResourceType::Integer:
    case ResourceType::Time:
      return std::int64_t{0};
    case ResourceType::UnsignedInteger:
      return std::uint64_t{0};
    case ResourceType::Float:
      return 0.0;
    case ResourceType::Boolean:
      return false;
    case ResourceType::Opaque:
      return Opaque{};
    case ResourceType::Objlnk:
      return Objlnk{65535, 65535};
    default:
      return std::string{};
  }
}

std::string describe(const Value& value) {
  struct Visitor {
    std::string operator()(const std::string& s) const { return fmt::format("\"{}\"", s); }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(std::uint64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return fmt::format("{}", v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const Opaque& v) const {
      std::string out = "0x";
      for (auto byte : v) out += fmt::format("{:02x}", byte);
      return out;
    }
    std::string operator()(const Objlnk& v) const {
      return fmt::format("{}:{}", v.objectId, v.instanceId);
    }
  };
  return std::visit(Visitor{}, value);
}

}  // namespace lwm2md
