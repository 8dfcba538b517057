#include "registration/registration_machine.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lwm2md {

// Readable gmock failure messages for the transport's arguments.
inline void PrintTo(const RegisterArgs& args, std::ostream* os) {
  *os << "{lt=" << args.lifetime.count() << " b=" << args.binding << "}";
}
inline void PrintTo(const UpdateArgs& args, std::ostream* os) {
  *os << "{";
  if (args.lifetime) *os << "lt=" << args.lifetime->count() << " ";
  if (args.binding) *os << "b=" << *args.binding << " ";
  *os << (args.withObjects ? "objects}" : "no objects}");
}

namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::InSequence;
using State = RegistrationMachine::State;
using std::chrono::milliseconds;

using std::chrono::seconds;
using RetryPolicy = RegistrationMachine::RetryPolicy;

class MockTransport : public RegistrationTransport {
 public:
  MOCK_METHOD(void, sendRegister, (const RegisterArgs&), (override));
  MOCK_METHOD(void, sendUpdate, (const std::vector<std::string>&, const UpdateArgs&), (override));
  MOCK_METHOD(void, sendDeregister, (const std::vector<std::string>&), (override));
  MOCK_METHOD(void, schedule, (milliseconds), (override));
  MOCK_METHOD(void, cancelSchedule, (), (override));
  MOCK_METHOD(void, disconnect, (), (override));
};

/// An Update that carries nothing but the refresh (no lt, no b, no objects).
UpdateArgs plain() {
  return {};
}
UpdateArgs withObjects() {
  UpdateArgs args;
  args.withObjects = true;
  return args;
}

class RegistrationMachineTest : public ::testing::Test {
 protected:
  RegistrationMachineTest() : machine(transport, params()) {
    EXPECT_CALL(transport, cancelSchedule()).Times(::testing::AnyNumber());
  }
  static RegistrationMachine::Params params() {
    RegistrationMachine::Params p;
    p.lifetime = std::chrono::seconds(100);
    p.updateAtFraction = 0.9;
    p.retryInitial = std::chrono::seconds(2);
    p.retryMax = std::chrono::seconds(10);
    return p;
  }
  void registerOk() {
    EXPECT_CALL(transport, sendRegister(RegisterArgs{seconds(100), "U"}));
    machine.start();
    EXPECT_CALL(transport, schedule(milliseconds(90000)));
    machine.onRegisterResponse(CoapCode::Created, {"rd", "5"});
    ASSERT_EQ(machine.state(), State::Registered);
  }
  ::testing::StrictMock<MockTransport> transport;
  RegistrationMachine machine;
};

TEST_F(RegistrationMachineTest, RegistersAndSchedulesUpdateBeforeLifetimeEnds) {
  registerOk();
  EXPECT_THAT(machine.location(), ElementsAre("rd", "5"));
  EXPECT_CALL(transport, sendUpdate(ElementsAre("rd", "5"), plain()));
  machine.onTimer();
  EXPECT_EQ(machine.state(), State::Updating);
  EXPECT_CALL(transport, schedule(milliseconds(90000)));
  machine.onUpdateResponse(CoapCode::Changed);
  EXPECT_EQ(machine.state(), State::Registered);
}

TEST_F(RegistrationMachineTest, FailedRegisterBacksOffExponentiallyUpToTheMaximum) {
  EXPECT_CALL(transport, sendRegister(_)).Times(5);
  machine.start();
  InSequence order;
  for (int delay : {2000, 4000, 8000, 10000}) {
    EXPECT_CALL(transport, schedule(milliseconds(delay)));
    machine.onRegisterResponse(std::nullopt, {});
    EXPECT_EQ(machine.state(), State::WaitingRetry);
    machine.onTimer();
    EXPECT_EQ(machine.state(), State::Registering);
  }
  EXPECT_EQ(machine.failedAttempts(), 4u);
}

TEST_F(RegistrationMachineTest, RegisterRefusedByServerIsRetried) {
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  EXPECT_CALL(transport, schedule(milliseconds(2000)));
  machine.onRegisterResponse(CoapCode::Forbidden, {});
  EXPECT_EQ(machine.state(), State::WaitingRetry);
}

TEST_F(RegistrationMachineTest, CreatedWithoutLocationIsAFailure) {
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  EXPECT_CALL(transport, schedule(milliseconds(2000)));
  machine.onRegisterResponse(CoapCode::Created, {});
  EXPECT_EQ(machine.state(), State::WaitingRetry);
}

TEST_F(RegistrationMachineTest, UpdateRefusedWith404RegistersAgain) {
  registerOk();
  EXPECT_CALL(transport, sendUpdate(_, plain()));
  machine.onTimer();
  EXPECT_CALL(transport, sendRegister(_));
  machine.onUpdateResponse(CoapCode::NotFound);
  EXPECT_EQ(machine.state(), State::Registering);
  EXPECT_TRUE(machine.location().empty());
}

TEST_F(RegistrationMachineTest, ObjectsChangeSendsUpdateWithObjects) {
  registerOk();
  EXPECT_CALL(transport, sendUpdate(ElementsAre("rd", "5"), withObjects()));
  machine.objectsChanged();
  // A second change while the first Update is in flight is sent after it, not lost.
  machine.objectsChanged();
  EXPECT_CALL(transport, sendUpdate(_, withObjects()));
  machine.onUpdateResponse(CoapCode::Changed);
  EXPECT_CALL(transport, schedule(_));
  machine.onUpdateResponse(CoapCode::Changed);
  EXPECT_EQ(machine.state(), State::Registered);
}

TEST_F(RegistrationMachineTest, ObjectsChangedWhileRegisteringIsSentAfterRegistration) {
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  machine.objectsChanged();
  EXPECT_CALL(transport, sendUpdate(_, withObjects()));
  machine.onRegisterResponse(CoapCode::Created, {"rd", "1"});
  EXPECT_EQ(machine.state(), State::Updating);
}

TEST_F(RegistrationMachineTest, ShutdownDeregistersWhenRegistered) {
  registerOk();
  EXPECT_CALL(transport, sendDeregister(ElementsAre("rd", "5")));
  machine.shutdown();
  EXPECT_EQ(machine.state(), State::Deregistering);
  machine.onDeregisterResponse(CoapCode::Deleted);
  EXPECT_EQ(machine.state(), State::Deregistered);
  machine.onTimer();  // a stale timer does nothing
  EXPECT_EQ(machine.state(), State::Deregistered);
}

TEST_F(RegistrationMachineTest, ShutdownWhileWaitingToRetrySendsNothing) {
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  EXPECT_CALL(transport, schedule(milliseconds(2000)));
  machine.onRegisterResponse(std::nullopt, {});
  machine.shutdown();
  EXPECT_EQ(machine.state(), State::Deregistered);
  machine.onTimer();
  EXPECT_EQ(machine.state(), State::Deregistered);
}

TEST_F(RegistrationMachineTest, ShutdownDuringRegisterDeregistersOnceRegistered) {
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  machine.shutdown();
  EXPECT_CALL(transport, sendDeregister(ElementsAre("rd", "1")));
  machine.onRegisterResponse(CoapCode::Created, {"rd", "1"});
  EXPECT_EQ(machine.state(), State::Deregistering);
  machine.onDeregisterResponse(std::nullopt);
  EXPECT_EQ(machine.state(), State::Deregistered);
}

TEST_F(RegistrationMachineTest, ShutdownDuringFailedRegisterEndsWithoutRetry) {
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  machine.shutdown();
  machine.onRegisterResponse(CoapCode::Forbidden, {});
  EXPECT_EQ(machine.state(), State::Deregistered);
}

TEST_F(RegistrationMachineTest, SuccessResetsBackoff) {
  EXPECT_CALL(transport, sendRegister(_)).Times(2);
  machine.start();
  EXPECT_CALL(transport, schedule(milliseconds(2000)));
  machine.onRegisterResponse(std::nullopt, {});
  machine.onTimer();
  EXPECT_CALL(transport, schedule(milliseconds(90000)));
  machine.onRegisterResponse(CoapCode::Created, {"rd", "2"});
  EXPECT_EQ(machine.nextRetryDelay(), milliseconds(2000));
  EXPECT_EQ(machine.failedAttempts(), 0u);
}

// --- Lifetime and binding from the Server object (TS 1.1 §6.2.2, ETS int-107 / int-227) ---

UpdateArgs lifetimeUpdate(int s) {
  UpdateArgs args;
  args.lifetime = seconds(s);
  return args;
}

TEST_F(RegistrationMachineTest, NewLifetimeIsSentAloneAndDrivesTheNextUpdate) {
  registerOk();
  auto p = machine.params();
  p.lifetime = seconds(30);
  EXPECT_CALL(transport, sendUpdate(ElementsAre("rd", "5"), lifetimeUpdate(30)));
  machine.setParams(p);
  EXPECT_EQ(machine.state(), State::Updating);
  EXPECT_CALL(transport, schedule(milliseconds(27000)));  // 0.9 of the new lifetime
  machine.onUpdateResponse(CoapCode::Changed);
  // The next periodic Update no longer carries lt: the server has it.
  EXPECT_CALL(transport, sendUpdate(_, plain()));
  machine.onTimer();
}

TEST_F(RegistrationMachineTest, NewBindingIsSentAsB) {
  registerOk();
  auto p = machine.params();
  p.binding = "UQ";
  UpdateArgs expected;
  expected.binding = "UQ";
  EXPECT_CALL(transport, sendUpdate(_, expected));
  machine.setParams(p);
}

TEST_F(RegistrationMachineTest, UnchangedOrUnrelatedParamsSendNothing) {
  registerOk();
  auto p = machine.params();
  machine.setParams(p);  // StrictMock: any request would fail the test
  p.disableTimeout = seconds(5);
  p.retry.retryCount = 3;
  machine.setParams(p);
  EXPECT_EQ(machine.state(), State::Registered);
}

TEST_F(RegistrationMachineTest, LifetimeChangedWhileUpdatingIsSentAfterTheUpdate) {
  registerOk();
  EXPECT_CALL(transport, sendUpdate(_, plain()));
  machine.triggerUpdate();
  auto p = machine.params();
  p.lifetime = seconds(50);
  machine.setParams(p);  // nothing yet: one request at a time
  EXPECT_CALL(transport, sendUpdate(_, lifetimeUpdate(50)));
  machine.onUpdateResponse(CoapCode::Changed);
}

TEST_F(RegistrationMachineTest, LifetimeChangedWhileRegisteringIsSentAfterTheRegister) {
  EXPECT_CALL(transport, sendRegister(RegisterArgs{seconds(100), "U"}));
  machine.start();
  auto p = machine.params();
  p.lifetime = seconds(40);
  machine.setParams(p);
  EXPECT_CALL(transport, sendUpdate(_, lifetimeUpdate(40)));
  machine.onRegisterResponse(CoapCode::Created, {"rd", "1"});
}

TEST_F(RegistrationMachineTest, RefusedLifetimeUpdateRegistersWithTheNewLifetime) {
  registerOk();
  auto p = machine.params();
  p.lifetime = seconds(30);
  EXPECT_CALL(transport, sendUpdate(_, lifetimeUpdate(30)));
  machine.setParams(p);
  EXPECT_CALL(transport, sendRegister(RegisterArgs{seconds(30), "U"}));
  machine.onUpdateResponse(CoapCode::NotFound);
  // The Register carried lt=30: nothing further is owed after 2.01.
  EXPECT_CALL(transport, schedule(milliseconds(27000)));
  machine.onRegisterResponse(CoapCode::Created, {"rd", "6"});
  EXPECT_EQ(machine.state(), State::Registered);
}

TEST_F(RegistrationMachineTest, LifetimeChangedWhileWaitingGoesInTheNextRegister) {
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  EXPECT_CALL(transport, schedule(milliseconds(2000)));
  machine.onRegisterResponse(std::nullopt, {});
  auto p = machine.params();
  p.lifetime = seconds(7);
  machine.setParams(p);
  EXPECT_CALL(transport, sendRegister(RegisterArgs{seconds(7), "U"}));
  machine.onTimer();
}

// --- Registration Update Trigger (ETS int-104) ---

TEST_F(RegistrationMachineTest, TriggerSendsAPlainUpdate) {
  registerOk();
  EXPECT_CALL(transport, sendUpdate(ElementsAre("rd", "5"), plain()));
  machine.triggerUpdate();
  EXPECT_EQ(machine.state(), State::Updating);
}

TEST_F(RegistrationMachineTest, TriggerWhileWaitingToRetrySendsNothing) {
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  EXPECT_CALL(transport, schedule(milliseconds(2000)));
  machine.onRegisterResponse(CoapCode::Forbidden, {});
  machine.triggerUpdate();
  EXPECT_EQ(machine.state(), State::WaitingRetry);
}

// --- Disable (ETS int-103) ---

TEST_F(RegistrationMachineTest, DisableDeregistersWaitsAndRegistersAgain) {
  registerOk();
  auto p = machine.params();
  p.disableTimeout = seconds(5);
  machine.setParams(p);
  EXPECT_CALL(transport, sendDeregister(ElementsAre("rd", "5")));
  machine.disable();
  EXPECT_EQ(machine.state(), State::Deregistering);
  {
    InSequence order;
    EXPECT_CALL(transport, disconnect());
    EXPECT_CALL(transport, schedule(milliseconds(5000)));
  }
  machine.onDeregisterResponse(CoapCode::Deleted);
  EXPECT_EQ(machine.state(), State::Disabled);
  EXPECT_TRUE(machine.location().empty());
  // While disabled nothing goes to the server.
  machine.triggerUpdate();
  machine.objectsChanged();
  machine.disable();
  EXPECT_EQ(machine.state(), State::Disabled);
  EXPECT_CALL(transport, sendRegister(RegisterArgs{seconds(100), "U"}));
  machine.onTimer();
  EXPECT_EQ(machine.state(), State::Registering);
}

TEST_F(RegistrationMachineTest, DisableWithUnansweredDeregisterStillWaits) {
  registerOk();
  EXPECT_CALL(transport, sendDeregister(_));
  machine.disable();
  EXPECT_CALL(transport, disconnect());
  EXPECT_CALL(transport, schedule(milliseconds(86400000)));  // the TS default Disable Timeout
  machine.onDeregisterResponse(std::nullopt);
  EXPECT_EQ(machine.state(), State::Disabled);
}

TEST_F(RegistrationMachineTest, DisableDuringRegisterDeregistersOnceRegistered) {
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  machine.disable();
  EXPECT_CALL(transport, sendDeregister(ElementsAre("rd", "1")));
  machine.onRegisterResponse(CoapCode::Created, {"rd", "1"});
  EXPECT_CALL(transport, disconnect());
  EXPECT_CALL(transport, schedule(_));
  machine.onDeregisterResponse(CoapCode::Deleted);
  EXPECT_EQ(machine.state(), State::Disabled);
}

TEST_F(RegistrationMachineTest, DisableDuringRefusedRegisterGoesStraightToDisabled) {
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  machine.disable();
  EXPECT_CALL(transport, disconnect());
  EXPECT_CALL(transport, schedule(milliseconds(86400000)));
  machine.onRegisterResponse(CoapCode::Forbidden, {});
  EXPECT_EQ(machine.state(), State::Disabled);
}

TEST_F(RegistrationMachineTest, DisableWhileWaitingToRetry) {
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  EXPECT_CALL(transport, schedule(milliseconds(2000)));
  machine.onRegisterResponse(std::nullopt, {});
  EXPECT_CALL(transport, disconnect());
  EXPECT_CALL(transport, schedule(milliseconds(86400000)));
  machine.disable();
  EXPECT_EQ(machine.state(), State::Disabled);
}

TEST_F(RegistrationMachineTest, ShutdownWhileDisabledEndsWithoutRequests) {
  registerOk();
  EXPECT_CALL(transport, sendDeregister(_));
  machine.disable();
  EXPECT_CALL(transport, disconnect());
  EXPECT_CALL(transport, schedule(_));
  machine.onDeregisterResponse(CoapCode::Deleted);
  machine.shutdown();
  EXPECT_EQ(machine.state(), State::Deregistered);
  machine.onTimer();
  EXPECT_EQ(machine.state(), State::Deregistered);
}

TEST_F(RegistrationMachineTest, ShutdownDuringDisableDeregisterEndsDeregistered) {
  registerOk();
  EXPECT_CALL(transport, sendDeregister(_));
  machine.disable();
  machine.shutdown();  // no second De-register: one is in flight
  machine.onDeregisterResponse(CoapCode::Deleted);
  EXPECT_EQ(machine.state(), State::Deregistered);
}

// --- Resuming a registration saved before a restart (issue 8) ---

TEST_F(RegistrationMachineTest, ResumeSendsAnUpdateWithObjectsAtTheSavedLocation) {
  // No Register: the server holds the registration at /rd/7 already.
  EXPECT_CALL(transport, sendUpdate(ElementsAre("rd", "7"), withObjects()));
  machine.resume({"rd", "7"}, RegisterArgs{seconds(100), "U"});
  EXPECT_EQ(machine.state(), State::Updating);
  EXPECT_THAT(machine.location(), ElementsAre("rd", "7"));
  const auto before = machine.acceptances();
  EXPECT_CALL(transport, schedule(milliseconds(90000)));
  machine.onUpdateResponse(CoapCode::Changed);
  EXPECT_EQ(machine.state(), State::Registered);
  EXPECT_EQ(machine.acceptances(), before + 1);
  // The next refresh goes to the same location, without the object list.
  EXPECT_CALL(transport, sendUpdate(ElementsAre("rd", "7"), plain()));
  machine.onTimer();
}

TEST_F(RegistrationMachineTest, ResumeWithAnotherLifetimeSendsTheNewOne) {
  // The server accepted 300 s before the restart; the Server object now says 100 s.
  UpdateArgs expected = withObjects();
  expected.lifetime = seconds(100);
  EXPECT_CALL(transport, sendUpdate(ElementsAre("rd", "7"), expected));
  machine.resume({"rd", "7"}, RegisterArgs{seconds(300), "U"});
  EXPECT_EQ(machine.accepted().lifetime, seconds(300));
  EXPECT_CALL(transport, schedule(milliseconds(90000)));
  machine.onUpdateResponse(CoapCode::Changed);
  EXPECT_EQ(machine.accepted().lifetime, seconds(100));
}

TEST_F(RegistrationMachineTest, ResumeForgottenByTheServerRegistersAnew) {
  EXPECT_CALL(transport, sendUpdate(_, withObjects()));
  machine.resume({"rd", "7"}, RegisterArgs{seconds(100), "U"});
  EXPECT_CALL(transport, sendRegister(RegisterArgs{seconds(100), "U"}));
  machine.onUpdateResponse(CoapCode::NotFound);
  EXPECT_EQ(machine.state(), State::Registering);
  EXPECT_TRUE(machine.location().empty());
  EXPECT_CALL(transport, schedule(milliseconds(90000)));
  machine.onRegisterResponse(CoapCode::Created, {"rd", "8"});
  EXPECT_THAT(machine.location(), ElementsAre("rd", "8"));
}

TEST_F(RegistrationMachineTest, ResumeUnansweredRegistersAnew) {
  EXPECT_CALL(transport, sendUpdate(_, _));
  machine.resume({"rd", "7"}, RegisterArgs{seconds(100), "U"});
  const auto before = machine.acceptances();
  EXPECT_CALL(transport, sendRegister(_));
  machine.onUpdateResponse(std::nullopt);
  EXPECT_EQ(machine.state(), State::Registering);
  EXPECT_EQ(machine.acceptances(), before);  // no answer: nothing accepted
}

TEST_F(RegistrationMachineTest, ShutdownAfterResumeDeregistersTheSavedLocation) {
  EXPECT_CALL(transport, sendUpdate(_, _));
  machine.resume({"rd", "7"}, RegisterArgs{seconds(100), "U"});
  EXPECT_CALL(transport, sendDeregister(ElementsAre("rd", "7")));
  machine.shutdown();
  EXPECT_EQ(machine.state(), State::Deregistering);
}

TEST_F(RegistrationMachineTest, AcceptancesCountRegistersAndUpdatesNotRefusals) {
  EXPECT_EQ(machine.acceptances(), 0u);
  registerOk();
  EXPECT_EQ(machine.acceptances(), 1u);
  EXPECT_CALL(transport, sendUpdate(_, _));
  machine.triggerUpdate();
  EXPECT_CALL(transport, sendRegister(_));
  machine.onUpdateResponse(CoapCode::BadRequest);
  EXPECT_EQ(machine.acceptances(), 1u);
}

// --- Communication retry rules (TS 1.1 §6.2.1.1, Server object resources 17-20) ---

class RetryPolicyTest : public RegistrationMachineTest {
 protected:
  void withPolicy(RetryPolicy retry) {
    auto p = machine.params();
    p.retry = retry;
    machine.setParams(p);
  }
  /// One failed Register attempt; expects the delay the machine then waits.
  void failExpecting(milliseconds delay) {
    EXPECT_CALL(transport, schedule(delay));
    machine.onRegisterResponse(std::nullopt, {});
    ASSERT_EQ(machine.state(), State::WaitingRetry);
    EXPECT_CALL(transport, sendRegister(_));
    machine.onTimer();
    ASSERT_EQ(machine.state(), State::Registering);
  }
};

TEST_F(RetryPolicyTest, SequencesFollowRetryCountTimerAndSequenceDelay) {
  withPolicy({3, seconds(5), seconds(60), 2});
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  InSequence order;
  failExpecting(milliseconds(5000));   // attempt 1: 5 * 2^0
  failExpecting(milliseconds(10000));  // attempt 2: 5 * 2^1
  failExpecting(milliseconds(60000));  // attempt 3 ends sequence 1: the sequence delay
  EXPECT_EQ(machine.failedSequences(), 1u);
  failExpecting(milliseconds(5000));  // sequence 2 starts over
  failExpecting(milliseconds(10000));
  machine.onRegisterResponse(CoapCode::Forbidden, {});  // sequence 2 fails: no more
  EXPECT_EQ(machine.state(), State::Failed);
  EXPECT_EQ(machine.failedSequences(), 2u);
  EXPECT_EQ(machine.failedAttempts(), 6u);
  machine.onTimer();  // a stale timer does nothing
  machine.triggerUpdate();
  EXPECT_EQ(machine.state(), State::Failed);
}

TEST_F(RetryPolicyTest, TheTsFormulaIsNotCappedByTheConfigWhenTheCountBoundsIt) {
  withPolicy({6, seconds(60), std::nullopt, std::nullopt});
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  InSequence order;
  for (int delay : {60, 120, 240, 480, 960}) failExpecting(milliseconds(delay * 1000));
  machine.onRegisterResponse(std::nullopt, {});  // 6th: the one (default) sequence failed
  EXPECT_EQ(machine.state(), State::Failed);
}

TEST_F(RetryPolicyTest, SequenceDelayDefaultsToTheTsValue) {
  withPolicy({1, std::nullopt, std::nullopt, 3});
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  failExpecting(milliseconds(86400000));
  failExpecting(milliseconds(86400000));
  machine.onRegisterResponse(std::nullopt, {});
  EXPECT_EQ(machine.state(), State::Failed);
}

TEST_F(RetryPolicyTest, RetryTimerWithoutCountIsBoundedByRetryMax) {
  withPolicy({std::nullopt, seconds(3), std::nullopt, std::nullopt});
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  InSequence order;
  for (int delay : {3000, 6000, 10000, 10000, 10000}) failExpecting(milliseconds(delay));
  EXPECT_EQ(machine.state(), State::Registering);  // never gives up without a count
}

TEST_F(RetryPolicyTest, RetryTimerAboveRetryMaxIsKept) {
  withPolicy({std::nullopt, seconds(30), std::nullopt, std::nullopt});
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  failExpecting(milliseconds(30000));
  failExpecting(milliseconds(30000));
}

TEST_F(RetryPolicyTest, ZeroCountsMeanOneAttemptAndOneSequence) {
  withPolicy({0, seconds(1), seconds(1), 0});
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  machine.onRegisterResponse(std::nullopt, {});
  EXPECT_EQ(machine.state(), State::Failed);
}

TEST_F(RetryPolicyTest, SuccessResetsSequences) {
  withPolicy({2, seconds(1), seconds(30), 2});
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  failExpecting(milliseconds(1000));
  failExpecting(milliseconds(30000));
  EXPECT_EQ(machine.failedSequences(), 1u);
  EXPECT_CALL(transport, schedule(milliseconds(90000)));
  machine.onRegisterResponse(CoapCode::Created, {"rd", "9"});
  EXPECT_EQ(machine.failedSequences(), 0u);
  EXPECT_EQ(machine.failedAttempts(), 0u);
  EXPECT_EQ(machine.nextRetryDelay(), milliseconds(1000));
}

TEST_F(RetryPolicyTest, DisableFromFailedRegistersAgainAfterTheTimeout) {
  withPolicy({1, seconds(1), seconds(1), 1});
  EXPECT_CALL(transport, sendRegister(_));
  machine.start();
  machine.onRegisterResponse(std::nullopt, {});
  ASSERT_EQ(machine.state(), State::Failed);
  EXPECT_CALL(transport, disconnect());
  EXPECT_CALL(transport, schedule(milliseconds(86400000)));
  machine.disable();
  EXPECT_CALL(transport, sendRegister(_));
  machine.onTimer();
  EXPECT_EQ(machine.state(), State::Registering);
  EXPECT_EQ(machine.failedSequences(), 0u);
}

}  // namespace
}  // namespace lwm2md
