#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

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

/// One resource as GetObjectDefinition returns it: (id, name, type, operations, multiple,
/// mandatory).
using DbusResourceDef =
    sdbus::Struct<std::uint16_t, std::string, std::string, std::string, bool, bool>;

/// What the Manager's methods ask of the service. Handlers throw sdbus::Error to reply with a
/// named error.
class ManagerRequests {
 public:
  virtual sdbus::ObjectPath addInstance(const std::string& sender, std::uint16_t oid,
                                        std::uint16_t iid, const DbusValues& values,
                                        const std::map<std::string, sdbus::Variant>& options) = 0;
  virtual void provideObject(const std::string& sender, std::uint16_t oid,
                             const std::string& providerPath,
                             const std::map<std::string, sdbus::Variant>& options) = 0;
  virtual std::uint16_t addObjectDefinition(const std::string& xml) = 0;
  virtual std::tuple<std::string, bool, std::vector<DbusResourceDef>> objectDefinition(
      std::uint16_t oid) = 0;
  virtual void registerAll() = 0;
  virtual void updateAll() = 0;
  virtual void deregisterAll() = 0;
  virtual void bootstrap() = 0;

 protected:
  ~ManagerRequests() = default;
};

/// /org/lwm2md1: org.lwm2md1.Manager and org.freedesktop.DBus.ObjectManager (the parent of
/// every instance and server object, so their InterfacesAdded/Removed signals come from here).
class ManagerObject final
    : public sdbus::AdaptorInterfaces<org::lwm2md1::Manager_adaptor, sdbus::ObjectManager_adaptor,
                                      sdbus::Properties_adaptor> {
 public:
  static constexpr const char* kPath = "/org/lwm2md1";

  /// Registers the object on the bus; throws sdbus::Error when the path is taken.
  ManagerObject(sdbus::IConnection& connection, ManagerInfo info, ManagerRequests& requests);
  virtual ~ManagerObject();

  /// Emits PropertiesChanged for State (logs instead of throwing).
  void stateChanged();

 private:
  sdbus::ObjectPath AddInstance(const std::uint16_t& object_id, const std::uint16_t& instance_id,
                                const DbusValues& values,
                                const std::map<std::string, sdbus::Variant>& options) override;
  void ProvideObject(const std::uint16_t& object_id, const sdbus::ObjectPath& provider,
                     const std::map<std::string, sdbus::Variant>& options) override;
  std::uint16_t AddObjectDefinition(const std::string& ddf_xml) override {
    return requests_.addObjectDefinition(ddf_xml);
  }
  std::tuple<std::string, bool, std::vector<DbusResourceDef>> GetObjectDefinition(
      const std::uint16_t& object_id) override {
    return requests_.objectDefinition(object_id);
  }
  void Register() override { requests_.registerAll(); }
  void UpdateRegistration() override { requests_.updateAll(); }
  void Deregister() override { requests_.deregisterAll(); }
  void Bootstrap() override { requests_.bootstrap(); }
  std::string State() override;
  std::string Endpoint() override { return info_.endpoint; }
  std::string Version() override { return info_.version; }

  ManagerInfo info_;
  ManagerRequests& requests_;
};

}  // namespace lwm2md
