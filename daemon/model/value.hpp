#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lwm2md {

/// Resource data types of the LwM2M TS (Appendix C). `None` is an executable resource.
enum class ResourceType {
  None,
  String,
  Integer,
  UnsignedInteger,
  Float,
  Boolean,
  Opaque,
  Time,
  Objlnk,
  Corelnk,
};

/// The name the DDF XML uses ("Unsigned Integer", "Objlnk", ...); "" for None.
std::string_view toString(ResourceType type);
/// Parses a DDF <Type>; an empty string is None (executable).
std::optional<ResourceType> resourceTypeFromString(std::string_view name);
/// D-Bus signature of a value of this type (DESIGN.md: s, x, t, d, b, ay, x, (qq), s).
std::string_view dbusSignature(ResourceType type);

struct Objlnk {
  std::uint16_t objectId = 0;
  std::uint16_t instanceId = 0;
  auto operator<=>(const Objlnk&) const = default;
};

using Opaque = std::vector<std::uint8_t>;

/// One value as stored and exchanged. Time is Unix seconds in int64_t; Corelnk is a string.
/// Which alternative a resource holds follows from its ResourceType (see storageIndexFor).
using Value = std::variant<std::string, std::int64_t, std::uint64_t, double, bool, Opaque, Objlnk>;

/// True when `value` holds the alternative that `type` is stored as.
bool holdsType(const Value& value, ResourceType type);
/// A neutral value of the type (empty string, 0, false, ...), used for fresh resources.
Value defaultValue(ResourceType type);
/// Human-readable rendering for logs and lwm2mctl (opaque as hex).
std::string describe(const Value& value);

}  // namespace lwm2md
