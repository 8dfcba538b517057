#include "registration/registration_machine.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lwm2md {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::InSequence;
using State = RegistrationMachine::State;
using std::chrono::milliseconds;

class MockTransport : public RegistrationTransport {
 public:
  MOCK_METHOD(void, sendRegister, (), (override));
  MOCK_METHOD(void, sendUpdate, (const std::vector<std::string>&, bool), (override));
  MOCK_METHOD(void, sendDeregister, (const std::vector<std::string>&), (override));
  MOCK_METHOD(void, schedule, (milliseconds), (override));
  MOCK_METHOD(void, cancelSchedule, (), (override));
};

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
    EXPECT_CALL(transport, sendRegister());
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
  EXPECT_CALL(transport, sendUpdate(ElementsAre("rd", "5"), false));
  machine.onTimer();
  EXPECT_EQ(machine.state(), State::Updating);
  EXPECT_CALL(transport, schedule(milliseconds(90000)));
  machine.onUpdateResponse(CoapCode::Changed);
  EXPECT_EQ(machine.state(), State::Registered);
}

TEST_F(RegistrationMachineTest, FailedRegisterBacksOffExponentiallyUpToTheMaximum) {
  EXPECT_CALL(transport, sendRegister()).Times(5);
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
  EXPECT_CALL(transport, sendRegister());
  machine.start();
  EXPECT_CALL(transport, schedule(milliseconds(2000)));
  machine.onRegisterResponse(CoapCode::Forbidden, {});
  EXPECT_EQ(machine.state(), State::WaitingRetry);
}

TEST_F(RegistrationMachineTest, CreatedWithoutLocationIsAFailure) {
  EXPECT_CALL(transport, sendRegister());
  machine.start();
  EXPECT_CALL(transport, schedule(milliseconds(2000)));
  machine.onRegisterResponse(CoapCode::Created, {});
  EXPECT_EQ(machine.state(), State::WaitingRetry);
}

TEST_F(RegistrationMachineTest, UpdateRefusedWith404RegistersAgain) {
  registerOk();
  EXPECT_CALL(transport, sendUpdate(_, false));
  machine.onTimer();
  EXPECT_CALL(transport, sendRegister());
  machine.onUpdateResponse(CoapCode::NotFound);
  EXPECT_EQ(machine.state(), State::Registering);
  EXPECT_TRUE(machine.location().empty());
}

TEST_F(RegistrationMachineTest, ObjectsChangeSendsUpdateWithObjects) {
  registerOk();
  EXPECT_CALL(transport, sendUpdate(ElementsAre("rd", "5"), true));
  machine.objectsChanged();
  // A second change while the first Update is in flight is sent after it, not lost.
  machine.objectsChanged();
  EXPECT_CALL(transport, sendUpdate(_, true));
  machine.onUpdateResponse(CoapCode::Changed);
  EXPECT_CALL(transport, schedule(_));
  machine.onUpdateResponse(CoapCode::Changed);
  EXPECT_EQ(machine.state(), State::Registered);
}

TEST_F(RegistrationMachineTest, ObjectsChangedWhileRegisteringIsSentAfterRegistration) {
  EXPECT_CALL(transport, sendRegister());
  machine.start();
  machine.objectsChanged();
  EXPECT_CALL(transport, sendUpdate(_, true));
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
  EXPECT_CALL(transport, sendRegister());
  machine.start();
  EXPECT_CALL(transport, schedule(milliseconds(2000)));
  machine.onRegisterResponse(std::nullopt, {});
  machine.shutdown();
  EXPECT_EQ(machine.state(), State::Deregistered);
  machine.onTimer();
  EXPECT_EQ(machine.state(), State::Deregistered);
}

TEST_F(RegistrationMachineTest, ShutdownDuringRegisterDeregistersOnceRegistered) {
  EXPECT_CALL(transport, sendRegister());
  machine.start();
  machine.shutdown();
  EXPECT_CALL(transport, sendDeregister(ElementsAre("rd", "1")));
  machine.onRegisterResponse(CoapCode::Created, {"rd", "1"});
  EXPECT_EQ(machine.state(), State::Deregistering);
  machine.onDeregisterResponse(std::nullopt);
  EXPECT_EQ(machine.state(), State::Deregistered);
}

TEST_F(RegistrationMachineTest, ShutdownDuringFailedRegisterEndsWithoutRetry) {
  EXPECT_CALL(transport, sendRegister());
  machine.start();
  machine.shutdown();
  machine.onRegisterResponse(CoapCode::Forbidden, {});
  EXPECT_EQ(machine.state(), State::Deregistered);
}

TEST_F(RegistrationMachineTest, SuccessResetsBackoff) {
  EXPECT_CALL(transport, sendRegister()).Times(2);
  machine.start();
  EXPECT_CALL(transport, schedule(milliseconds(2000)));
  machine.onRegisterResponse(std::nullopt, {});
  machine.onTimer();
  EXPECT_CALL(transport, schedule(milliseconds(90000)));
  machine.onRegisterResponse(CoapCode::Created, {"rd", "2"});
  EXPECT_EQ(machine.nextRetryDelay(), milliseconds(2000));
  EXPECT_EQ(machine.failedAttempts(), 0u);
}

}  // namespace
}  // namespace lwm2md
