#include <fmt/format.h>

#include "dm/attribute_query.hpp"
#include "dm/data_model.hpp"
#include "dm/dm_common.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

bool isNumeric(ResourceType type) {
  return type == ResourceType::Integer || type == ResourceType::UnsignedInteger ||
         type == ResourceType::Float;
}

bool setsChangeConditions(const AttributeChanges& changes) {
  return changes.set.gt || changes.set.lt || changes.set.st;
}

}  // namespace

DmResponse DataModel::writeAttributes(const DmRequest& request) {
  const Path& path = request.path;
  if (path.isRoot())
    return DmResponse::error(CoapCode::MethodNotAllowed,
                             "Write-Attributes applies to an object, an instance or a resource");
  if (!request.payload.empty())
    return DmResponse::error(CoapCode::BadRequest,
                             "Write-Attributes carries its attributes as Uri-Query, no payload");
  auto def = findObject(tree_, path.objectId());
  if (!def) return toResponse(def.error());
  const ResourceDef* res = nullptr;
  if (path.depth() >= 2) {
    auto instance = findInstance(tree_, path.objectId(), path.instanceId());
    if (!instance) return toResponse(instance.error());
    // TS 1.1 Core §E.3: the R bit covers Write-Attributes.
    if (auto denied = refused(request, AccessOperation::WriteAttributes, path)) return *denied;
    if (path.depth() >= 3) {
      auto found = findResource(**def, path.resourceId());
      if (!found) return toResponse(found.error());
      res = *found;
      const std::string where = describeResource(**def, path.instanceId(), *res);
      if (res->operations.execute)
        return DmResponse::error(
            CoapCode::MethodNotAllowed,
            fmt::format("{} is executable: attributes apply to values", where));
      auto data = (*instance)->resource(res->id);
      if (!data)
        return DmResponse::error(CoapCode::NotFound, fmt::format("{} has no value", where));
      if (path.isResourceInstance()) {
        if (!res->multiple)
          return DmResponse::error(CoapCode::NotFound,
                                   fmt::format("{} is a single-instance resource", where));
        if (!data->instances.contains(path.resourceInstanceId()))
          return DmResponse::error(CoapCode::NotFound,
                                   fmt::format("{} does not exist", path.toString()));
      }
    }
  }

  auto changes = parseAttributeQuery(request.query);
  if (!changes) return toResponse(changes.error());
  // gt, lt and st compare numbers: they attach to numeric resources only (TS 1.1 §5.1.2).
  if (setsChangeConditions(*changes)) {
    if (!res)
      return DmResponse::error(
          CoapCode::BadRequest,
          fmt::format("gt, lt and st attach to resources, not to {}", path.toString()));
    if (!isNumeric(res->type))
      return DmResponse::error(
          CoapCode::BadRequest,
          fmt::format("gt, lt and st need a numeric resource; {} is {}",
                      describeResource(**def, path.instanceId(), *res), toString(res->type)));
  }
  const NotificationAttributes updated =
      applyChanges(attributes_.at(request.serverShortId, path), *changes);
  if (auto status = checkConsistency(updated); !status) return toResponse(status.error());
  attributes_.set(request.serverShortId, path, updated);
  return emptyResponse(CoapCode::Changed);
}

}  // namespace lwm2md
