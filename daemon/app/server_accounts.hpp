#pragma once

#include <cstdint>
#include <vector>

#include "config/config.hpp"
#include "model/result.hpp"

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

/// Writes a [[server]] table into the tree as the factory provisioning does (a Security and a
/// Server instance): the instances that hold its Short Server ID get the table's values, or
/// new ones are added at the lowest free ids. Used by a SIGHUP reload. Values a server wrote
/// to its Server instance and the table does not name (retry timers, Disable Timeout, ...)
/// are left as they are.
Status provisionServer(ObjectTree& tree, const ServerConfig& server);

/// Removes what provisionServer() writes for Short Server ID `shortId`, and the Access Control
/// instance of its Server instance (it would otherwise govern the next instance to take that
/// id). Bootstrap-Server accounts are never touched.
void unprovisionServer(ObjectTree& tree, std::uint16_t shortId);

}  // namespace lwm2md
