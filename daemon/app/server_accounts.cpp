#include "app/server_accounts.hpp"

#include "bootstrap/bootstrap_objects.hpp"
#include "model/path.hpp"
#include "objects/server_object.hpp"
#include "objects/standard_objects.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

namespace ids = bootstrap_ids;

/// Updates the instance when there is one, else adds it at the lowest free id.
Status writeInstance(ObjectTree& tree, std::uint16_t oid, const Instance* existing,
                     const std::vector<ResourceData>& values,
                     const std::vector<std::uint16_t>& remove) {
  if (!existing) {
    auto added = tree.addInstance(oid, Path::kInvalidId, values, "");
    if (!added) return added.error();
    return {};
  }
  return tree.setValues(oid, existing->instanceId(), values, ChangeOrigin::Daemon, true, remove);
}

}  // namespace

std::vector<ServerConfig> serverAccountsFrom(const ObjectTree& tree, const Config& config) {
  std::vector<ServerConfig> accounts;
  for (const Instance* security : tree.instancesOf(ids::kSecurity)) {
    if (isBootstrapAccount(*security)) continue;
    const auto shortId = integerValue(*security, ids::kSecurityShortServerId);
    const auto uri = singleValue(*security, ids::kServerUri);
    // Short Server ID 0 and 65535 are reserved (TS 1.1 E.1); an account without a URI
    // cannot be reached.
    if (!shortId || *shortId < 1 || *shortId > 65534 || !uri ||
        !std::holds_alternative<std::string>(*uri))
      continue;
    ServerConfig account;
    for (const auto& factory : config.servers)
      if (factory.shortId == *shortId) account = factory;
    account.shortId = static_cast<std::uint16_t>(*shortId);
    account.uri = std::get<std::string>(*uri);
    accounts.push_back(std::move(account));
  }
  return accounts;
}

Status provisionServer(ObjectTree& tree, const ServerConfig& server) {
  if (auto status = writeInstance(tree, ids::kSecurity, findSecurityInstance(tree, server.shortId),
                                  securityValues(server), {});
      !status)
    return status;
  // A default period the table no longer gives goes away rather than lingering.
  std::vector<std::uint16_t> remove;
  if (server.defaultPmin == 0) remove.push_back(server_object::kDefaultMinPeriod);
  if (server.defaultPmax == 0) remove.push_back(server_object::kDefaultMaxPeriod);
  return writeInstance(tree, server_object::kObjectId, findServerInstance(tree, server.shortId),
                       serverValues(server), remove);
}

void unprovisionServer(ObjectTree& tree, std::uint16_t shortId) {
  if (const Instance* security = findSecurityInstance(tree, shortId))
    (void)tree.removeInstance(ids::kSecurity, security->instanceId());
  const Instance* server = findServerInstance(tree, shortId);
  if (!server) return;
  const std::uint16_t iid = server->instanceId();
  (void)tree.removeInstance(server_object::kObjectId, iid);
  for (const Instance* acl : tree.instancesOf(ids::kAccessControl))
    if (integerValue(*acl, ids::kAclObjectId) == std::int64_t{server_object::kObjectId} &&
        integerValue(*acl, ids::kAclInstanceId) == std::int64_t{iid}) {
      (void)tree.removeInstance(ids::kAccessControl, acl->instanceId());
      break;
    }
}

}  // namespace lwm2md
