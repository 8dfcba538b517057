#include <fmt/format.h>

#include "dm/data_model.hpp"
#include "dm/dm_common.hpp"
#include "observe/attributes.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

constexpr std::uint16_t kSecurityObject = 0;
constexpr std::uint16_t kServerObject = 1;
constexpr std::uint16_t kAccessControlObject = 2;
constexpr std::uint16_t kDeviceObject = 3;

}  // namespace

DmResponse DataModel::remove(const DmRequest& request) {
  if (auto refusal = checkRemove(request)) return *refusal;
  const Path& path = request.path;
  if (auto status = tree_.removeInstance(path.objectId(), path.instanceId()); !status)
    return toResponse(status.error());
  // Attributes attached to the instance or below it go with it, for every server.
  attributes_.removeBelow(path);
  // Its Access Control instance goes with it (TS 1.1 Core §7.3.1), attributes included.
  if (access_) {
    if (const Instance* control = access_->controlOf(path.objectId(), path.instanceId()))
      attributes_.removeBelow(Path(kAccessControlObject, control->instanceId()));
    access_->instanceDeleted(tree_, path.objectId(), path.instanceId());
  }
  return emptyResponse(CoapCode::Deleted);
}

std::optional<DmResponse> DataModel::checkRemove(const DmRequest& request) const {
  const Path& path = request.path;
  // TS 1.1 §5.4.7: a DM server deletes object instances; "/" and whole objects are the
  // Bootstrap server's to delete.
  if (!path.isInstance())
    return DmResponse::error(CoapCode::MethodNotAllowed,
                             path.depth() < 2 ? "Delete on / or an object is a Bootstrap operation"
                                              : "Delete applies to an object instance");
  auto def = findObject(tree_, path.objectId());
  if (!def) return toResponse(def.error());
  auto instance = findInstance(tree_, path.objectId(), path.instanceId());
  if (!instance) return toResponse(instance.error());
  // The Device instance is the client itself; Security and Server instances are managed by
  // bootstrap (TS 1.1 §E.1, §E.2), never by a DM server.
  if (path.objectId() == kDeviceObject || path.objectId() == kSecurityObject ||
      path.objectId() == kServerObject)
    return DmResponse::error(
        CoapCode::MethodNotAllowed,
        fmt::format("{} ({}) cannot be deleted by a server", path.toString(), (*def)->name));
  return refused(request, AccessOperation::Delete, path);
}

}  // namespace lwm2md
