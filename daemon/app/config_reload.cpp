#include "app/config_reload.hpp"

#include <algorithm>

#include "tree/object_tree.hpp"

namespace lwm2md {

namespace {

const ServerConfig* findServer(const std::vector<ServerConfig>& servers, std::uint16_t shortId) {
  auto it = std::find_if(servers.begin(), servers.end(),
                         [shortId](const ServerConfig& s) { return s.shortId == shortId; });
  return it == servers.end() ? nullptr : &*it;
}

}  // namespace

ServerChanges diffServers(const std::vector<ServerConfig>& running,
                          const std::vector<ServerConfig>& loaded) {
  ServerChanges changes;
  for (const auto& before : running) {
    const ServerConfig* after = findServer(loaded, before.shortId);
    if (!after)
      changes.removed.push_back(before.shortId);
    else if (*after == before)
      changes.unchanged.push_back(before.shortId);
    else
      changes.changed.push_back(*after);
  }
  for (const auto& after : loaded)
    if (!findServer(running, after.shortId)) changes.added.push_back(after);
  return changes;
}

ReloadPlan planReload(const Config& running, Config loaded, bool serversFromBootstrap) {
  ReloadPlan plan;
  auto keep = [&plan](bool differs, const std::string& what, auto& field, const auto& value) {
    if (!differs) return;
    plan.kept.push_back(what);
    field = value;
  };
  keep(loaded.endpoint != running.endpoint,
       "endpoint stays '" + running.endpoint + "' until a restart", loaded.endpoint,
       running.endpoint);
  keep(loaded.stateDir != running.stateDir, "state_dir stays '" + running.stateDir + "'",
       loaded.stateDir, running.stateDir);
  keep(loaded.objectDirs != running.objectDirs, "object_dirs apply at the next start",
       loaded.objectDirs, running.objectDirs);
  keep(loaded.bootstrap != running.bootstrap, "[bootstrap] applies at the next start",
       loaded.bootstrap, running.bootstrap);
  if (serversFromBootstrap) {
    keep(loaded.servers != running.servers,
         "[[server]] tables ignored: the servers were provisioned by a Bootstrap-Server (the "
         "state directory has precedence)",
         loaded.servers, running.servers);
  } else {
    plan.servers = diffServers(running.servers, loaded.servers);
  }
  plan.logLevel = loaded.logLevel != running.logLevel;
  plan.providerTimeout = loaded.providerTimeoutSeconds != running.providerTimeoutSeconds;
  plan.device = loaded.device != running.device;
  plan.coap = loaded.coap != running.coap;
  plan.registration = loaded.registration != running.registration;
  plan.limits = loaded.limits != running.limits;
  plan.next = std::move(loaded);
  return plan;
}

Status applyDeviceConfig(ObjectTree& tree, const DeviceConfig& device) {
  constexpr std::uint16_t kDevice = 3;
  const std::pair<std::uint16_t, const std::string*> fields[] = {
      {0, &device.manufacturer},     {1, &device.model},       {2, &device.serial},
      {3, &device.firmwareVersion},  {17, &device.deviceType}, {18, &device.hardwareVersion},
      {19, &device.softwareVersion},
  };
  std::vector<ResourceData> values;
  std::vector<std::uint16_t> remove;
  for (const auto& [rid, text] : fields) {
    if (text->empty()) {
      remove.push_back(rid);
      continue;
    }
    ResourceData data;
    data.id = rid;
    data.type = ResourceType::String;
    data.value = *text;
    values.push_back(std::move(data));
  }
  return tree.setValues(kDevice, 0, values, ChangeOrigin::Daemon, true, remove);
}

}  // namespace lwm2md
