#include "dbus/service/provider_gateway.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "dbus/service/logger.hpp"
#include "dbus/service/provider_errors.hpp"
#include "dbus/service/value_conversion.hpp"
#include "ddf/object_registry.hpp"

namespace lwm2md {

namespace {

constexpr const char* kProviderInterface = "org.lwm2md1.Provider";
constexpr const char* kBusName = "org.freedesktop.DBus";
constexpr const char* kBusPath = "/org/freedesktop/DBus";
constexpr std::string_view kNoReply = "org.freedesktop.DBus.Error.NoReply";
constexpr std::string_view kLwm2mdErrorPrefix = "org.lwm2md1.Error.";
// Enough to remember every provider that left recently; older ones still fail, just through
// the bus (ServiceUnknown) instead of at once.
constexpr std::size_t kMaxGoneNames = 256;

DbusValues toDbus(const std::vector<ResourceData>& values) {
  DbusValues out;
  for (const ResourceData& resource : values)
    out.insert_or_assign(resource.id, valueToDbus(resource));
  return out;
}

}  // namespace

ProviderGateway::ProviderGateway(sdbus::IConnection& connection, const ObjectRegistry& registry,
                                 std::chrono::milliseconds timeout)
    : connection_(connection), registry_(registry) {
  setTimeout(timeout);
  bus_ = sdbus::createProxy(connection_, kBusName, kBusPath);
  bus_->uponSignal("NameOwnerChanged")
      .onInterface(kBusName)
      .call([this](const std::string& name, const std::string& /*oldOwner*/,
                   const std::string& newOwner) { onNameOwnerChanged(name, newOwner); });
  bus_->finishRegistration();
}

ProviderGateway::~ProviderGateway() {
  for (auto& [id, call] : calls_) call.handle.cancel();
  calls_.clear();
  proxies_.clear();
  bus_.reset();
}

Result<std::unique_ptr<ProviderGateway>> ProviderGateway::create(
    sdbus::IConnection& connection, const ObjectRegistry& registry,
    std::chrono::milliseconds timeout) {
  try {
    return std::make_unique<ProviderGateway>(connection, registry, timeout);
  } catch (const sdbus::Error& e) {
    return Error{
        CoapCode::InternalServerError,
        fmt::format("cannot watch providers on the bus: {}: {}", e.getName(), e.getMessage()),
        ErrorKind::Failed};
  }
}

void ProviderGateway::setTimeout(std::chrono::milliseconds timeout) {
  // sd-bus reads a zero timeout as "the default" (25 s): never pass one.
  timeout_ = std::max(timeout, std::chrono::milliseconds(1));
}

// --- Operations ----------------------------------------------------------------------------

Status ProviderGateway::read(const ProviderRef& provider, std::uint16_t oid, std::uint16_t iid,
                             const std::vector<std::uint16_t>& rids, ReadDone done) {
  // The answer is checked against the definition: without one nothing could be accepted.
  if (!registry_.find(oid))
    return Error{CoapCode::NotFound,
                 fmt::format("Read /{}/{}: object {} has no definition", oid, iid, oid),
                 ErrorKind::UnknownObject};
  Call call;
  call.rids = rids;
  call.readDone = std::move(done);
  return send(
      provider, "Read", oid, iid, [&](sdbus::MethodCall& m) { m << oid << iid << rids; },
      std::move(call));
}

Status ProviderGateway::write(const ProviderRef& provider, std::uint16_t oid, std::uint16_t iid,
                              const std::vector<ResourceData>& values, bool replace, Done done) {
  Call call;
  call.done = std::move(done);
  return send(
      provider, "Write", oid, iid,
      [&](sdbus::MethodCall& m) { m << oid << iid << toDbus(values) << replace; }, std::move(call));
}

Status ProviderGateway::execute(const ProviderRef& provider, std::uint16_t oid, std::uint16_t iid,
                                std::uint16_t rid, const std::string& args, Done done) {
  Call call;
  call.done = std::move(done);
  return send(
      provider, "Execute", oid, iid, [&](sdbus::MethodCall& m) { m << oid << iid << rid << args; },
      std::move(call));
}

Status ProviderGateway::createInstance(const ProviderRef& provider, std::uint16_t oid,
                                       std::uint16_t iid, const std::vector<ResourceData>& values,
                                       Done done) {
  Call call;
  call.done = std::move(done);
  return send(
      provider, "Create", oid, iid,
      [&](sdbus::MethodCall& m) { m << oid << iid << toDbus(values); }, std::move(call));
}

Status ProviderGateway::deleteInstance(const ProviderRef& provider, std::uint16_t oid,
                                       std::uint16_t iid, Done done) {
  Call call;
  call.done = std::move(done);
  return send(
      provider, "Delete", oid, iid, [&](sdbus::MethodCall& m) { m << oid << iid; },
      std::move(call));
}

void ProviderGateway::cancelAll(const std::string& reason) {
  // Taken out first: a completion may start new calls, which are not part of this cancel.
  auto calls = std::move(calls_);
  calls_.clear();
  for (auto& [id, call] : calls) call.handle.cancel();
  for (auto& [id, call] : calls)
    complete(call, providerGoneError(fmt::format("{}: {}", call.what, reason)));
}

// --- Sending -------------------------------------------------------------------------------

Status ProviderGateway::send(const ProviderRef& provider, const char* method, std::uint16_t oid,
                             std::uint16_t iid, const std::function<void(sdbus::MethodCall&)>& fill,
                             Call call) {
  call.what = fmt::format("{} /{}/{}", method, oid, iid);
  if (provider.busName.empty() || !isObjectPath(provider.path))
    return Error{CoapCode::InternalServerError,
                 fmt::format("{}: no valid provider (bus name '{}', path '{}')", call.what,
                             provider.busName, provider.path),
                 ErrorKind::Failed};
  if (std::find(gone_.begin(), gone_.end(), provider.busName) != gone_.end())
    return providerGoneError(
        fmt::format("{}: provider {} has left the bus", call.what, provider.busName));
  if (!call.done && !call.readDone)
    return Error{CoapCode::InternalServerError, call.what + ": no completion given",
                 ErrorKind::Failed};

  auto proxy = proxyFor(provider);
  if (!proxy) return proxy.error();
  const std::uint64_t id = nextId_++;
  try {
    auto message = (*proxy)->createMethodCall(kProviderInterface, method);
    fill(message);
    call.provider = provider;
    call.oid = oid;
    call.timeout = timeout_;
    call.started = Clock::now();
    call.handle = (*proxy)->callMethod(
        message,
        [this, id](sdbus::MethodReply& reply, const sdbus::Error* error) {
          onReply(id, reply, error);
        },
        timeout_);
  } catch (const sdbus::Error& e) {
    // The daemon's own connection refused to send: nobody can reach the provider now.
    return providerGoneError(fmt::format("{}: cannot call provider {}: {}", call.what,
                                         provider.busName, e.getMessage()));
  }
  dbusLogger()->debug("{} sent to provider {} at {}", call.what, provider.busName, provider.path);
  calls_.emplace(id, std::move(call));
  return {};
}

Result<sdbus::IProxy*> ProviderGateway::proxyFor(const ProviderRef& provider) {
  const auto key = std::make_pair(provider.busName, provider.path);
  auto it = proxies_.find(key);
  if (it != proxies_.end()) return it->second.get();
  try {
    auto proxy = sdbus::createProxy(connection_, provider.busName, provider.path);
    sdbus::IProxy* raw = proxy.get();
    proxies_.emplace(key, std::move(proxy));
    return raw;
  } catch (const sdbus::Error& e) {
    return Error{CoapCode::InternalServerError,
                 fmt::format("cannot reach provider {} at {}: {}", provider.busName, provider.path,
                             e.getMessage()),
                 ErrorKind::Failed};
  }
}

// --- Completion ----------------------------------------------------------------------------

void ProviderGateway::complete(Call& call, Error error) {
  if (call.readDone)
    call.readDone(std::move(error));
  else if (call.done)
    call.done(std::move(error));
}

void ProviderGateway::onReply(std::uint64_t id, sdbus::MethodReply& reply,
                              const sdbus::Error* error) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;  // completed already (the provider left, or cancelAll)
  Call call = std::move(it->second);
  calls_.erase(it);
  if (error) {
    Error mapped = errorOf(call, *error);
    dbusLogger()->info("{}", mapped.message);
    complete(call, std::move(mapped));
    return;
  }
  if (call.readDone) {
    auto values = readAnswer(call, reply);
    if (!values) dbusLogger()->warn("{}", values.error().message);
    call.readDone(std::move(values));
    return;
  }
  call.done(Status{});
}

Error ProviderGateway::errorOf(const Call& call, const sdbus::Error& error) const {
  const std::string& name = error.getName();
  const auto& bus = call.provider.busName;
  if (name == kNoReply) {
    // sd-bus reports its own timeout as NoReply, and so does the bus when the provider closes
    // its connection with the call unanswered: the time taken tells them apart.
    const auto elapsed = Clock::now() - call.started;
    if (elapsed + std::chrono::milliseconds(1) >= call.timeout)
      return providerTimeoutError(fmt::format("provider {} did not answer {} within {} ms", bus,
                                              call.what, call.timeout.count()));
    return providerGoneError(
        fmt::format("provider {} left the bus without answering {}", bus, call.what));
  }
  Error mapped = providerError(name, {});
  if (mapped.kind == ErrorKind::Timeout && name.rfind(kLwm2mdErrorPrefix, 0) != 0) {
    mapped.message = fmt::format("provider {} did not answer {} in time ({})", bus, call.what,
                                 error.getMessage());
  } else if (mapped.code == CoapCode::ServiceUnavailable) {
    mapped.message =
        fmt::format("provider {} is not on the bus ({}): {}", bus, call.what, error.getMessage());
  } else if (name.rfind(kLwm2mdErrorPrefix, 0) == 0) {
    // A provider's own refusal: its message is what the server should read.
    mapped.message = fmt::format("{}: {}", call.what, error.getMessage());
  } else {
    mapped.message =
        fmt::format("provider {} failed {}: {}: {}", bus, call.what, name, error.getMessage());
  }
  return mapped;
}

Result<std::vector<ResourceData>> ProviderGateway::readAnswer(const Call& call,
                                                              sdbus::MethodReply& reply) const {
  const auto& bus = call.provider.busName;
  auto wrong = [&](const std::string& why) {
    return Error{CoapCode::InternalServerError,
                 fmt::format("provider {} answered {} wrongly: {}", bus, call.what, why),
                 ErrorKind::Failed};
  };
  const ObjectDef* def = registry_.find(call.oid);
  if (!def) return wrong(fmt::format("object {} has no definition any more", call.oid));
  DbusValues values;
  try {
    reply >> values;
  } catch (const sdbus::Error& e) {
    return wrong(fmt::format("the answer is not a{{qv}} ({})", e.getMessage()));
  }
  if (!reply) return wrong("the answer carries no a{qv}");
  if (!call.rids.empty())
    std::erase_if(values, [&](const auto& entry) {
      return std::find(call.rids.begin(), call.rids.end(), entry.first) == call.rids.end();
    });
  auto data = valuesFromDbus(*def, values);
  if (!data) return wrong(data.error().message);
  return data;
}

void ProviderGateway::onNameOwnerChanged(const std::string& name, const std::string& newOwner) {
  if (name.empty() || !newOwner.empty()) return;
  // Only names somebody called matter; others leave the bus all the time.
  const bool known = std::any_of(proxies_.begin(), proxies_.end(),
                                 [&](const auto& entry) { return entry.first.first == name; });
  if (!known) return;
  gone_.push_back(name);
  if (gone_.size() > kMaxGoneNames) gone_.pop_front();

  std::vector<Call> orphans;
  for (auto it = calls_.begin(); it != calls_.end();) {
    if (it->second.provider.busName == name) {
      it->second.handle.cancel();
      orphans.push_back(std::move(it->second));
      it = calls_.erase(it);
    } else {
      ++it;
    }
  }
  // This runs in the bus proxy's handler, never in one of these proxies' own.
  std::erase_if(proxies_, [&](const auto& entry) { return entry.first.first == name; });
  if (!orphans.empty())
    dbusLogger()->info("provider {} left the bus: {} call(s) failed", name, orphans.size());
  for (Call& call : orphans)
    complete(call,
             providerGoneError(fmt::format("provider {} left the bus during {}", name, call.what)));
}

}  // namespace lwm2md
