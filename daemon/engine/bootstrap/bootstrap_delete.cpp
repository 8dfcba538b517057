#include <fmt/format.h>

#include "bootstrap/bootstrap_handler.hpp"
#include "bootstrap/bootstrap_objects.hpp"
#include "ddf/object_registry.hpp"
#include "dm/data_model.hpp"
#include "dm/dm_common.hpp"
#include "observe/attributes.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

using namespace bootstrap_ids;

/// What Bootstrap-Delete never touches (TS 1.1 §6.1.7.6): the Bootstrap-Server account, or the
/// client could never be bootstrapped again, and the Device instance, which is the client.
std::optional<std::string> protectedReason(const Instance& instance) {
  if (instance.objectId() == kSecurity && isBootstrapAccount(instance))
    return fmt::format("{} is the Bootstrap-Server account",
                       Path(kSecurity, instance.instanceId()).toString());
  if (instance.objectId() == kDevice)
    return fmt::format("{} is the Device instance",
                       Path(kDevice, instance.instanceId()).toString());
  return std::nullopt;
}

}  // namespace

DmResponse BootstrapHandler::remove(const DmRequest& request) {
  const Path& path = request.path;
  if (path.depth() > 2)
    return DmResponse::error(CoapCode::BadRequest,
                             "Bootstrap-Delete addresses /, an object or an object instance");
  if (!path.isRoot()) {
    auto def = findObject(tree_, path.objectId());
    if (!def) return toResponse(def.error());
  }

  std::vector<const Instance*> targets;
  if (path.isInstance()) {
    const Instance* instance = tree_.find(path.objectId(), path.instanceId());
    if (!instance)
      return DmResponse::error(CoapCode::NotFound,
                               fmt::format("{} does not exist", path.toString()));
    if (auto reason = protectedReason(*instance))
      return DmResponse::error(CoapCode::BadRequest,
                               fmt::format("{}: Bootstrap-Delete leaves it alone", *reason));
    if (!instance->owner().empty())
      return DmResponse::error(
          CoapCode::BadRequest,
          fmt::format("{} belongs to the D-Bus client {}; only it can remove it", path.toString(),
                      instance->owner()));
    targets.push_back(instance);
  } else {
    const auto all = path.isRoot() ? tree_.allInstances() : tree_.instancesOf(path.objectId());
    for (const Instance* instance : all) {
      // A bulk delete spares the protected instances and those a D-Bus client provides: the
      // bootstrap server clears configuration, it cannot take away an application's objects
      // (the client would only add them back).
      if (protectedReason(*instance) || !instance->owner().empty()) continue;
      targets.push_back(instance);
    }
  }

  // Collect the ids first: removing invalidates the instance pointers.
  std::vector<Path> paths;
  for (const Instance* instance : targets)
    paths.emplace_back(instance->objectId(), instance->instanceId());
  for (const Path& target : paths) {
    if (auto status = tree_.removeInstance(target.objectId(), target.instanceId()); !status)
      return toResponse(status.error());
    if (attributes_) attributes_->removeBelow(target);
  }
  return emptyResponse(CoapCode::Deleted);
}

}  // namespace lwm2md
