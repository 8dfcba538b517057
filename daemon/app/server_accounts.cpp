#include "app/server_accounts.hpp"

#include "bootstrap/bootstrap_objects.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

std::vector<ServerConfig> serverAccountsFrom(const ObjectTree& tree, const Config& config) {
  namespace ids = bootstrap_ids;
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

}  // namespace lwm2md
