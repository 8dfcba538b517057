#include "variant_conversion.hpp"

#include <string>
#include <vector>

namespace lwm2md::provider {

namespace {
using DbusObjlnk = sdbus::Struct<std::uint16_t, std::uint16_t>;
}  // namespace

sdbus::Variant toVariant(const Value& value) {
  switch (value.type()) {
    case Value::Type::String:
      return sdbus::Variant(*value.asString());
    case Value::Type::Integer:
      return sdbus::Variant(*value.asInteger());
    case Value::Type::UnsignedInteger:
      return sdbus::Variant(*value.asUnsignedInteger());
    case Value::Type::Float:
      return sdbus::Variant(*value.asFloat());
    case Value::Type::Boolean:
      return sdbus::Variant(*value.asBoolean());
    case Value::Type::Opaque:
      return sdbus::Variant(*value.asOpaque());
    case Value::Type::Objlnk: {
      const Objlnk link = *value.asObjlnk();
      return sdbus::Variant(DbusObjlnk(link.objectId, link.instanceId));
    }
    case Value::Type::Multiple: {
      DbusValueMap instances;
      for (const auto& [id, inner] : value.instances()) instances.emplace(id, toVariant(inner));
      return sdbus::Variant(instances);
    }
  }
  return {};
}

DbusValueMap toVariants(const Values& values) {
  DbusValueMap out;
  for (const auto& [id, value] : values) out.emplace(id, toVariant(value));
  return out;
}

std::optional<Value> fromVariant(const sdbus::Variant& variant) {
  if (variant.isEmpty()) return std::nullopt;
  try {
    const std::string sig = variant.peekValueType();
    if (sig == "s") return Value::string(variant.get<std::string>());
    if (sig == "x") return Value::integer(variant.get<std::int64_t>());
    if (sig == "t") return Value::unsignedInteger(variant.get<std::uint64_t>());
    if (sig == "d") return Value::floating(variant.get<double>());
    if (sig == "b") return Value::boolean(variant.get<bool>());
    if (sig == "ay") return Value::opaque(variant.get<std::vector<std::uint8_t>>());
    if (sig == "(qq)") {
      const auto link = variant.get<DbusObjlnk>();
      return Value::objlnk(link.get<0>(), link.get<1>());
    }
    if (sig == "a{qv}") {
      Value::Instances instances;
      for (const auto& [id, inner] : variant.get<DbusValueMap>())
        if (auto v = fromVariant(inner)) instances.emplace(id, *v);
      return Value::multiple(std::move(instances));
    }
  } catch (const sdbus::Error&) {
    // A variant that does not hold what its signature says: treat as unknown.
  }
  return std::nullopt;
}

Values fromVariants(const DbusValueMap& values) {
  Values out;
  for (const auto& [id, variant] : values)
    if (auto value = fromVariant(variant)) out.emplace(id, *value);
  return out;
}

}  // namespace lwm2md::provider
