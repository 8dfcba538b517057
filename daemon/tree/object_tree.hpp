#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/content.hpp"
#include "model/object_def.hpp"
#include "model/result.hpp"

namespace lwm2md {

/// Who changed a value: listeners treat a server's write differently (D-Bus `Written`).
enum class ChangeOrigin { Provider, Server, Daemon };

/// One object instance: its definition, its owner and its current resource values.
class Instance {
 public:
  /// Computes a resource's value at read time (e.g. the Device object's current time).
  using DynamicReader = std::function<std::optional<Value>(std::uint16_t rid)>;

  Instance(const ObjectDef& def, std::uint16_t iid, std::string owner)
      : def_(&def), iid_(iid), owner_(std::move(owner)) {}

  std::uint16_t objectId() const { return def_->id; }
  std::uint16_t instanceId() const { return iid_; }
  const ObjectDef& definition() const { return *def_; }
  /// Unique bus name of the D-Bus client that added it; empty when the daemon owns it.
  const std::string& owner() const { return owner_; }

  /// A resource's current data (dynamic readers applied); nullopt when not present.
  std::optional<ResourceData> resource(std::uint16_t rid) const;
  /// Every present resource, in id order (dynamic readers applied).
  InstanceData snapshot() const;
  /// Ids of the resources present, in order.
  std::vector<std::uint16_t> resourceIds() const;

  void setDynamicReader(DynamicReader reader) { dynamicReader_ = std::move(reader); }

 private:
  friend class ObjectTree;

  /// A resource as kept in the tree: ResourceData without its optional wrapper and with the
  /// instances of a multiple resource behind a pointer. A gateway holds thousands of single
  /// resources, so this is 56 bytes each in a flat vector where a map of ResourceData cost
  /// about 160 (issue 7: memory per resource).
  struct Stored {
    Value value;  // single resource: its value (when hasValue)
    std::unique_ptr<std::map<std::uint16_t, Value>> instances;  // multiple resource only
    std::uint16_t id = 0;
    bool multiple = false;
    bool hasValue = false;
    ResourceType type = ResourceType::None;

    static Stored from(const ResourceData& data);
    ResourceData toData() const;
  };

  /// The stored resource `rid`, or nullptr.
  const Stored* findStored(std::uint16_t rid) const;
  /// Stores `data` (replacing `rid`'s entry or inserting it in id order).
  Stored& store(std::uint16_t rid);
  bool erase(std::uint16_t rid);

  const ObjectDef* def_;
  std::uint16_t iid_;
  std::string owner_;
  std::vector<Stored> resources_;  // sorted by id
  DynamicReader dynamicReader_;
};

/// Hears of every change to the tree. Default implementations ignore the event.
class TreeListener {
 public:
  virtual ~TreeListener() = default;
  virtual void instanceAdded(const Instance& /*instance*/) {}
  virtual void instanceRemoved(std::uint16_t /*oid*/, std::uint16_t /*iid*/) {}
  /// After a successful set: `rids` lists the resources that were written (in id order).
  virtual void valuesChanged(const Instance& /*instance*/,
                             const std::vector<std::uint16_t>& /*rids*/, ChangeOrigin /*origin*/) {}
  virtual void executed(const Instance& /*instance*/, std::uint16_t /*rid*/,
                        const std::string& /*args*/) {}
};

class ObjectRegistry;

/// The LwM2M object tree: every instance the daemon serves, whoever provides it.
/// All mutations validate first and then apply, so a failed call changes nothing.
class ObjectTree {
 public:
  explicit ObjectTree(const ObjectRegistry& registry) : registry_(registry) {}
  ObjectTree(const ObjectTree&) = delete;
  ObjectTree& operator=(const ObjectTree&) = delete;

  const ObjectRegistry& registry() const { return registry_; }
  void addListener(TreeListener* listener) { listeners_.push_back(listener); }
  void removeListener(TreeListener* listener);

  /// Adds an instance (iid Path::kInvalidId picks the lowest free id) with initial values.
  /// Errors: UnknownObject (4.04) for an object without definition, AlreadyExists (4.00) for a
  /// taken id or a second instance of a single-instance object, NotFound/InvalidType for values.
  Result<Instance*> addInstance(std::uint16_t oid, std::uint16_t iid,
                                const std::vector<ResourceData>& values, std::string owner);
  /// Removes an instance. Errors: NotFound (4.04).
  Status removeInstance(std::uint16_t oid, std::uint16_t iid);
  /// Removes every instance `owner` added; returns their (oid, iid).
  std::vector<std::pair<std::uint16_t, std::uint16_t>> removeOwnedBy(const std::string& owner);

  Instance* find(std::uint16_t oid, std::uint16_t iid);
  const Instance* find(std::uint16_t oid, std::uint16_t iid) const;
  /// Instances of one object in id order (empty when none).
  std::vector<const Instance*> instancesOf(std::uint16_t oid) const;
  /// Every instance, ordered by (oid, iid).
  std::vector<const Instance*> allInstances() const;
  bool hasObject(std::uint16_t oid) const;

  /// Checks that `values` fit the instance's definition: each resource is defined, of the
  /// defined type and multiplicity, and the object's validator (if any) accepts them. Does not
  /// change anything.
  Status validate(const Instance& instance, const std::vector<ResourceData>& values) const;

  /// Rules beyond the definition for one object (e.g. a Server object's Lifetime must be >= 1).
  /// Runs on every change of its instances, whatever the path in (Write, Write-Composite,
  /// Create, D-Bus), so no operation can bypass it.
  using Validator =
      std::function<Status(const Instance& instance, const std::vector<ResourceData>& values)>;
  void setValidator(std::uint16_t oid, Validator validator) {
    validators_[oid] = std::move(validator);
  }
  /// Validates, then stores all values. With `replaceMultiple`, a multiple resource's instances
  /// are replaced, otherwise merged (LwM2M partial update). The resources in `remove` are
  /// dropped (a server's replace of a whole instance). Listeners hear one valuesChanged listing
  /// the written and the removed resources.
  Status setValues(std::uint16_t oid, std::uint16_t iid, const std::vector<ResourceData>& values,
                   ChangeOrigin origin, bool replaceMultiple = true,
                   const std::vector<std::uint16_t>& remove = {});
  /// Tells listeners that an executable resource was executed (the caller checked rights).
  void notifyExecuted(const Instance& instance, std::uint16_t rid, const std::string& args);

 private:
  const ObjectRegistry& registry_;
  std::map<std::uint16_t, std::map<std::uint16_t, std::unique_ptr<Instance>>> objects_;
  std::vector<TreeListener*> listeners_;
  std::map<std::uint16_t, Validator> validators_;
};

}  // namespace lwm2md
