#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/coap_code.hpp"

namespace lwm2md {

/// What a Register announces: the lifetime and binding of the Server object instance.
struct RegisterArgs {
  std::chrono::seconds lifetime{86400};
  std::string binding = "U";
  bool operator==(const RegisterArgs&) const = default;
};

/// What an Update carries: only the parameters that changed since the server last accepted
/// them (TS 1.1 §6.2.2), and the object list only when the instances changed.
struct UpdateArgs {
  std::optional<std::chrono::seconds> lifetime;
  std::optional<std::string> binding;
  bool withObjects = false;
  bool operator==(const UpdateArgs&) const = default;
};

/// What the registration machine asks its transport to do. Kept abstract so that the
/// machine is tested without sockets or clocks.
class RegistrationTransport {
 public:
  virtual ~RegistrationTransport() = default;
  virtual void sendRegister(const RegisterArgs& args) = 0;
  virtual void sendUpdate(const std::vector<std::string>& location, const UpdateArgs& args) = 0;
  virtual void sendDeregister(const std::vector<std::string>& location) = 0;
  /// (Re)arms the single timer of this server; a new call replaces the previous one.
  virtual void schedule(std::chrono::milliseconds delay) = 0;
  virtual void cancelSchedule() = 0;
  /// Closes the connection to the server (Disable: nothing may go to or come from it).
  virtual void disconnect() = 0;
};

/// The client side of the LwM2M Registration interface for one server (TS 1.1 §6.2):
/// Register, Update before the lifetime ends, when the instances change, when the lifetime or
/// binding change and when the server triggers it; De-register; Disable for a while; a new
/// Register when an Update is refused; and the TS's retry rules for failed Registers.
///
/// Failed Registers follow the Server object's Communication Retry Count (17), Retry Timer (18),
/// Sequence Delay Timer (19) and Sequence Retry Count (20) (TS 1.1 §6.2.1.1): the n-th attempt of
/// a sequence that fails waits RetryTimer * 2^(n-1); after RetryCount failed attempts the
/// sequence has failed and the next one starts after the Sequence Delay; after
/// SequenceRetryCount failed sequences the registration has failed (state Failed) and nothing
/// more is sent. Without resource 17 a sequence never ends: the delay doubles from
/// RetryTimer (or the config's retry_initial) up to the config's retry_max, for ever.
class RegistrationMachine {
 public:
  enum class State {
    Idle,
    Registering,
    WaitingRetry,
    Registered,
    Updating,
    Deregistering,
    Deregistered,
    Disabled,  // de-registered by the server's Disable, registers again after Disable Timeout
    Failed,    // every communication sequence failed: no more Registers
  };

  /// Resources 17-20 of the Server object instance; absent ones are nullopt.
  struct RetryPolicy {
    std::optional<unsigned> retryCount;
    std::optional<std::chrono::seconds> retryTimer;
    std::optional<std::chrono::seconds> sequenceDelay;
    std::optional<unsigned> sequenceRetryCount;
  };

  struct Params {
    std::chrono::seconds lifetime{86400};
    std::string binding = "U";
    double updateAtFraction = 0.9;
    std::chrono::seconds retryInitial{2};
    std::chrono::seconds retryMax{300};
    std::chrono::seconds disableTimeout{86400};
    RetryPolicy retry;
  };

  /// TS 1.1 defaults of the resources 19 and 20 when 17 is present and they are not.
  static constexpr std::chrono::seconds kDefaultSequenceDelay{86400};
  static constexpr unsigned kDefaultSequenceRetryCount = 1;

  RegistrationMachine(RegistrationTransport& transport, Params params)
      : transport_(transport), params_(std::move(params)) {}

  void start();
  /// Takes up a registration the server accepted before a restart (at `location`, with
  /// `accepted` lifetime and binding): Registered at once, and an Update with the object list
  /// goes out right away, since the instances may have changed meanwhile. An Update the server
  /// refuses (4.04: it forgot us) leads to a new Register, as any refused Update does.
  void resume(std::vector<std::string> location, RegisterArgs accepted);
  /// Asks for a De-register (when registered); the machine ends in Deregistered.
  void shutdown();
  /// The instances changed: an Update with the object list is due.
  void objectsChanged();
  /// An Update is due now (e.g. Registration Update Trigger).
  void triggerUpdate();
  /// The server's Disable (/1/x/4): De-register, stay away for the Disable Timeout, then
  /// Register again.
  void disable();
  /// New values from the Server object. A lifetime or binding that differs from what the server
  /// last accepted is sent in an Update right away; timers use the new lifetime from then on.
  void setParams(Params params);

  /// A response to the last request; nullopt when it failed without an answer.
  void onRegisterResponse(std::optional<CoapCode> code, const std::vector<std::string>& location);
  void onUpdateResponse(std::optional<CoapCode> code);
  void onDeregisterResponse(std::optional<CoapCode> code);
  void onTimer();

  State state() const { return state_; }
  const Params& params() const { return params_; }
  const std::vector<std::string>& location() const { return location_; }
  /// The lifetime and binding the server last accepted (meaningful while registered).
  const RegisterArgs& accepted() const { return accepted_; }
  /// Counts the server's 2.01 (Register) and 2.04 (Update) answers: a change tells the
  /// transport the server just (re)accepted the registration, so its lifetime runs from now.
  std::uint64_t acceptances() const { return acceptances_; }
  /// The delay after the next failed Register within the current sequence (tests, status).
  std::chrono::milliseconds nextRetryDelay() const { return retryDelay(attemptInSequence_ + 1); }
  /// Number of failed Register attempts since the last success.
  unsigned failedAttempts() const { return failedAttempts_; }
  /// Number of failed communication sequences since the last success.
  unsigned failedSequences() const { return failedSequences_; }

 private:
  enum class AfterRegister { Continue, Stop, Disable };

  void enter(State state) { state_ = state; }
  void sendRegister();
  void sendUpdate();
  void scheduleUpdate();
  void registrationFailed();
  void enterDisabled();
  void resetRetries();
  /// Lifetime or binding differ from what the server last accepted.
  bool parametersChanged() const;
  bool updateOwed() const { return updateQueued_ || objectsDirty_ || parametersChanged(); }
  /// Delay after the `attempt`-th failed attempt of a sequence (1-based).
  std::chrono::milliseconds retryDelay(unsigned attempt) const;

  RegistrationTransport& transport_;
  Params params_;
  State state_ = State::Idle;
  std::vector<std::string> location_;
  RegisterArgs accepted_;  // lifetime and binding the server holds (last 2.01 / 2.04)
  RegisterArgs sentRegister_;
  UpdateArgs sentUpdate_;
  bool objectsDirty_ = false;  // an Update with objects is owed
  bool updateQueued_ = false;  // something asked for an Update while a request was in flight
  bool disabling_ = false;     // the De-register in flight is the server's Disable
  AfterRegister afterRegister_ = AfterRegister::Continue;  // shutdown/disable during Register
  unsigned failedAttempts_ = 0;
  unsigned attemptInSequence_ = 0;
  unsigned failedSequences_ = 0;
  std::uint64_t acceptances_ = 0;
};

std::string_view toString(RegistrationMachine::State state);

}  // namespace lwm2md
