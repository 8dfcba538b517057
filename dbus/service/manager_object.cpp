#include "dbus/service/manager_object.hpp"

#include <utility>

#include "dbus/service/logger.hpp"

namespace lwm2md {

ManagerObject::ManagerObject(sdbus::IConnection& connection, ManagerInfo info,
                             ManagerRequests& requests)
    : AdaptorInterfaces(connection, kPath), info_(std::move(info)), requests_(requests) {
  registerAdaptor();
}

ManagerObject::~ManagerObject() {
  unregisterAdaptor();
}

void ManagerObject::stateChanged() {
  try {
    emitPropertiesChangedSignal(org::lwm2md1::Manager_adaptor::INTERFACE_NAME, {"State"});
  } catch (const sdbus::Error& e) {
    dbusLogger()->warn("cannot emit State change: {}", e.getMessage());
  }
}

sdbus::ObjectPath ManagerObject::AddInstance(const std::uint16_t& object_id,
                                             const std::uint16_t& instance_id,
                                             const DbusValues& values,
                                             const std::map<std::string, sdbus::Variant>& options) {
  const sdbus::Message* message = getObject().getCurrentlyProcessedMessage();
  const std::string sender = message ? message->getSender() : std::string();
  return requests_.addInstance(sender, object_id, instance_id, values, options);
}

void ManagerObject::ProvideObject(const std::uint16_t& object_id, const sdbus::ObjectPath& provider,
                                  const std::map<std::string, sdbus::Variant>& options) {
  const sdbus::Message* message = getObject().getCurrentlyProcessedMessage();
  const std::string sender = message ? message->getSender() : std::string();
  requests_.provideObject(sender, object_id, provider, options);
}

std::string ManagerObject::State() {
  return info_.state ? info_.state() : std::string();
}

}  // namespace lwm2md
