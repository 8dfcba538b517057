#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <map>
#include <vector>

#include "model/content.hpp"
#include "model/object_def.hpp"
#include "model/result.hpp"
#include "model/value.hpp"

namespace lwm2md {

/// Resource values as they travel on D-Bus: resource id -> variant (signature a{qv}).
using DbusValues = std::map<std::uint16_t, sdbus::Variant>;

/// Converts D-Bus values into resource data, checked against the object's definition.
/// Signatures are strict (they are the contract): String s, Integer x, Unsigned Integer t,
/// Float d, Boolean b, Opaque ay, Time x, Objlnk (qq), Corelnk s; a multiple-instance resource
/// takes a{qv}. Errors: NotFound (resource not defined), InvalidType (wrong signature; the
/// message names the resource and the expected signature), InvalidValue (executable resource,
/// reserved resource instance id 65535).
Result<std::vector<ResourceData>> valuesFromDbus(const ObjectDef& def, const DbusValues& values);

/// One value as a variant of the signature its type has on D-Bus.
sdbus::Variant valueToDbus(const Value& value);
/// One resource: its value, or a{qv} of its instances when it is a multiple resource.
sdbus::Variant valueToDbus(const ResourceData& resource);
/// Every resource of an instance.
DbusValues valuesToDbus(const InstanceData& instance);

}  // namespace lwm2md
