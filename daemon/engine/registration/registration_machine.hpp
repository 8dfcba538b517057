#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/coap_code.hpp"

namespace lwm2md {

/// What the registration machine asks its transport to do. Kept abstract so that the
/// machine is tested without sockets or clocks.
class RegistrationTransport {
 public:
  virtual ~RegistrationTransport() = default;
  virtual void sendRegister() = 0;
  /// `withObjects`: the set of instances changed since the last Register/Update.
  virtual void sendUpdate(const std::vector<std::string>& location, bool withObjects) = 0;
  virtual void sendDeregister(const std::vector<std::string>& location) = 0;
  /// (Re)arms the single timer of this server; a new call replaces the previous one.
  virtual void schedule(std::chrono::milliseconds delay) = 0;
  virtual void cancelSchedule() = 0;
};

/// The client side of the LwM2M Registration interface for one server (TS §6.2): Register,
/// Update before the lifetime ends and whenever the instances change, De-register, a new
/// Register when an Update is refused, exponential back-off for failed Registers.
class RegistrationMachine {
 public:
  enum class State {
    Idle,
    Registering,
    WaitingRetry,
    Registered,
    Updating,
    Deregistering,
    Deregistered
  };

  struct Params {
    std::chrono::seconds lifetime{86400};
    double updateAtFraction = 0.9;
    std::chrono::seconds retryInitial{2};
    std::chrono::seconds retryMax{300};
  };

  RegistrationMachine(RegistrationTransport& transport, Params params)
      : transport_(transport), params_(params) {}

  void start();
  /// Asks for a De-register (when registered); the machine ends in Deregistered.
  void shutdown();
  /// The instances changed: an Update with the object list is due.
  void objectsChanged();
  /// An Update is due now (e.g. Registration Update Trigger).
  void triggerUpdate();

  /// A response to the last request; nullopt when it failed without an answer.
  void onRegisterResponse(std::optional<CoapCode> code, const std::vector<std::string>& location);
  void onUpdateResponse(std::optional<CoapCode> code);
  void onDeregisterResponse(std::optional<CoapCode> code);
  void onTimer();

  State state() const { return state_; }
  const std::vector<std::string>& location() const { return location_; }
  /// The delay used for the next failed Register (for tests and status).
  std::chrono::milliseconds nextRetryDelay() const { return retryDelay_; }
  /// Number of Register attempts since the last success.
  unsigned failedAttempts() const { return failedAttempts_; }

 private:
  void enter(State state) { state_ = state; }
  void sendRegister();
  void sendUpdate();
  void scheduleUpdate();
  void scheduleRetry();

  RegistrationTransport& transport_;
  Params params_;
  State state_ = State::Idle;
  std::vector<std::string> location_;
  bool objectsDirty_ = false;       // an Update with objects is owed
  bool updateQueued_ = false;       // something asked for an Update while one was in flight
  bool stopAfterRegister_ = false;  // shutdown() came while a Register was in flight
  std::chrono::milliseconds retryDelay_{0};
  unsigned failedAttempts_ = 0;
};

std::string_view toString(RegistrationMachine::State state);

}  // namespace lwm2md
