#include "dm/dm_common.hpp"

#include <fmt/format.h>

#include "ddf/object_registry.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

/// Keeps only the resources the definition lets a server read.
InstanceData readableOnly(const Instance& instance) {
  InstanceData data = instance.snapshot();
  std::erase_if(data.resources, [&](const ResourceData& r) {
    const ResourceDef* def = instance.definition().resource(r.id);
    return !def || !def->operations.read;
  });
  return data;
}

}  // namespace

ShapeLookup shapesOf(const ObjectDef& def) {
  return [&def](std::uint16_t rid) -> std::optional<ResourceShape> {
    const ResourceDef* res = def.resource(rid);
    if (!res) return std::nullopt;
    return ResourceShape{res->type, res->multiple};
  };
}

Result<const ObjectDef*> findObject(const ObjectTree& tree, std::uint16_t oid) {
  const ObjectDef* def = tree.registry().find(oid);
  if (!def)
    return Error{CoapCode::NotFound, fmt::format("object {} is not supported", oid),
                 ErrorKind::UnknownObject};
  return def;
}

Result<Instance*> findInstance(ObjectTree& tree, std::uint16_t oid, std::uint16_t iid) {
  Instance* instance = tree.find(oid, iid);
  if (!instance)
    return Error{CoapCode::NotFound, fmt::format("{} does not exist", Path(oid, iid).toString()),
                 ErrorKind::NotFound};
  return instance;
}

Result<const ResourceDef*> findResource(const ObjectDef& def, std::uint16_t rid) {
  const ResourceDef* res = def.resource(rid);
  if (!res)
    return Error{CoapCode::NotFound,
                 fmt::format("object {} ({}) defines no resource {}", def.id, def.name, rid),
                 ErrorKind::NotFound};
  return res;
}

std::string describeResource(const ObjectDef& def, std::uint16_t iid, const ResourceDef& res) {
  return fmt::format("{} ({})", Path(def.id, iid, res.id).toString(), res.name);
}

Result<Content> readableContent(const ObjectTree& tree, const Path& path) {
  const auto oid = path.objectId();
  const ObjectDef* def = tree.registry().find(oid);
  if (!def) return Error{CoapCode::NotFound, fmt::format("object {} is not supported", oid)};
  Content content{path, {}};
  if (path.isObject()) {
    for (const Instance* instance : tree.instancesOf(oid))
      content.instances.push_back(readableOnly(*instance));
    return content;
  }
  const Instance* instance = tree.find(oid, path.instanceId());
  if (!instance)
    return Error{CoapCode::NotFound,
                 fmt::format("{} does not exist", Path(oid, path.instanceId()).toString())};
  if (path.isInstance()) {
    content.instances.push_back(readableOnly(*instance));
    return content;
  }
  const ResourceDef* res = def->resource(path.resourceId());
  if (!res)
    return Error{CoapCode::NotFound,
                 fmt::format("object {} defines no resource {}", oid, path.resourceId())};
  if (!res->operations.read)
    return Error{
        CoapCode::MethodNotAllowed,
        fmt::format("{} ({}) is not readable",
                    Path(oid, path.instanceId(), path.resourceId()).toString(), res->name)};
  auto data = instance->resource(path.resourceId());
  if (!data) return Error{CoapCode::NotFound, fmt::format("{} has no value", path.toString())};
  if (path.isResourceInstance()) {
    if (!data->multiple)
      return Error{CoapCode::NotFound,
                   fmt::format("{} is a single-instance resource",
                               Path(oid, path.instanceId(), path.resourceId()).toString())};
    auto it = data->instances.find(path.resourceInstanceId());
    if (it == data->instances.end())
      return Error{CoapCode::NotFound, fmt::format("{} does not exist", path.toString())};
    ResourceData one = *data;
    one.instances = {{it->first, it->second}};
    data = std::move(one);
  }
  content.instances.push_back(InstanceData{path.instanceId(), {std::move(*data)}});
  return content;
}

DmResponse emptyResponse(CoapCode code) {
  DmResponse response;
  response.code = code;
  return response;
}

}  // namespace lwm2md
