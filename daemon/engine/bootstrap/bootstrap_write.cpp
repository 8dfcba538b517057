#include <fmt/format.h>

#include "bootstrap/bootstrap_handler.hpp"
#include "dm/data_model.hpp"
#include "dm/dm_common.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

/// The tree's validation errors become the 4.00 of the Bootstrap interface (Transport TS:
/// Bootstrap-Write fails with 4.00 or 4.15), keeping the reason.
DmResponse badWrite(const Error& error) {
  return DmResponse::error(CoapCode::BadRequest, error.message);
}

/// One instance of the payload, checked against the tree and its definition.
struct PlannedInstance {
  std::uint16_t iid = 0;
  bool exists = false;
  std::vector<ResourceData> values;
};

}  // namespace

DmResponse BootstrapHandler::write(const DmRequest& request) {
  const Path& path = request.path;
  if (path.isRoot())
    return DmResponse::error(CoapCode::BadRequest, "Bootstrap-Write needs an object id");
  if (path.isResourceInstance())
    return DmResponse::error(CoapCode::BadRequest,
                             "Bootstrap-Write addresses an object, an instance or a resource");
  auto def = findObject(tree_, path.objectId());
  if (!def) return toResponse(def.error());
  if (path.isResource()) {
    if (auto res = findResource(**def, path.resourceId()); !res) return toResponse(res.error());
  }
  if (!request.contentFormat)
    return DmResponse::error(CoapCode::BadRequest, "Bootstrap-Write without a Content-Format");

  // Decode and check everything before anything changes.
  auto decoded = decodeContent(static_cast<ContentFormat>(*request.contentFormat), path,
                               request.payload, shapesOf(**def));
  if (!decoded) return toResponse(decoded.error());
  if (decoded->instances.empty())
    return DmResponse::error(CoapCode::BadRequest,
                             fmt::format("payload carries no value for {}", path.toString()));

  std::vector<PlannedInstance> plan;
  for (auto& instance : decoded->instances) {
    if (!path.isObject() && instance.id != path.instanceId())
      return DmResponse::error(
          CoapCode::BadRequest,
          fmt::format("payload addresses {}, the request {}",
                      Path(path.objectId(), instance.id).toString(), path.toString()));
    for (const auto& p : plan)
      if (p.iid == instance.id)
        return DmResponse::error(
            CoapCode::BadRequest,
            fmt::format("payload holds {} twice", Path(path.objectId(), instance.id).toString()));
    if (instance.id >= Path::kInvalidId)
      return DmResponse::error(CoapCode::BadRequest, "instance id 65535 is reserved");
    if (instance.resources.empty())
      return DmResponse::error(CoapCode::BadRequest,
                               fmt::format("payload carries no resource for {}",
                                           Path(path.objectId(), instance.id).toString()));
    if (path.isResource() &&
        (instance.resources.size() != 1 || instance.resources[0].id != path.resourceId()))
      return DmResponse::error(CoapCode::BadRequest,
                               fmt::format("payload does not address {}", path.toString()));

    PlannedInstance planned{instance.id, false, std::move(instance.resources)};
    if (const Instance* existing = tree_.find(path.objectId(), planned.iid)) {
      planned.exists = true;
      if (auto status = tree_.validate(*existing, planned.values); !status)
        return badWrite(status.error());
    } else {
      // A new instance: the definition's limits and the object's rules, on a scratch copy.
      if (!(*def)->multiple) {
        const auto present = tree_.instancesOf(path.objectId());
        const bool another =
            !present.empty() ||
            std::any_of(plan.begin(), plan.end(), [](const auto& p) { return !p.exists; });
        if (another)
          return DmResponse::error(
              CoapCode::BadRequest,
              fmt::format("object {} ({}) is single-instance: {} cannot be added", path.objectId(),
                          (*def)->name, Path(path.objectId(), planned.iid).toString()));
      }
      const Instance scratch(**def, planned.iid, "");
      if (auto status = tree_.validate(scratch, planned.values); !status)
        return badWrite(status.error());
    }
    plan.push_back(std::move(planned));
  }

  // Apply. Everything was validated above, so a failure here is an internal fault.
  for (const auto& planned : plan) {
    if (planned.exists) {
      // The resources given replace theirs (a multiple resource as a whole); the others stay.
      if (auto status = tree_.setValues(path.objectId(), planned.iid, planned.values,
                                        ChangeOrigin::Server, /*replaceMultiple=*/true);
          !status)
        return DmResponse::error(CoapCode::InternalServerError, status.error().message);
    } else {
      // The daemon owns what the Bootstrap-Server creates (no D-Bus client does).
      if (auto added = tree_.addInstance(path.objectId(), planned.iid, planned.values, ""); !added)
        return DmResponse::error(CoapCode::InternalServerError, added.error().message);
    }
  }
  return emptyResponse(CoapCode::Changed);
}

}  // namespace lwm2md
