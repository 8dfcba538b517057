#include "registration/registration_machine.hpp"

#include <algorithm>
#include <utility>

namespace lwm2md {

namespace {

using std::chrono::milliseconds;

milliseconds toMs(std::chrono::seconds s) {
  return std::chrono::duration_cast<milliseconds>(s);
}

}  // namespace

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
    case S::Disabled:
      return "disabled";
    case S::Failed:
      return "failed";
  }
  return "?";
}

void RegistrationMachine::start() {
  resetRetries();
  afterRegister_ = AfterRegister::Continue;
  disabling_ = false;
  sendRegister();
}

void RegistrationMachine::resume(std::vector<std::string> location, RegisterArgs accepted) {
  resetRetries();
  afterRegister_ = AfterRegister::Continue;
  disabling_ = false;
  location_ = std::move(location);
  accepted_ = std::move(accepted);
  updateQueued_ = false;
  objectsDirty_ = true;  // instances may have been added or removed while the daemon was down
  enter(State::Registered);
  sendUpdate();
}

void RegistrationMachine::resetRetries() {
  failedAttempts_ = 0;
  attemptInSequence_ = 0;
  failedSequences_ = 0;
}

bool RegistrationMachine::parametersChanged() const {
  return params_.lifetime != accepted_.lifetime || params_.binding != accepted_.binding;
}

void RegistrationMachine::sendRegister() {
  objectsDirty_ = false;  // the Register carries the current object list
  updateQueued_ = false;
  location_.clear();
  sentRegister_ = {params_.lifetime, params_.binding};
  enter(State::Registering);
  transport_.cancelSchedule();
  transport_.sendRegister(sentRegister_);
}

void RegistrationMachine::sendUpdate() {
  UpdateArgs args;
  if (params_.lifetime != accepted_.lifetime) args.lifetime = params_.lifetime;
  if (params_.binding != accepted_.binding) args.binding = params_.binding;
  args.withObjects = objectsDirty_;
  objectsDirty_ = false;
  updateQueued_ = false;
  sentUpdate_ = args;
  enter(State::Updating);
  transport_.cancelSchedule();
  transport_.sendUpdate(location_, args);
}

void RegistrationMachine::scheduleUpdate() {
  // Update well before the lifetime runs out, leaving room for retransmissions.
  const auto lifetimeMs = toMs(params_.lifetime);
  const auto delay = milliseconds(static_cast<std::int64_t>(
      static_cast<double>(lifetimeMs.count()) * params_.updateAtFraction));
  transport_.schedule(std::max(delay, milliseconds(500)));
}

milliseconds RegistrationMachine::retryDelay(unsigned attempt) const {
  const milliseconds base = toMs(params_.retry.retryTimer.value_or(params_.retryInitial));
  // Past 2^20 the delay is years anyway; stop doubling before the arithmetic overflows.
  const unsigned doublings = std::min(attempt > 0 ? attempt - 1 : 0u, 20u);
  milliseconds delay = base * (std::int64_t{1} << doublings);
  if (!params_.retry.retryCount) {
    // An endless sequence: the config's retry_max keeps the delay bounded.
    delay = std::min(delay, std::max(toMs(params_.retryMax), base));
  }
  return delay;
}

void RegistrationMachine::registrationFailed() {
  ++failedAttempts_;
  ++attemptInSequence_;
  const auto& retry = params_.retry;
  if (retry.retryCount && attemptInSequence_ >= std::max(1u, *retry.retryCount)) {
    // This communication sequence is over (TS 1.1 §6.2.1.1).
    ++failedSequences_;
    attemptInSequence_ = 0;
    const unsigned sequences =
        std::max(1u, retry.sequenceRetryCount.value_or(kDefaultSequenceRetryCount));
    if (failedSequences_ >= sequences) {
      enter(State::Failed);
      return;
    }
    enter(State::WaitingRetry);
    transport_.schedule(toMs(retry.sequenceDelay.value_or(kDefaultSequenceDelay)));
    return;
  }
  enter(State::WaitingRetry);
  transport_.schedule(retryDelay(attemptInSequence_));
}

void RegistrationMachine::enterDisabled() {
  location_.clear();
  enter(State::Disabled);
  transport_.disconnect();
  transport_.schedule(toMs(params_.disableTimeout));
}

void RegistrationMachine::shutdown() {
  transport_.cancelSchedule();
  disabling_ = false;  // a De-register for Disable in flight now ends the registration
  switch (state_) {
    case State::Registered:
    case State::Updating:
      enter(State::Deregistering);
      transport_.sendDeregister(location_);
      break;
    case State::Registering:
      // The server may already have registered us: wait for its answer and then De-register,
      // so that no stale registration is left behind.
      afterRegister_ = AfterRegister::Stop;
      break;
    case State::Deregistering:
      break;
    default:
      enter(State::Deregistered);
      break;
  }
}

void RegistrationMachine::disable() {
  switch (state_) {
    case State::Registered:
    case State::Updating:
      disabling_ = true;
      enter(State::Deregistering);
      transport_.cancelSchedule();
      transport_.sendDeregister(location_);
      break;
    case State::Registering:
      afterRegister_ = AfterRegister::Disable;
      break;
    case State::Idle:
    case State::WaitingRetry:
    case State::Failed:
      transport_.cancelSchedule();
      enterDisabled();
      break;
    default:
      break;  // already leaving, away or gone
  }
}

void RegistrationMachine::setParams(Params params) {
  params_ = std::move(params);
  if (!parametersChanged()) return;
  if (state_ == State::Registered)
    sendUpdate();
  else if (state_ == State::Updating)
    updateQueued_ = true;  // compared again when the Update in flight is answered
  // Registering: compared when the Register is answered. Otherwise the next Register carries
  // the new values.
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
  const bool created = code == CoapCode::Created && !location.empty();
  const AfterRegister after = std::exchange(afterRegister_, AfterRegister::Continue);
  if (after != AfterRegister::Continue) {
    if (created) {
      location_ = location;
      disabling_ = after == AfterRegister::Disable;
      enter(State::Deregistering);
      transport_.sendDeregister(location_);
    } else if (after == AfterRegister::Disable) {
      enterDisabled();
    } else {
      enter(State::Deregistered);
    }
    return;
  }
  if (created) {
    location_ = location;
    accepted_ = sentRegister_;
    ++acceptances_;
    resetRetries();
    enter(State::Registered);
    if (updateOwed())
      sendUpdate();
    else
      scheduleUpdate();
    return;
  }
  registrationFailed();
}

void RegistrationMachine::onUpdateResponse(std::optional<CoapCode> code) {
  if (state_ != State::Updating) return;
  if (code == CoapCode::Changed) {
    if (sentUpdate_.lifetime) accepted_.lifetime = *sentUpdate_.lifetime;
    if (sentUpdate_.binding) accepted_.binding = *sentUpdate_.binding;
    ++acceptances_;
    enter(State::Registered);
    if (updateOwed())
      sendUpdate();
    else
      scheduleUpdate();
    return;
  }
  // 4.04: the server forgot us. Any other refusal or no answer: the registration can no
  // longer be trusted either. Register again (TS §6.2.2).
  sendRegister();
}

void RegistrationMachine::onDeregisterResponse(std::optional<CoapCode>) {
  if (state_ != State::Deregistering) return;
  location_.clear();
  if (std::exchange(disabling_, false))
    enterDisabled();
  else
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
    case State::Disabled:
      resetRetries();
      sendRegister();
      break;
    default:
      break;
  }
}

}  // namespace lwm2md
