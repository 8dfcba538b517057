#pragma once

#include <vector>

#include "config/config.hpp"
#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

class ObjectTree;

/// The daemon-owned instances every client has: one Security (0) and one Server (1)
/// instance per configured server (instance id = position in the config), and the Device
/// object (3/0) with the protocol resources from [device] and a live Current Time.
/// Fails when a needed object definition is missing.
Status addStandardInstances(ObjectTree& tree, const Config& config);

/// The resources of a configured server's Security (0) and Server (1) instances: the same at
/// start and when a reload provisions the server.
std::vector<ResourceData> securityValues(const ServerConfig& server);
std::vector<ResourceData> serverValues(const ServerConfig& server);

}  // namespace lwm2md
