#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/coap_code.hpp"

namespace lwm2md {

/// What a Bootstrap-Request carries (TS 1.1 §6.1.7.1): the Endpoint Client Name and the
/// Preferred Content Format (`pct`) for what the Bootstrap-Server sends and reads.
struct BootstrapRequestArgs {
  std::string endpoint;
  std::optional<std::uint16_t> preferredFormat;
  bool operator==(const BootstrapRequestArgs&) const = default;
};

/// What the bootstrap machine asks its transport to do; abstract so that the machine is tested
/// without sockets or clocks.
class BootstrapTransport {
 public:
  virtual ~BootstrapTransport() = default;
  /// POST /bs?ep=..&pct=.. to the Bootstrap-Server; the answer comes back through
  /// requestAnswered() or requestFailed().
  virtual void sendBootstrapRequest(const BootstrapRequestArgs& args) = 0;
  /// (Re)arms the machine's single timer; a new call replaces the previous one.
  virtual void schedule(std::chrono::milliseconds delay) = 0;
  virtual void cancelSchedule() = 0;
  /// Closes the session to the Bootstrap-Server (a new attempt opens a fresh one).
  virtual void disconnect() = 0;
  /// The bootstrap ended: `success` after an accepted Bootstrap-Finish (register with the new
  /// servers now), otherwise every attempt failed and `reason` says why the last one did.
  virtual void finished(bool success, const std::string& reason) = 0;
  /// The Bootstrap-Server Account Timeout (/0/x/12) ran out after a successful bootstrap: the
  /// Bootstrap-Server account is to be purged (TS 1.1 §6.1.3 step 3).
  virtual void purgeBootstrapAccount() = 0;
};

/// The client side of a bootstrap sequence (TS 1.1 §6.1.3, §6.1.4):
///
///   Idle --start()--> HoldOff (Client Hold Off Time, /0/x/11) --timer--> Requesting
///   Requesting --2.04--> WaitingForFinish --finishAccepted()--> Finished
///   WaitingForFinish --no server request for EXCHANGE_LIFETIME--> attempt failed
///   Requesting --refused / no answer--> attempt failed
///   attempt failed --> WaitingRetry (exponential back-off) --timer--> Requesting, or Failed
///                      once maxAttempts attempts failed
///
/// A request from the Bootstrap-Server while Idle, HoldOff, WaitingRetry, Finished or Failed is
/// a server-initiated bootstrap: the machine waits for its Finish (WaitingForFinish). Every
/// request from the server restarts the Finish timer: the TS counts EXCHANGE_LIFETIME from "the
/// last received Bootstrap-Server command".
///
/// The Bootstrap-Server Account Timeout (/0/x/12) is not the wait for Finish: the TS makes it
/// the lifetime of the Bootstrap-Server account after a successful bootstrap (0 or absent:
/// forever), so in Finished the machine arms it and then asks for the purge.
class BootstrapMachine {
 public:
  enum class State { Idle, HoldOff, Requesting, WaitingRetry, WaitingForFinish, Finished, Failed };

  /// EXCHANGE_LIFETIME with the RFC 7252 defaults (§4.8.2): 247 s.
  static constexpr std::chrono::seconds kExchangeLifetime{247};

  struct Params {
    std::string endpoint;
    std::optional<std::uint16_t> preferredFormat;
    std::chrono::seconds holdOff{0};  // /0/x/11
    std::chrono::seconds finishTimeout{kExchangeLifetime};
    std::optional<std::chrono::seconds> accountTimeout;  // /0/x/12; nullopt or 0 = forever
    std::chrono::seconds retryInitial{10};
    std::chrono::seconds retryMax{600};
    unsigned maxAttempts = 5;  // 0 = retry for ever
  };

  BootstrapMachine(BootstrapTransport& transport, Params params)
      : transport_(transport), params_(std::move(params)) {}

  /// Begins a client-initiated bootstrap (the Bootstrap-Request Trigger, no server reachable,
  /// Manager.Bootstrap()). Ignored while one is under way.
  void start();
  /// Ends whatever is under way (shutdown): Idle, no timer, session closed.
  void stop();
  /// The answer to the Bootstrap-Request (2.04 accepts it).
  void requestAnswered(CoapCode code);
  /// The Bootstrap-Request got no answer (timeout, RST, no session).
  void requestFailed(const std::string& why);
  /// Any request from the Bootstrap-Server arrived (before it is served).
  void serverRequestArrived();
  /// The Bootstrap-Finish was answered 2.04.
  void finishAccepted();
  void timer();

  void setParams(Params params) { params_ = std::move(params); }
  const Params& params() const { return params_; }
  State state() const { return state_; }
  /// Failed attempts since the last start() (tests, status).
  unsigned failedAttempts() const { return failedAttempts_; }
  const std::string& lastFailure() const { return lastFailure_; }
  /// The delay before the next attempt after `attempt` failed ones (1-based).
  std::chrono::milliseconds retryDelay(unsigned attempt) const;
  /// True while a bootstrap is under way (the client should not register meanwhile).
  bool active() const;

 private:
  void sendRequest();
  void attemptFailed(const std::string& why);
  void waitForFinish();

  BootstrapTransport& transport_;
  Params params_;
  State state_ = State::Idle;
  unsigned failedAttempts_ = 0;
  std::string lastFailure_;
  bool purgePending_ = false;
};

std::string_view toString(BootstrapMachine::State state);

}  // namespace lwm2md
