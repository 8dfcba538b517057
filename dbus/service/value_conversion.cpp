#include "dbus/service/value_conversion.hpp"

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "model/path.hpp"

namespace lwm2md {

namespace {

using ObjlnkStruct = sdbus::Struct<std::uint16_t, std::uint16_t>;

// "a Float", "an Integer": the messages are read by people typing busctl commands.
std::string withArticle(ResourceType type) {
  const std::string_view name = toString(type);
  const bool vowel =
      !name.empty() && std::string_view("AEIOU").find(name[0]) != std::string_view::npos;
  return fmt::format("{} {}", vowel ? "an" : "a", name);
}

std::string signatureOf(const sdbus::Variant& variant) {
  if (variant.isEmpty()) return "";
  return variant.peekValueType();
}

std::string describeGot(const std::string& signature) {
  return signature.empty() ? "an empty variant" : fmt::format("'{}'", signature);
}

// Reads a variant whose signature was already checked against `type`; Variant::get throws
// only on a signature mismatch, which the caller ruled out.
Value readValue(const sdbus::Variant& variant, ResourceType type) {
  switch (type) {
    case ResourceType::String:
    case ResourceType::Corelnk:
      return variant.get<std::string>();
    case ResourceType::Integer:
    case ResourceType::Time:
      return variant.get<std::int64_t>();
    case ResourceType::UnsignedInteger:
      return variant.get<std::uint64_t>();
    case ResourceType::Float:
      return variant.get<double>();
    case ResourceType::Boolean:
      return variant.get<bool>();
    case ResourceType::Opaque:
      return variant.get<std::vector<std::uint8_t>>();
    case ResourceType::Objlnk: {
      auto link = variant.get<ObjlnkStruct>();
      return Objlnk{link.get<0>(), link.get<1>()};
    }
    case ResourceType::None:
      break;
  }
  return std::string();
}

Error typeError(const ObjectDef& def, const ResourceDef& res, std::string_view what,
                const std::string& got) {
  return Error{
      CoapCode::BadRequest,
      fmt::format("resource {} ({}) of object {}{} takes {} ('{}'), got {}", res.id, res.name,
                  def.id, what, withArticle(res.type), dbusSignature(res.type), describeGot(got)),
      ErrorKind::InvalidType};
}

Result<ResourceData> resourceFromDbus(const ObjectDef& def, std::uint16_t rid,
                                      const sdbus::Variant& variant) {
  const ResourceDef* res = def.resource(rid);
  if (!res)
    return Error{CoapCode::NotFound,
                 fmt::format("object {} ({}) defines no resource {}", def.id, def.name, rid),
                 ErrorKind::NotFound};
  if (res->operations.execute || res->type == ResourceType::None)
    return Error{CoapCode::MethodNotAllowed,
                 fmt::format("resource {} ({}) of object {} is executable and takes no value", rid,
                             res->name, def.id),
                 ErrorKind::InvalidValue};

  ResourceData data;
  data.id = rid;
  data.type = res->type;
  data.multiple = res->multiple;
  const std::string signature = signatureOf(variant);
  const std::string_view expected = dbusSignature(res->type);

  if (!res->multiple) {
    if (signature != expected) return typeError(def, *res, "", signature);
    data.value = readValue(variant, res->type);
    return data;
  }

  if (signature != "a{qv}")
    return Error{
        CoapCode::BadRequest,
        fmt::format("resource {} ({}) of object {} is a multiple-instance resource and "
                    "takes a{{qv}} (resource instance id -> {} ('{}')), got {}",
                    rid, res->name, def.id, toString(res->type), expected, describeGot(signature)),
        ErrorKind::InvalidType};
  const auto instances = variant.get<std::map<std::uint16_t, sdbus::Variant>>();
  for (const auto& [riid, inner] : instances) {
    if (riid == Path::kInvalidId)
      return Error{CoapCode::BadRequest,
                   fmt::format("resource {} ({}) of object {}: resource instance id 65535 is "
                               "reserved",
                               rid, res->name, def.id),
                   ErrorKind::InvalidValue};
    const std::string innerSignature = signatureOf(inner);
    if (innerSignature != expected)
      return typeError(def, *res, fmt::format(", instance {},", riid), innerSignature);
    data.instances.emplace(riid, readValue(inner, res->type));
  }
  return data;
}

}  // namespace

Result<std::vector<ResourceData>> valuesFromDbus(const ObjectDef& def, const DbusValues& values) {
  std::vector<ResourceData> result;
  result.reserve(values.size());
  try {
    for (const auto& [rid, variant] : values) {
      auto data = resourceFromDbus(def, rid, variant);
      if (!data) return data.error();
      result.push_back(std::move(*data));
    }
  } catch (const sdbus::Error& e) {
    // Not expected after the signature checks; a malformed message must still not escape.
    return Error{CoapCode::BadRequest, fmt::format("cannot read value: {}", e.getMessage()),
                 ErrorKind::InvalidType};
  }
  return result;
}

sdbus::Variant valueToDbus(const Value& value) {
  return std::visit(
      [](const auto& v) -> sdbus::Variant {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Objlnk>)
          return sdbus::Variant(ObjlnkStruct(v.objectId, v.instanceId));
        else
          return sdbus::Variant(v);
      },
      value);
}

sdbus::Variant valueToDbus(const ResourceData& resource) {
  if (resource.multiple) {
    DbusValues instances;
    for (const auto& [riid, v] : resource.instances) instances.emplace(riid, valueToDbus(v));
    return sdbus::Variant(instances);
  }
  if (resource.value) return valueToDbus(*resource.value);
  // A single resource without a value is not stored by the tree; give the type's neutral value
  // so that a reader still sees the right signature.
  return valueToDbus(defaultValue(resource.type));
}

DbusValues valuesToDbus(const InstanceData& instance) {
  DbusValues values;
  for (const auto& resource : instance.resources)
    values.emplace(resource.id, valueToDbus(resource));
  return values;
}

}  // namespace lwm2md
