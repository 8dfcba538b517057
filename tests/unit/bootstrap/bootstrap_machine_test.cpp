// The bootstrap state machine with a fake transport and fake time (TS 1.1 §6.1.3, §6.1.4,
// E.1 resources 11 and 12).
// ETS LwM2M-1.1-int-0: the client sends the Bootstrap-Request (ep, and pct for 1.1) after the
// Client Hold Off Time; the sequence ends with Bootstrap-Finish answered 2.04, after which the
// client registers (the transport's finished(true)).
// ETS LwM2M-1.1-int-5 (Server Initiated Bootstrap): a DM server executes the Bootstrap-Request
// Trigger (/1/x/9); the client performs a client-initiated bootstrap (start()) and registers
// again after the Finish. A request from the Bootstrap-Server that arrives unasked (during hold
// off, or while idle) also leads to a wait for its Finish.
#include "bootstrap/bootstrap_machine.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lwm2md {

inline void PrintTo(const BootstrapRequestArgs& args, std::ostream* os) {
  *os << "{ep=" << args.endpoint;
  if (args.preferredFormat) *os << " pct=" << *args.preferredFormat;
  *os << "}";
}

namespace {

using ::testing::_;
using ::testing::HasSubstr;
using State = BootstrapMachine::State;
using std::chrono::milliseconds;
using std::chrono::seconds;

class FakeTransport : public BootstrapTransport {
 public:
  MOCK_METHOD(void, sendBootstrapRequest, (const BootstrapRequestArgs&), (override));
  MOCK_METHOD(void, disconnect, (), (override));
  MOCK_METHOD(void, finished, (bool, const std::string&), (override));
  MOCK_METHOD(void, purgeBootstrapAccount, (), (override));

  // Fake time: the one armed timer and its delay.
  void schedule(milliseconds delay) override { armed = delay; }
  void cancelSchedule() override { armed.reset(); }
  std::optional<milliseconds> armed;
};

class BootstrapMachineTest : public ::testing::Test {
 protected:
  BootstrapMachineTest() : machine(transport, params()) {
    EXPECT_CALL(transport, disconnect()).Times(::testing::AnyNumber());
  }
  static BootstrapMachine::Params params() {
    BootstrapMachine::Params p;
    p.endpoint = "node-1";
    p.preferredFormat = 112;
    p.finishTimeout = seconds(60);
    p.retryInitial = seconds(10);
    p.retryMax = seconds(35);
    p.maxAttempts = 3;
    return p;
  }
  /// Fires the armed timer (fake time passes by exactly its delay).
  void fire() {
    ASSERT_TRUE(transport.armed) << "no timer armed";
    transport.armed.reset();
    machine.timer();
  }
  void startAndAccept() {
    EXPECT_CALL(transport, sendBootstrapRequest(_));
    machine.start();
    machine.requestAnswered(CoapCode::Changed);
    ASSERT_EQ(machine.state(), State::WaitingForFinish);
  }

  ::testing::StrictMock<FakeTransport> transport;
  BootstrapMachine machine;
};

TEST_F(BootstrapMachineTest, Int0StartSendsTheRequestWithEndpointAndPreferredFormat) {
  EXPECT_CALL(transport, sendBootstrapRequest(BootstrapRequestArgs{"node-1", 112}));
  machine.start();
  EXPECT_EQ(machine.state(), State::Requesting);
  EXPECT_FALSE(transport.armed);
  EXPECT_TRUE(machine.active());
}

TEST_F(BootstrapMachineTest, Int0AcceptedRequestWaitsForFinishThenFinishes) {
  startAndAccept();
  EXPECT_EQ(transport.armed, milliseconds(60000));
  EXPECT_CALL(transport, finished(true, ""));
  machine.finishAccepted();
  EXPECT_EQ(machine.state(), State::Finished);
  EXPECT_FALSE(transport.armed);  // no account timeout: nothing to purge
  EXPECT_FALSE(machine.active());
}

TEST_F(BootstrapMachineTest, HoldOffDelaysTheRequest) {
  auto p = params();
  p.holdOff = seconds(5);
  machine.setParams(p);
  machine.start();
  EXPECT_EQ(machine.state(), State::HoldOff);
  EXPECT_EQ(transport.armed, milliseconds(5000));
  EXPECT_CALL(transport, sendBootstrapRequest(_));
  fire();
  EXPECT_EQ(machine.state(), State::Requesting);
}

TEST_F(BootstrapMachineTest, ServerRequestDuringHoldOffIsAServerInitiatedBootstrap) {
  auto p = params();
  p.holdOff = seconds(30);
  machine.setParams(p);
  machine.start();
  machine.serverRequestArrived();  // the Bootstrap-Server writes before we asked
  EXPECT_EQ(machine.state(), State::WaitingForFinish);
  EXPECT_EQ(transport.armed, milliseconds(60000));  // the hold-off timer is gone
  EXPECT_CALL(transport, finished(true, ""));
  machine.finishAccepted();
  EXPECT_EQ(machine.state(), State::Finished);
}

TEST_F(BootstrapMachineTest, Int5WriteWhileIdleWaitsForFinish) {
  machine.serverRequestArrived();
  EXPECT_EQ(machine.state(), State::WaitingForFinish);
  EXPECT_EQ(transport.armed, milliseconds(60000));
}

TEST_F(BootstrapMachineTest, Int5TriggerAfterAFinishedBootstrapStartsAnotherOne) {
  startAndAccept();
  EXPECT_CALL(transport, finished(true, "")).Times(2);
  machine.finishAccepted();
  EXPECT_CALL(transport, sendBootstrapRequest(_));
  machine.start();  // Bootstrap-Request Trigger executed by a DM server
  EXPECT_EQ(machine.state(), State::Requesting);
  machine.requestAnswered(CoapCode::Changed);
  machine.finishAccepted();
  EXPECT_EQ(machine.state(), State::Finished);
}

TEST_F(BootstrapMachineTest, StartWhileUnderWayIsIgnored) {
  EXPECT_CALL(transport, sendBootstrapRequest(_)).Times(1);
  machine.start();
  machine.start();
  EXPECT_EQ(machine.state(), State::Requesting);
}

TEST_F(BootstrapMachineTest, ServerWritesBeforeTheRequestsAnswerArrives) {
  EXPECT_CALL(transport, sendBootstrapRequest(_));
  machine.start();
  machine.serverRequestArrived();
  EXPECT_EQ(machine.state(), State::WaitingForFinish);
  machine.requestAnswered(CoapCode::Changed);  // late 2.04: nothing changes
  EXPECT_EQ(machine.state(), State::WaitingForFinish);
  EXPECT_EQ(machine.failedAttempts(), 0u);
}

TEST_F(BootstrapMachineTest, EveryServerRequestRestartsTheFinishTimer) {
  startAndAccept();
  transport.armed.reset();
  machine.serverRequestArrived();
  EXPECT_EQ(transport.armed, milliseconds(60000));
  EXPECT_EQ(machine.state(), State::WaitingForFinish);
}

TEST_F(BootstrapMachineTest, NoFinishInTimeFailsTheAttemptAndRetries) {
  startAndAccept();
  fire();
  EXPECT_EQ(machine.state(), State::WaitingRetry);
  EXPECT_EQ(machine.failedAttempts(), 1u);
  EXPECT_THAT(machine.lastFailure(), HasSubstr("no Bootstrap-Finish within 60 s"));
  EXPECT_EQ(transport.armed, milliseconds(10000));
  EXPECT_CALL(transport, sendBootstrapRequest(_));
  fire();
  EXPECT_EQ(machine.state(), State::Requesting);
}

TEST_F(BootstrapMachineTest, RefusedRequestBacksOffExponentiallyThenFails) {
  EXPECT_CALL(transport, sendBootstrapRequest(_)).Times(3);
  machine.start();
  machine.requestAnswered(CoapCode::BadRequest);
  EXPECT_EQ(machine.state(), State::WaitingRetry);
  EXPECT_EQ(transport.armed, milliseconds(10000));
  fire();
  machine.requestFailed("no answer");
  EXPECT_EQ(transport.armed, milliseconds(20000));
  fire();
  EXPECT_CALL(transport, finished(false, HasSubstr("after 3 attempt(s)")));
  machine.requestAnswered(CoapCode::Forbidden);
  EXPECT_EQ(machine.state(), State::Failed);
  EXPECT_FALSE(transport.armed);
  EXPECT_THAT(machine.lastFailure(), HasSubstr("4.03"));
}

TEST_F(BootstrapMachineTest, RetryDelayIsCappedByRetryMax) {
  EXPECT_EQ(machine.retryDelay(1), milliseconds(10000));
  EXPECT_EQ(machine.retryDelay(2), milliseconds(20000));
  EXPECT_EQ(machine.retryDelay(3), milliseconds(35000));
  EXPECT_EQ(machine.retryDelay(200), milliseconds(35000));
}

TEST_F(BootstrapMachineTest, UnlimitedAttemptsNeverFail) {
  auto p = params();
  p.maxAttempts = 0;
  machine.setParams(p);
  EXPECT_CALL(transport, sendBootstrapRequest(_)).Times(10);
  machine.start();
  for (int i = 0; i < 9; ++i) {
    machine.requestFailed("no answer");
    ASSERT_EQ(machine.state(), State::WaitingRetry);
    fire();
  }
  EXPECT_EQ(machine.state(), State::Requesting);
}

TEST_F(BootstrapMachineTest, FailedAttemptClosesTheSession) {
  EXPECT_CALL(transport, sendBootstrapRequest(_));
  machine.start();
  EXPECT_CALL(transport, disconnect()).Times(1);
  machine.requestFailed("timeout");
}

TEST_F(BootstrapMachineTest, ResponsesOutsideRequestingAreIgnored) {
  machine.requestAnswered(CoapCode::BadRequest);
  machine.requestFailed("late");
  EXPECT_EQ(machine.state(), State::Idle);
  EXPECT_EQ(machine.failedAttempts(), 0u);
}

TEST_F(BootstrapMachineTest, AccountTimeoutPurgesTheBootstrapAccountAfterSuccess) {
  auto p = params();
  p.accountTimeout = seconds(3600);
  machine.setParams(p);
  startAndAccept();
  EXPECT_CALL(transport, finished(true, ""));
  machine.finishAccepted();
  EXPECT_EQ(transport.armed, milliseconds(3600000));
  EXPECT_CALL(transport, purgeBootstrapAccount());
  fire();
  EXPECT_EQ(machine.state(), State::Finished);
}

TEST_F(BootstrapMachineTest, AccountTimeoutZeroMeansForever) {
  auto p = params();
  p.accountTimeout = seconds(0);
  machine.setParams(p);
  startAndAccept();
  EXPECT_CALL(transport, finished(true, ""));
  machine.finishAccepted();
  EXPECT_FALSE(transport.armed);
}

TEST_F(BootstrapMachineTest, NewServerRequestCancelsAPendingPurge) {
  auto p = params();
  p.accountTimeout = seconds(10);
  machine.setParams(p);
  startAndAccept();
  EXPECT_CALL(transport, finished(true, ""));
  machine.finishAccepted();
  machine.serverRequestArrived();
  EXPECT_EQ(machine.state(), State::WaitingForFinish);
  EXPECT_CALL(transport, purgeBootstrapAccount()).Times(0);
  fire();  // the Finish wait ran out, not the account timeout
  EXPECT_EQ(machine.state(), State::WaitingRetry);
}

TEST_F(BootstrapMachineTest, StopEndsEverything) {
  startAndAccept();
  EXPECT_CALL(transport, disconnect()).Times(1);
  machine.stop();
  EXPECT_EQ(machine.state(), State::Idle);
  EXPECT_FALSE(transport.armed);
  machine.timer();  // a stale timer does nothing
  EXPECT_EQ(machine.state(), State::Idle);
}

TEST_F(BootstrapMachineTest, RestartAfterFailureResetsTheAttempts) {
  auto p = params();
  p.maxAttempts = 1;
  machine.setParams(p);
  EXPECT_CALL(transport, sendBootstrapRequest(_)).Times(2);
  EXPECT_CALL(transport, finished(false, _));
  machine.start();
  machine.requestFailed("no answer");
  EXPECT_EQ(machine.state(), State::Failed);
  machine.start();
  EXPECT_EQ(machine.state(), State::Requesting);
  EXPECT_EQ(machine.failedAttempts(), 0u);
}

TEST_F(BootstrapMachineTest, StateNames) {
  EXPECT_EQ(toString(State::Idle), "idle");
  EXPECT_EQ(toString(State::HoldOff), "hold-off");
  EXPECT_EQ(toString(State::WaitingForFinish), "waiting-for-finish");
  EXPECT_EQ(toString(State::Failed), "failed");
}

}  // namespace
}  // namespace lwm2md
