#pragma once

// liblwm2md-provider: publish LwM2M object instances through the lwm2md daemon over D-Bus.
//
// A gateway application connects, adds instances with typed values, keeps them current with
// set(), and hears of LwM2M server writes and executes through callbacks. Nothing here blocks
// except the calls to the daemon (each a D-Bus round trip) and runFor(). The library uses no
// threads: callbacks run inside process() or runFor(), on the caller's thread.
//
//   auto provider = lwm2md::provider::Provider::connect(lwm2md::provider::Bus::system());
//   if (!provider) { /* provider.error().name, .message */ }
//   auto sensor = (*provider)->addInstance(3303, lwm2md::provider::kAnyInstance,
//                                           {{5700, Value::floating(21.5)}});
//   (*provider)->set(3303, sensor->instanceId, {{5700, Value::floating(22.0)}});
//   (*provider)->runFor(std::chrono::seconds(10));
//
// Instances belong to the connection: when the Provider is destroyed (or the process ends)
// the daemon removes them, unless they were added with AddOptions::shared.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace lwm2md::provider {

/// Instance id that asks the daemon to pick the lowest free one.
inline constexpr std::uint16_t kAnyInstance = 65535;

/// An LwM2M object link: object id and instance id.
struct Objlnk {
  std::uint16_t objectId = 0;
  std::uint16_t instanceId = 0;
  bool operator==(const Objlnk&) const = default;
};

/// A resource value, typed as lwm2md expects it for the resource's LwM2M type:
///   String, Corelnk -> string();  Integer, Time -> integer();  Unsigned Integer ->
///   unsignedInteger();  Float -> floating();  Boolean -> boolean();  Opaque -> opaque();
///   Objlnk -> objlnk();  a multiple-instance resource -> multiple().
class Value {
 public:
  enum class Type { String, Integer, UnsignedInteger, Float, Boolean, Opaque, Objlnk, Multiple };
  using Instances = std::map<std::uint16_t, Value>;

  /// An empty string.
  Value() = default;
  static Value string(std::string value);
  static Value integer(std::int64_t value);
  static Value unsignedInteger(std::uint64_t value);
  static Value floating(double value);
  static Value boolean(bool value);
  static Value opaque(std::vector<std::uint8_t> value);
  static Value objlnk(std::uint16_t objectId, std::uint16_t instanceId);
  /// Resource instance id -> value (all of one type).
  static Value multiple(Instances instances);

  Type type() const { return type_; }
  /// The value when it has that type, nullopt otherwise.
  std::optional<std::string> asString() const;
  std::optional<std::int64_t> asInteger() const;
  std::optional<std::uint64_t> asUnsignedInteger() const;
  std::optional<double> asFloat() const;
  std::optional<bool> asBoolean() const;
  std::optional<std::vector<std::uint8_t>> asOpaque() const;
  std::optional<Objlnk> asObjlnk() const;
  /// The resource instances of a multiple value (empty for any other type).
  const Instances& instances() const;

  /// For people: 21.5, "text", true, 0x0102, 3:0, {0=1, 1=2}.
  std::string toString() const;

  bool operator==(const Value& other) const;

 private:
  using Scalar = std::variant<std::string, std::int64_t, std::uint64_t, double, bool,
                              std::vector<std::uint8_t>, Objlnk>;
  Value(Type type, Scalar scalar) : type_(type), scalar_(std::move(scalar)) {}

  Type type_ = Type::String;
  Scalar scalar_;
  // A map of the type being defined cannot be a plain member; shared and immutable instead.
  std::shared_ptr<const Instances> instances_;
};

/// Resource id -> value.
using Values = std::map<std::uint16_t, Value>;

/// A failure: the D-Bus error name (e.g. "org.lwm2md1.Error.NotPermitted") and its message.
struct Error {
  std::string name;
  std::string message;
};

/// A value or the Error that prevented it.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(state_); }
  const T& value() const { return std::get<0>(state_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

/// Success, or the Error.
class Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return !error_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

/// Which bus the daemon is on.
struct Bus {
  enum class Kind { System, Session, Address };
  Kind kind = Kind::System;
  std::string address;  // for Kind::Address, e.g. "unix:path=/run/my-bus"

  static Bus system() { return {Kind::System, {}}; }
  static Bus session() { return {Kind::Session, {}}; }
  static Bus at(std::string address) { return {Kind::Address, std::move(address)}; }
};

/// An instance this provider added.
struct InstanceRef {
  std::uint16_t objectId = 0;
  std::uint16_t instanceId = 0;
  std::string path;  // its D-Bus object path
};

/// Error names a callback handler answers with; the LwM2M server receives the CoAP code beside
/// each (the full table is in org.lwm2md1.Provider.xml).
namespace errors {
inline constexpr const char* kNotFound = "org.lwm2md1.Error.NotFound";            // 4.04
inline constexpr const char* kInvalidValue = "org.lwm2md1.Error.InvalidValue";    // 4.00
inline constexpr const char* kNotPermitted = "org.lwm2md1.Error.NotPermitted";    // 4.05
inline constexpr const char* kAlreadyExists = "org.lwm2md1.Error.AlreadyExists";  // 4.00
inline constexpr const char* kTimeout = "org.lwm2md1.Error.Timeout";              // 5.04
inline constexpr const char* kFailed = "org.lwm2md1.Error.Failed";                // 5.00
}  // namespace errors

/// How a callback-provided instance answers the daemon (see Provider::addCallbackInstance).
/// Each handler runs inside process() or runFor(), on the caller's thread, while an LwM2M
/// server waits: answer quickly (the daemon gives up after its provider timeout, 5 s by
/// default, and the server gets 5.04). Return an Error named as in `errors` to refuse; an Error
/// with an empty name counts as kFailed, and so does an exception a handler throws. A handler
/// left empty refuses its operation with kNotPermitted (4.05 Method Not Allowed).
struct CallbackHandlers {
  /// Read: the current values. resourceIds empty: every resource that has a value. Values of
  /// resources not asked for are ignored; a value of the wrong type fails the server's request.
  std::function<Result<Values>(std::uint16_t objectId, std::uint16_t instanceId,
                               const std::vector<std::uint16_t>& resourceIds)>
      read;
  /// Write: a server wrote `values` (already checked against the object's definition).
  /// replace: a Replace (what is not named is reset) rather than a Partial Update.
  std::function<Status(std::uint16_t objectId, std::uint16_t instanceId, const Values& values,
                       bool replace)>
      write;
  /// Execute: a server executed `resourceId` with `args` (e.g. "0='x',1"; possibly empty).
  std::function<Status(std::uint16_t objectId, std::uint16_t instanceId, std::uint16_t resourceId,
                       const std::string& args)>
      execute;
};

/// How a provider that owns a whole object (Provider::provideObject) answers LwM2M servers'
/// Create and Delete. Handlers run like CallbackHandlers' (inside process(), quickly; an Error
/// refuses, an exception counts as kFailed, a handler left empty refuses with kNotPermitted,
/// which the server gets as 4.05).
struct ObjectHandlers {
  /// Create: a server created /objectId/instanceId with `values` (checked against the object's
  /// definition, mandatory resources present). Return the handlers that serve the new
  /// instance's Read, Write and Execute from now on, or refuse with errors::kAlreadyExists or
  /// errors::kInvalidValue (4.00). The instance exists only once this returns successfully.
  std::function<Result<CallbackHandlers>(std::uint16_t objectId, std::uint16_t instanceId,
                                         const Values& values)>
      create;
  /// Delete: a server deleted /objectId/instanceId (any instance of the object, also one added
  /// with addInstance or addCallbackInstance). Refuse with errors::kNotFound or
  /// errors::kNotPermitted; on success the instance is gone from lwm2md.
  std::function<Status(std::uint16_t objectId, std::uint16_t instanceId)> remove;
};

/// The object path at which a Provider answers org.lwm2md1.Provider calls (one object serves
/// every callback instance of the connection: the calls name the instance).
inline constexpr const char* kCallbackObjectPath = "/org/lwm2md1/Provider";

struct AddOptions {
  /// The instance belongs to nobody and outlives this connection (AddInstance option "shared").
  bool shared = false;
};

/// What poll()/epoll must wait for before the next process() (see Provider::pollData()).
struct PollData {
  int fd = -1;
  short events = 0;    // poll() events
  int timeoutMs = -1;  // -1: no deadline of its own
};

/// One connection to lwm2md, and the instances added through it.
class Provider {
 public:
  using WrittenHandler =
      std::function<void(std::uint16_t objectId, std::uint16_t instanceId, const Values& values)>;
  using ExecutedHandler = std::function<void(std::uint16_t objectId, std::uint16_t instanceId,
                                             std::uint16_t resourceId, const std::string& args)>;

  /// Connects to the bus and checks that the daemon (org.lwm2md1) is there.
  /// Errors: the bus's own (e.g. org.freedesktop.DBus.Error.FileNotFound), or
  /// org.freedesktop.DBus.Error.ServiceUnknown when lwm2md is not on the bus.
  static Result<std::unique_ptr<Provider>> connect(const Bus& bus);
  ~Provider();
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  /// Adds an instance (instanceId kAnyInstance: the daemon picks one) and starts listening to
  /// its Written and Executed signals.
  Result<InstanceRef> addInstance(std::uint16_t objectId, std::uint16_t instanceId,
                                  const Values& values, const AddOptions& options = {});
  /// Adds a callback-provided instance (AddInstance option "provider"): the daemon keeps no
  /// values for it and calls `handlers` for every LwM2M Read, Write and Execute on it. Exports
  /// kCallbackObjectPath on this connection the first time. The instance goes when remove()d,
  /// or when this Provider is destroyed.
  Result<InstanceRef> addCallbackInstance(std::uint16_t objectId, std::uint16_t instanceId,
                                          CallbackHandlers handlers);
  /// Owns object `objectId` whole (Manager.ProvideObject): servers' Create and Delete on it
  /// go to `handlers`, and instances a server creates become callback instances of this
  /// provider. Exports kCallbackObjectPath the first time. Errors (named as on the bus):
  /// UnknownObject, NotPermitted (objects 0-3), AlreadyExists (someone else provides it or owns
  /// instances of it). Released when this Provider is destroyed.
  Status provideObject(std::uint16_t objectId, ObjectHandlers handlers);
  /// Changes resource values (resources not named keep theirs).
  Status set(std::uint16_t objectId, std::uint16_t instanceId, const Values& values);
  /// Reads values; no resource ids: every resource that has a value.
  Result<Values> get(std::uint16_t objectId, std::uint16_t instanceId,
                     const std::vector<std::uint16_t>& resourceIds = {});
  /// Removes an instance.
  Status remove(std::uint16_t objectId, std::uint16_t instanceId);

  /// A server wrote to one of this provider's instances (values: what was written).
  void onWritten(WrittenHandler handler);
  /// A server executed a resource of one of this provider's instances.
  void onExecuted(ExecutedHandler handler);

  /// Event loop integration: wait until `fd` shows `events` or `timeoutMs` passes, then call
  /// process(). Ask again before every wait: the values change.
  PollData pollData() const;
  /// Handles every message that has arrived (running callbacks). Never blocks.
  Status process();
  /// Runs a loop of its own for `duration` (process + poll), then returns.
  Status runFor(std::chrono::milliseconds duration);

  /// This connection's unique bus name (the Owner of its instances), e.g. ":1.42".
  std::string uniqueName() const;

 private:
  struct Impl;
  explicit Provider(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lwm2md::provider
