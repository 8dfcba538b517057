#include "dbus/service/dbus_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>

#include "dbus/service/dbus_errors.hpp"
#include "dbus/service/logger.hpp"
#include "ddf/object_registry.hpp"

namespace lwm2md {

namespace {

/// The Security object's Secret Key (/0/x/5: a PSK or a private key) never leaves the daemon:
/// not in Values, not through Get, not in any signal (LwM2M 1.1 TS E.1: only a bootstrap
/// server may see the Security object).
bool isSecret(std::uint16_t oid, std::uint16_t rid) {
  return oid == 0 && rid == 5;
}

InstanceData withoutSecrets(const Instance& instance) {
  InstanceData data = instance.snapshot();
  std::erase_if(data.resources,
                [&](const ResourceData& r) { return isSecret(instance.objectId(), r.id); });
  return data;
}

constexpr const char* kBusName = "org.freedesktop.DBus";
constexpr const char* kBusPath = "/org/freedesktop/DBus";

// Marks an instance object as busy for the length of one of its method calls.
class DispatchScope {
 public:
  DispatchScope(const InstanceObject*& slot, const InstanceObject& object)
      : slot_(slot), previous_(slot) {
    slot_ = &object;
  }
  ~DispatchScope() { slot_ = previous_; }
  DispatchScope(const DispatchScope&) = delete;
  DispatchScope& operator=(const DispatchScope&) = delete;

 private:
  const InstanceObject*& slot_;
  const InstanceObject* previous_;
};

std::string where(const InstanceObject& object) {
  return fmt::format("/{}/{}", object.objectId(), object.instanceId());
}

std::uint64_t unixNow() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

// Device (/3/0) resources that describe the hardware rather than the protocol: the daemon owns
// /3/0 but cannot measure batteries or memory, so any client may supply these (DESIGN.md
// "Object model"). Everything else of /3/0 (identity, time, binding, executables) stays the
// daemon's.
constexpr std::uint16_t kDeviceOid = 3;
constexpr std::uint16_t kDeviceIid = 0;
constexpr std::array<std::uint16_t, 8> kSuppliedDeviceResources = {6, 7, 8, 9, 10, 11, 20, 21};

bool isSuppliedDeviceResource(std::uint16_t rid) {
  return std::find(kSuppliedDeviceResources.begin(), kSuppliedDeviceResources.end(), rid) !=
         kSuppliedDeviceResources.end();
}

std::string operationsOf(const Operations& ops) {
  if (ops.execute) return "E";
  std::string out;
  if (ops.read) out += 'R';
  if (ops.write) out += 'W';
  return out;
}

}  // namespace

DbusService::DbusService(sdbus::IConnection& connection, ObjectTree& tree, ManagerInfo info)
    : connection_(connection), tree_(tree) {
  ManagerRequests& requests = *this;  // a private base: convert here, not in make_unique
  manager_ = std::make_unique<ManagerObject>(connection_, std::move(info), requests);

  bus_ = sdbus::createProxy(connection_, kBusName, kBusPath);
  bus_->uponSignal("NameOwnerChanged")
      .onInterface(kBusName)
      .call([this](const std::string& name, const std::string& /*oldOwner*/,
                   const std::string& newOwner) { ownerLeft(name, newOwner); });
  bus_->finishRegistration();

  // Instances the daemon (or anyone) added before the service existed are on the bus too;
  // nobody can be watching yet, so they are not announced.
  for (const Instance* instance : tree_.allInstances()) exportInstance(*instance, false);
  tree_.addListener(this);
}

DbusService::~DbusService() {
  tree_.removeListener(this);
  bus_.reset();
  for (auto& reply : pendingRemoves_) {
    try {
      reply->returnError(dbusError(ErrorKind::Failed, "the daemon is shutting down"));
    } catch (const sdbus::Error&) {
      // The connection is going away as well; nobody is left to tell.
    }
  }
  pendingRemoves_.clear();
  objects_.clear();
  retired_.clear();
  servers_.clear();
  manager_.reset();
}

Result<std::unique_ptr<DbusService>> DbusService::create(sdbus::IConnection& connection,
                                                         ObjectTree& tree, ManagerInfo info) {
  try {
    return std::make_unique<DbusService>(connection, tree, std::move(info));
  } catch (const sdbus::Error& e) {
    return Error{
        CoapCode::InternalServerError,
        fmt::format("cannot export the D-Bus objects: {}: {}", e.getName(), e.getMessage()),
        ErrorKind::Failed};
  }
}

void DbusService::stateChanged() {
  manager_->stateChanged();
}

// --- Manager -------------------------------------------------------------------------------

sdbus::ObjectPath DbusService::addInstance(const std::string& sender, std::uint16_t oid,
                                           std::uint16_t iid, const DbusValues& values,
                                           const std::map<std::string, sdbus::Variant>& options) {
  reapRetired();
  bool shared = false;
  std::optional<std::string> providerPath;
  for (const auto& [key, value] : options) {
    if (key == "shared" && value.containsValueOfType<bool>()) {
      shared = value.get<bool>();
    } else if (key == "shared") {
      throw dbusError(ErrorKind::InvalidType, "option 'shared' takes a boolean ('b')");
    } else if (key == "provider" && value.containsValueOfType<sdbus::ObjectPath>()) {
      providerPath = value.get<sdbus::ObjectPath>();
      if (!isObjectPath(*providerPath))
        throw dbusError(
            ErrorKind::InvalidValue,
            fmt::format("option 'provider': '{}' is not an object path", *providerPath));
    } else if (key == "provider") {
      throw dbusError(ErrorKind::InvalidType,
                      "option 'provider' takes an object path ('o') of the caller's object "
                      "implementing org.lwm2md1.Provider");
    } else {
      throw dbusError(
          ErrorKind::InvalidValue,
          fmt::format("unknown option '{}': AddInstance knows 'shared' (b) and 'provider' (o)",
                      key));
    }
  }
  if (providerPath && shared)
    throw dbusError(ErrorKind::InvalidValue,
                    "options 'provider' and 'shared' exclude each other: a callback-provided "
                    "instance lives as long as its provider's connection");
  // The daemon asks the provider for every value: initial values would be a cache that goes
  // stale at once.
  if (providerPath && !values.empty())
    throw dbusError(ErrorKind::InvalidValue,
                    "a callback-provided instance (option 'provider') takes no values: the "
                    "daemon reads them from the provider");
  // The owner is who the daemon watches for leaving the bus: without a name there is nobody.
  if (sender.empty())
    throw dbusError(ErrorKind::NotPermitted, "AddInstance needs a caller with a bus name");
  const ObjectDef* def = tree_.registry().find(oid);
  if (!def)
    throw dbusError(ErrorKind::UnknownObject, fmt::format("object {} has no definition", oid));
  auto data = valuesFromDbus(*def, values);
  if (!data) throw dbusError(data.error());

  // A shared instance belongs to nobody: it outlives the caller's connection (busctl's ends
  // at once) and whoever the bus policy lets call Set/Remove may change it.
  auto added = tree_.addInstance(oid, iid, *data, shared ? std::string(kSharedOwner) : sender);
  if (!added) throw dbusError(added.error());
  const std::uint16_t newIid = (*added)->instanceId();
  if (!objects_.contains({oid, newIid})) {
    // Export failed (already logged): an instance nobody can reach or remove must not stay.
    (void)tree_.removeInstance(oid, newIid);
    throw dbusError(ErrorKind::Failed,
                    fmt::format("cannot export instance /{}/{} on the bus", oid, newIid));
  }
  if (providerPath) {
    providers_.insert_or_assign({oid, newIid}, ProviderRef{sender, *providerPath});
    dbusLogger()->info("{} added instance /{}/{} ({}), provided by {}", sender, oid, newIid,
                       def->name, *providerPath);
  } else {
    dbusLogger()->info("{} added instance /{}/{} ({})", sender, oid, newIid, def->name);
  }
  return instancePath(oid, newIid);
}

std::optional<ProviderRef> DbusService::providerOf(std::uint16_t oid, std::uint16_t iid) const {
  auto it = providers_.find({oid, iid});
  if (it == providers_.end()) return std::nullopt;
  return it->second;
}

std::uint16_t DbusService::addObjectDefinition(const std::string& xml) {
  if (xml.size() > kMaxDdfBytes)
    throw dbusError(ErrorKind::InvalidValue,
                    fmt::format("the DDF document has {} bytes; at most {} are accepted",
                                xml.size(), kMaxDdfBytes));
  auto defs = parseDdf(xml, "AddObjectDefinition");
  if (!defs) throw dbusError(ErrorKind::InvalidValue, defs.error().message);
  if (defs->empty()) throw dbusError(ErrorKind::InvalidValue, "the DDF document defines no object");
  for (const ObjectDef& def : *defs) {
    // Instances refer to their definition: swapping it under them could leave values of
    // resources that no longer exist, or of the wrong type.
    if (tree_.registry().find(def.id) && !tree_.instancesOf(def.id).empty())
      throw dbusError(ErrorKind::AlreadyExists,
                      fmt::format("object {} ({}) is already defined and has instances", def.id,
                                  tree_.registry().find(def.id)->name));
  }
  if (!actions_.addDefinitions)
    throw dbusError(ErrorKind::Failed, "this daemon cannot add object definitions");
  const std::uint16_t first = defs->front().id;
  const std::string name = defs->front().name;
  const std::size_t count = defs->size();
  if (auto status = actions_.addDefinitions(std::move(*defs)); !status)
    throw dbusError(status.error());
  dbusLogger()->info("added the definition of object {} ({}){}", first, name,
                     count > 1 ? fmt::format(" and {} more", count - 1) : std::string());
  return first;
}

std::tuple<std::string, bool, std::vector<DbusResourceDef>> DbusService::objectDefinition(
    std::uint16_t oid) {
  const ObjectDef* def = tree_.registry().find(oid);
  if (!def)
    throw dbusError(ErrorKind::UnknownObject, fmt::format("object {} has no definition", oid));
  std::vector<DbusResourceDef> resources;
  for (const auto& [rid, res] : def->resources)
    resources.emplace_back(rid, res.name, std::string(toString(res.type)),
                           operationsOf(res.operations), res.multiple, res.mandatory);
  return {def->name, def->multiple, resources};
}

void DbusService::runAction(const std::function<Status()>& action, const char* method) {
  if (!action)
    throw dbusError(ErrorKind::Failed, fmt::format("{} is not available in this daemon", method));
  if (auto status = action(); !status) throw dbusError(status.error());
  dbusLogger()->info("{} requested over D-Bus", method);
}

void DbusService::registerAll() {
  runAction(actions_.registerAll, "Register");
}

void DbusService::updateAll() {
  runAction(actions_.updateAll, "UpdateRegistration");
}

void DbusService::deregisterAll() {
  runAction(actions_.deregisterAll, "Deregister");
}

void DbusService::bootstrap() {
  runAction(actions_.bootstrap, "Bootstrap");
}

// --- Servers -------------------------------------------------------------------------------

void DbusService::serverChanged(const ServerInfo& info) {
  auto it = servers_.find(info.shortServerId);
  const bool nowRegistered = info.state == "registered";
  if (it == servers_.end()) {
    try {
      auto object =
          std::make_unique<ServerObject>(connection_, info, nowRegistered ? unixNow() : 0);
      object->announce();
      servers_.emplace(info.shortServerId, std::move(object));
    } catch (const sdbus::Error& e) {
      dbusLogger()->error("cannot export {}: {}", ServerObject::pathFor(info.shortServerId),
                          e.getMessage());
    }
    return;
  }
  ServerObject& object = *it->second;
  // A Register or Update succeeded when the state (re)enters "registered", or when the server
  // gave a new location while it stays registered.
  const bool succeeded = nowRegistered && (object.info().state != "registered" ||
                                           object.info().registrationId != info.registrationId);
  object.update(info, succeeded ? unixNow() : object.lastUpdate());
}

void DbusService::serverRemoved(std::uint16_t shortServerId) {
  auto it = servers_.find(shortServerId);
  if (it == servers_.end()) return;
  it->second->withdraw();
  servers_.erase(it);
}

// --- Instance ------------------------------------------------------------------------------

const Instance& DbusService::liveInstance(const InstanceObject& object) const {
  const Instance* instance =
      object.removed() ? nullptr : tree_.find(object.objectId(), object.instanceId());
  if (!instance)
    throw dbusError(ErrorKind::NotFound, fmt::format("instance {} was removed", where(object)));
  return *instance;
}

void DbusService::requireOwner(const InstanceObject& object, const char* method) const {
  const std::string caller = object.sender();
  if (caller == object.owner() && !caller.empty()) return;
  if (object.owner() == kSharedOwner) return;
  const std::string owner = object.owner().empty() ? "the daemon" : object.owner();
  dbusLogger()->debug("{} refused: {} on {} owned by {}", method, caller, where(object), owner);
  throw dbusError(ErrorKind::NotPermitted,
                  fmt::format("instance {} is owned by {}", where(object), owner));
}

void DbusService::requireSettable(const InstanceObject& object, const DbusValues& values) const {
  const bool daemonDevice = object.owner().empty() && object.objectId() == kDeviceOid &&
                            object.instanceId() == kDeviceIid;
  if (!daemonDevice) return requireOwner(object, "Set");
  // Checked as a whole before anything changes: one protocol resource refuses the entire Set.
  for (const auto& entry : values) {
    const std::uint16_t rid = entry.first;
    if (isSuppliedDeviceResource(rid)) continue;
    const Instance* instance = tree_.find(object.objectId(), object.instanceId());
    const ResourceDef* res = instance ? instance->definition().resource(rid) : nullptr;
    dbusLogger()->debug("Set refused: {} on {}/{} owned by the daemon", object.sender(),
                        where(object), rid);
    throw dbusError(
        ErrorKind::NotPermitted,
        fmt::format("resource {}{} of {} is owned by the daemon; a provider may supply only "
                    "resources {} (power sources, battery, memory, error codes)",
                    rid, res ? fmt::format(" ({})", res->name) : std::string(), where(object),
                    fmt::join(kSuppliedDeviceResources, ", ")));
  }
}

void DbusService::set(InstanceObject& object, const DbusValues& values) {
  DispatchScope scope(dispatching_, object);
  requireSettable(object, values);
  const Instance& instance = liveInstance(object);
  auto data = valuesFromDbus(instance.definition(), values);
  if (!data) throw dbusError(data.error());
  if (data->empty()) return;
  if (auto status =
          tree_.setValues(object.objectId(), object.instanceId(), *data, ChangeOrigin::Provider);
      !status)
    throw dbusError(status.error());
}

DbusValues DbusService::get(InstanceObject& object, const std::vector<std::uint16_t>& rids) {
  DispatchScope scope(dispatching_, object);
  const Instance& instance = liveInstance(object);
  if (rids.empty()) return valuesToDbus(withoutSecrets(instance));
  DbusValues result;
  for (std::uint16_t rid : rids) {
    if (isSecret(instance.objectId(), rid))
      throw dbusError(ErrorKind::NotPermitted,
                      fmt::format("resource {} of {} is key material: never shown on the bus", rid,
                                  where(object)));
    auto data = instance.resource(rid);
    if (!data) {
      const ResourceDef* res = instance.definition().resource(rid);
      throw dbusError(
          ErrorKind::NotFound,
          res ? fmt::format("resource {} ({}) of {} has no value", rid, res->name, where(object))
              : fmt::format("object {} ({}) defines no resource {}", object.objectId(),
                            instance.definition().name, rid));
    }
    result.insert_or_assign(rid, valueToDbus(*data));
  }
  return result;
}

void DbusService::remove(InstanceObject& object, sdbus::Result<>&& result) {
  DispatchScope scope(dispatching_, object);
  auto reply = std::make_shared<sdbus::Result<>>(std::move(result));
  try {
    requireOwner(object, "Remove");
    (void)liveInstance(object);
  } catch (const sdbus::Error& e) {
    reply->returnError(e);
    return;
  }
  if (auto status = tree_.removeInstance(object.objectId(), object.instanceId()); !status) {
    reply->returnError(dbusError(status.error()));
    return;
  }
  dbusLogger()->info("{} removed instance {}", object.owner(), where(object));
  // instanceRemoved() retired this object; answer once it is off the bus.
  pendingRemoves_.push_back(std::move(reply));
  scheduleSafePoint();
}

DbusValues DbusService::values(const InstanceObject& object) {
  const Instance* instance =
      object.removed() ? nullptr : tree_.find(object.objectId(), object.instanceId());
  return instance ? valuesToDbus(withoutSecrets(*instance)) : DbusValues{};
}

// --- Tree listener -------------------------------------------------------------------------

void DbusService::exportInstance(const Instance& instance, bool announce) {
  const Key key{instance.objectId(), instance.instanceId()};
  if (objects_.contains(key)) return;
  try {
    InstanceRequests& requests = *this;  // a private base: convert here, not in make_unique
    auto object = std::make_unique<InstanceObject>(connection_, key.first, key.second,
                                                   instance.owner(), requests);
    if (announce) object->announce();
    objects_.emplace(key, std::move(object));
  } catch (const sdbus::Error& e) {
    dbusLogger()->error("cannot export {}: {}", instancePath(key.first, key.second),
                        e.getMessage());
  }
}

void DbusService::instanceAdded(const Instance& instance) {
  // A retired object may still hold the path a re-added instance needs.
  reapRetired();
  exportInstance(instance, true);
}

void DbusService::instanceRemoved(std::uint16_t oid, std::uint16_t iid) {
  providers_.erase({oid, iid});
  auto it = objects_.find({oid, iid});
  if (it == objects_.end()) return;
  std::unique_ptr<InstanceObject> object = std::move(it->second);
  objects_.erase(it);
  object->withdraw();
  if (object.get() == dispatching_) {
    object->markRemoved();
    retired_.push_back(std::move(object));
    scheduleSafePoint();
  }
  // Otherwise the object is destroyed here, which takes it off the bus.
}

void DbusService::valuesChanged(const Instance& instance, const std::vector<std::uint16_t>& rids,
                                ChangeOrigin origin) {
  auto it = objects_.find({instance.objectId(), instance.instanceId()});
  if (it == objects_.end() || rids.empty()) return;
  it->second->valuesChanged();
  if (origin != ChangeOrigin::Server) return;
  DbusValues written;
  for (std::uint16_t rid : rids) {
    if (isSecret(instance.objectId(), rid)) continue;
    if (auto data = instance.resource(rid)) written.insert_or_assign(rid, valueToDbus(*data));
  }
  it->second->written(written);
}

void DbusService::observationChanged(std::uint16_t oid, std::uint16_t iid, std::uint16_t rid,
                                     bool observed) {
  auto it = objects_.find({oid, iid});
  if (it != objects_.end()) it->second->observationChanged(rid, observed);
}

void DbusService::executed(const Instance& instance, std::uint16_t rid, const std::string& args) {
  auto it = objects_.find({instance.objectId(), instance.instanceId()});
  if (it != objects_.end()) it->second->executed(rid, args);
}

// --- Bus -----------------------------------------------------------------------------------

void DbusService::ownerLeft(const std::string& name, const std::string& newOwner) {
  // Only unique names (":1.42") own instances; a unique name never gets a new owner.
  if (name.empty() || name[0] != ':' || !newOwner.empty()) return;
  reapRetired();
  auto removed = tree_.removeOwnedBy(name);
  if (!removed.empty())
    dbusLogger()->info("{} left the bus: removed {} instance(s)", name, removed.size());
}

void DbusService::scheduleSafePoint() {
  if (safePointScheduled_) return;
  try {
    bus_->callMethodAsync("Ping")
        .onInterface("org.freedesktop.DBus.Peer")
        .uponReplyInvoke([this](const sdbus::Error* /*error*/) {
          // A failed ping is a safe point all the same: it is a turn of the loop.
          safePointScheduled_ = false;
          reapRetired();
        });
    safePointScheduled_ = true;
  } catch (const sdbus::Error& e) {
    // Without a working connection there is no one to reply to; the next call reaps.
    dbusLogger()->warn("cannot schedule cleanup: {}", e.getMessage());
  }
}

void DbusService::reapRetired() {
  // Never while an instance's handler runs: that object might be among them.
  if (dispatching_ != nullptr) return;
  // Reply before destroying: sd-bus checks a reply against its object's method table, so the
  // object must still exist when the reply is sent. Both happen in this one turn of the loop,
  // so the caller cannot see the object after its Remove returned.
  auto replies = std::move(pendingRemoves_);
  pendingRemoves_.clear();
  for (auto& reply : replies) {
    try {
      reply->returnResults();
    } catch (const sdbus::Error& e) {
      dbusLogger()->warn("cannot reply to Remove: {}", e.getMessage());
    }
  }
  retired_.clear();
}

}  // namespace lwm2md
