#include <fmt/format.h>

#include <map>
#include <set>

#include "bootstrap/bootstrap_handler.hpp"
#include "bootstrap/bootstrap_objects.hpp"
#include "config/coap_uri.hpp"
#include "ddf/object_registry.hpp"
#include "objects/server_object.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

using namespace bootstrap_ids;
using Problem = std::optional<std::string>;

std::string where(std::uint16_t oid, std::uint16_t iid) {
  return Path(oid, iid).toString();
}

bool hasBytes(const Instance& instance, std::uint16_t rid) {
  auto value = singleValue(instance, rid);
  const auto* bytes = value ? std::get_if<Opaque>(&*value) : nullptr;
  return bytes && !bytes->empty();
}

/// The keys a Security Mode needs (TS 1.1 E.1, Transport TS §5.2.8-5.2.9): PSK the identity
/// and the key; RPK and Certificate the own public key or certificate, the server's key or
/// certificate and the own private key.
Problem missingKeys(const Instance& security, std::int64_t mode) {
  struct Need {
    std::uint16_t rid;
    const char* what;
  };
  std::vector<Need> needs;
  switch (mode) {
    case kModePsk:
      needs = {{kPublicKeyOrIdentity, "PSK identity"}, {kSecretKey, "PSK key"}};
      break;
    case kModeRpk:
      needs = {{kPublicKeyOrIdentity, "own public key"},
               {kServerPublicKey, "server public key"},
               {kSecretKey, "private key"}};
      break;
    case kModeCertificate:
      needs = {{kPublicKeyOrIdentity, "own certificate"},
               {kServerPublicKey, "server certificate"},
               {kSecretKey, "private key"}};
      break;
    default:
      break;
  }
  for (const auto& need : needs)
    if (!hasBytes(security, need.rid))
      return fmt::format("{}: security mode {} needs the {} in resource {}",
                         where(kSecurity, security.instanceId()), mode, need.what, need.rid);
  return std::nullopt;
}

/// One Security instance on its own: URI, mode, and the keys the mode needs.
Problem checkSecurity(const Instance& security) {
  const auto at = where(kSecurity, security.instanceId());
  auto uriValue = singleValue(security, kServerUri);
  const auto* uri = uriValue ? std::get_if<std::string>(&*uriValue) : nullptr;
  if (!uri || uri->empty()) return fmt::format("{} has no LwM2M Server URI (resource 0)", at);
  auto parsed = parseCoapUri(*uri);
  if (!parsed) return fmt::format("{}: URI '{}': {}", at, *uri, parsed.error().message);
  if (!singleValue(security, kBootstrapServer))
    return fmt::format("{} lacks the Bootstrap-Server resource (1)", at);
  auto mode = integerValue(security, kSecurityMode);
  if (!mode) return fmt::format("{} has no Security Mode (resource 2)", at);
  if (*mode == kModeCertificateEst || *mode < kModePsk || *mode > kModeNoSec)
    return fmt::format(
        "{}: security mode {} is not supported (0 PSK, 1 RPK, 2 Certificate, "
        "3 NoSec)",
        at, *mode);
  // A secure mode needs a coaps:// URI and NoSec a coap:// one: anything else could only end
  // in a connection that fails or, worse, one that is not secured.
  if ((*mode == kModeNoSec) == parsed->secure)
    return fmt::format("{}: security mode {} does not fit the URI '{}'", at, *mode, *uri);
  return missingKeys(security, *mode);
}

/// One Server instance on its own: the mandatory resources and a usable Binding.
Problem checkServer(const Instance& server) {
  const auto at = where(kServer, server.instanceId());
  auto lifetime = integerValue(server, kLifetime);
  if (!lifetime) return fmt::format("{} has no Lifetime (resource 1)", at);
  if (*lifetime < 1) return fmt::format("{}: Lifetime {} is below 1 s", at, *lifetime);
  auto bindingValue = singleValue(server, kBinding);
  const auto* binding = bindingValue ? std::get_if<std::string>(&*bindingValue) : nullptr;
  if (!binding) return fmt::format("{} has no Binding (resource 7)", at);
  if (auto error = bindingError(*binding)) return fmt::format("{}: {}", at, *error);
  if (!singleValue(server, kNotificationStoring))
    return fmt::format("{} lacks Notification Storing (resource 6)", at);
  return std::nullopt;
}

/// Access Control instances must name an object the client has and a known owner (TS 1.1
/// E.3): an ACL for an unsupported object or an unknown server is the TS's own example of an
/// inconsistent configuration.
Problem checkAccessControl(const ObjectTree& tree, const std::set<std::int64_t>& ssids) {
  for (const Instance* acl : tree.instancesOf(kAccessControl)) {
    const auto at = where(kAccessControl, acl->instanceId());
    auto oid = integerValue(*acl, kAclObjectId);
    if (!oid) return fmt::format("{} has no Object ID (resource 0)", at);
    if (*oid < 0 || *oid >= Path::kInvalidId ||
        !tree.registry().find(static_cast<std::uint16_t>(*oid)))
      return fmt::format("{} controls object {}, which the client does not support", at, *oid);
    if (auto owner = integerValue(*acl, kAclOwner);
        owner && *owner != Path::kInvalidId && !ssids.contains(*owner))
      return fmt::format("{}: Access Control Owner {} is no configured server", at, *owner);
    if (auto rights = acl->resource(kAcl))
      for (const auto& [ssid, value] : rights->instances)
        if (ssid != 0 && !ssids.contains(ssid))
          return fmt::format("{}: ACL entry for server {}, which is not configured", at, ssid);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> BootstrapHandler::inconsistency() const {
  // TS 1.1 §6.1.2: at most one Bootstrap-Server account.
  const auto bootstrap = bootstrapAccounts(tree_);
  if (bootstrap.size() > 1)
    return fmt::format("{} and {} are both Bootstrap-Server accounts; at most one is allowed",
                       where(kSecurity, bootstrap[0]), where(kSecurity, bootstrap[1]));

  // Each Security instance alone, and the Short Server IDs of the server accounts (unique).
  std::map<std::int64_t, std::uint16_t> securityBySsid;
  for (const Instance* security : tree_.instancesOf(kSecurity)) {
    if (auto problem = checkSecurity(*security)) return problem;
    if (isBootstrapAccount(*security)) continue;
    const auto at = where(kSecurity, security->instanceId());
    auto ssid = integerValue(*security, kSecurityShortServerId);
    if (!ssid) return fmt::format("{} has no Short Server ID (resource 10)", at);
    if (*ssid < 1 || *ssid >= Path::kInvalidId)
      return fmt::format("{}: Short Server ID {} is outside 1..65534", at, *ssid);
    if (auto [it, fresh] = securityBySsid.emplace(*ssid, security->instanceId()); !fresh)
      return fmt::format("{} and {} share the Short Server ID {}", where(kSecurity, it->second), at,
                         *ssid);
  }

  // Each Server instance alone, paired with exactly one Security instance by Short Server ID
  // (TS 1.1 §6.1.2: a Server Account is such a pair).
  std::map<std::int64_t, std::uint16_t> serverBySsid;
  for (const Instance* server : tree_.instancesOf(kServer)) {
    if (auto problem = checkServer(*server)) return problem;
    const auto at = where(kServer, server->instanceId());
    auto ssid = integerValue(*server, kServerShortServerId);
    if (!ssid) return fmt::format("{} has no Short Server ID (resource 0)", at);
    if (auto [it, fresh] = serverBySsid.emplace(*ssid, server->instanceId()); !fresh)
      return fmt::format("{} and {} share the Short Server ID {}", where(kServer, it->second), at,
                         *ssid);
    if (!securityBySsid.contains(*ssid))
      return fmt::format(
          "{} (Short Server ID {}) has no Security instance with that Short "
          "Server ID",
          at, *ssid);
  }
  for (const auto& [ssid, iid] : securityBySsid)
    if (!serverBySsid.contains(ssid))
      return fmt::format("{} (Short Server ID {}) has no Server instance with that Short Server ID",
                         where(kSecurity, iid), ssid);

  // TS 1.1 §6.1.2: after bootstrap the client has at least one LwM2M Server Account.
  if (serverBySsid.empty())
    return std::string(
        "no LwM2M Server Account: at least one Security instance that is not the "
        "Bootstrap-Server's and a Server instance with the same Short Server ID "
        "are needed");

  std::set<std::int64_t> ssids;
  for (const auto& entry : serverBySsid) ssids.insert(entry.first);
  return checkAccessControl(tree_, ssids);
}

}  // namespace lwm2md
