#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dbus/service/provider_ref.hpp"
#include "model/content.hpp"
#include "model/result.hpp"

namespace lwm2md {

class ObjectRegistry;

/// How long a provider may take to answer one call unless the configuration says otherwise.
inline constexpr std::chrono::milliseconds kDefaultProviderTimeout{5000};

/// Calls callback providers (org.lwm2md1.Provider, see dbus/org.lwm2md1.Provider.xml) on behalf
/// of LwM2M operations, without ever blocking the daemon's loop.
///
/// Every operation sends one asynchronous D-Bus call with the gateway's timeout and returns at
/// once. When it returns ok, `done` runs exactly once, later, from the connection's message
/// processing (processPendingRequest) — never from inside the operation itself — with the
/// provider's answer or an Error whose code is what the server must receive:
///   - the provider's named error, mapped by providerError() (provider_errors.hpp);
///   - no answer within the timeout: 5.04 (providerTimeoutError);
///   - the provider left the bus, or was never on it: 5.03 (providerGoneError), at once: a
///     provider's disappearance (NameOwnerChanged) completes all its pending calls;
///   - a Read answer that does not fit the object's definition: 5.00, naming the resource;
///   - cancelAll(): 5.03 with the reason given.
/// When an operation returns an error, the call was not made and `done` is never called (the
/// caller can answer the server at once, piggybacked).
///
/// Single-threaded, like the rest of the daemon: call everything on the loop thread that
/// processes `connection`. Completions may start new operations or call cancelAll(); they must
/// not destroy the gateway.
class ProviderGateway {
 public:
  using ReadDone = std::function<void(Result<std::vector<ResourceData>>)>;
  using Done = std::function<void(Status)>;

  /// Subscribes to NameOwnerChanged on `connection`. Throws sdbus::Error when it cannot (use
  /// create() for an error value). `registry` must outlive the gateway.
  ProviderGateway(sdbus::IConnection& connection, const ObjectRegistry& registry,
                  std::chrono::milliseconds timeout = kDefaultProviderTimeout);
  /// Cancels whatever is pending without completing it: call cancelAll() first when the
  /// completions matter (daemon shutdown answers the servers that wait).
  ~ProviderGateway();
  ProviderGateway(const ProviderGateway&) = delete;
  ProviderGateway& operator=(const ProviderGateway&) = delete;

  static Result<std::unique_ptr<ProviderGateway>> create(
      sdbus::IConnection& connection, const ObjectRegistry& registry,
      std::chrono::milliseconds timeout = kDefaultProviderTimeout);

  /// For calls made from now on (at least 1 ms).
  void setTimeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds timeout() const { return timeout_; }

  /// Read(oid, iid, rids): the values, converted and type-checked against the object's
  /// definition, in resource id order. Resources the provider adds beyond non-empty `rids` are
  /// dropped; resources it leaves out are simply absent.
  Status read(const ProviderRef& provider, std::uint16_t oid, std::uint16_t iid,
              const std::vector<std::uint16_t>& rids, ReadDone done);
  /// Write(oid, iid, values, replace). `values` should already be checked by the caller.
  Status write(const ProviderRef& provider, std::uint16_t oid, std::uint16_t iid,
               const std::vector<ResourceData>& values, bool replace, Done done);
  /// Execute(oid, iid, rid, args).
  Status execute(const ProviderRef& provider, std::uint16_t oid, std::uint16_t iid,
                 std::uint16_t rid, const std::string& args, Done done);
  /// Create(oid, iid, values), for objects a provider owns whole.
  Status createInstance(const ProviderRef& provider, std::uint16_t oid, std::uint16_t iid,
                        const std::vector<ResourceData>& values, Done done);
  /// Delete(oid, iid), for objects a provider owns whole.
  Status deleteInstance(const ProviderRef& provider, std::uint16_t oid, std::uint16_t iid,
                        Done done);

  /// Completes every pending call now with 5.03 and `reason` (daemon shutdown).
  void cancelAll(const std::string& reason);
  /// Calls sent and not yet completed.
  std::size_t pendingCount() const { return calls_.size(); }

 private:
  using Clock = std::chrono::steady_clock;

  struct Call {
    ProviderRef provider;
    std::uint16_t oid = 0;
    std::vector<std::uint16_t> rids;  // Read: what was asked for
    std::string what;                 // "Read /3303/0", for messages
    Clock::time_point started;
    std::chrono::milliseconds timeout{0};
    sdbus::PendingAsyncCall handle;
    ReadDone readDone;  // set for Read
    Done done;          // set for every other call
  };

  // Sends `message` built by `fill`, and tracks it. Errors: the call could not be sent.
  Status send(const ProviderRef& provider, const char* method, std::uint16_t oid, std::uint16_t iid,
              const std::function<void(sdbus::MethodCall&)>& fill, Call call);
  Result<sdbus::IProxy*> proxyFor(const ProviderRef& provider);
  void onReply(std::uint64_t id, sdbus::MethodReply& reply, const sdbus::Error* error);
  void onNameOwnerChanged(const std::string& name, const std::string& newOwner);
  Result<std::vector<ResourceData>> readAnswer(const Call& call, sdbus::MethodReply& reply) const;
  Error errorOf(const Call& call, const sdbus::Error& error) const;
  static void complete(Call& call, Error error);

  sdbus::IConnection& connection_;
  const ObjectRegistry& registry_;
  std::chrono::milliseconds timeout_;
  std::uint64_t nextId_ = 1;
  std::map<std::uint64_t, Call> calls_;
  // One proxy per provider object, kept while its provider is on the bus: sdbus-c++ drops a
  // proxy's pending calls with it and touches it after a reply handler returns, so a proxy is
  // never destroyed from within its own handler.
  std::map<std::pair<std::string, std::string>, std::unique_ptr<sdbus::IProxy>> proxies_;
  // Names seen leaving the bus, most recent last (bounded). Unique names are never reused, so a
  // call to one of these fails at once instead of making a round trip to the bus.
  std::deque<std::string> gone_;
  std::unique_ptr<sdbus::IProxy> bus_;  // org.freedesktop.DBus: NameOwnerChanged
};

}  // namespace lwm2md
