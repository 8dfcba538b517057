#include "dm/dm_common.hpp"

#include <fmt/format.h>

#include "ddf/object_registry.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

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

DmResponse emptyResponse(CoapCode code) {
  DmResponse response;
  response.code = code;
  return response;
}

}  // namespace lwm2md
