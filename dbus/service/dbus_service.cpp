#include "dbus/service/dbus_service.hpp"

#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <array>
#include <charconv>
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

// Where instance objects live, and the Manager (the ObjectManager above them).
constexpr std::string_view kObjectRoot = "/org/lwm2md1/Object";
constexpr const char* kManagerPath = "/org/lwm2md1";
// Calls to this path and below are the ones dbus_calls_per_second counts.
constexpr std::string_view kServiceRoot = "/org/lwm2md1";
// After taking this many objects off the bus at once (a GetManagedObjects, say), hand the
// freed heap back: otherwise one listing would leave the daemon's RSS at the eager size.
constexpr std::size_t kTrimAfterEvicting = 64;
// Instance objects kept on the bus after their call (the ones used last): about 4 KiB each.
constexpr std::size_t kKeepExported = 8;

/// Parses one id segment of an object path ("33000"); nullopt for anything else.
std::optional<std::uint16_t> idSegment(std::string_view text) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value >= Path::kInvalidId)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

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

bool underServiceRoot(std::string_view path) {
  return path.starts_with(kServiceRoot) &&
         (path.size() == kServiceRoot.size() || path[kServiceRoot.size()] == '/');
}

// What a value weighs against max_payload: strings (String, Corelnk) and opaque by their
// length, the fixed-size types by their size in the tree.
std::uint64_t payloadBytes(const Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return text->size();
  if (const auto* bytes = std::get_if<Opaque>(&value)) return bytes->size();
  return sizeof(std::uint64_t);
}

// A resource's whole value: a multiple resource's instances together.
std::uint64_t payloadBytes(const ResourceData& resource) {
  std::uint64_t total = resource.value ? payloadBytes(*resource.value) : 0;
  for (const auto& [riid, value] : resource.instances) total += payloadBytes(value);
  return total;
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

  callRate_.setRate(limits_.dbusCallsPerSecond);
  for (const Instance* instance : tree_.allInstances())
    owned_.added(instance->objectId(), instance->instanceId(), instance->owner());
  callFilter_ = std::make_unique<CallFilter>(
      connection_, [this](const IncomingCall& call) { return rateLimit(call); });

  // Instance objects come on demand (see objects_): the calls that need one are seen first.
  // Instances added before the service existed need nothing: nobody can be watching yet.
  auto hook = [this](sdbus::Message& message) { incomingCall(message); };
  callHooks_.push_back(connection_.addMatch(
      fmt::format("type='method_call',path_namespace='{}'", kObjectRoot), hook));
  callHooks_.push_back(
      connection_.addMatch(fmt::format("type='method_call',path='{}'", kManagerPath), hook));
  tree_.addListener(this);
}

DbusService::~DbusService() {
  callFilter_.reset();
  tree_.removeListener(this);
  callHooks_.clear();
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

// --- Limits --------------------------------------------------------------------------------

void DbusService::setLimits(const LimitsConfig& limits) {
  limits_ = limits;
  callRate_.setRate(limits.dbusCallsPerSecond);
  dbusLogger()->debug(
      "D-Bus limits: max_instances_per_provider {}, dbus_calls_per_second {}, max_payload {}",
      limits.maxInstancesPerProvider, limits.dbusCallsPerSecond, limits.maxPayloadBytes);
}

std::optional<sdbus::Error> DbusService::rateLimit(const IncomingCall& call) {
  // Without a sender (a peer-to-peer connection) there is nobody to count.
  if (callRate_.rate() == 0 || call.sender.empty() || !underServiceRoot(call.path))
    return std::nullopt;
  const std::string sender(call.sender);
  if (callRate_.admit(sender, std::chrono::steady_clock::now())) return std::nullopt;
  const std::string message =
      fmt::format("rate limit of {} calls/s exceeded (dbus_calls_per_second)", callRate_.rate());
  limitHit(sender,
           fmt::format("{}.{} on {} refused: {}", call.interface, call.member, call.path, message));
  return limitExceeded(message);
}

void DbusService::requirePayloadWithin(const ObjectDef& def, const std::vector<ResourceData>& data,
                                       const std::string& where, const std::string& client) {
  for (const ResourceData& resource : data) {
    const std::uint64_t bytes = payloadBytes(resource);
    if (bytes <= limits_.maxPayloadBytes) continue;
    const ResourceDef* res = def.resource(resource.id);
    const std::string message =
        fmt::format("resource {}{} of {} has {} bytes: max_payload is {} bytes", resource.id,
                    res ? fmt::format(" ({})", res->name) : std::string(), where, bytes,
                    limits_.maxPayloadBytes);
    limitHit(client, message);
    throw limitExceeded(message);
  }
}

void DbusService::limitHit(const std::string& client, const std::string& what) {
  const auto earlier = limitLog_.hit(client, std::chrono::steady_clock::now());
  if (!earlier) return;
  dbusLogger()->warn("{}: {}{}", client, what,
                     *earlier > 0
                         ? fmt::format(" ({} more refused since the last report)", *earlier)
                         : std::string());
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
  // A whole-object provider answers for every instance of its object (a server's Delete of
  // any of them goes to it): nobody else may slip one in.
  if (auto whole = objectProviderOf(oid); whole && whole->busName != sender)
    throw dbusError(ErrorKind::NotPermitted, fmt::format("object {} ({}) is provided by {}", oid,
                                                         def->name, whole->busName));
  auto data = valuesFromDbus(*def, values);
  if (!data) throw dbusError(data.error());
  requirePayloadWithin(*def, *data, fmt::format("object {} ({})", oid, def->name), sender);
  // Shared instances belong to nobody, so they take no slot of the caller's.
  if (const std::uint32_t owns = owned_.count(sender);
      !shared && owns >= limits_.maxInstancesPerProvider) {
    const std::string message =
        fmt::format("{} owns {} instance(s): max_instances_per_provider is {}", sender, owns,
                    limits_.maxInstancesPerProvider);
    limitHit(sender, "AddInstance refused: " + message);
    throw limitExceeded(message);
  }

  // A shared instance belongs to nobody: it outlives the caller's connection (busctl's ends
  // at once) and whoever the bus policy lets call Set/Remove may change it.
  auto added = tree_.addInstance(oid, iid, *data, shared ? std::string(kSharedOwner) : sender);
  if (!added) throw dbusError(added.error());
  const std::uint16_t newIid = (*added)->instanceId();
  if (failedExports_.erase({oid, newIid}) > 0) {
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

std::optional<ProviderRef> DbusService::objectProviderOf(std::uint16_t oid) const {
  auto it = objectProviders_.find(oid);
  if (it == objectProviders_.end()) return std::nullopt;
  return it->second;
}

bool DbusService::bindProvider(std::uint16_t oid, std::uint16_t iid, const ProviderRef& provider) {
  if (tree_.find(oid, iid)) return false;
  providers_.insert_or_assign({oid, iid}, provider);
  return true;
}

void DbusService::unbindProvider(std::uint16_t oid, std::uint16_t iid) {
  // Only a binding that never got its instance: a live instance keeps its provider.
  if (!tree_.find(oid, iid)) providers_.erase({oid, iid});
}

void DbusService::provideObject(const std::string& sender, std::uint16_t oid,
                                const std::string& providerPath,
                                const std::map<std::string, sdbus::Variant>& options) {
  if (!options.empty())
    throw dbusError(ErrorKind::InvalidValue,
                    fmt::format("unknown option '{}': ProvideObject takes no options yet",
                                options.begin()->first));
  // "/" would be the provider connection's root, never an object of its own.
  if (!isObjectPath(providerPath) || providerPath == "/")
    throw dbusError(ErrorKind::InvalidValue,
                    fmt::format("provider: '{}' is not the path of an object implementing "
                                "org.lwm2md1.Provider",
                                providerPath));
  // The provider is found by its unique name, and dropped when that name leaves the bus.
  if (sender.empty() || sender[0] != ':')
    throw dbusError(ErrorKind::NotPermitted, "ProvideObject needs a caller with a unique bus name");
  const ObjectDef* def = tree_.registry().find(oid);
  if (!def)
    throw dbusError(ErrorKind::UnknownObject, fmt::format("object {} has no definition", oid));
  if (oid <= kDeviceOid)
    throw dbusError(
        ErrorKind::NotPermitted,
        fmt::format("object {} ({}) is the daemon's own: it cannot be provided", oid, def->name));
  if (auto current = objectProviderOf(oid); current && current->busName != sender)
    throw dbusError(
        ErrorKind::AlreadyExists,
        fmt::format("object {} ({}) is already provided by {}", oid, def->name, current->busName));
  // Instances someone else owns would have their Delete sent to a provider that never heard
  // of them.
  for (const Instance* instance : tree_.instancesOf(oid)) {
    if (instance->owner() == sender) continue;
    const std::string owner = instance->owner().empty() ? "the daemon" : instance->owner();
    throw dbusError(ErrorKind::AlreadyExists,
                    fmt::format("object {} ({}) has instance /{}/{} owned by {}", oid, def->name,
                                oid, instance->instanceId(), owner));
  }
  objectProviders_.insert_or_assign(oid, ProviderRef{sender, providerPath});
  dbusLogger()->info("{} provides object {} ({}) at {}", sender, oid, def->name, providerPath);
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
  requirePayloadWithin(instance.definition(), *data, where(object), object.sender());
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

std::unique_ptr<InstanceObject> DbusService::createObject(std::uint16_t oid, std::uint16_t iid,
                                                          const std::string& owner) {
  try {
    InstanceRequests& requests = *this;  // a private base: convert here, not in make_unique
    return std::make_unique<InstanceObject>(connection_, oid, iid, owner, requests);
  } catch (const sdbus::Error& e) {
    dbusLogger()->error("cannot export {}: {}", instancePath(oid, iid), e.getMessage());
    return nullptr;
  }
}

InstanceObject* DbusService::materialize(std::uint16_t oid, std::uint16_t iid) {
  const Key key{oid, iid};
  if (auto it = objects_.find(key); it != objects_.end()) {
    touch(key);
    return it->second.get();
  }
  const Instance* instance = tree_.find(oid, iid);
  if (!instance) return nullptr;
  auto object = createObject(oid, iid, instance->owner());
  if (!object) return nullptr;
  InstanceObject* raw = object.get();
  objects_.emplace(key, std::move(object));
  touch(key);
  if (objects_.size() > kKeepExported) scheduleSafePoint();
  return raw;
}

void DbusService::materializeAll(std::optional<std::uint16_t> oid) {
  const auto instances = oid ? tree_.instancesOf(*oid) : tree_.allInstances();
  for (const Instance* instance : instances)
    (void)materialize(instance->objectId(), instance->instanceId());
}

void DbusService::incomingCall(const sdbus::Message& message) {
  // Called from sd-bus's C dispatch: nothing may propagate out of here.
  try {
    materializeFor(message.getPath(), message.getMemberName());
  } catch (const std::exception& e) {
    dbusLogger()->error("cannot prepare the instance objects for a call: {}", e.what());
  }
}

void DbusService::materializeFor(std::string_view path, std::string_view member) {
  if (path == kManagerPath) {
    // The Manager's own methods need no instance. GetManagedObjects lists them all; its
    // Introspect lists the child node "Object", there as soon as any instance is.
    if (member == "GetManagedObjects") {
      materializeAll(std::nullopt);
    } else if (member == "Introspect") {
      const auto instances = tree_.allInstances();
      if (!instances.empty())
        (void)materialize(instances.front()->objectId(), instances.front()->instanceId());
    }
    return;
  }
  if (!path.starts_with(kObjectRoot)) return;
  path.remove_prefix(kObjectRoot.size());
  if (path.empty()) {
    const auto instances = tree_.allInstances();
    // Introspect of /org/lwm2md1/Object lists one node per object: one instance of each does.
    for (std::size_t i = 0; i < instances.size(); ++i)
      if (i == 0 || instances[i]->objectId() != instances[i - 1]->objectId())
        (void)materialize(instances[i]->objectId(), instances[i]->instanceId());
    return;
  }
  if (path.front() != '/') return;
  path.remove_prefix(1);
  const auto slash = path.find('/');
  const auto oid = idSegment(path.substr(0, slash));
  if (!oid) return;
  if (slash == std::string_view::npos) return materializeAll(oid);  // /Object/<oid>
  const auto iid = idSegment(path.substr(slash + 1));
  // Anything deeper is no object of ours; sd-bus answers UnknownObject as it should.
  if (iid) (void)materialize(*oid, *iid);
}

void DbusService::evictInstances() {
  if (dispatching_ != nullptr || objects_.size() <= kKeepExported) return;
  // The use count below which an object goes: the kKeepExported-th highest.
  std::vector<std::uint64_t> uses;
  uses.reserve(lastUse_.size());
  for (const auto& [key, use] : lastUse_) uses.push_back(use);
  std::nth_element(uses.begin(), uses.end() - kKeepExported, uses.end());
  const std::uint64_t keepFrom = *(uses.end() - kKeepExported);
  std::size_t evicted = 0;
  for (auto it = objects_.begin(); it != objects_.end();) {
    const auto use = lastUse_.find(it->first);
    if (use != lastUse_.end() && use->second >= keepFrom) {
      ++it;
      continue;
    }
    if (use != lastUse_.end()) lastUse_.erase(use);
    it = objects_.erase(it);
    ++evicted;
  }
  if (evicted >= kTrimAfterEvicting) malloc_trim(0);
}

void DbusService::setDeferChanges(bool defer) {
  deferChanges_ = defer;
  if (!defer) flushChanges();
}

void DbusService::flushChanges() {
  auto changed = std::move(changed_);
  changed_.clear();
  for (const auto& [oid, iid] : changed) {
    if (tree_.find(oid, iid) == nullptr) continue;  // gone since: InterfacesRemoved said so
    (void)withObject(oid, iid, [](InstanceObject& object) { object.valuesChanged(); });
  }
}

bool DbusService::withObject(std::uint16_t oid, std::uint16_t iid,
                             const std::function<void(InstanceObject&)>& emit) {
  if (auto it = objects_.find({oid, iid}); it != objects_.end()) {
    emit(*it->second);
    return true;
  }
  const Instance* instance = tree_.find(oid, iid);
  auto object = createObject(oid, iid, instance ? instance->owner() : std::string());
  if (!object) return false;
  // sd-bus builds the signal (reading the properties) and queues it right away; the object
  // handles no call, so it may go at once, without waiting for a safe point.
  emit(*object);
  return true;
}

void DbusService::instanceAdded(const Instance& instance) {
  // A retired object may still hold the path a re-added instance needs.
  reapRetired();
  const Key key{instance.objectId(), instance.instanceId()};
  owned_.added(key.first, key.second, instance.owner());
  if (!withObject(key.first, key.second, [](InstanceObject& object) { object.announce(); }))
    failedExports_.insert(key);
}

void DbusService::instanceRemoved(std::uint16_t oid, std::uint16_t iid) {
  owned_.removed(oid, iid);
  providers_.erase({oid, iid});
  failedExports_.erase({oid, iid});
  changed_.erase({oid, iid});
  lastUse_.erase({oid, iid});
  std::unique_ptr<InstanceObject> object;
  if (auto it = objects_.find({oid, iid}); it != objects_.end()) {
    object = std::move(it->second);
    objects_.erase(it);
  } else {
    // sd-bus builds InterfacesRemoved from the object's registration: it must be on the bus.
    object = createObject(oid, iid, std::string());
    if (!object) return;
  }
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
  if (rids.empty()) return;
  if (deferChanges_ && origin != ChangeOrigin::Server) {
    changed_.insert({instance.objectId(), instance.instanceId()});
    return;
  }
  DbusValues written;
  if (origin == ChangeOrigin::Server) {
    for (std::uint16_t rid : rids) {
      if (isSecret(instance.objectId(), rid)) continue;
      if (auto data = instance.resource(rid)) written.insert_or_assign(rid, valueToDbus(*data));
    }
  }
  (void)withObject(instance.objectId(), instance.instanceId(), [&](InstanceObject& object) {
    object.valuesChanged();
    if (origin == ChangeOrigin::Server) object.written(written);
  });
}

void DbusService::observationChanged(std::uint16_t oid, std::uint16_t iid, std::uint16_t rid,
                                     bool observed) {
  (void)withObject(oid, iid,
                   [&](InstanceObject& object) { object.observationChanged(rid, observed); });
}

void DbusService::executed(const Instance& instance, std::uint16_t rid, const std::string& args) {
  (void)withObject(instance.objectId(), instance.instanceId(),
                   [&](InstanceObject& object) { object.executed(rid, args); });
}

// --- Bus -----------------------------------------------------------------------------------

void DbusService::ownerLeft(const std::string& name, const std::string& newOwner) {
  // Only unique names (":1.42") own instances; a unique name never gets a new owner.
  if (name.empty() || name[0] != ':' || !newOwner.empty()) return;
  // Its unique name never comes back: nothing kept for it stays useful.
  callRate_.forget(name);
  limitLog_.forget(name);
  reapRetired();
  for (auto it = objectProviders_.begin(); it != objectProviders_.end();) {
    if (it->second.busName == name) {
      dbusLogger()->info("{} left the bus: object {} is no longer provided", name, it->first);
      it = objectProviders_.erase(it);
    } else {
      ++it;
    }
  }
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
          evictInstances();
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
