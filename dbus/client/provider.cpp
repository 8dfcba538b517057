#include <poll.h>

#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <lwm2md/provider.hpp>
#include <utility>

#include "variant_conversion.hpp"

namespace lwm2md::provider {

namespace {

constexpr const char* kService = "org.lwm2md1";
constexpr const char* kManagerPath = "/org/lwm2md1";
constexpr const char* kManagerIface = "org.lwm2md1.Manager";
constexpr const char* kInstanceIface = "org.lwm2md1.Instance";
constexpr const char* kProviderIface = "org.lwm2md1.Provider";
// process() handles at most this many messages per call, so that a flood cannot keep the
// caller's loop from its other work; whatever is left is handled on the next call.
constexpr int kMaxMessagesPerProcess = 10000;

Error fromSdbus(const sdbus::Error& e) {
  return {e.getName(), e.getMessage()};
}

std::string instancePath(std::uint16_t oid, std::uint16_t iid) {
  return std::string(kManagerPath) + "/Object/" + std::to_string(oid) + "/" + std::to_string(iid);
}

std::unique_ptr<sdbus::IConnection> open(const Bus& bus) {
  switch (bus.kind) {
    case Bus::Kind::Session:
      return sdbus::createSessionBusConnection();
    case Bus::Kind::Address:
      return sdbus::createSessionBusConnectionWithAddress(bus.address);
    case Bus::Kind::System:
      break;
  }
  return sdbus::createSystemBusConnection();
}

// D-Bus error name syntax: at least two '.'-separated elements of [A-Za-z0-9_], none starting
// with a digit, 255 bytes at most. sd-bus cannot send a reply with any other name.
bool isErrorName(const std::string& name) {
  if (name.empty() || name.size() > 255) return false;
  std::size_t elements = 0;
  std::size_t length = 0;
  for (const char c : name) {
    if (c == '.') {
      if (length == 0) return false;
      ++elements;
      length = 0;
      continue;
    }
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    if (!alpha && !(digit && length > 0)) return false;
    ++length;
  }
  return length > 0 && elements >= 1;
}

// A handler's Error as the D-Bus error the daemon maps to a CoAP code.
sdbus::Error toSdbus(const Error& error) {
  if (error.name.empty()) return sdbus::Error(errors::kFailed, error.message);
  if (!isErrorName(error.name))
    return sdbus::Error(errors::kFailed, error.name + ": " + error.message);
  return sdbus::Error(error.name, error.message);
}

std::string where(std::uint16_t oid, std::uint16_t iid) {
  return "/" + std::to_string(oid) + "/" + std::to_string(iid);
}

}  // namespace

struct Provider::Impl {
  std::unique_ptr<sdbus::IConnection> connection;
  std::unique_ptr<sdbus::IProxy> manager;
  // Proxies of the instances added here: they carry the Written/Executed subscriptions.
  std::map<std::pair<std::uint16_t, std::uint16_t>, std::unique_ptr<sdbus::IProxy>> instances;
  WrittenHandler written;
  ExecutedHandler executed;
  // Callback instances and the object that answers the daemon's calls for all of them.
  std::map<std::pair<std::uint16_t, std::uint16_t>, CallbackHandlers> callbacks;
  std::unique_ptr<sdbus::IObject> callbackObject;
  // Objects provided whole (provideObject): their Create and Delete handlers.
  std::map<std::uint16_t, ObjectHandlers> objects;

  /// Exports kCallbackObjectPath (once). Throws sdbus::Error.
  void exportCallbackObject();
  /// The handlers of an instance; throws NotFound for one this provider did not add.
  const CallbackHandlers& handlersOf(std::uint16_t oid, std::uint16_t iid) const {
    auto it = callbacks.find({oid, iid});
    if (it == callbacks.end())
      throw sdbus::Error(errors::kNotFound,
                         "this provider has no callback instance " + where(oid, iid));
    return it->second;
  }

  /// The handlers of an object provided whole; throws NotPermitted for any other object.
  const ObjectHandlers& objectHandlersOf(std::uint16_t oid) const {
    auto it = objects.find(oid);
    if (it == objects.end())
      throw sdbus::Error(errors::kNotPermitted,
                         "this provider does not provide object " + std::to_string(oid));
    return it->second;
  }

  /// A proxy for calls on any instance (its own when this provider added it).
  template <typename F>
  auto withInstance(std::uint16_t oid, std::uint16_t iid, F f) {
    auto it = instances.find({oid, iid});
    if (it != instances.end()) return f(*it->second);
    auto proxy = sdbus::createProxy(*connection, kService, instancePath(oid, iid));
    return f(*proxy);
  }
};

namespace {

// Runs a handler, turning its Error (or an exception it throws) into the reply's D-Bus error.
template <typename F>
auto answer(F f) {
  try {
    return f();
  } catch (const sdbus::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw sdbus::Error(errors::kFailed, std::string("the provider failed: ") + e.what());
  }
}

sdbus::Error refused(const char* operation, std::uint16_t oid, std::uint16_t iid) {
  return sdbus::Error(
      errors::kNotPermitted,
      std::string(operation) + " is not supported by the provider of " + where(oid, iid));
}

}  // namespace

void Provider::Impl::exportCallbackObject() {
  if (callbackObject) return;
  auto object = sdbus::createObject(*connection, kCallbackObjectPath);
  object->registerMethod("Read")
      .onInterface(kProviderIface)
      .withInputParamNames("object_id", "instance_id", "resource_ids")
      .withOutputParamNames("values")
      .implementedAs([this](std::uint16_t oid, std::uint16_t iid,
                            const std::vector<std::uint16_t>& rids) -> DbusValueMap {
        return answer([&] {
          const auto& handlers = handlersOf(oid, iid);
          if (!handlers.read) throw refused("Read", oid, iid);
          auto values = handlers.read(oid, iid, rids);
          if (!values) throw toSdbus(values.error());
          return toVariants(*values);
        });
      });
  object->registerMethod("Write")
      .onInterface(kProviderIface)
      .withInputParamNames("object_id", "instance_id", "values", "replace")
      .implementedAs(
          [this](std::uint16_t oid, std::uint16_t iid, const DbusValueMap& values, bool replace) {
            answer([&] {
              const auto& handlers = handlersOf(oid, iid);
              if (!handlers.write) throw refused("Write", oid, iid);
              if (auto status = handlers.write(oid, iid, fromVariants(values), replace); !status)
                throw toSdbus(status.error());
            });
          });
  object->registerMethod("Execute")
      .onInterface(kProviderIface)
      .withInputParamNames("object_id", "instance_id", "resource_id", "arguments")
      .implementedAs(
          [this](std::uint16_t oid, std::uint16_t iid, std::uint16_t rid, const std::string& args) {
            answer([&] {
              const auto& handlers = handlersOf(oid, iid);
              if (!handlers.execute) throw refused("Execute", oid, iid);
              if (auto status = handlers.execute(oid, iid, rid, args); !status)
                throw toSdbus(status.error());
            });
          });
  // The daemon calls Create and Delete only for objects provided whole (provideObject).
  object->registerMethod("Create")
      .onInterface(kProviderIface)
      .withInputParamNames("object_id", "instance_id", "values")
      .implementedAs([this](std::uint16_t oid, std::uint16_t iid, const DbusValueMap& values) {
        answer([&] {
          const auto& handlers = objectHandlersOf(oid);
          if (!handlers.create) throw refused("Create", oid, iid);
          auto created = handlers.create(oid, iid, fromVariants(values));
          if (!created) throw toSdbus(created.error());
          // In place before the daemon can send the new instance's first Read.
          callbacks.insert_or_assign({oid, iid}, std::move(*created));
        });
      });
  object->registerMethod("Delete")
      .onInterface(kProviderIface)
      .withInputParamNames("object_id", "instance_id")
      .implementedAs([this](std::uint16_t oid, std::uint16_t iid) {
        answer([&] {
          const auto& handlers = objectHandlersOf(oid);
          if (!handlers.remove) throw refused("Delete", oid, iid);
          if (auto status = handlers.remove(oid, iid); !status) throw toSdbus(status.error());
          callbacks.erase({oid, iid});
          instances.erase({oid, iid});
        });
      });
  object->finishRegistration();
  callbackObject = std::move(object);
}

Provider::Provider(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Provider::~Provider() {
  // Proxies and the exported object first: they refer to the connection.
  impl_->instances.clear();
  impl_->callbackObject.reset();
  impl_->manager.reset();
}

Result<std::unique_ptr<Provider>> Provider::connect(const Bus& bus) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->connection = open(bus);
    auto dbus =
        sdbus::createProxy(*impl->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    bool present = false;
    dbus->callMethod("NameHasOwner")
        .onInterface("org.freedesktop.DBus")
        .withArguments(std::string(kService))
        .storeResultsTo(present);
    if (!present)
      return Error{"org.freedesktop.DBus.Error.ServiceUnknown",
                   "lwm2md (org.lwm2md1) is not on the bus"};
    impl->manager = sdbus::createProxy(*impl->connection, kService, kManagerPath);
    return std::unique_ptr<Provider>(new Provider(std::move(impl)));
  } catch (const sdbus::Error& e) {
    return fromSdbus(e);
  }
}

Result<InstanceRef> Provider::addInstance(std::uint16_t objectId, std::uint16_t instanceId,
                                          const Values& values, const AddOptions& options) {
  try {
    std::map<std::string, sdbus::Variant> dbusOptions;
    if (options.shared) dbusOptions.emplace("shared", sdbus::Variant(true));
    sdbus::ObjectPath path;
    impl_->manager->callMethod("AddInstance")
        .onInterface(kManagerIface)
        .withArguments(objectId, instanceId, toVariants(values), dbusOptions)
        .storeResultsTo(path);
    // The daemon answers with the path of the instance id it chose.
    const auto slash = path.rfind('/');
    const auto iid = static_cast<std::uint16_t>(std::stoul(path.substr(slash + 1)));
    auto proxy = sdbus::createProxy(*impl_->connection, kService, path);
    Impl* impl = impl_.get();
    proxy->uponSignal("Written")
        .onInterface(kInstanceIface)
        .call([impl, objectId, iid](const DbusValueMap& written) {
          if (impl->written) impl->written(objectId, iid, fromVariants(written));
        });
    proxy->uponSignal("Executed")
        .onInterface(kInstanceIface)
        .call([impl, objectId, iid](std::uint16_t rid, const std::string& args) {
          if (impl->executed) impl->executed(objectId, iid, rid, args);
        });
    proxy->finishRegistration();
    impl_->instances.insert_or_assign({objectId, iid}, std::move(proxy));
    return InstanceRef{objectId, iid, path};
  } catch (const sdbus::Error& e) {
    return fromSdbus(e);
  } catch (const std::exception& e) {
    return Error{"org.lwm2md1.Error.Failed", std::string("unexpected reply: ") + e.what()};
  }
}

Result<InstanceRef> Provider::addCallbackInstance(std::uint16_t objectId, std::uint16_t instanceId,
                                                  CallbackHandlers handlers) {
  try {
    // The object must answer before the daemon can call it, i.e. before AddInstance.
    impl_->exportCallbackObject();
    std::map<std::string, sdbus::Variant> options;
    options.emplace("provider", sdbus::Variant(sdbus::ObjectPath(kCallbackObjectPath)));
    sdbus::ObjectPath path;
    impl_->manager->callMethod("AddInstance")
        .onInterface(kManagerIface)
        .withArguments(objectId, instanceId, DbusValueMap{}, options)
        .storeResultsTo(path);
    // The daemon's calls wait in the connection's queue until process(): the handlers are in
    // place before the first one is dispatched.
    const auto slash = path.rfind('/');
    const auto iid = static_cast<std::uint16_t>(std::stoul(path.substr(slash + 1)));
    impl_->callbacks.insert_or_assign({objectId, iid}, std::move(handlers));
    return InstanceRef{objectId, iid, path};
  } catch (const sdbus::Error& e) {
    return fromSdbus(e);
  } catch (const std::exception& e) {
    return Error{errors::kFailed, std::string("unexpected reply: ") + e.what()};
  }
}

Status Provider::provideObject(std::uint16_t objectId, ObjectHandlers handlers) {
  try {
    // The object must answer before the daemon can call it, i.e. before ProvideObject.
    impl_->exportCallbackObject();
    // Kept only if the daemon agrees; a second call replaces the handlers.
    auto previous = impl_->objects.find(objectId);
    std::optional<ObjectHandlers> before;
    if (previous != impl_->objects.end()) before = previous->second;
    impl_->objects.insert_or_assign(objectId, std::move(handlers));
    try {
      impl_->manager->callMethod("ProvideObject")
          .onInterface(kManagerIface)
          .withArguments(objectId, sdbus::ObjectPath(kCallbackObjectPath),
                         std::map<std::string, sdbus::Variant>{});
    } catch (const sdbus::Error&) {
      if (before)
        impl_->objects.insert_or_assign(objectId, std::move(*before));
      else
        impl_->objects.erase(objectId);
      throw;
    }
    return {};
  } catch (const sdbus::Error& e) {
    return fromSdbus(e);
  }
}

Status Provider::set(std::uint16_t objectId, std::uint16_t instanceId, const Values& values) {
  try {
    impl_->withInstance(objectId, instanceId, [&](sdbus::IProxy& proxy) {
      proxy.callMethod("Set").onInterface(kInstanceIface).withArguments(toVariants(values));
    });
    return {};
  } catch (const sdbus::Error& e) {
    return fromSdbus(e);
  }
}

Result<Values> Provider::get(std::uint16_t objectId, std::uint16_t instanceId,
                             const std::vector<std::uint16_t>& resourceIds) {
  try {
    DbusValueMap values;
    impl_->withInstance(objectId, instanceId, [&](sdbus::IProxy& proxy) {
      proxy.callMethod("Get")
          .onInterface(kInstanceIface)
          .withArguments(resourceIds)
          .storeResultsTo(values);
    });
    return fromVariants(values);
  } catch (const sdbus::Error& e) {
    return fromSdbus(e);
  }
}

Status Provider::remove(std::uint16_t objectId, std::uint16_t instanceId) {
  try {
    impl_->withInstance(objectId, instanceId, [&](sdbus::IProxy& proxy) {
      proxy.callMethod("Remove").onInterface(kInstanceIface);
    });
    impl_->instances.erase({objectId, instanceId});
    impl_->callbacks.erase({objectId, instanceId});
    return {};
  } catch (const sdbus::Error& e) {
    return fromSdbus(e);
  }
}

void Provider::onWritten(WrittenHandler handler) {
  impl_->written = std::move(handler);
}

void Provider::onExecuted(ExecutedHandler handler) {
  impl_->executed = std::move(handler);
}

PollData Provider::pollData() const {
  const auto data = impl_->connection->getEventLoopPollData();
  return {data.fd, data.events, data.getPollTimeout()};
}

Status Provider::process() {
  try {
    for (int i = 0; i < kMaxMessagesPerProcess && impl_->connection->processPendingRequest(); ++i) {
    }
    return {};
  } catch (const sdbus::Error& e) {
    return fromSdbus(e);
  }
}

Status Provider::runFor(std::chrono::milliseconds duration) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + duration;
  for (;;) {
    if (auto status = process(); !status) return status;
    const auto now = Clock::now();
    if (now >= deadline) return {};
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    const PollData data = pollData();
    if (data.timeoutMs >= 0) left = std::min<long>(left, data.timeoutMs);
    pollfd fd{data.fd, data.events, 0};
    (void)::poll(&fd, 1, static_cast<int>(left));
  }
}

std::string Provider::uniqueName() const {
  try {
    return impl_->connection->getUniqueName();
  } catch (const sdbus::Error&) {
    return {};
  }
}

}  // namespace lwm2md::provider
