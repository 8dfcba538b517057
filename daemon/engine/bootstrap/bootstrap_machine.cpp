#include "bootstrap/bootstrap_machine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace lwm2md {

namespace {

using std::chrono::milliseconds;

milliseconds toMs(std::chrono::seconds s) {
  return std::chrono::duration_cast<milliseconds>(s);
}

}  // namespace

std::string_view toString(BootstrapMachine::State state) {
  using S = BootstrapMachine::State;
  switch (state) {
    case S::Idle:
      return "idle";
    case S::HoldOff:
      return "hold-off";
    case S::Requesting:
      return "requesting";
    case S::WaitingRetry:
      return "waiting-retry";
    case S::WaitingForFinish:
      return "waiting-for-finish";
    case S::Finished:
      return "finished";
    case S::Failed:
      return "failed";
  }
  return "?";
}

bool BootstrapMachine::active() const {
  return state_ == State::HoldOff || state_ == State::Requesting || state_ == State::WaitingRetry ||
         state_ == State::WaitingForFinish;
}

milliseconds BootstrapMachine::retryDelay(unsigned attempt) const {
  const milliseconds base = toMs(params_.retryInitial);
  // Past 2^20 the delay is years anyway; stop doubling before the arithmetic overflows.
  const unsigned doublings = std::min(attempt > 0 ? attempt - 1 : 0u, 20u);
  return std::min(base * (std::int64_t{1} << doublings), std::max(toMs(params_.retryMax), base));
}

void BootstrapMachine::start() {
  if (active()) return;
  failedAttempts_ = 0;
  lastFailure_.clear();
  purgePending_ = false;
  transport_.cancelSchedule();
  // TS 1.1 E.1 (/0/x/11): wait before a client-initiated bootstrap, which leaves the
  // Bootstrap-Server time to start a server-initiated one.
  if (params_.holdOff.count() > 0) {
    state_ = State::HoldOff;
    transport_.schedule(toMs(params_.holdOff));
    return;
  }
  sendRequest();
}

void BootstrapMachine::stop() {
  transport_.cancelSchedule();
  purgePending_ = false;
  if (state_ != State::Idle) transport_.disconnect();
  state_ = State::Idle;
}

void BootstrapMachine::sendRequest() {
  state_ = State::Requesting;
  transport_.cancelSchedule();
  transport_.sendBootstrapRequest({params_.endpoint, params_.preferredFormat});
}

void BootstrapMachine::waitForFinish() {
  state_ = State::WaitingForFinish;
  transport_.schedule(toMs(params_.finishTimeout));
}

void BootstrapMachine::attemptFailed(const std::string& why) {
  ++failedAttempts_;
  lastFailure_ = why;
  // A fresh session for the next attempt: the failure may be the session's (DTLS, address).
  transport_.disconnect();
  if (params_.maxAttempts > 0 && failedAttempts_ >= params_.maxAttempts) {
    state_ = State::Failed;
    transport_.cancelSchedule();
    transport_.finished(
        false, fmt::format("bootstrap failed after {} attempt(s): {}", failedAttempts_, why));
    return;
  }
  state_ = State::WaitingRetry;
  transport_.schedule(retryDelay(failedAttempts_));
}

void BootstrapMachine::requestAnswered(CoapCode code) {
  if (state_ != State::Requesting) return;  // late, or the server started writing already
  if (code == CoapCode::Changed) {
    waitForFinish();
    return;
  }
  attemptFailed(fmt::format("Bootstrap-Request refused with {}", toString(code)));
}

void BootstrapMachine::requestFailed(const std::string& why) {
  if (state_ != State::Requesting) return;
  attemptFailed(fmt::format("Bootstrap-Request failed: {}", why));
}

void BootstrapMachine::serverRequestArrived() {
  // In Requesting the server may write before its 2.04 reaches us (a separate response); in
  // any state but WaitingForFinish a request is a server-initiated bootstrap. Either way the
  // client now waits for the Finish.
  if (state_ != State::WaitingForFinish) {
    purgePending_ = false;
    if (state_ != State::Requesting && !active()) failedAttempts_ = 0;
  }
  waitForFinish();
}

void BootstrapMachine::finishAccepted() {
  transport_.cancelSchedule();
  state_ = State::Finished;
  failedAttempts_ = 0;
  lastFailure_.clear();
  transport_.finished(true, "");
  if (params_.accountTimeout && params_.accountTimeout->count() > 0) {
    purgePending_ = true;
    transport_.schedule(toMs(*params_.accountTimeout));
  }
}

void BootstrapMachine::timer() {
  switch (state_) {
    case State::HoldOff:
    case State::WaitingRetry:
      sendRequest();
      break;
    case State::WaitingForFinish:
      attemptFailed(
          fmt::format("no Bootstrap-Finish within {} s of the last request from the "
                      "Bootstrap-Server",
                      params_.finishTimeout.count()));
      break;
    case State::Finished:
      if (std::exchange(purgePending_, false)) transport_.purgeBootstrapAccount();
      break;
    default:
      break;
  }
}

}  // namespace lwm2md
