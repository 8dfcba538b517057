#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dbus/instance_adaptor.hpp"
#include "dbus/service/value_conversion.hpp"

namespace lwm2md {

class InstanceObject;

/// What an exported instance asks of the service. Handlers throw sdbus::Error to reply with
/// a named error (that is how sdbus-c++ adaptors produce error replies).
class InstanceRequests {
 public:
  virtual void set(InstanceObject& object, const DbusValues& values) = 0;
  virtual DbusValues get(InstanceObject& object, const std::vector<std::uint16_t>& rids) = 0;
  virtual void remove(InstanceObject& object, sdbus::Result<>&& result) = 0;
  virtual DbusValues values(const InstanceObject& object) = 0;

 protected:
  ~InstanceRequests() = default;
};

/// /org/lwm2md1/Object/<oid>/<iid>: org.lwm2md1.Instance for one tree instance. It holds no
/// values itself; every call goes to the service, which reads and changes the tree.
class InstanceObject final
    : public sdbus::AdaptorInterfaces<org::lwm2md1::Instance_adaptor, sdbus::ManagedObject_adaptor,
                                      sdbus::Properties_adaptor> {
 public:
  /// Registers the object on the bus (does not announce it: see announce()). Throws
  /// sdbus::Error when the path cannot be registered.
  InstanceObject(sdbus::IConnection& connection, std::uint16_t oid, std::uint16_t iid,
                 std::string owner, InstanceRequests& requests);
  virtual ~InstanceObject();

  static std::string pathFor(std::uint16_t oid, std::uint16_t iid);

  std::uint16_t objectId() const { return oid_; }
  std::uint16_t instanceId() const { return iid_; }
  const std::string& owner() const { return owner_; }
  /// The instance left the tree while this object was busy answering a call; it stays on the
  /// bus until the service can safely destroy it and answers every call with NotFound.
  bool removed() const { return removed_; }
  void markRemoved() { removed_ = true; }
  /// Unique bus name of the caller whose message is being handled ("" outside a call).
  std::string sender() const;

  // Signals; each logs instead of throwing when the bus refuses it.
  void announce();
  void withdraw();
  void valuesChanged();
  void written(const DbusValues& values);
  void executed(std::uint16_t rid, const std::string& args);
  void observationChanged(std::uint16_t rid, bool observed);

 private:
  void Set(const DbusValues& values) override;
  DbusValues Get(const std::vector<std::uint16_t>& resource_ids) override;
  void Remove(sdbus::Result<>&& result) override;
  std::uint16_t ObjectId() override { return oid_; }
  std::uint16_t InstanceId() override { return iid_; }
  std::string Owner() override { return owner_; }
  DbusValues Values() override;

  std::uint16_t oid_;
  std::uint16_t iid_;
  std::string owner_;
  InstanceRequests& requests_;
  bool removed_ = false;
};

}  // namespace lwm2md
