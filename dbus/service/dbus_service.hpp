#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "dbus/service/call_filter.hpp"
#include "dbus/service/call_rate_limiter.hpp"
#include "dbus/service/instance_object.hpp"
#include "dbus/service/limit_log.hpp"
#include "dbus/service/manager_object.hpp"
#include "dbus/service/owner_counts.hpp"
#include "dbus/service/provider_ref.hpp"
#include "dbus/service/server_object.hpp"
#include "dbus/service/value_conversion.hpp"
#include "model/result.hpp"
#include "tree/object_tree.hpp"

namespace lwm2md {

/// The daemon's D-Bus face (DESIGN.md "D-Bus API"): the Manager at /org/lwm2md1 and one
/// Instance object per instance of the tree, whoever owns it. It listens to the tree so the bus
/// mirrors every change, and removes a client's instances when the client leaves the bus.
///
/// It never blocks and never runs the event loop: the daemon polls `connection` and calls
/// processPendingRequest(); every handler here runs on that thread, as must every change to
/// the tree. Requesting the bus name is the daemon's job (after construction, so that the
/// objects exist when clients see the name).
/// The Owner of an instance added with the option shared=true: nobody in particular.
inline constexpr std::string_view kSharedOwner = "*";

/// What the Manager's methods do to the daemon. Each returns the outcome as a Status: an error
/// becomes the named D-Bus error (by its kind) with its message. An action left empty answers
/// org.lwm2md1.Error.Failed.
struct ManagerActions {
  std::function<Status()> registerAll;    // Register()
  std::function<Status()> updateAll;      // UpdateRegistration()
  std::function<Status()> deregisterAll;  // Deregister()
  std::function<Status()> bootstrap;      // Bootstrap()
  /// AddObjectDefinition(): adds definitions the service has parsed and checked to the
  /// daemon's registry (the one the tree uses).
  std::function<Status(std::vector<ObjectDef>)> addDefinitions;
};

class DbusService final : public TreeListener, private InstanceRequests, private ManagerRequests {
 public:
  /// Exports the Manager and every instance already in the tree. Throws sdbus::Error when the
  /// objects cannot be registered (use create() for an error value instead).
  DbusService(sdbus::IConnection& connection, ObjectTree& tree, ManagerInfo info);
  ~DbusService() override;
  DbusService(const DbusService&) = delete;
  DbusService& operator=(const DbusService&) = delete;

  /// Like the constructor, with failures as values (kind Failed).
  static Result<std::unique_ptr<DbusService>> create(sdbus::IConnection& connection,
                                                     ObjectTree& tree, ManagerInfo info);

  /// Emits PropertiesChanged for the Manager's State (call after ManagerInfo::state changed).
  void stateChanged();

  /// Sets what Register, UpdateRegistration, Deregister, Bootstrap and AddObjectDefinition do.
  void setActions(ManagerActions actions) { actions_ = std::move(actions); }

  /// The D-Bus side of the config's [limits] (until called: LimitsConfig's defaults). Any
  /// time, again on each reload; what clients already hold stays, only new calls meet the new
  /// values. Each limit refuses with org.lwm2md1.Error.LimitExceeded, changing nothing:
  ///  - max_instances_per_provider: AddInstance by a client (unique bus name) that owns that
  ///    many instances. Every instance owned by the name counts, also those a server's Create
  ///    gave a whole-object provider (that Create itself is never refused for this); shared
  ///    instances belong to nobody and do not count. Removing one, or leaving, frees a slot.
  ///  - dbus_calls_per_second: any method call to /org/lwm2md1 or below beyond the client's
  ///    token bucket; it is not dispatched at all.
  ///  - max_payload: a Set or AddInstance value larger than this many bytes.
  /// A hit is logged at most once per client per 10 s.
  void setLimits(const LimitsConfig& limits);
  /// Instances `busName` owns, as max_instances_per_provider counts them.
  std::uint32_t instancesOwnedBy(const std::string& busName) const { return owned_.count(busName); }

  /// The daemon's report on one server: exports /org/lwm2md1/Server/<id> the first time
  /// (announced with InterfacesAdded), then emits PropertiesChanged for what changed.
  /// LastUpdate is stamped here (Unix seconds, now) whenever the state becomes "registered",
  /// so the daemon only needs to report each state change.
  void serverChanged(const ServerInfo& info);
  /// Takes a server's object off the bus (InterfacesRemoved).
  void serverRemoved(std::uint16_t shortServerId);

  /// The provider of a callback-provided instance (AddInstance option "provider"): the engine
  /// reads, writes and executes through it (ProviderGateway) instead of the tree's values.
  /// nullopt for every other instance, and once the instance is gone.
  std::optional<ProviderRef> providerOf(std::uint16_t oid, std::uint16_t iid) const;
  /// The provider that owns object `oid` whole (Manager.ProvideObject): servers' Create and
  /// Delete on the object go to it. nullopt when nobody does (any more).
  std::optional<ProviderRef> objectProviderOf(std::uint16_t oid) const;
  /// Makes the instance /oid/iid, about to be added to the tree after `provider` accepted a
  /// server's Create, a callback instance of that provider (its Owner is the provider's bus
  /// name). False, changing nothing, when /oid/iid exists already.
  bool bindProvider(std::uint16_t oid, std::uint16_t iid, const ProviderRef& provider);
  /// Undoes bindProvider() when the instance could not be added after all.
  void unbindProvider(std::uint16_t oid, std::uint16_t iid);

  /// With `defer`, PropertiesChanged for values a provider (not a server) changed is held
  /// until flushChanges(), one signal per instance however many Sets came meanwhile: the
  /// daemon's loop flushes after it has sent the notifications those Sets caused, so the
  /// signal (which reads back every value of the instance) is not on the notification's path.
  /// Off by default: each change is signalled at once.
  void setDeferChanges(bool defer);
  /// Emits the held PropertiesChanged signals.
  void flushChanges();
  bool changesPending() const { return !changed_.empty(); }

  /// "/org/lwm2md1/Object/<oid>/<iid>".
  static std::string instancePath(std::uint16_t oid, std::uint16_t iid) {
    return InstanceObject::pathFor(oid, iid);
  }

  // TreeListener
  void instanceAdded(const Instance& instance) override;
  void instanceRemoved(std::uint16_t oid, std::uint16_t iid) override;
  void valuesChanged(const Instance& instance, const std::vector<std::uint16_t>& rids,
                     ChangeOrigin origin) override;
  void executed(const Instance& instance, std::uint16_t rid, const std::string& args) override;
  /// Some server began (observed) or ceased (all servers) to observe resource `rid` of an
  /// instance (65535: the whole instance): the Instance object's ObservationChanged.
  void observationChanged(std::uint16_t oid, std::uint16_t iid, std::uint16_t rid, bool observed);

 private:
  using Key = std::pair<std::uint16_t, std::uint16_t>;

  // InstanceRequests: the Instance interface's methods.
  void set(InstanceObject& object, const DbusValues& values) override;
  DbusValues get(InstanceObject& object, const std::vector<std::uint16_t>& rids) override;
  void remove(InstanceObject& object, sdbus::Result<>&& result) override;
  DbusValues values(const InstanceObject& object) override;

  // ManagerRequests: the Manager interface's methods.
  sdbus::ObjectPath addInstance(const std::string& sender, std::uint16_t oid, std::uint16_t iid,
                                const DbusValues& values,
                                const std::map<std::string, sdbus::Variant>& options) override;
  void provideObject(const std::string& sender, std::uint16_t oid, const std::string& providerPath,
                     const std::map<std::string, sdbus::Variant>& options) override;
  std::uint16_t addObjectDefinition(const std::string& xml) override;
  std::tuple<std::string, bool, std::vector<DbusResourceDef>> objectDefinition(
      std::uint16_t oid) override;
  void registerAll() override;
  void updateAll() override;
  void deregisterAll() override;
  void bootstrap() override;
  void runAction(const std::function<Status()>& action, const char* method);

  /// Runs `emit` on the instance's object: the one on the bus, or else one put there for
  /// just this (a signal needs its object registered). False when the bus refuses the path.
  bool withObject(std::uint16_t oid, std::uint16_t iid,
                  const std::function<void(InstanceObject&)>& emit);
  /// The instance's object, put on the bus now if it is not (until the next safe point);
  /// nullptr when the tree has no such instance or the bus refuses the path.
  InstanceObject* materialize(std::uint16_t oid, std::uint16_t iid);
  /// Puts every instance (of `oid` only, when given) on the bus until the next safe point.
  void materializeAll(std::optional<std::uint16_t> oid);
  std::unique_ptr<InstanceObject> createObject(std::uint16_t oid, std::uint16_t iid,
                                               const std::string& owner);
  /// Runs before sd-bus looks for the object a method call is addressed to (match callbacks
  /// come first in sd-bus's dispatch), so the object it needs is there when it looks.
  void incomingCall(const sdbus::Message& message);
  /// The CallFilter's check: refuses a call beyond the caller's dbus_calls_per_second.
  std::optional<sdbus::Error> rateLimit(const IncomingCall& call);
  /// Refuses a value (of a Set or AddInstance at `where`) larger than max_payload.
  void requirePayloadWithin(const ObjectDef& def, const std::vector<ResourceData>& data,
                            const std::string& where, const std::string& client);
  /// Logs a limit `client` hit, unless it was told of one in the last 10 s.
  void limitHit(const std::string& client, const std::string& what);
  /// What a call to `path` (method `member`) needs on the bus: the instance it names, or
  /// the instances an enumeration of `path` lists.
  void materializeFor(std::string_view path, std::string_view member);
  /// Takes the instance objects off the bus again, all but the kKeepExported used last (at a
  /// safe point, never inside a call).
  void evictInstances();
  /// Records a use of /oid/iid's object, for evictInstances() to keep the busiest.
  void touch(const Key& key) { lastUse_[key] = ++useCounter_; }
  const Instance& liveInstance(const InstanceObject& object) const;
  void requireOwner(const InstanceObject& object, const char* method) const;
  /// Set's permission check: the owner's rule, except that anyone may set the hardware
  /// resources of the daemon's Device instance /3/0 (and only those).
  void requireSettable(const InstanceObject& object, const DbusValues& values) const;
  void ownerLeft(const std::string& name, const std::string& newOwner);
  void scheduleSafePoint();
  /// Answers pending Removes and destroys retired objects, unless an instance call is running.
  void reapRetired();

  sdbus::IConnection& connection_;
  ObjectTree& tree_;
  std::unique_ptr<ManagerObject> manager_;
  // Instance objects on the bus right now. An sdbus-c++ object with the Instance interface
  // costs about 4 KiB, which for a gateway's thousands of instances dwarfed the tree itself
  // (issue 7). So an instance's object exists only while it is needed: to answer a method call
  // or property access (created by incomingCall() before sd-bus dispatches it), to enumerate
  // (GetManagedObjects, Introspect) until the next safe point, or to emit a signal, just for
  // that. To clients every instance is always there.
  // The few used last stay (kKeepExported): a provider Setting one instance again and again
  // would otherwise pay for its object's export and removal on every call.
  std::map<Key, std::unique_ptr<InstanceObject>> objects_;
  std::map<Key, std::uint64_t> lastUse_;  // of the objects in objects_
  std::uint64_t useCounter_ = 0;
  // Instances whose values a provider changed, while deferring (setDeferChanges).
  std::set<Key> changed_;
  bool deferChanges_ = false;
  // The match callbacks that let incomingCall() see calls before sd-bus dispatches them.
  std::vector<sdbus::Slot> callHooks_;
  // [limits]: the values, the per-client call buckets, the instances each client owns, and
  // which clients were recently told of in the log.
  LimitsConfig limits_;
  CallRateLimiter callRate_;
  OwnerCounts owned_;
  LimitLog limitLog_;
  // Runs rateLimit() before sd-bus dispatches a call (it can refuse one; a match cannot).
  std::unique_ptr<CallFilter> callFilter_;
  // Instances whose object the bus refused when they were added (AddInstance undoes them).
  std::set<Key> failedExports_;
  std::map<std::uint16_t, std::unique_ptr<ServerObject>> servers_;
  ManagerActions actions_;
  // Callback-provided instances (AddInstance option "provider"), dropped with the instance.
  std::map<Key, ProviderRef> providers_;
  // Objects provided whole (ProvideObject), dropped when their provider leaves the bus.
  std::map<std::uint16_t, ProviderRef> objectProviders_;
  // sdbus-c++ touches an object after its method handler returns, so an object removed from
  // within its own call (Remove) is kept here, off the tree, until the next safe point.
  std::vector<std::unique_ptr<InstanceObject>> retired_;
  // Replies to Remove calls, sent when their retired object is destroyed.
  std::vector<std::shared_ptr<sdbus::Result<>>> pendingRemoves_;
  // The instance object whose method is running, if any.
  const InstanceObject* dispatching_ = nullptr;
  bool safePointScheduled_ = false;
  // org.freedesktop.DBus on the same connection: NameOwnerChanged, and a Ping whose reply is
  // the safe point (the next turn of the daemon's loop, outside any object's handler).
  std::unique_ptr<sdbus::IProxy> bus_;
};

}  // namespace lwm2md
