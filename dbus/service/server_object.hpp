#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <string>

#include "dbus/server_adaptor.hpp"

namespace lwm2md {

/// What the daemon tells the D-Bus service about one LwM2M server (org.lwm2md1.Server). The
/// daemon builds it from its ServerConnection whenever something about the server may have
/// changed; the service works out what did.
struct ServerInfo {
  std::uint16_t shortServerId = 0;
  std::string uri;
  /// The registration state, as registration's toString() spells it ("registered", ...).
  std::string state;
  std::uint32_t lifetime = 0;
  std::string binding;
  /// The registration's location joined with "/" ("rd/5"); "" while not registered.
  std::string registrationId;
  std::uint32_t observations = 0;

  bool operator==(const ServerInfo&) const = default;
};

/// /org/lwm2md1/Server/<short id>: org.lwm2md1.Server, a snapshot of what the daemon last
/// reported, with PropertiesChanged for exactly the properties that changed.
class ServerObject final
    : public sdbus::AdaptorInterfaces<org::lwm2md1::Server_adaptor, sdbus::ManagedObject_adaptor,
                                      sdbus::Properties_adaptor> {
 public:
  /// Registers the object (not announced: see announce()). Throws sdbus::Error.
  ServerObject(sdbus::IConnection& connection, ServerInfo info, std::uint64_t lastUpdate);
  virtual ~ServerObject();

  static std::string pathFor(std::uint16_t shortServerId);

  const ServerInfo& info() const { return info_; }
  std::uint64_t lastUpdate() const { return lastUpdate_; }

  /// Takes the new snapshot (and LastUpdate) and emits PropertiesChanged for what differs.
  void update(const ServerInfo& info, std::uint64_t lastUpdate);

  // Signals; each logs instead of throwing when the bus refuses it.
  void announce();
  void withdraw();

 private:
  std::string Uri() override { return info_.uri; }
  std::uint16_t ShortServerId() override { return info_.shortServerId; }
  std::string State() override { return info_.state; }
  std::uint32_t Lifetime() override { return info_.lifetime; }
  std::string Binding() override { return info_.binding; }
  std::string RegistrationId() override { return info_.registrationId; }
  std::uint64_t LastUpdate() override { return lastUpdate_; }
  std::uint32_t Observations() override { return info_.observations; }

  ServerInfo info_;
  std::uint64_t lastUpdate_ = 0;
};

}  // namespace lwm2md
