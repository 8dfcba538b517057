#include "dbus/service/instance_object.hpp"

#include <fmt/format.h>
#include <utility>

#include "dbus/service/logger.hpp"

namespace lwm2md {

namespace {

// Signals go out from tree listeners and must never throw into the tree.
template <typename F>
void emitSafely(const std::string& path, const char* what, F&& emit) {
  try {
    emit();
  } catch (const sdbus::Error& e) {
    dbusLogger()->warn("{}: cannot emit {}: {}", path, what, e.getMessage());
  }
}

}  // namespace

InstanceObject::InstanceObject(sdbus::IConnection& connection, std::uint16_t oid, std::uint16_t iid,
                               std::string owner, InstanceRequests& requests)
    : AdaptorInterfaces(connection, pathFor(oid, iid)),
      oid_(oid),
      iid_(iid),
      owner_(std::move(owner)),
      requests_(requests) {
  registerAdaptor();
}

InstanceObject::~InstanceObject() {
  unregisterAdaptor();
}

std::string InstanceObject::pathFor(std::uint16_t oid, std::uint16_t iid) {
  return fmt::format("/org/lwm2md1/Object/{}/{}", oid, iid);
}

std::string InstanceObject::sender() const {
  const sdbus::Message* message = getObject().getCurrentlyProcessedMessage();
  return message ? message->getSender() : std::string();
}

void InstanceObject::announce() {
  emitSafely(getObjectPath(), "InterfacesAdded", [this] { emitInterfacesAddedSignal(); });
}

void InstanceObject::withdraw() {
  emitSafely(getObjectPath(), "InterfacesRemoved", [this] { emitInterfacesRemovedSignal(); });
}

void InstanceObject::valuesChanged() {
  emitSafely(getObjectPath(), "PropertiesChanged", [this] {
    emitPropertiesChangedSignal(org::lwm2md1::Instance_adaptor::INTERFACE_NAME, {"Values"});
  });
}

void InstanceObject::written(const DbusValues& values) {
  emitSafely(getObjectPath(), "Written", [&] { emitWritten(values); });
}

void InstanceObject::executed(std::uint16_t rid, const std::string& args) {
  emitSafely(getObjectPath(), "Executed", [&] { emitExecuted(rid, args); });
}

void InstanceObject::observationChanged(std::uint16_t rid, bool observed) {
  emitSafely(getObjectPath(), "ObservationChanged", [&] { emitObservationChanged(rid, observed); });
}

void InstanceObject::Set(const DbusValues& values) {
  requests_.set(*this, values);
}

DbusValues InstanceObject::Get(const std::vector<std::uint16_t>& resource_ids) {
  return requests_.get(*this, resource_ids);
}

void InstanceObject::Remove(sdbus::Result<>&& result) {
  requests_.remove(*this, std::move(result));
}

DbusValues InstanceObject::Values() {
  return requests_.values(*this);
}

}  // namespace lwm2md
