#pragma once

#include <vector>

#include "config/config.hpp"

namespace lwm2md {

class ObjectTree;

/// The LwM2M servers the tree provisions: one per Security instance that is not a
/// Bootstrap-Server account and has a Short Server ID, in instance order. URI and Short
/// Server ID come from the Security instance (whoever wrote it: the factory config, a
/// bootstrap server, or the saved state); what the objects do not say (the LwM2M version to
/// speak, confirmable notifications) comes from the config's [[server]] table with the same
/// short_id, else the defaults. Lifetime, binding and credentials are read from the tree by
/// the connection itself.
std::vector<ServerConfig> serverAccountsFrom(const ObjectTree& tree, const Config& config);

}  // namespace lwm2md
