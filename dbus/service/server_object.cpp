#include "dbus/service/server_object.hpp"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "dbus/service/logger.hpp"

namespace lwm2md {

ServerObject::ServerObject(sdbus::IConnection& connection, ServerInfo info,
                           std::uint64_t lastUpdate)
    : AdaptorInterfaces(connection, pathFor(info.shortServerId)),
      info_(std::move(info)),
      lastUpdate_(lastUpdate) {
  registerAdaptor();
}

ServerObject::~ServerObject() {
  unregisterAdaptor();
}

std::string ServerObject::pathFor(std::uint16_t shortServerId) {
  return fmt::format("/org/lwm2md1/Server/{}", shortServerId);
}

void ServerObject::update(const ServerInfo& info, std::uint64_t lastUpdate) {
  std::vector<std::string> changed;
  if (info.uri != info_.uri) changed.emplace_back("Uri");
  if (info.state != info_.state) changed.emplace_back("State");
  if (info.lifetime != info_.lifetime) changed.emplace_back("Lifetime");
  if (info.binding != info_.binding) changed.emplace_back("Binding");
  if (info.registrationId != info_.registrationId) changed.emplace_back("RegistrationId");
  if (lastUpdate != lastUpdate_) changed.emplace_back("LastUpdate");
  if (info.observations != info_.observations) changed.emplace_back("Observations");
  // The short id names the object: it never changes (a new id is a new object).
  const std::uint16_t id = info_.shortServerId;
  info_ = info;
  info_.shortServerId = id;
  lastUpdate_ = lastUpdate;
  if (changed.empty()) return;
  try {
    emitPropertiesChangedSignal(org::lwm2md1::Server_adaptor::INTERFACE_NAME, changed);
  } catch (const sdbus::Error& e) {
    dbusLogger()->warn("cannot emit changes of {}: {}", pathFor(id), e.getMessage());
  }
}

void ServerObject::announce() {
  try {
    emitInterfacesAddedSignal();
  } catch (const sdbus::Error& e) {
    dbusLogger()->warn("cannot announce {}: {}", pathFor(info_.shortServerId), e.getMessage());
  }
}

void ServerObject::withdraw() {
  try {
    emitInterfacesRemovedSignal();
  } catch (const sdbus::Error& e) {
    dbusLogger()->warn("cannot withdraw {}: {}", pathFor(info_.shortServerId), e.getMessage());
  }
}

}  // namespace lwm2md
