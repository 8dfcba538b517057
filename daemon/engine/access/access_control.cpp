#include "access/access_control.hpp"

#include <fmt/format.h>

#include <vector>

#include "ddf/object_registry.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

constexpr std::uint16_t kSecurityObject = 0;
constexpr std::uint16_t kServerObject = 1;
constexpr std::uint16_t kAccessControlObject = 2;

// Resources of the Access Control object (TS 1.1 Core §E.3).
constexpr std::uint16_t kObjectIdRes = 0;
constexpr std::uint16_t kInstanceIdRes = 1;
constexpr std::uint16_t kAclRes = 2;
constexpr std::uint16_t kOwnerRes = 3;

std::optional<std::int64_t> asInteger(const Value& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&value))
    return *u <= static_cast<std::uint64_t>(INT64_MAX) ? std::optional<std::int64_t>(*u)
                                                       : std::nullopt;
  return std::nullopt;
}

std::optional<std::int64_t> integerOf(const Instance& instance, std::uint16_t rid) {
  auto data = instance.resource(rid);
  if (!data || !data->value) return std::nullopt;
  return asInteger(*data->value);
}

/// The ACL entry for `server` in an Access Control instance; nullopt when it has none. Values
/// outside 16 bits are malformed and grant nothing (the reserved bits above Create are ignored).
std::optional<std::uint16_t> aclEntry(const Instance& control, std::uint16_t server) {
  auto data = control.resource(kAclRes);
  if (!data) return std::nullopt;
  auto it = data->instances.find(server);
  if (it == data->instances.end()) return std::nullopt;
  auto bits = asInteger(it->second);
  if (!bits || *bits < 0 || *bits > 0xFFFF) return std::uint16_t{0};
  return static_cast<std::uint16_t>(*bits);
}

bool isOwner(const Instance& control, std::uint16_t server) {
  auto owner = integerOf(control, kOwnerRes);
  return owner && *owner == server;
}

std::string rightsName(std::uint16_t bit) {
  switch (bit) {
    case acl::kRead:
      return "Read";
    case acl::kWrite:
      return "Write";
    case acl::kExecute:
      return "Execute";
    case acl::kDelete:
      return "Delete";
    default:
      return "Create";
  }
}

}  // namespace

std::uint16_t requiredBit(AccessOperation op) {
  switch (op) {
    case AccessOperation::Read:
    case AccessOperation::Discover:
    case AccessOperation::Observe:
    case AccessOperation::WriteAttributes:
      return acl::kRead;
    case AccessOperation::Write:
      return acl::kWrite;
    case AccessOperation::Execute:
      return acl::kExecute;
    case AccessOperation::Delete:
      return acl::kDelete;
    case AccessOperation::Create:
      return acl::kCreate;
  }
  return acl::kCreate;
}

const char* toString(AccessOperation op) {
  switch (op) {
    case AccessOperation::Read:
      return "Read";
    case AccessOperation::Discover:
      return "Discover";
    case AccessOperation::Observe:
      return "Observe";
    case AccessOperation::WriteAttributes:
      return "Write-Attributes";
    case AccessOperation::Write:
      return "Write";
    case AccessOperation::Execute:
      return "Execute";
    case AccessOperation::Delete:
      return "Delete";
    case AccessOperation::Create:
      return "Create";
  }
  return "?";
}

AccessControl::AccessControl(const ObjectTree& tree, ServerCounter countServers)
    : tree_(tree), countServers_(std::move(countServers)) {}

bool AccessControl::enforced() const {
  const std::size_t servers =
      countServers_ ? countServers_() : tree_.instancesOf(kServerObject).size();
  return servers > 1;
}

const Instance* AccessControl::controlOf(std::uint16_t oid, std::uint16_t iid) const {
  for (const Instance* control : tree_.instancesOf(kAccessControlObject)) {
    auto target = integerOf(*control, kObjectIdRes);
    auto targetInstance = integerOf(*control, kInstanceIdRes);
    if (target && targetInstance && *target == oid && *targetInstance == iid) return control;
  }
  return nullptr;
}

std::uint16_t AccessControl::rightsOn(std::uint16_t server, std::uint16_t oid,
                                      std::uint16_t iid) const {
  const Instance* control = controlOf(oid, iid);
  if (!control) return 0;
  if (auto own = aclEntry(*control, server)) return *own & acl::kFullInstance;
  if (isOwner(*control, server)) return acl::kFullInstance;
  if (auto fallback = aclEntry(*control, acl::kDefaultEntry)) return *fallback & acl::kFullInstance;
  return 0;
}

std::uint16_t AccessControl::createRightsOn(std::uint16_t server, std::uint16_t oid) const {
  const Instance* control = controlOf(oid, acl::kMaxId);
  if (!control) return 0;
  if (auto own = aclEntry(*control, server)) return *own & acl::kCreate;
  if (auto fallback = aclEntry(*control, acl::kDefaultEntry)) return *fallback & acl::kCreate;
  return 0;
}

AccessDecision AccessControl::checkControlInstance(std::uint16_t server, AccessOperation op,
                                                   const Path& path) const {
  // §E.3 resource 3: only the owner manages an Access Control instance; 65535 leaves it to
  // the Bootstrap server. Its lifetime is the client's: it goes with its target (§7.3.1).
  const Instance* control = tree_.find(kAccessControlObject, path.instanceId());
  if (!control) return AccessDecision::allow();  // absent: the operation answers 4.04
  if (op == AccessOperation::Delete)
    return AccessDecision::deny(
        fmt::format("{} goes with the instance it controls; servers do not delete it",
                    Path(kAccessControlObject, path.instanceId()).toString()));
  if (!isOwner(*control, server))
    return AccessDecision::deny(
        fmt::format("server {} does not own {}", server,
                    Path(kAccessControlObject, path.instanceId()).toString()));
  return AccessDecision::allow();
}

AccessDecision AccessControl::check(std::uint16_t server, AccessOperation op,
                                    const Path& path) const {
  if (path.depth() >= 1 && path.objectId() == kSecurityObject)
    return AccessDecision::deny("the Security object is not accessible to servers");
  if (!enforced()) return AccessDecision::allow();
  if (path.depth() <= 1) {
    if (op != AccessOperation::Create) return AccessDecision::allow();  // caller filters
    if (path.isRoot()) return AccessDecision::deny("Create needs an object");
    if (createRightsOn(server, path.objectId()) & acl::kCreate) return AccessDecision::allow();
    return AccessDecision::deny(
        fmt::format("server {} has no Create right on object {}", server, path.objectId()));
  }
  if (path.objectId() == kAccessControlObject) return checkControlInstance(server, op, path);
  const std::uint16_t needed = requiredBit(op);
  if (op == AccessOperation::Create) return AccessDecision::deny("Create applies to an object");
  if (rightsOn(server, path.objectId(), path.instanceId()) & needed) return AccessDecision::allow();
  const Path instance(path.objectId(), path.instanceId());
  if (!controlOf(path.objectId(), path.instanceId()))
    return AccessDecision::deny(
        fmt::format("{} has no Access Control instance: no server may {} it", instance.toString(),
                    toString(op)));
  return AccessDecision::deny(fmt::format("server {} has no {} right on {}", server,
                                          rightsName(needed), instance.toString()));
}

bool AccessControl::mayRead(std::uint16_t server, const Path& path) const {
  return check(server, AccessOperation::Read, path).allowed;
}

Status AccessControl::instanceCreated(ObjectTree& tree, std::uint16_t server, std::uint16_t oid,
                                      std::uint16_t iid) const {
  if (oid == kSecurityObject || oid == kAccessControlObject) return {};
  if (!tree.registry().find(kAccessControlObject)) return {};
  // A stale entry for the same target (left by a bootstrap that wrote ACLs ahead of the
  // instance) would make two instances disagree; the creator's fresh one replaces it.
  instanceDeleted(tree, oid, iid);
  const std::vector<ResourceData> values{
      {kObjectIdRes, ResourceType::Integer, false, std::int64_t{oid}, {}},
      {kInstanceIdRes, ResourceType::Integer, false, std::int64_t{iid}, {}},
      {kOwnerRes, ResourceType::Integer, false, std::int64_t{server}, {}},
  };
  auto added = tree.addInstance(kAccessControlObject, Path::kInvalidId, values, "");
  if (!added) return added.error();
  return {};
}

void AccessControl::instanceDeleted(ObjectTree& tree, std::uint16_t oid, std::uint16_t iid) const {
  std::vector<std::uint16_t> doomed;
  for (const Instance* control : tree.instancesOf(kAccessControlObject)) {
    auto target = integerOf(*control, kObjectIdRes);
    auto targetInstance = integerOf(*control, kInstanceIdRes);
    if (target && targetInstance && *target == oid && *targetInstance == iid)
      doomed.push_back(control->instanceId());
  }
  for (std::uint16_t id : doomed) (void)tree.removeInstance(kAccessControlObject, id);
}

}  // namespace lwm2md
