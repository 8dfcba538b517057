#include <fmt/format.h>

#include "ddf/object_registry.hpp"
#include "dm/data_model.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

ShapeLookup shapesOf(const ObjectDef& def) {
  return [&def](std::uint16_t rid) -> std::optional<ResourceShape> {
    const ResourceDef* res = def.resource(rid);
    if (!res) return std::nullopt;
    return ResourceShape{res->type, res->multiple};
  };
}

}  // namespace

DmResponse DataModel::write(const DmRequest& request, bool partialUpdate) {
  const Path& path = request.path;
  if (!path.isInstance() && !path.isResource() && !path.isResourceInstance())
    return DmResponse::error(CoapCode::MethodNotAllowed,
                             "Write applies to an instance or a resource");
  if (!request.contentFormat)
    return DmResponse::error(CoapCode::BadRequest, "Write without a Content-Format option");
  const ObjectDef* def = tree_.registry().find(path.objectId());
  if (!def)
    return DmResponse::error(CoapCode::NotFound,
                             fmt::format("object {} is not supported", path.objectId()));
  Instance* instance = tree_.find(path.objectId(), path.instanceId());
  if (!instance)
    return DmResponse::error(
        CoapCode::NotFound,
        fmt::format("{} does not exist", Path(path.objectId(), path.instanceId()).toString()));
  if (path.depth() >= 3) {
    const ResourceDef* res = def->resource(path.resourceId());
    if (!res)
      return DmResponse::error(CoapCode::NotFound, fmt::format("object {} defines no resource {}",
                                                               def->id, path.resourceId()));
    if (path.isResourceInstance() && !res->multiple)
      return DmResponse::error(
          CoapCode::NotFound,
          fmt::format("{} ({}) is a single-instance resource",
                      Path(def->id, path.instanceId(), res->id).toString(), res->name));
  }

  auto decoded = decodeContent(static_cast<ContentFormat>(*request.contentFormat), path,
                               request.payload, shapesOf(*def));
  if (!decoded) return toResponse(decoded.error());
  if (decoded->instances.size() != 1 || decoded->instances[0].id != path.instanceId())
    return DmResponse::error(CoapCode::BadRequest,
                             fmt::format("payload does not address {}",
                                         Path(path.objectId(), path.instanceId()).toString()));
  std::vector<ResourceData> values = std::move(decoded->instances[0].resources);

  for (auto& value : values) {
    const ResourceDef* res = def->resource(value.id);
    if (!res)
      return DmResponse::error(CoapCode::NotFound,
                               fmt::format("object {} defines no resource {}", def->id, value.id));
    if (!res->operations.write)
      return DmResponse::error(
          CoapCode::MethodNotAllowed,
          fmt::format("{} ({}) is not writable",
                      Path(def->id, path.instanceId(), res->id).toString(), res->name));
    if (path.depth() >= 3 && value.id != path.resourceId())
      return DmResponse::error(CoapCode::BadRequest,
                               fmt::format("payload names resource {}, request addresses {}",
                                           value.id, path.toString()));
  }
  // Writing one resource instance merges it into the multiple resource.
  const bool merge = partialUpdate || path.isResourceInstance();
  if (auto status = tree_.setValues(path.objectId(), path.instanceId(), values,
                                    ChangeOrigin::Server, /*replaceMultiple=*/!merge);
      !status)
    return toResponse(status.error());
  return {CoapCode::Changed, std::nullopt, {}};
}

}  // namespace lwm2md
