#include "registration/registration_machine.hpp"

#include <algorithm>

namespace lwm2md {

std::string_view toString(RegistrationMachine::State state) {
  using S = RegistrationMachine::State;
  switch (state) {
    case S::Idle:
      return "idle";
    case S::Registering:
      return "registering";
    case S::WaitingRetry:
      return "waiting-retry";
    case S::Registered:
      return "registered";
    case S::Updating:
      return "updating";
    case S::Deregistering:
      return "deregistering";
    case S::Deregistered:
      return "deregistered";
  }
  return "?";
}

void RegistrationMachine::start() {
  retryDelay_ = std::chrono::duration_cast<std::chrono::milliseconds>(params_.retryInitial);
  failedAttempts_ = 0;
  sendRegister();
}

void RegistrationMachine::sendRegister() {
  objectsDirty_ = false;  // the Register carries the current object list
  updateQueued_ = false;
  location_.clear();
  enter(State::Registering);
  transport_.cancelSchedule();
  transport_.sendRegister();
}

void RegistrationMachine::sendUpdate() {
  enter(State::Updating);
  transport_.cancelSchedule();
  const bool withObjects = objectsDirty_;
  objectsDirty_ = false;
  updateQueued_ = false;
  transport_.sendUpdate(location_, withObjects);
}

void RegistrationMachine::scheduleUpdate() {
  // Update well before the lifetime runs out, leaving room for retransmissions.
  const auto lifetimeMs = std::chrono::duration_cast<std::chrono::milliseconds>(params_.lifetime);
  const auto delay = std::chrono::milliseconds(static_cast<std::int64_t>(
      static_cast<double>(lifetimeMs.count()) * params_.updateAtFraction));
  transport_.schedule(std::max(delay, std::chrono::milliseconds(500)));
}

void RegistrationMachine::scheduleRetry() {
  ++failedAttempts_;
  enter(State::WaitingRetry);
  transport_.schedule(retryDelay_);
  const auto maxDelay = std::chrono::duration_cast<std::chrono::milliseconds>(params_.retryMax);
  retryDelay_ = std::min(retryDelay_ * 2, maxDelay);
}

void RegistrationMachine::shutdown() {
  transport_.cancelSchedule();
  if (state_ == State::Registered || state_ == State::Updating) {
    enter(State::Deregistering);
    transport_.sendDeregister(location_);
  } else if (state_ == State::Registering) {
    // The server may already have registered us: wait for its answer and then De-register,
    // so that no stale registration is left behind.
    stopAfterRegister_ = true;
  } else if (state_ != State::Deregistering) {
    enter(State::Deregistered);
  }
}

void RegistrationMachine::objectsChanged() {
  objectsDirty_ = true;
  triggerUpdate();
}

void RegistrationMachine::triggerUpdate() {
  switch (state_) {
    case State::Registered:
      sendUpdate();
      break;
    case State::Updating:
    case State::Registering:
      updateQueued_ = true;  // sent once the request in flight is answered
      break;
    default:
      break;  // a Register to come carries the current state anyway
  }
}

void RegistrationMachine::onRegisterResponse(std::optional<CoapCode> code,
                                             const std::vector<std::string>& location) {
  if (state_ != State::Registering) return;
  if (stopAfterRegister_) {
    if (code == CoapCode::Created && !location.empty()) {
      location_ = location;
      enter(State::Deregistering);
      transport_.sendDeregister(location_);
    } else {
      enter(State::Deregistered);
    }
    return;
  }
  if (code == CoapCode::Created && !location.empty()) {
    location_ = location;
    failedAttempts_ = 0;
    retryDelay_ = std::chrono::duration_cast<std::chrono::milliseconds>(params_.retryInitial);
    enter(State::Registered);
    if (updateQueued_ || objectsDirty_) {
      sendUpdate();
    } else {
      scheduleUpdate();
    }
    return;
  }
  scheduleRetry();
}

void RegistrationMachine::onUpdateResponse(std::optional<CoapCode> code) {
  if (state_ != State::Updating) return;
  if (code == CoapCode::Changed) {
    enter(State::Registered);
    if (updateQueued_ || objectsDirty_) {
      sendUpdate();
    } else {
      scheduleUpdate();
    }
    return;
  }
  // 4.04: the server forgot us. Any other refusal or no answer: the registration can no
  // longer be trusted either. Register again (TS §6.2.2).
  sendRegister();
}

void RegistrationMachine::onDeregisterResponse(std::optional<CoapCode>) {
  if (state_ != State::Deregistering) return;
  location_.clear();
  enter(State::Deregistered);
}

void RegistrationMachine::onTimer() {
  switch (state_) {
    case State::WaitingRetry:
      sendRegister();
      break;
    case State::Registered:
      sendUpdate();
      break;
    default:
      break;
  }
}

}  // namespace lwm2md
