#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "dm/data_model.hpp"
#include "dm/dm_common.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

/// Objects a DM server may not instantiate: Security, Server and Access Control instances come
/// from bootstrap or the client itself (TS 1.1 §E.1-E.3), and the Device object is the client.
bool serverMayCreate(std::uint16_t oid) {
  return oid > 3;
}

/// The first mandatory, value-holding resource `values` leaves out.
const ResourceDef* missingMandatory(const ObjectDef& def, const std::vector<ResourceData>& values) {
  for (const auto& [rid, res] : def.resources) {
    if (!res.mandatory || res.operations.execute) continue;
    const bool given = std::any_of(values.begin(), values.end(),
                                   [rid = rid](const ResourceData& v) { return v.id == rid; });
    if (!given) return &res;
  }
  return nullptr;
}

}  // namespace

DmResponse DataModel::create(const DmRequest& request) {
  auto plan = prepareCreate(request);
  if (!plan) return toResponse(plan.error());
  // The daemon owns what a server creates (no D-Bus client does); the tree's listeners export
  // it on D-Bus and announce it to the servers with a registration Update.
  return commitCreate(request, plan->instanceId, plan->values, "");
}

Result<DataModel::CreatePlan> DataModel::prepareCreate(const DmRequest& request) {
  const Path& path = request.path;
  auto fail = [](CoapCode code, std::string message) -> Error {
    return Error{code, std::move(message), ErrorKind::Failed};
  };
  if (!path.isObject()) return fail(CoapCode::MethodNotAllowed, "Create applies to an object");
  auto def = findObject(tree_, path.objectId());
  if (!def) return def.error();
  if (!serverMayCreate(path.objectId()))
    return fail(CoapCode::MethodNotAllowed,
                fmt::format("a server may not create instances of object {} ({})", path.objectId(),
                            (*def)->name));
  // TS 1.1 Core §7.3: Create needs the C bit of the object's Access Control instance.
  if (auto denied = refused(request, AccessOperation::Create, path))
    return fail(denied->code, denied->diagnostic());

  CreatePlan plan;  // instance id kInvalidId: "let the client pick"
  if (!request.payload.empty()) {
    if (!request.contentFormat)
      return fail(CoapCode::BadRequest, "Create without a Content-Format option");
    auto decoded = decodeContent(static_cast<ContentFormat>(*request.contentFormat), path,
                                 request.payload, shapesOf(**def));
    if (!decoded) return decoded.error();
    if (decoded->instances.size() > 1)
      return fail(CoapCode::BadRequest,
                  fmt::format("a Create makes one instance, the payload holds {}",
                              decoded->instances.size()));
    if (!decoded->instances.empty()) {
      plan.instanceId = decoded->instances[0].id;
      plan.values = std::move(decoded->instances[0].resources);
    }
  }
  if (const auto existing = tree_.instancesOf(path.objectId());
      !(*def)->multiple && !existing.empty())
    return fail(CoapCode::BadRequest,
                fmt::format("object {} ({}) is single-instance and already has {}", path.objectId(),
                            (*def)->name,
                            Path(path.objectId(), existing.front()->instanceId()).toString()));
  if (plan.instanceId != Path::kInvalidId && tree_.find(path.objectId(), plan.instanceId))
    return fail(
        CoapCode::BadRequest,
        fmt::format("{} already exists", Path(path.objectId(), plan.instanceId).toString()));
  for (const auto& value : plan.values)
    if (auto res = findResource(**def, value.id); !res) return res.error();
  if (const ResourceDef* missing = missingMandatory(**def, plan.values))
    return fail(CoapCode::BadRequest,
                fmt::format("Create of object {} ({}) needs the mandatory resource {} ({})",
                            path.objectId(), (*def)->name, missing->id, missing->name));
  return plan;
}

DmResponse DataModel::commitCreate(const DmRequest& request, std::uint16_t iid,
                                   const std::vector<ResourceData>& values,
                                   const std::string& owner) {
  const Path& path = request.path;
  auto added = tree_.addInstance(path.objectId(), iid, values, owner);
  if (!added) return toResponse(added.error());
  const std::uint16_t createdId = (*added)->instanceId();
  if (access_ && access_->enforced()) {
    // The creator owns the new instance's Access Control instance (TS 1.1 Core §7.3.1); an
    // instance nobody may manage would be worse than a failed Create, so undo on failure.
    // With a single server there is no access control to keep (the server has every right),
    // and no Access Control instances to clutter its registration.
    if (auto status =
            access_->instanceCreated(tree_, request.serverShortId, path.objectId(), createdId);
        !status) {
      (void)tree_.removeInstance(path.objectId(), createdId);
      return toResponse(status.error());
    }
  }
  DmResponse response = emptyResponse(CoapCode::Created);
  response.locationPath = {std::to_string(path.objectId()), std::to_string(createdId)};
  return response;
}

}  // namespace lwm2md
