#include "objects/standard_objects.hpp"

#include <algorithm>
#include <ctime>

#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

constexpr std::uint16_t kSecurity = 0;
constexpr std::uint16_t kServer = 1;
constexpr std::uint16_t kDevice = 3;

// Security mode values of /0/x/2 (TS Appendix E.1).
constexpr std::int64_t kSecurityModePsk = 0;
constexpr std::int64_t kSecurityModeRpk = 1;
constexpr std::int64_t kSecurityModeCert = 2;
constexpr std::int64_t kSecurityModeNoSec = 3;

ResourceData single(std::uint16_t rid, ResourceType type, Value value) {
  ResourceData data;
  data.id = rid;
  data.type = type;
  data.value = std::move(value);
  return data;
}

ResourceData multiple(std::uint16_t rid, ResourceType type, std::map<std::uint16_t, Value> values) {
  ResourceData data;
  data.id = rid;
  data.type = type;
  data.multiple = true;
  data.instances = std::move(values);
  return data;
}

std::int64_t securityMode(const std::string& security) {
  if (security == "psk") return kSecurityModePsk;
  if (security == "rpk") return kSecurityModeRpk;
  if (security == "cert") return kSecurityModeCert;
  return kSecurityModeNoSec;
}

Status addServers(ObjectTree& tree, const Config& config) {
  std::uint16_t iid = 0;
  for (const auto& server : config.servers) {
    if (auto added = tree.addInstance(kSecurity, iid, securityValues(server), ""); !added)
      return added.error();
    if (auto added = tree.addInstance(kServer, iid, serverValues(server), ""); !added)
      return added.error();
    ++iid;
  }
  return {};
}

/// The factory Bootstrap-Server account ([bootstrap]): a Security instance with
/// Bootstrap-Server true and no Short Server ID (TS 1.1 E.1), after the servers' ones.
Status addBootstrapAccount(ObjectTree& tree, const Config& config) {
  if (!config.bootstrap) return {};
  const auto& bootstrap = *config.bootstrap;
  std::vector<ResourceData> security{
      single(0, ResourceType::String, bootstrap.uri),
      single(1, ResourceType::Boolean, true),
      single(2, ResourceType::Integer, securityMode(bootstrap.security.mode)),
      single(3, ResourceType::Opaque, bootstrap.security.identity),
      single(4, ResourceType::Opaque, bootstrap.security.serverKey),
      single(5, ResourceType::Opaque, bootstrap.security.secretKey),
      single(11, ResourceType::Integer, std::int64_t{bootstrap.holdOffSeconds}),
      single(12, ResourceType::Integer, std::int64_t{bootstrap.accountTimeoutSeconds}),
  };
  const auto iid = static_cast<std::uint16_t>(config.servers.size());
  if (auto added = tree.addInstance(kSecurity, iid, security, ""); !added) return added.error();
  return {};
}

Status addDevice(ObjectTree& tree, const DeviceConfig& device) {
  std::vector<ResourceData> values;
  auto text = [&](std::uint16_t rid, const std::string& value) {
    if (!value.empty()) values.push_back(single(rid, ResourceType::String, value));
  };
  text(0, device.manufacturer);
  text(1, device.model);
  text(2, device.serial);
  text(3, device.firmwareVersion);
  values.push_back(multiple(11, ResourceType::Integer, {{0, std::int64_t{0}}}));  // no error
  values.push_back(single(13, ResourceType::Time, std::int64_t{0}));
  values.push_back(single(14, ResourceType::String, std::string("+00:00")));
  values.push_back(single(16, ResourceType::String, std::string("U")));
  text(17, device.deviceType);
  text(18, device.hardwareVersion);
  text(19, device.softwareVersion);
  std::sort(values.begin(), values.end(),
            [](const ResourceData& a, const ResourceData& b) { return a.id < b.id; });
  auto added = tree.addInstance(kDevice, 0, values, "");
  if (!added) return added.error();
  // Current Time is the system clock, read when asked.
  (*added)->setDynamicReader([](std::uint16_t rid) -> std::optional<Value> {
    if (rid == 13) return static_cast<std::int64_t>(std::time(nullptr));
    return std::nullopt;
  });
  return {};
}

}  // namespace

std::vector<ResourceData> securityValues(const ServerConfig& server) {
  return {
      single(0, ResourceType::String, server.uri),
      single(1, ResourceType::Boolean, false),
      single(2, ResourceType::Integer, securityMode(server.security.mode)),
      // Key material in DER/bytes as the config decoded it (empty for NoSec).
      single(3, ResourceType::Opaque, server.security.identity),
      single(4, ResourceType::Opaque, server.security.serverKey),
      single(5, ResourceType::Opaque, server.security.secretKey),
      single(10, ResourceType::Integer, std::int64_t{server.shortId}),
  };
}

std::vector<ResourceData> serverValues(const ServerConfig& server) {
  std::vector<ResourceData> values{
      single(0, ResourceType::Integer, std::int64_t{server.shortId}),
      single(1, ResourceType::Integer, std::int64_t{server.lifetime}),
  };
  if (server.defaultPmin > 0)
    values.push_back(single(2, ResourceType::Integer, std::int64_t{server.defaultPmin}));
  if (server.defaultPmax > 0)
    values.push_back(single(3, ResourceType::Integer, std::int64_t{server.defaultPmax}));
  values.push_back(single(6, ResourceType::Boolean, true));
  values.push_back(single(7, ResourceType::String, server.binding));
  return values;
}

Status addStandardInstances(ObjectTree& tree, const Config& config) {
  if (auto status = addServers(tree, config); !status) return status;
  if (auto status = addBootstrapAccount(tree, config); !status) return status;
  return addDevice(tree, config.device);
}

}  // namespace lwm2md
