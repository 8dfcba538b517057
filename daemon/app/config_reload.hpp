#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "model/result.hpp"

namespace lwm2md {

class ObjectTree;

/// How the [[server]] tables of a re-read config differ from the running ones, matched by
/// Short Server ID.
struct ServerChanges {
  std::vector<ServerConfig> added;
  std::vector<ServerConfig> changed;  // any key differs: the new table
  std::vector<std::uint16_t> removed;
  std::vector<std::uint16_t> unchanged;

  bool any() const { return !added.empty() || !changed.empty() || !removed.empty(); }
};

ServerChanges diffServers(const std::vector<ServerConfig>& running,
                          const std::vector<ServerConfig>& loaded);

/// What a SIGHUP reload does with a config file that loaded and validated.
struct ReloadPlan {
  /// The config to run with from now on: the loaded one, with what cannot change while the
  /// daemon runs put back to the running values.
  Config next;
  ServerChanges servers;
  bool logLevel = false;         // log_level: the loggers' level, at once
  bool providerTimeout = false;  // [dbus] provider_timeout: for calls from now on
  bool device = false;           // [device]: the Device object's values (observers notified)
  bool coap = false;             // [coap]: sessions opened from now on
  bool registration = false;     // [registration]: server connections opened from now on
  /// [limits]: at once, for every request from now on (what is already held stays).
  bool limits = false;
  /// One sentence per setting that changed but is kept as it was (a restart applies it).
  std::vector<std::string> kept;
};

/// Compares the running config with a freshly loaded one.
///
/// Kept until a restart: endpoint (the servers know the client by it, the D-Bus Manager shows
/// it, and a new name is a new device to them: restart to re-register as it), state_dir,
/// object_dirs and [bootstrap] (read once at start).
///
/// With `serversFromBootstrap` the Security and Server objects came from a Bootstrap-Server
/// (saved in the state directory, which then has precedence over the file's [[server]] tables,
/// at start as at reload): the tables are kept too and nothing changes for the servers.
/// Otherwise each table that changed since the daemon last read the file is written to the
/// tree; servers whose tables did not change keep everything, including values a server
/// wrote to its own Server instance.
ReloadPlan planReload(const Config& running, Config loaded, bool serversFromBootstrap);

/// Writes a changed [device] table into the Device object (/3/0): observers of its
/// resources hear of it as of any change. A key that became empty removes its resource.
Status applyDeviceConfig(ObjectTree& tree, const DeviceConfig& device);

}  // namespace lwm2md
