#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "model/path.hpp"
#include "model/value.hpp"

namespace lwm2md {

/// Data of one resource as carried in a payload. A single resource has `value`; a
/// multiple-instance resource has `instances` (possibly empty) and no `value`.
struct ResourceData {
  std::uint16_t id = 0;
  ResourceType type = ResourceType::None;
  bool multiple = false;
  std::optional<Value> value;
  std::map<std::uint16_t, Value> instances;

  bool operator==(const ResourceData&) const = default;
};

/// Data of one object instance, resources in ascending id order.
struct InstanceData {
  std::uint16_t id = 0;
  std::vector<ResourceData> resources;

  bool operator==(const InstanceData&) const = default;
};

/// What a payload carries, whatever the format: the instances below `path`.
/// For a request on /3/0/1 there is one instance (0) holding one resource (1); for /3/0/1/2 that
/// resource is multiple and holds one instance (2). Codecs encode relative to `path`'s depth.
struct Content {
  Path path;
  std::vector<InstanceData> instances;

  bool operator==(const Content&) const = default;
};

/// What a decoder knows of a resource: its type and whether it is multiple.
struct ResourceShape {
  ResourceType type = ResourceType::None;
  bool multiple = false;
};

/// Looks up a resource's shape in the object's definition; nullopt for an unknown resource.
using ShapeLookup = std::function<std::optional<ResourceShape>(std::uint16_t rid)>;

}  // namespace lwm2md
