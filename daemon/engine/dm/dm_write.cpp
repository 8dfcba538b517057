#include <fmt/format.h>

#include <algorithm>

#include "dm/data_model.hpp"
#include "dm/dm_common.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

bool contains(const std::vector<ResourceData>& values, std::uint16_t rid) {
  return std::any_of(values.begin(), values.end(),
                     [rid](const ResourceData& v) { return v.id == rid; });
}

/// What a replace of a whole instance drops: the writable resources the payload leaves out
/// (TS 1.1 §5.4.3: the instance gets the new values; read-only resources are not the server's
/// to clear). A mandatory writable resource left out is a bad request: the instance would
/// break its definition.
Result<std::vector<std::uint16_t>> replacedAway(const ObjectDef& def, const Instance& instance,
                                                const std::vector<ResourceData>& values) {
  std::vector<std::uint16_t> removed;
  for (const auto& [rid, res] : def.resources) {
    if (!res.operations.write || res.operations.execute || contains(values, rid)) continue;
    if (res.mandatory)
      return badRequest(fmt::format("a replace of {} must give the mandatory resource {}",
                                    Path(def.id, instance.instanceId()).toString(),
                                    describeResource(def, instance.instanceId(), res)));
    if (instance.resource(rid)) removed.push_back(rid);
  }
  return removed;
}

}  // namespace

DmResponse DataModel::write(const DmRequest& request, bool partialUpdate) {
  const Path& path = request.path;
  if (path.depth() < 2)
    return DmResponse::error(CoapCode::MethodNotAllowed,
                             "Write applies to an instance, a resource or a resource instance");
  auto def = findObject(tree_, path.objectId());
  if (!def) return toResponse(def.error());
  auto instance = findInstance(tree_, path.objectId(), path.instanceId());
  if (!instance) return toResponse(instance.error());
  if (auto denied = refused(request, AccessOperation::Write, path)) return *denied;
  if (path.depth() >= 3) {
    auto res = findResource(**def, path.resourceId());
    if (!res) return toResponse(res.error());
    const std::string where = describeResource(**def, path.instanceId(), **res);
    if (!(*res)->operations.write)
      return DmResponse::error(CoapCode::MethodNotAllowed,
                               fmt::format("{} is not writable", where));
    if (path.isResourceInstance() && !(*res)->multiple)
      return DmResponse::error(CoapCode::NotFound,
                               fmt::format("{} is a single-instance resource", where));
  }
  if (!request.contentFormat)
    return DmResponse::error(CoapCode::BadRequest, "Write without a Content-Format option");

  // Decode and check everything before anything changes.
  auto decoded = decodeContent(static_cast<ContentFormat>(*request.contentFormat), path,
                               request.payload, shapesOf(**def));
  if (!decoded) return toResponse(decoded.error());
  std::vector<ResourceData> values;
  if (decoded->instances.size() > 1 ||
      (decoded->instances.size() == 1 && decoded->instances[0].id != path.instanceId()))
    return DmResponse::error(CoapCode::BadRequest,
                             fmt::format("payload does not address {}",
                                         Path(path.objectId(), path.instanceId()).toString()));
  if (!decoded->instances.empty()) values = std::move(decoded->instances[0].resources);
  if (path.depth() >= 3 && values.empty())
    return DmResponse::error(CoapCode::BadRequest,
                             fmt::format("payload carries no value for {}", path.toString()));

  for (const auto& value : values) {
    auto res = findResource(**def, value.id);
    if (!res) return toResponse(res.error());
    const std::string where = describeResource(**def, path.instanceId(), **res);
    if (!(*res)->operations.write)
      return DmResponse::error(CoapCode::MethodNotAllowed,
                               fmt::format("{} is not writable", where));
    if (path.depth() >= 3 && value.id != path.resourceId())
      return DmResponse::error(CoapCode::BadRequest,
                               fmt::format("payload names resource {}, request addresses {}",
                                           value.id, path.toString()));
    if (path.isResourceInstance() && (value.instances.size() != 1 ||
                                      value.instances.begin()->first != path.resourceInstanceId()))
      return DmResponse::error(CoapCode::BadRequest,
                               fmt::format("payload does not address {}", path.toString()));
  }

  std::vector<std::uint16_t> removed;
  if (path.isInstance() && !partialUpdate) {
    auto away = replacedAway(**def, **instance, values);
    if (!away) return toResponse(away.error());
    removed = std::move(*away);
  }
  // A replace sets a multiple resource's instances to exactly those given; a partial update
  // and a write of one resource instance merge them into what is there.
  const bool replaceMultiple = !partialUpdate && !path.isResourceInstance();
  if (auto status = tree_.setValues(path.objectId(), path.instanceId(), values,
                                    ChangeOrigin::Server, replaceMultiple, removed);
      !status)
    return toResponse(status.error());
  return emptyResponse(CoapCode::Changed);
}

}  // namespace lwm2md
