#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "dbus/manager_adaptor.hpp"
#include "dbus/service/value_conversion.hpp"

namespace lwm2md {

/// What the Manager object shows of the daemon.
struct ManagerInfo {
  std::string endpoint;
  std::string version;
  /// Current registration state ("registered", ...); read on every property request.
  std::function<std::string()> state;
};

/// /org/lwm2md1: org.lwm2md1.Manager and org.freedesktop.DBus.ObjectManager (the parent of
/// every instance object, so their InterfacesAdded/Removed signals come from here).
class ManagerObject final
    : public sdbus::AdaptorInterfaces<org::lwm2md1::Manager_adaptor, sdbus::ObjectManager_adaptor,
                                      sdbus::Properties_adaptor> {
 public:
  static constexpr const char* kPath = "/org/lwm2md1";

  /// (sender, object_id, instance_id, values, options) -> path; throws sdbus::Error.
  using AddInstanceHandler = std::function<sdbus::ObjectPath(
      const std::string&, std::uint16_t, std::uint16_t, const DbusValues&,
      const std::map<std::string, sdbus::Variant>&)>;

  /// Registers the object on the bus; throws sdbus::Error when the path is taken.
  ManagerObject(sdbus::IConnection& connection, ManagerInfo info, AddInstanceHandler addInstance);
  virtual ~ManagerObject();

  /// Emits PropertiesChanged for State (logs instead of throwing).
  void stateChanged();

 private:
  sdbus::ObjectPath AddInstance(const std::uint16_t& object_id, const std::uint16_t& instance_id,
                                const DbusValues& values,
                                const std::map<std::string, sdbus::Variant>& options) override;
  std::string State() override;
  std::string Endpoint() override { return info_.endpoint; }
  std::string Version() override { return info_.version; }

  ManagerInfo info_;
  AddInstanceHandler addInstance_;
};

}  // namespace lwm2md
